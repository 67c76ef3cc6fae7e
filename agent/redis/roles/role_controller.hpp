#pragma once
// The Redis side of one vrrp_instance: health checks that gate eligibility, and the role
// changes in the order the design gives, each as one sequence read top to bottom:
//   promotion.cpp   becoming master: catch up with a live old master (its writes paused),
//                   REPLICAOF NO ONE, confirm; only then may the VIP be added.
//   following.cpp   a backup's Redis follows the VRRP master; leaving master: follow the new
//                   master, drop clients.
//   cold_start.cpp  the whole group starts: who holds newer data?
//   switchover.cpp  planned switchover (redvipctl handover, SIGTERM): a replica gets every
//                   write while ours are paused, its Redis is promoted, then we release and
//                   follow it.
//   hand_off.cpp    the direct hand-off without the skew wait: the successor sees its Redis
//                   made master right after the release; a master whose Redis died promotes
//                   the replica holding the most data as it releases.
//   peer_watch.cpp  while we serve: our writes held while a peer is silent and may take over
//                   (peer_loss_pause).
// Every decision on the way is a pure function of redis/model/decisions.hpp; this class
// gathers their inputs and acts on the answers. It sees the instance only as InstanceControl
// and Redis servers only as RedisOperations (from RedisNodes), so it runs in a unit test with
// fakes for both.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "agent/config/settings.hpp"
#include "agent/instance/role_hooks.hpp"
#include "agent/log/log_limiter.hpp"
#include "agent/redis/model/decisions.hpp"
#include "agent/redis/model/health_counter.hpp"
#include "agent/redis/model/peer_loss.hpp"
#include "agent/redis/model/split_heal.hpp"
#include "agent/redis/model/stalled_stream.hpp"
#include "agent/redis/ops/diverged_writes.hpp"
#include "agent/redis/ops/awaitable.hpp"
#include "agent/redis/ops/health_checker.hpp"
#include "agent/redis/ops/operations.hpp"
#include "agent/redis/roles/redis_status.hpp"

namespace redvip::agent {

// Every Redis connection of the instance (ours and the peers'): the same auth and timeouts.
RedisConnectionOptions redis_connection_options(const InstanceSettings& settings);

// Logs an exception that ended a role sequence (anything but Stopped).
void log_sequence_failure(const std::string& instance, std::exception_ptr e);

class RedisRoleController : public RoleHooks {
 public:
  using Release = std::function<void(std::function<void()> released)>;

  // The daemon's: the local Redis and its peers over the network, checked every check_interval.
  RedisRoleController(boost::asio::io_context& io, const InstanceSettings& settings,
                      InstanceControl& instance);
  // Any RedisNodes (a unit test's fakes) and no health checker: the test calls on_health() and
  // on_check() as the checker would.
  RedisRoleController(boost::asio::io_context& io, const InstanceSettings& settings,
                      InstanceControl& instance, std::shared_ptr<RedisNodes> nodes);
  ~RedisRoleController() override;
  RedisRoleController(const RedisRoleController&) = delete;
  RedisRoleController& operator=(const RedisRoleController&) = delete;

  void start();
  // For good: every sequence under way ends at its next step without acting or calling back.
  void stop();

  // What a switchover did: ok with the successor, or why it was refused (nothing changed).
  struct SwitchoverResult {
    bool ok = false;
    std::string message;
    std::optional<vrrp::IpAddress> successor;
    std::chrono::milliseconds writes_paused{0};  // CLIENT PAUSE until the successor is master
    bool released = false;                       // the VIP was released
  };
  // Releases the VIP; `successor` is whom our Redis was handed to (nullopt: nobody).
  using HandOff = std::function<void(const std::optional<vrrp::IpAddress>& successor,
                                     std::function<void()> released)>;

  // Planned stop (SIGTERM) on the master: the switchover below, but it goes on whatever happens
  // (a stop must end): without a caught-up replica it releases all the same and waits (bounded)
  // for the new master to take our Redis. done() when finished (everything is logged).
  void handover(Release release, std::function<void()> done);
  // redvipctl handover on the master: unpaused, a replica (`to` when given: its address as our
  // Redis lists it) approaches our offset; our writes are paused; once it holds every write,
  // release(successor), its Redis is promoted, and our Redis follows it, its clients dropped,
  // writes resumed. Refused — writes resumed, nothing else changed — when our Redis is not
  // master, no such replica is connected, or none catches up within handover_timeout. (Should
  // the promotion fail after the release, the result says so and the backups take over after
  // their skew time, as after any release.)
  void switchover(std::optional<std::string> to, HandOff release,
                  std::function<void(SwitchoverResult)> done);

  void promote(const std::optional<vrrp::IpAddress>& live_master, bool released,
               std::function<void(bool ok, const std::string& why)> done) override;
  void demoted(const std::optional<vrrp::IpAddress>& new_master) override;
  void master_seen(const vrrp::IpAddress& master, vrrp::Centiseconds advert_interval) override;
  void advert_heard(const vrrp::IpAddress& router) override;
  void master_released(const vrrp::IpAddress& old_master,
                       std::function<void()> handed_to_us) override;
  void split_brain(const vrrp::IpAddress& other, std::uint8_t other_priority,
                   bool we_yield) override;

  RedisStatusView view() const;
  // The stream's database at a recent offset, as noted for the diverged-writes save.
  std::optional<StreamDbMark> stream_db_mark() const { return stream_db_marks_.latest(); }

  // What the health checker reports: a change of health, and each good check's INFO
  // replication with the local connection's connect count (a reconnect may be a restart).
  // `connection_lost`: the change to unhealthy came from the connection closing (a killed
  // Redis); `checks_unanswered`: from checks that got no answer at all (hung). Either may make
  // a master promote its best replica at once when it leaves (decisions.hpp: hand_off_at_once).
  void on_health(Health health, const std::string& reason, bool connection_lost = false,
                 bool checks_unanswered = false);
  void on_check(const ReplicationInfo& info, std::uint64_t connects);

 private:
  using Clock = std::chrono::steady_clock;
  using Ms = std::chrono::milliseconds;
  struct Verdict {
    bool ok = false;
    std::string why;
  };
  struct Finished {};
  struct CatchUpResult {
    CatchUp outcome = CatchUp::timed_out;
    std::string detail;  // why, when timed out
  };

  // A REPLICAOF, CLIENT KILL or UNPAUSE against a live server answers in well under this.
  static constexpr Ms kRoleChangeTimeout{1000};
  // How often the loops look: approaching the old master's offset unpaused, comparing offsets
  // while writes are paused (the old master's, or ours during a handover), and waiting for our
  // Redis to be made a replica after a handover.
  static constexpr Ms kApproachPoll{5};
  static constexpr Ms kCatchUpPoll{2};
  static constexpr Ms kReplicaWaitPoll{5};
  // After the master we followed released: how often and how long we look whether it made our
  // Redis master (hand_off.cpp). Past that, the skew timer decides as usual.
  static constexpr Ms kHandOffPoll{1};
  static constexpr Ms kHandOffWait{300};
  // A master that went silent (master-down expired, nobody announced) may be a dead host, or a
  // dead daemon beside a Redis that still takes writes. Its Redis gets this long to accept a
  // CLIENT PAUSE before we promote without it: a live Redis on the LAN answers in well under a
  // millisecond, a crashed host never, so this is what a node crash adds to the failover.
  static constexpr Ms kSilentMasterProbe{25};
  // Split brain: the longest a yielder's writes stay paused while they are saved, and how long
  // the node that yielded to VRRP waits for the other to reconcile before it yields its Redis.
  static constexpr Ms kSaveTimeout{20000};
  // How often the stream's database is noted (stream_db_marks.cpp), and how far before the fork
  // the save reads from a mark: a busier stream falls back to kDbBlindBytes, unaligned.
  static constexpr Ms kStreamDbMarkEvery{1000};
  static constexpr long long kDbMarkBytes = 64LL << 20;
  static constexpr long long kDbBlindBytes = 1LL << 20;
  static constexpr Ms kSplitHold{30000};
  static constexpr Ms kSplitHoldPoll{20};

  // role_controller.cpp
  void set_gate(PromotionGate gate, bool decided);
  Awaitable<void> measure_lag(vrrp::IpAddress master);
  // For status only: the master's offset beside ours (RedisStatusView::master_offset). Asks
  // nothing but INFO and decides nothing; measure_lag notes the same reading while it runs.
  Awaitable<void> read_master_offset(vrrp::IpAddress master, long long ours);
  void note_master_offset(const vrrp::IpAddress& master,
                          const std::optional<ReplicationInfo>& theirs, long long ours);
  std::shared_ptr<RedisOperations> peer(const std::string& host, std::uint16_t port);
  std::shared_ptr<RedisOperations> master_peer(const vrrp::IpAddress& master);
  // Our own advert interval, as the master-silence arithmetic counts it.
  Ms our_advert_interval() const;
  // peers.cpp: is `address` one of redis.peers? If not, the advert that named it is counted
  // and logged (rate-limited) and `what` is not done.
  bool configured_peer(const vrrp::IpAddress& address, const char* what);
  template <typename T, typename Then>
  void spawn(Awaitable<T> sequence, T failed, Then then);
  void spawn(Awaitable<void> sequence);
  // Clears a sequence's in-flight flag however the sequence ends, except when it ended because
  // the controller stopped: its frame may then be destroyed after the controller.
  struct ClearOnExit {
    bool& flag;
    std::stop_token stop;
    ~ClearOnExit() {
      if (!stop.stop_requested()) flag = false;
    }
  };
  ClearOnExit clear_on_exit(bool& flag) { return ClearOnExit{flag, stop_.get_token()}; }
  // A question to a Redis that a check may ask: one at a time, at most once per `every`.
  struct Asking {
    bool in_flight = false;
    std::optional<Clock::time_point> asked;
    // When it may be asked now: marks it asked and in flight, and says true.
    bool try_start(Clock::time_point now, Ms every) {
      if (in_flight || (asked && now - *asked < every)) return false;
      in_flight = true;
      asked = now;
      return true;
    }
  };
  // "VIP:port" for each VIP, as Redis writes a client's laddr: the connections kill_clients
  // drops on a Redis listening on `port`.
  std::vector<std::string> vip_endpoints(std::uint16_t port) const;
  // promotion.cpp
  Awaitable<Verdict> promotion(std::optional<vrrp::IpAddress> old_master, OldMaster how);
  Awaitable<CatchUpResult> catch_up_with(std::shared_ptr<RedisOperations> old, std::string old_host,
                                         OldMaster how);
  Awaitable<bool> approach(std::shared_ptr<RedisOperations> old, std::string old_host);
  Awaitable<CatchUpResult> catch_up(std::shared_ptr<RedisOperations> old, std::string old_host);
  Awaitable<CatchUpResult> pause_and_catch_up(std::shared_ptr<RedisOperations> old,
                                              std::string old_host, Ms answer_within);
  Awaitable<void> make_replica_of_us(std::shared_ptr<RedisOperations> old);
  Awaitable<void> unpause_abandoned(std::shared_ptr<RedisOperations> old);
  // following.cpp
  void heard(const vrrp::IpAddress& master, Ms advert_interval);
  void forget_silent_master();
  void follow(const vrrp::IpAddress& master);
  Awaitable<bool> loop_guard(vrrp::IpAddress master);
  bool not_master_yet(const std::optional<ReplicationInfo>& theirs, const std::string& our_host,
                      const std::string& host);
  void refuse_loop(const std::string& host);
  Awaitable<void> reclaim_master(std::string host, int port);
  std::string with_link_down_cause(const std::string& reason);
  Awaitable<void> ask_why_link_down(vrrp::IpAddress master);
  Awaitable<void> following(vrrp::IpAddress master);
  bool follow_unwanted(const vrrp::IpAddress& master) const;
  // A successful REPLICAOF `master`: our data is that master's from now on.
  void now_following(vrrp::IpAddress master);
  // A promotion ended: a REPLICAOF it overtook counts only if it failed.
  void settle_overtaken_follow(bool promoted);
  Awaitable<void> leaving_master(std::optional<vrrp::IpAddress> new_master);
  // stalled_stream.cpp: the master we follow heard again after a silence (heard): restart our
  // Redis's link to it if its stream stands still (model/stalled_stream.hpp).
  Awaitable<void> restart_stalled_stream(vrrp::IpAddress master);
  // cold_start.cpp
  void maybe_cold_start();
  Awaitable<void> cold_start_check();
  // switchover.cpp
  enum class Mode { refuse_unless_handed, stop };
  Awaitable<SwitchoverResult> switchover_or_release(std::optional<std::string> to, Mode mode,
                                                    HandOff release);
  Awaitable<SwitchoverResult> planned_switchover(std::optional<std::string> to, Mode mode,
                                                 const HandOff& release);
  Awaitable<std::optional<std::size_t>> replica_with_every_write(
      const std::vector<std::shared_ptr<RedisOperations>>& replicas, long long target, Ms within);
  Awaitable<void> approach_ours(const std::vector<std::shared_ptr<RedisOperations>>& replicas);
  Awaitable<void> become_replica_after_release(std::optional<vrrp::IpAddress> successor);
  // hand_off.cpp
  Awaitable<bool> made_master_by_release();
  Awaitable<bool> kept_by_split_heal(vrrp::IpAddress keeper);
  void local_redis_lost_as_master();
  Awaitable<void> promote_best_replica(std::vector<ConnectedReplica> replicas);
  // peer_watch.cpp
  void begin_serving();
  void end_serving();
  Ms peer_loss_hold_window() const;
  void maybe_watch_peers();
  Awaitable<void> watch_peers(std::uint64_t term);
  void log_peer_loss(const vrrp::IpAddress& address, PeerLossEvent event, Ms window);
  void log_pause_failure(const std::string& why);
  bool holding_for_silent_peer() const;
  // stream_db_marks.cpp
  void maybe_mark_stream_db(const ReplicationInfo& info);
  Awaitable<void> mark_stream_db(bool ours, std::uint64_t term);
  // Notes the answer's mark; says (rate-limited) why a Redis that replied gave none it could.
  void note_stream_db(const std::string& from, const StreamDbMarkResult& answer);
  // stale_master.cpp: true when no plain REPLICAOF may follow: our Redis, a master, was dealt
  // with here (its writes since the fork with `master`'s saved, then made its replica; or kept
  // as it is, the save failed), or a history could not be read (asked again at the next
  // follow).
  Awaitable<bool> yielded_stale_master(vrrp::IpAddress master);
  void log_stale_master(const std::string& host, const SplitHealPlan& plan);
  // split_heal.cpp
  Awaitable<void> split_hold(vrrp::IpAddress keeper);
  Awaitable<void> split_heal(vrrp::IpAddress other, std::uint8_t other_priority);
  Awaitable<void> yield_redis(std::shared_ptr<RedisOperations> keeper_ops, vrrp::IpAddress keeper,
                              SplitHealPlan plan, bool leave_master);
  Awaitable<std::optional<SavedWrites>> save_diverged(std::shared_ptr<RedisOperations> yielder,
                                                      std::string yielder_host,
                                                      std::uint16_t yielder_port,
                                                      SplitHealPlan& plan);
  void log_replanned(const std::string& yielder, const SplitHealPlan& plan);
  Awaitable<void> merge_saved(SavedWrites saved, std::shared_ptr<RedisOperations> keeper,
                              std::string keeper_host, std::uint16_t keeper_port,
                              SplitHealPlan plan);

  boost::asio::io_context& io_;
  InstanceSettings settings_;
  RedisSettings redis_;
  InstanceControl& instance_;
  std::shared_ptr<RedisNodes> nodes_;
  ConnectedRedisNodes* network_ = nullptr;  // nodes_ when they are the daemon's
  std::unique_ptr<RedisHealthChecker> checker_;
  // One stop for every sequence under way (ops/awaitable.hpp explains how they end).
  std::stop_source stop_;
  std::shared_ptr<RedisOperations> local_;  // stop-guarded

  Health health_ = Health::unknown;
  std::string health_reason_;
  bool local_lost_ = false;       // unhealthy, and a master hands off at once (hand_off_at_once)
  std::uint64_t promotions_ = 0;  // promote() calls: a hand-off watch that sees one ends
  std::optional<ReplicationInfo> latest_;  // the last check's INFO replication
  // What the checks saw our Redis do, for the direct hand-off (decisions.hpp: released_to_us):
  // whom it followed at the last check that saw it a replica, and since when checks have seen
  // it master after that.
  std::optional<std::pair<std::string, int>> last_followed_;
  std::optional<Clock::time_point> master_since_;
  std::uint64_t connects_seen_ = 0;
  PromotionGate gate_;
  std::optional<vrrp::IpAddress> following_;  // the master our last successful REPLICAOF named
  bool follow_in_flight_ = false;
  // A REPLICAOF that was answered while a promotion ran (its REPLICAOF NO ONE, queued behind
  // on the same connection, overrides it): applied only if the promotion fails.
  std::optional<vrrp::IpAddress> follow_overtaken_;
  Clock::time_point last_follow_{};
  std::optional<vrrp::IpAddress> last_follow_target_;
  Clock::time_point started_{};
  // The VRRP master, while we are not master, and when its last advert came (forgotten once
  // silent, decisions.hpp: master_still_heard).
  std::optional<vrrp::IpAddress> master_heard_;
  Clock::time_point master_heard_at_{};
  Ms master_heard_interval_{};  // the longer of its advert interval and ours
  // The master whose Redis we found replicating from ours, and when (loop_guard).
  std::optional<std::pair<vrrp::IpAddress, Clock::time_point>> loop_found_;
  // A promotion is under way: a check that finds our Redis master may be seeing its
  // REPLICAOF NO ONE before we read the confirmation, not another node's takeover.
  bool promoting_ = false;
  // The silent master a promotion catches up with, and whether it advertised since the
  // promotion began (advert_heard): then it was only cut off from us (promotion.cpp).
  std::optional<vrrp::IpAddress> taking_over_from_;
  bool taken_over_from_heard_ = false;
  // The instance holds the VIP on our promotion (from promote()'s success to demoted()): our
  // Redis must be master. Checks in a row that saw it a replica meanwhile (reclaim_master).
  bool serving_ = false;
  int replica_while_serving_ = 0;
  Asking reclaim_;
  bool cold_check_in_flight_ = false;
  // Our replica's link to the master we follow is down: that master's answer to us
  // (decisions.hpp: explain_link_down), asked at most once per kExplainLinkRetry.
  struct LinkDownAnswer {
    vrrp::IpAddress master;
    MasterAnswer answer = MasterAnswer::answers;
    std::string text;
  };
  std::optional<LinkDownAnswer> link_down_answer_;
  std::optional<Clock::time_point> link_down_since_;  // down at every check since then
  Asking link_down_ask_;
  bool lag_check_in_flight_ = false;     // measure_lag under way: one at a time
  bool stream_check_in_flight_ = false;  // restart_stalled_stream under way: one at a time
  std::uint64_t stalled_streams_restarted_ = 0;
  // restart_stalled_stream: how often and how long the master is asked after a silence. The
  // stall lasts up to as long as the silence did; a link that just returned may leave the first
  // connections unanswered (here about half a second).
  static constexpr Ms kStreamAskEvery{100};
  static constexpr Ms kStreamAskFor{3000};
  // master_peer(): the connection measure_lag and read_master_offset share, to master_peer_of_.
  std::shared_ptr<RedisOperations> master_peer_;
  std::optional<vrrp::IpAddress> master_peer_of_;
  // The master's offset for status (read_master_offset) and its pace: once the gate is open
  // measure_lag no longer reads it, and status should not go stale.
  struct MasterReading {
    vrrp::IpAddress master;
    long long offset = -1;
    long long ours = -1;
    Clock::time_point at{};
  };
  std::optional<MasterReading> master_reading_;
  Asking master_offset_ask_;
  // People read status, Prometheus scrapes every few seconds: once a second is fresh enough and
  // costs the master one INFO a second, not one per check.
  static constexpr Ms kMasterOffsetEvery{1000};
  std::optional<Clock::time_point> last_cold_check_;
  std::vector<vrrp::IpAddress> peers_heard_;
  // Adverts naming a non-peer as master (peers.cpp): counted, logged rate-limited, ignored.
  std::uint64_t non_peer_adverts_ = 0;
  std::string last_non_peer_;
  LogLimiter non_peer_log_{std::chrono::seconds(10)};
  // Role commands a Redis keeps refusing (REPLICAOF retried every 500 ms): one line per target.
  LogLimiter redis_error_log_{std::chrono::seconds(10)};
  // While we serve, each peer's Redis as the peer_loss_pause watch sees it (peer_watch.cpp).
  struct PeerWatch {
    vrrp::IpAddress peer;
    std::shared_ptr<RedisOperations> ops;  // kept while it answers
    PeerSight sight;
  };
  std::vector<PeerWatch> peer_watch_;
  std::uint64_t servings_ = 0;  // begin_serving() calls: a watch of an earlier term stops
  bool peer_watch_in_flight_ = false;
  std::uint64_t peer_loss_pauses_ = 0;  // writes held for a silent peer, counted per peer
  LogLimiter peer_loss_log_{std::chrono::seconds(10)};
  // The stream's database at a recent offset, for the diverged-writes save
  // (stream_db_marks.cpp); the peers' connections kept while they answer, one per peer.
  StreamDbMarks stream_db_marks_;
  Asking stream_db_ask_;
  LogLimiter stream_db_log_{std::chrono::seconds(60)};  // a Redis that refuses the question
  std::vector<std::shared_ptr<RedisOperations>> db_mark_peers_;
  // A split brain is being reconciled with this node: our Redis follows nobody on its own.
  std::optional<vrrp::IpAddress> split_hold_;
  bool split_heal_in_flight_ = false;
  bool yielding_redis_ = false;  // yield_redis under way: our Redis is about to be a replica
};

// Runs `sequence` on the io_context. When it ends, then(result) runs unless the controller
// stopped meanwhile (a stop ends a sequence silently: no callback into a controller that is
// gone). Any other exception is a bug or out of memory: logged, and then(failed) runs, so a
// caller waiting for an answer always gets one.
template <typename T, typename Then>
void RedisRoleController::spawn(Awaitable<T> sequence, T failed, Then then) {
  boost::asio::co_spawn(
      io_, guarded(stop_.get_token(), nullptr, std::move(sequence)),
      [stop = stop_.get_token(), name = settings_.name, failed = std::move(failed),
       then = std::move(then)](std::exception_ptr e, T result) mutable {
        if (stop.stop_requested()) return;
        if (e) {
          log_sequence_failure(name, e);
          then(std::move(failed));
          return;
        }
        then(std::move(result));
      });
}

}  // namespace redvip::agent
