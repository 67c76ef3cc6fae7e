#pragma once
// A scripted group of Redis servers behind the role controller's seam (RedisNodes /
// RedisOperations), for the unit tests of the role changes. Each FakeNode holds the replication
// state a real Redis reports — role, master, link, offset, replication id, keys, pause — and
// changes it the way the commands would. Every command that changes something is appended to
// one journal shared with the fake instance, so a test checks the order of steps across servers
// and the instance ("n2 paused before n1 promoted before the VIP").
//
// Time passes only when somebody looks: each INFO on an unpaused master finds writes_per_look
// new bytes (clients writing), and each INFO on a replica moves it stream_per_look bytes toward
// its master's offset (the replication stream). Every operation yields once to the io_context,
// as a network round trip would, so a stop can land while one is in flight.
#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/instance/role_hooks.hpp"
#include "agent/redis/ops/operations.hpp"

namespace redvip::test {

// The fake group's addresses: this node and two peers.
inline constexpr const char* k_us = "10.0.0.1";
inline constexpr const char* k_n2 = "10.0.0.2";
inline constexpr const char* k_n3 = "10.0.0.3";
// The advert interval of the masters the tests hear: the rigs' own (1 cs).
inline constexpr redvip::vrrp::Centiseconds kAdvertInterval{1};

inline redvip::vrrp::IpAddress ip(const char* text) {
  return *redvip::vrrp::IpAddress::parse(text);
}

namespace asio = boost::asio;
using agent::Awaitable;
using agent::ConnectedReplica;
using agent::InfoResult;
using agent::PeerData;
using agent::RedisErrc;
using agent::RedisOperations;
using agent::RedisOpResult;
using agent::RedisRole;
using agent::ReplicationInfo;
using agent::StreamDbMark;

struct FakeNode {
  std::string host;
  int port = 6379;
  RedisRole role = RedisRole::master;
  std::string master_host;
  int master_port = 0;
  bool link_up = false;
  long long offset = 0;  // master_repl_offset of a master, slave_repl_offset of a replica
  std::string replid;
  // The history this one continued (PSYNC2): set by a promotion, as Redis does.
  std::string replid2;
  long long second_offset = -1;
  long long keys = 0;
  bool paused = false;
  bool reachable = true;  // false: nothing listens (refused)
  bool silent = false;    // no answer at all (a cut link, a crashed host): operations time out
  // With reachable false: its host accepts the connection, then resets it (its Redis died as
  // we connected): operations fail with connection_lost instead of refused.
  bool resets = false;
  std::uint64_t connects = 1;

  // Script.
  bool syncs = true;               // REPLICAOF to a reachable master completes its sync at once
  bool confirms_promotion = true;  // false: REPLICAOF NO ONE answers +OK, ROLE still says replica
  // REPLICAOF NO ONE is executed, its confirmation (the reply, then ROLE) waits for release()
  bool hold_promotion = false;
  // REPLICAOF <host> is executed, its reply waits for release_follow()
  bool hold_follow = false;
  long long writes_per_look = 0;   // as an unpaused master: new bytes per INFO
  long long stream_per_look = -1;  // as a replica: bytes per INFO toward its master (-1: all)
  // As a master: the bytes its replication backlog holds (0: INFO shows none). A replica's
  // restarted link (CLIENT KILL TYPE master) streams freely again.
  long long backlog = 0;
  std::string refuses_replicaof;  // non-empty: REPLICAOF <host> answers this error
  // REPLICAOF to a reachable master completes its sync this many bytes behind the master's
  // offset (a partial resync whose stream has not arrived yet; a Redis left paused applies none).
  long long resync_behind = 0;
  long long replica_priority = 100;  // redis.conf's replica-priority, shown while a replica
  // Non-empty: every command answers this error (protected mode's DENIED); replicas cannot sync.
  std::string denies;
  bool auth_fails = false;  // as a replica: its master refuses its handshake (a wrong masterauth)
  int stream_db = 0;        // as a replica: the database its master link has selected (CLIENT LIST)
  std::string refuses_client_list;  // non-empty: CLIENT LIST answers this error (an ACL)

  // Observations.
  long long last_write_offset = 0;    // the offset of the last write this node accepted as master
  long long promoted_at = -1;         // our offset when REPLICAOF NO ONE was confirmed
  std::function<void()> held;         // a held confirmation; call release() to let it answer
  std::function<void()> held_follow;  // a held REPLICAOF <host> reply (release_follow())
  std::vector<std::string> killed_through;        // the endpoints of the last CLIENT KILL
  std::vector<std::chrono::milliseconds> pauses;  // each CLIENT PAUSE's length, in order
  int db_marks_asked = 0;                         // INFO + CLIENT LIST TYPE master pairs

  std::string name() const { return host + ":" + std::to_string(port); }
  void release() {
    auto h = std::move(held);
    held = nullptr;
    if (h) h();
  }
  void release_follow() {
    auto h = std::move(held_follow);
    held_follow = nullptr;
    if (h) h();
  }
  // redis-server restarted without persistence: an empty master of a new history, reached
  // over a new connection.
  void restart_empty() {
    role = RedisRole::master;
    master_host.clear();
    master_port = 0;
    link_up = false;
    offset = 0;
    last_write_offset = 0;
    replid = "restarted-" + host;
    keys = 0;
    paused = false;
    ++connects;
  }
};

class FakeGroup : public agent::RedisNodes {
 public:
  explicit FakeGroup(std::string local_host) : local_host_(std::move(local_host)) {}

  FakeNode& add(const std::string& host, RedisRole role, long long offset, long long keys) {
    auto node = std::make_unique<FakeNode>();
    node->host = host;
    node->role = role;
    node->offset = offset;
    node->last_write_offset = role == RedisRole::master ? offset : 0;
    node->keys = keys;
    node->replid = "history-of-" + host;
    auto& ref = *node;
    nodes_.push_back(std::move(node));
    return ref;
  }
  FakeNode& node(const std::string& host) { return *find(host); }
  // The node at `host` when it is in the group and answers, else nullptr.
  FakeNode* reachable(const std::string& host) {
    FakeNode* n = find(host);
    return n != nullptr && n->reachable && !n->silent ? n : nullptr;
  }
  FakeNode& local_node() { return node(local_host_); }

  // The node at `host` whether or not it answers, else nullptr.
  FakeNode* find_node(const std::string& host) { return find(host); }
  // Makes `replica` a synced replica of `master` (as if it had replicated for a while).
  void replicate(const std::string& replica, const std::string& master) {
    auto& r = node(replica);
    auto& m = node(master);
    r.role = RedisRole::replica;
    r.master_host = m.host;
    r.master_port = m.port;
    r.link_up = true;
    r.offset = m.offset;
    r.replid = m.replid;
    r.keys = m.keys;
  }

  // INFO replication of a node, as Redis would answer it now (time passes: see the top).
  ReplicationInfo info(FakeNode& n) {
    ReplicationInfo i;
    i.role = n.role;
    i.master_replid = n.replid;
    i.master_replid2 = n.replid2;
    i.second_repl_offset = n.second_offset;
    if (n.role == RedisRole::master) {
      if (!n.paused && n.writes_per_look > 0) {
        n.offset += n.writes_per_look;
        n.last_write_offset = n.offset;
        ++n.keys;
      }
      i.master_repl_offset = n.offset;
      if (n.backlog > 0) {
        i.repl_backlog_active = true;
        i.repl_backlog_first_byte_offset = std::max(1LL, n.offset - n.backlog + 1);
        i.repl_backlog_histlen = n.offset - i.repl_backlog_first_byte_offset + 1;
      }
      for (const auto& other : nodes_) {
        if (other->role == RedisRole::replica && other->master_host == n.host && other->link_up) {
          i.replicas.push_back(
              ConnectedReplica{other->host, other->port, "online", other->offset, 0});
        }
      }
      return i;
    }
    FakeNode* m = find(n.master_host);
    if (n.link_up && m != nullptr && m->reachable && m->role == RedisRole::master) {
      const long long gap = m->offset - n.offset;
      n.offset += n.stream_per_look < 0 ? gap : std::min(gap, n.stream_per_look);
      n.keys = m->keys;
    }
    i.master_host = n.master_host;
    i.master_port = n.master_port;
    i.master_link_up = n.link_up;
    // Down without a sync under way: its master denies it, or its handshake fails.
    const bool refused = n.auth_fails || (m != nullptr && !m->denies.empty());
    i.master_sync_in_progress = !n.link_up && !refused;
    i.slave_repl_offset = n.offset;
    i.master_repl_offset = n.offset;
    i.replica_priority = n.replica_priority;
    return i;
  }

  std::shared_ptr<RedisOperations> local() override { return connect(local_host_, 6379); }
  std::shared_ptr<RedisOperations> connect(const std::string& host, std::uint16_t port) override;

  // One line per command that changes something ("10.0.0.2 CLIENT PAUSE WRITE"); tests add
  // the instance's steps ("VIP added").
  std::vector<std::string> journal;
  std::vector<std::string> connected;  // every host connect() was asked for, in order
  // Position of the first journal line equal to `line`, or -1.
  int position(const std::string& line) const {
    auto it = std::find(journal.begin(), journal.end(), line);
    return it == journal.end() ? -1 : static_cast<int>(it - journal.begin());
  }
  bool has(const std::string& line) const { return position(line) >= 0; }
  int count(const std::string& line) const {
    return static_cast<int>(std::count(journal.begin(), journal.end(), line));
  }

 private:
  FakeNode* find(const std::string& host) {
    for (auto& n : nodes_) {
      if (n->host == host) return n.get();
    }
    return nullptr;
  }

  std::string local_host_;
  std::vector<std::unique_ptr<FakeNode>> nodes_;
};

// The operations on one FakeNode (reached as host:port; a host not in the group refuses).
class FakeOperations final : public RedisOperations {
 public:
  FakeOperations(FakeGroup& group, std::string host, int port)
      : group_(group), host_(std::move(host)), port_(port) {}

  std::string name() const override { return host_ + ":" + std::to_string(port_); }

  Awaitable<RedisOpResult> promote(Ms) override {
    FakeNode* n = co_await reach();
    if (n == nullptr) co_return refused();
    note(*n, "REPLICAOF NO ONE");
    if (n->confirms_promotion) {
      // Redis has executed it: any other connection's INFO already says master.
      if (n->role == RedisRole::replica) {
        n->replid2 = n->replid;
        n->second_offset = n->offset + 1;
        n->replid = "promoted-" + n->host;
      }
      n->role = RedisRole::master;
      n->master_host.clear();
      n->link_up = false;
      n->last_write_offset = n->offset;
      n->promoted_at = n->offset;
    }
    if (n->hold_promotion) {
      co_await agent::await_callback<int>([n](auto resume) { n->held = [resume] { resume(0); }; });
    }
    if (!n->confirms_promotion) {
      co_return RedisOpResult{make_error_code(RedisErrc::not_confirmed), "ROLE says replica"};
    }
    co_return RedisOpResult{{}, "promoted"};
  }

  Awaitable<RedisOpResult> follow(std::string host, int port, Ms) override {
    FakeNode* n = co_await reach();
    if (n == nullptr) co_return refused();
    if (n->role == RedisRole::replica && n->master_host == host && n->master_port == port &&
        n->link_up) {
      co_return RedisOpResult{{}, "already following"};
    }
    note(*n, "REPLICAOF " + host + " " + std::to_string(port));
    if (!n->refuses_replicaof.empty()) {
      co_return RedisOpResult{make_error_code(RedisErrc::server_error), n->refuses_replicaof};
    }
    n->role = RedisRole::replica;
    n->master_host = host;
    n->master_port = port;
    n->link_up = false;
    FakeNode* m = group_.reachable(host);
    if (n->syncs && !n->auth_fails && m != nullptr && m->denies.empty()) {
      group_.replicate(n->host, m->host);
      n->offset -= n->resync_behind;
    }
    if (n->hold_follow) {
      co_await agent::await_callback<int>(
          [n](auto resume) { n->held_follow = [resume] { resume(0); }; });
    }
    co_return RedisOpResult{{}, "following"};
  }

  Awaitable<RedisOpResult> kill_clients(std::vector<std::string> through, Ms) override {
    FakeNode* n = co_await reach();
    if (n == nullptr) co_return refused();
    n->killed_through = std::move(through);
    note(*n, "CLIENT KILL normal pubsub");
    co_return RedisOpResult{{}, "killed"};
  }

  Awaitable<RedisOpResult> pause_writes(Ms pause, Ms) override {
    FakeNode* n = co_await reach();
    if (n == nullptr) co_return refused();
    note(*n, "CLIENT PAUSE WRITE");
    n->pauses.push_back(pause);
    n->paused = true;
    co_return RedisOpResult{{}, "paused"};
  }

  Awaitable<RedisOpResult> unpause(Ms) override {
    FakeNode* n = co_await reach();
    if (n == nullptr) co_return refused();
    note(*n, "CLIENT UNPAUSE");
    n->paused = false;
    co_return RedisOpResult{{}, "resumed"};
  }

  Awaitable<RedisOpResult> restart_master_link(Ms) override {
    FakeNode* n = co_await reach();
    if (n == nullptr) co_return refused();
    note(*n, "CLIENT KILL TYPE master");
    if (n->role != RedisRole::replica) co_return RedisOpResult{{}, "no master link to restart"};
    n->stream_per_look = -1;
    co_return RedisOpResult{{}, "master link restarted"};
  }

  Awaitable<InfoResult> replication_info(Ms) override {
    FakeNode* n = co_await reach();
    if (n == nullptr) co_return InfoResult{refused(), {}};
    if (!n->denies.empty()) {
      co_return InfoResult{{make_error_code(RedisErrc::server_error), n->denies}, {}};
    }
    co_return InfoResult{{{}, "ok"}, group_.info(*n)};
  }

  Awaitable<agent::StreamDbMarkResult> stream_db_mark(Ms) override {
    FakeNode* n = co_await reach();
    if (n == nullptr) co_return agent::StreamDbMarkResult{refused(), {}};
    if (!n->denies.empty())
      co_return agent::StreamDbMarkResult{{make_error_code(RedisErrc::server_error), n->denies},
                                          {}};
    ++n->db_marks_asked;
    if (!n->refuses_client_list.empty())
      co_return agent::StreamDbMarkResult{
          {make_error_code(RedisErrc::server_error), n->refuses_client_list}, {}};
    const auto i = group_.info(*n);
    const std::string client_list = i.role == RedisRole::replica && i.master_link_up
                                        ? "id=3 addr=" + n->master_host +
                                              ":6379 flags=M db=" + std::to_string(n->stream_db) +
                                              " multi=-1\n"
                                        : "";
    co_return agent::StreamDbMarkResult{{{}, "ok"}, agent::judge_stream_db_mark(i, client_list)};
  }

  Awaitable<PeerData> peer_data(Ms) override {
    FakeNode* n = co_await reach();
    PeerData d;
    if (n == nullptr) {
      d.error = "connection refused";
      co_return d;
    }
    d.reachable = true;
    d.role = n->role;
    d.keys = n->keys;
    d.has_data = n->keys > 0;
    d.master_replid = n->replid;
    d.master_repl_offset = n->offset;
    co_return d;
  }

 private:
  // One round trip; the node when it answers.
  Awaitable<FakeNode*> reach() {
    co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    co_return group_.reachable(host_);
  }
  // Why a node did not answer: nothing listens, or (silent) nothing came back at all.
  RedisOpResult refused() const {
    FakeNode* n = group_.find_node(host_);
    if (n != nullptr && n->silent) return {make_error_code(RedisErrc::command_timeout), "timeout"};
    if (n != nullptr && n->resets) {
      return {make_error_code(RedisErrc::connection_lost), "read failed: Connection reset by peer"};
    }
    return {make_error_code(RedisErrc::refused), "connection refused"};
  }
  void note(const FakeNode& n, const std::string& what) {
    group_.journal.push_back(n.host + " " + what);
  }

  FakeGroup& group_;
  std::string host_;
  int port_;
};

inline std::shared_ptr<RedisOperations> FakeGroup::connect(const std::string& host,
                                                           std::uint16_t port) {
  connected.push_back(host);
  return std::make_shared<FakeOperations>(*this, host, port);
}

// The instance as the controller sees it: its eligibility causes and its advert source address.
class FakeInstance : public agent::InstanceControl {
 public:
  explicit FakeInstance(const std::string& self) : self_(*vrrp::IpAddress::parse(self)) {}

  void set_blocked(const std::string& cause, bool blocking, const std::string& detail) override {
    blocked[cause] = blocking;
    details[cause] = detail;
  }
  const vrrp::IpAddress* source_address() const override { return &self_; }
  bool is_blocked(const std::string& cause) const {
    auto it = blocked.find(cause);
    return it != blocked.end() && it->second;
  }

  std::map<std::string, bool> blocked;
  std::map<std::string, std::string> details;

 private:
  vrrp::IpAddress self_;
};

}  // namespace redvip::test
