#pragma once
// The decisions behind the Redis role changes, as pure functions of what Redis said (INFO, ROLE,
// the peers' data) and of plain values the caller keeps (counters, durations): no connection,
// no clock. The role controller only gathers these inputs and acts on the answers; every rule
// here has a table test (tests/unit/redis_decisions_test.cpp).
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "agent/redis/model/peer_data.hpp"
#include "agent/redis/model/replication_info.hpp"
#include "agent/redis/model/reply.hpp"

namespace redvip::agent {

// ---- Did the local Redis restart? -------------------------------------------------------------
// A Redis without persistence that restarted is empty and starts a new replication history. Our
// own promotion changes the replication id too, but over the same connection: a restart always
// comes with a reconnect, so it takes a reconnect, a known earlier history, a new id and the
// master role (a restarted Redis starts as master).
bool restarted(std::string_view history, const ReplicationInfo& now, bool reconnected);

// Bytes of replication stream we wait for unpaused before pausing the old master's writes: a
// LAN streams them in well under a millisecond, so the pause covers only that last stretch.
inline constexpr long long kCloseEnoughBytes = 16 * 1024;

// ---- Has a replica completed a sync from a master? -------------------------------------------
struct SyncJudgement {
  bool completed = false;
  std::string reason;  // why not (or "synced"), for logs and status
};
// See the definition in the .cpp. `master_replid` empty: not compared.
SyncJudgement judge_sync_completed(const ReplicationInfo& replica, std::string_view master_host,
                                   int master_port, std::string_view master_replid = {});

// ---- May the local Redis be promoted? ---------------------------------------------------------
// The gate, kept over the health checks: open once the local Redis completed a sync from the
// master we pointed it at (in the history it belongs to), or once a cold start found that no
// peer holds newer data; closed while loading, when Redis restarted, and when our Redis is a
// master while a VRRP master is heard (another node took over: ours is a stale history).
struct PromotionGate {
  bool open = false;
  std::string history;                  // the replication id our data belongs to (while open)
  std::string why = "not yet checked";  // the reason for the current state, for logs and status

  friend bool operator==(const PromotionGate&, const PromotionGate&) = default;
};

// A replica whose redis.conf says replica-priority 0 is never promoted, as Sentinel reads it: the
// operator keeps it for reads, backups or another site. Its gate stays closed (judge_check,
// judge_lag) with this reason; it still follows the master.
inline constexpr std::string_view kNeverPromoted =
    "replica-priority 0 (redis.conf): this replica is never promoted";

// What the controller does after a check, besides updating the gate.
enum class AfterCheck {
  nothing,
  follow_master,      // we are a master but a VRRP master is heard: replicate from it
  check_cold_start,   // we are a master and nobody is heard: ask the peers who holds data
  measure_lag,        // synced from the master we follow: open the gate once close (judge_lag)
  explain_link_down,  // its link to the master we follow is down: ask that master why
};

struct CheckVerdict {
  PromotionGate gate;             // the gate after this check
  bool decided = false;           // the gate was (re)decided: tell the instance (gate.why)
  bool forget_following = false;  // restarted: the master we had pointed it at no longer counts
  AfterCheck then = AfterCheck::nothing;
};

// One health check's INFO replication. `following` is the master we pointed our Redis at
// (host as given to REPLICAOF, and the peers' Redis port), `master_heard` whether a VRRP
// master is currently heard. A completed sync does not open the gate by itself: it asks for
// AfterCheck::measure_lag, and judge_lag opens it once our Redis is close to the master's offset.
CheckVerdict judge_check(const PromotionGate& gate, const ReplicationInfo& info, bool reconnected,
                         const std::optional<std::string>& following, int peer_port,
                         bool master_heard);

// ---- Why is our replica's link to its master down? ---------------------------------------------
// Redis says only "master_link_status:down"; the cause is in the master's answer (protected
// mode's DENIED, NOAUTH, a refused connection). Once the link has been down for
// kExplainLinkRetry (a normal handshake is shorter), the controller asks that master itself, at
// most once per kExplainLinkRetry, and the reason carries its answer:
//   answers       it answered us fine: the replica's own credentials are the usual cause;
//   error_reply   its error (NOAUTH, DENIED, ...), cleaned and cut to kMaxPeerAnswer;
//   closed_on_us  it closed our connection before any answer. That is protected mode: Redis
//                 writes DENIED the moment it accepts and closes at once, and a close with our
//                 first command unread resets the connection, discarding the DENIED;
//   no_answer     refused, timed out: it is not there.
inline constexpr std::chrono::milliseconds kExplainLinkRetry{1000};
inline constexpr std::size_t kMaxPeerAnswer = 200;
enum class MasterAnswer { answers, error_reply, closed_on_us, no_answer };
// What the outcome of asking it (INFO replication) says: an error reply of any kind (LOADING,
// NOAUTH, DENIED, ...) is error_reply, a connection broken before the reply closed_on_us, any
// other failure no_answer, success answers.
MasterAnswer master_answer(std::error_code asked);
std::string explain_link_down(std::string_view reason, std::string_view master, MasterAnswer answer,
                              std::string_view text);

// ---- Never close a replication loop ----------------------------------------------------------
// Does `theirs` (a Redis's INFO, nullopt when it did not answer) replicate from host:port?
bool replicates_from(const std::optional<ReplicationInfo>& theirs, std::string_view host, int port);

// Our Redis never follows a Redis that replicates from ours: both would be replicas, neither can
// sync from the other (a replica whose own link is down refuses PSYNC), every write is refused,
// and the next one to restart empty wipes the other. A 60-minute soak got there: n1 preempted
// n2 (made n2's Redis its replica), went to Fault in the same millisecond (a health check
// failed during the promotion), and n2's last advert as it yielded made n1's Redis follow n2;
// both nodes then waited in Fault for a sync that never came, and a restart wiped 857,480
// writes. So before each REPLICAOF the master's Redis is asked (not answering is no loop: a
// REPLICAOF at a Redis that cannot answer closes none). When it replicates from ours:
//   wait       no REPLICAOF (asked again every kFollowRetry). A master that falls silent is
//              forgotten (below); our Redis is then a master nobody is heard beside, and the
//              cold start decides;
//   hand_back  that master advertised again since we found its Redis following ours: it serves
//              from a replica of ours (our promotion made it so and was abandoned) and every
//              write to it is refused. We do not serve, so once its Redis holds every write of
//              ours (link up, its offset at ours) we promote it, then ours follows it. A master
//              that does not advertise again (it yielded) is handed nothing: it would hand it
//              straight back.
// When it replicates from another Redis (not ours):
//   not_master_yet  a takeover still promoting it: a node taking over from a silent master
//              advertises before its promotion (vrrp become_master). No REPLICAOF, our gate
//              untouched, asked again kFollowRetry later. Pointed at that replica, ours was refused
//              its sync (NOMASTERLINK) and its gate closed: had the takeover failed or the node
//              died, no node was left eligible.
enum class FollowGuard { follow, wait, hand_back, not_master_yet };
// `ours`: our Redis's INFO read after theirs (nullopt: not read or no answer).
FollowGuard judge_follow_guard(const std::optional<ReplicationInfo>& theirs,
                               std::string_view our_host, int our_port,
                               const std::optional<ReplicationInfo>& ours,
                               bool advertised_since_found);

// ---- Is the VRRP master we heard still there? -------------------------------------------------
// Every advert of the master we follow renews it. One not heard for kSilentAdverts advert
// intervals (longer than master-down: 3 intervals plus the skew) is gone or released, whatever
// state we were in when it went: in Fault a release is not even followed, and with the guard
// above a successor whose Redis was handed over while it sat in Fault (redis_handover_then_stop)
// waited for a sync from a master that had stopped.
// The interval counted is the master's own when it advertises less often than we do (VRRPv3
// lets it), at most kMaxHeardIntervalFactor times ours: an advert's interval is the sender's
// word, and a forged 40 s one must not keep a dead master heard for minutes.
inline constexpr int kSilentAdverts = 4;
inline constexpr int kMaxHeardIntervalFactor = 10;
std::chrono::milliseconds heard_interval(std::chrono::milliseconds theirs,
                                         std::chrono::milliseconds ours);
bool master_still_heard(std::chrono::milliseconds since_heard,
                        std::chrono::milliseconds advert_interval);

// ---- A VRRP master whose Redis was made a replica --------------------------------------------
// While we hold the VIP on our promotion, our Redis must stay master. A loop (both Redis servers
// replicas of each other, made by hand or by an older redvipd) leaves every write refused and
// nobody else repairs it: the master takes its Redis back (REPLICAOF NO ONE: it keeps its
// history) once kReclaimAfterChecks checks in a row saw it a replica while no other master is
// heard, and only when the Redis ours follows replicates from ours (replicates_from). A master
// there is a takeover whose advert we have not heard (lost, or only the adverts partitioned):
// ours stays its replica, its clients get READONLY, and no write diverges; an abandoned one is
// handed back by the node that abandoned it (hand_back above). Not while a split brain is
// reconciled (the yielding Redis follows the keeper on purpose). Asked at most once per
// kReclaimRetry.
inline constexpr int kReclaimAfterChecks = 2;
inline constexpr std::chrono::milliseconds kReclaimRetry{500};
bool serving_from_a_replica(bool serving, const ReplicationInfo& ours, bool other_master_heard,
                            bool reconciling);

// ---- The direct hand-off: did the release make our Redis master? -----------------------------
// A live master that releases hands its Redis to one of its replicas: a switchover releases and
// then promotes its successor, a master whose Redis died promotes the replica holding the most
// data. So a successor's Redis followed the releaser up to the release. A Redis that was master
// without that was handed nothing: in a soak it had stayed master all along while the
// releaser's own takeover had not yet made it a replica, and taking over at once left both
// Redis servers replicas of each other. Accepted only when the last check that saw our Redis a
// replica saw it following the releaser, and no check has seen it master since, but for
// kHandOffMasterWindow (a promotion may come just before the release is heard). Otherwise the
// skew timer and promote() decide, which costs the skew time, never data.
inline constexpr std::chrono::milliseconds kHandOffMasterWindow{250};
struct RoleSightings {
  std::string followed_host;  // whom the last check that saw our Redis a replica saw it follow
  int followed_port = 0;
  // How long the checks have seen it master (since the first check after that replica one);
  // nullopt: the last check saw a replica.
  std::optional<std::chrono::milliseconds> master_for;
};
bool released_to_us(std::string_view releaser, int releaser_port,
                    const std::optional<RoleSightings>& seen);

// A master whose Redis does not answer releases. It promotes its best replica at once (the
// successor then takes over without its skew wait and without a catch-up probe) when the
// connection closed and a new one is refused (a dead Redis: nothing more comes from it), or
// when `fall` checks got no answer at all (hung) and what that Redis may still execute when it
// resumes can be saved before it follows (a diverged_writes_dir: stale_master.cpp). Otherwise
// (error replies, or nowhere to save) the successor's catch-up after its skew time pauses a
// Redis that answers again and takes its writes. Pure.
bool hand_off_at_once(bool connection_lost, bool checks_unanswered, bool can_save_writes);

// ---- Pointing our Redis at another master -----------------------------------------------------
// Once our Redis follows a master other than the one it already followed, what it holds is that
// master's data: the gate closes until judge_check finds the sync from it completed and judge_lag
// finds it close. A master that lost its link while another took over has a healthy Redis all
// along: it re-points it the moment it hears the new master, before any check sees it a master
// beside another, and an open gate let it preempt with a stale history (without catch-up if the
// peer connection was not up yet: a split brain).
PromotionGate gate_on_follow(const PromotionGate& gate, std::string_view master_host,
                             int master_port, bool same_master);

// ---- Is a synced replica close enough to its master to take over? ---------------------------
// A completed sync says our data belongs to the master's history, not that it holds the master's
// recent writes: a returning node (its Redis hung or its link was down) resyncs partially in
// milliseconds, but its Redis may still be far behind (a full sync's stream starts only after the
// replica's first ACK; a Redis left paused by a takeover attempt applies none of the stream).
// Eligible then, a higher-priority node preempts at once and the current master's writes stay
// paused while it catches up. So the gate opens only once our Redis is within kPromotableLag bytes
// of the master's master_repl_offset, the same distance the promotion's approach waits for
// unpaused: the pause that follows covers only the last stretch.
//
// Offsets, not master_last_io_seconds_ago: that says the link is alive (one-second resolution),
// not how much of the stream is missing; the byte distance is exact. The master's offset is read
// from its own INFO (the peer connection), before ours, so `ours` at or past it holds every write
// the master had when asked.
inline constexpr long long kPromotableLag = kCloseEnoughBytes;
struct LagJudgement {
  bool close = false;
  long long behind = -1;  // bytes, when both offsets were known
  std::string why;        // for logs and status
};
// `master` is the master's INFO, nullopt when its Redis did not answer: then there is no master
// to catch up with (a dead master's backup must stay promotable), and the completed sync stands.
LagJudgement judge_lag(const ReplicationInfo& ours, std::string_view master_host,
                       const std::optional<ReplicationInfo>& master);

// ---- What promote() does ----------------------------------------------------------------------
enum class PromotionPlan {
  refuse,          // the gate is closed: the VIP must stay off
  already_master,  // nothing to change (and no REPLICAOF in flight could make it stale)
  promote,         // REPLICAOF NO ONE at once: the old master is gone
  catch_up_first,  // the old master is alive: take its last writes first
};
// `latest` is the last checked INFO (nullopt before any); `follow_pending` is true while we
// point our Redis at a master or a REPLICAOF is in flight: the check's "master" may then be
// stale, so promoting must go through REPLICAOF NO ONE (queued after it on one connection).
PromotionPlan plan_promotion(const PromotionGate& gate,
                             const std::optional<ReplicationInfo>& latest, bool follow_pending,
                             bool old_master_alive);

// ---- Catching up with a live old master -------------------------------------------------------
// Our Redis streams from `master_host`: a replica of it with the link up, not in a full sync.
// Offsets compare only then (before the first sync both sides may read 0).
bool streaming_from(const ReplicationInfo& ours, std::string_view master_host);

// Before the old master's writes are paused, our replica gets close on its own: after a diskless
// full sync Redis streams nothing until the replica's first (once a second) ACK, and that wait
// must not happen while clients are paused. Close means nothing is left, or the stream flows
// (our offset moved past `first_offset`, our offset when we started looking; -1: not yet seen)
// and at most kCloseEnoughBytes are left.
bool close_enough_to_pause(const ReplicationInfo& ours, std::string_view master_host,
                           long long their_offset, long long first_offset);

// The longest the old master's writes stay paused while we take its last writes: after the
// approach got close, the rest streams in milliseconds; a replica that needs longer is not
// applying the stream, and holding the clients' writes for handover_timeout would be the outage.
// Past it the pause is lifted and the promotion refused (the instance retries later).
inline constexpr std::chrono::milliseconds kMaxCatchUpPause{200};
std::chrono::milliseconds catch_up_pause_limit(std::chrono::milliseconds handover_timeout);

// With the old master's writes paused (its offset no longer moves): we hold all of them.
bool caught_up(const ReplicationInfo& ours, std::string_view master_host, long long their_offset);

// What catching up with the old master came to. not_close: the approach did not get close,
// nothing was paused; old_master_gone: it answers, but no longer as a master; unreachable: it
// does not answer; timed_out: paused, but we did not catch up within catch_up_pause_limit.
enum class CatchUp { caught_up, old_master_gone, unreachable, timed_out, not_close };

// How the old master left: it released (advertised priority 0), we preempt it (it still
// advertises, so its Redis still serves), or it went silent (master-down expired, nobody
// announced: a dead host, or a dead daemon beside a Redis that still takes writes).
enum class OldMaster { released, preempted, silent };

enum class AfterCatchUp {
  promote_then_demote_it,  // promote; then the old master (paused) becomes our replica
  promote_without_it,      // promote; nothing left to undo there (gone, demoted, unreachable)
  refuse,                  // nothing paused there: it keeps serving, the instance retries
  refuse_and_unpause,      // we paused it but do not take over: let its clients write again
};
// A live master (released or preempted) is taken over only once we hold its writes; a silent
// one is taken over whatever the catch-up did, since nobody else will (a timed-out catch-up
// leaves it paused, and it becomes our replica: nothing more is acknowledged there). Only a
// preempted master that does not answer refuses: it still advertises, so its Redis still takes
// writes we cannot reach, and promoting would make two masters (a 60-minute soak: a link back
// up, the ARP entry not yet resolved).
// A silent master `heard_again` (it advertised while we caught up) was only cut off from us, and
// it serves: refused whatever the catch-up did, its writes unpaused. Promoted all the same, its
// Redis, ahead of ours by the writes of the cut, became our replica and its full resync wiped
// them (a short cut ending as our master-down ran out). The VRRP machine heard it too: it
// follows it, or takes over again treating it as the live master it is.
AfterCatchUp after_catch_up(CatchUp outcome, OldMaster old, bool heard_again);

// Planned handover: a replica, asked directly (the master learns replica offsets only from
// their once-a-second ACKs), holds every write up to our paused `master_offset`. A replica with
// replica-priority 0 never qualifies: it is never promoted (kNeverPromoted), not even by us.
bool has_every_write(const ReplicationInfo& replica, long long master_offset);

// ---- Cold start: who holds newer data? --------------------------------------------------------
// The whole group starting cold: a Redis that is master without a VRRP master heard may serve
// only when no peer holds newer data; an empty one only when the group holds no data at all.
inline constexpr std::chrono::milliseconds kEmptyColdStartWait{3000};

// Whether a cold-start check is due: the controller gives a running master 4 advert intervals
// to be heard after start, and asks at most once per kColdCheckRetry.
inline constexpr std::chrono::milliseconds kColdCheckRetry{1000};
bool cold_check_due(std::chrono::milliseconds since_start,
                    std::optional<std::chrono::milliseconds> since_last_check,
                    std::chrono::milliseconds advert_interval);

struct PeerAnswer {
  std::string name;  // for the reason text
  PeerData data;
};
struct ColdStartVerdict {
  bool promote = false;
  std::string why;
};
// `self` is our own Redis's data, `peers` every configured or heard peer's. `since_start` counts
// only when there are no peers to ask: an empty node then waits kEmptyColdStartWait for a master
// holding data to appear before it concludes there is none.
ColdStartVerdict judge_cold_start(const PeerData& self, const std::vector<PeerAnswer>& peers,
                                  std::chrono::milliseconds since_start);
// Does `peer` hold newer data than `self`? More keys, or the same history further on; anything
// beats an empty data set.
bool holds_newer_data(const PeerData& peer, const PeerData& self);

// ---- Keeping a backup's Redis on the VRRP master ----------------------------------------------
// Re-issue REPLICAOF no more often than this at the same master (a local Redis that is down
// must not turn every check into a REPLICAOF and a log line).
inline constexpr std::chrono::milliseconds kFollowRetry{500};
struct FollowState {
  bool in_flight = false;     // a REPLICAOF is under way
  bool following_it = false;  // our last REPLICAOF that succeeded named this master
  // Since our last attempt at this same master; nullopt when the last attempt named another.
  std::optional<std::chrono::milliseconds> since_last_attempt;
};
// Whether to point our Redis at master_host:port now. `latest` is the last checked INFO.
bool should_follow(const FollowState& state, const std::optional<ReplicationInfo>& latest,
                   std::string_view master_host, int port);

}  // namespace redvip::agent
