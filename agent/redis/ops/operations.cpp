#include "agent/redis/ops/operations.hpp"

#include <algorithm>

namespace redvip::agent {
namespace {

using Clock = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;
using Argv = std::vector<std::string>;
using Conn = std::shared_ptr<RedisConnection>;

RedisOpResult success(std::string message) { return {{}, std::move(message)}; }
RedisOpResult failure(RedisErrc e, std::string message) {
  return {make_error_code(e), std::move(message)};
}
RedisOpResult failure(const RedisResult& r, const std::string& what) {
  return {r.error, what + ": " + r.message};
}

// Time left before the operation's deadline, or nullopt when it has passed.
std::optional<Ms> left(Clock::time_point deadline) {
  const auto now = Clock::now();
  if (now >= deadline) return std::nullopt;
  return std::max(Ms(1), std::chrono::ceil<Ms>(deadline - now));
}

std::string endpoint_text(const std::string& host, int port) {
  return host + ":" + std::to_string(port);
}

// The operations below are free functions holding the connection by value, never `this`: a
// frame that outlives its RedisOperations object still only touches what it owns. Commands are
// built as named locals: g++ 12 miscompiles a braced list inside a co_await expression.

// One command; the reply or the failure.
Awaitable<RedisResult> send(Conn conn, Argv argv, Ms timeout) {
  return await_callback<RedisResult>([conn, argv = std::move(argv), timeout](auto resume) mutable {
    conn->command(std::move(argv), timeout, std::move(resume));
  });
}

// Several commands pipelined on one connection within one timeout; a result for each, in order
// (replies come in order, and a broken connection fails what is in flight in order too).
Awaitable<std::vector<RedisResult>> send_all(Conn conn, std::vector<Argv> commands, Ms timeout) {
  return await_callback<std::vector<RedisResult>>(
      [conn, commands = std::move(commands), timeout](auto resume) {
        auto results = std::make_shared<std::vector<RedisResult>>();
        for (std::size_t i = 0; i < commands.size(); ++i) {
          const bool last = i + 1 == commands.size();
          conn->command(commands[i], timeout, [results, last, resume](RedisResult r) {
            results->push_back(std::move(r));
            if (last) resume(std::move(*results));
          });
        }
      });
}

InfoResult parsed_info(const RedisResult& r) {
  if (!r.ok()) return {failure(r, "INFO replication"), {}};
  auto info = r.reply.is_text() ? parse_info(r.reply.str) : std::nullopt;
  if (!info)
    return {failure(RedisErrc::unexpected_reply, "INFO replication: unparsable reply"), {}};
  return {success("ok"), std::move(*info)};
}

Awaitable<InfoResult> replication_info(Conn conn, Ms timeout) {
  Argv info{"INFO", "replication"};
  co_return parsed_info(co_await send(conn, std::move(info), timeout));
}

// ROLE, merged into a ReplicationInfo, within what is left of `deadline`.
Awaitable<InfoResult> fetch_role(Conn conn, Clock::time_point deadline) {
  auto t = left(deadline);
  if (!t)
    co_return InfoResult{failure(RedisErrc::operation_timeout, "no time left to confirm the role"),
                         {}};
  Argv role{"ROLE"};
  const auto r = co_await send(conn, std::move(role), *t);
  InfoResult out;
  if (!r.ok()) {
    out.status = failure(r, "ROLE");
  } else if (!merge_role_reply(r.reply, out.info)) {
    out.status = failure(RedisErrc::unexpected_reply, "ROLE: unexpected reply");
  } else {
    out.status = success("ok");
  }
  co_return out;
}

Awaitable<RedisOpResult> promote(Conn conn, Ms timeout) {
  const auto deadline = Clock::now() + timeout;
  Argv replicaof{"REPLICAOF", "NO", "ONE"};
  const auto r = co_await send(conn, std::move(replicaof), timeout);
  if (!r.ok()) co_return failure(r, "REPLICAOF NO ONE");
  const auto role = co_await fetch_role(conn, deadline);
  if (!role.ok()) co_return role.status;
  if (role.info.role != RedisRole::master) {
    co_return failure(RedisErrc::not_confirmed, "REPLICAOF NO ONE answered but ROLE says " +
                                                    std::string(to_string(role.info.role)));
  }
  co_return success("promoted to master at offset " + std::to_string(role.info.master_repl_offset));
}

Awaitable<RedisOpResult> follow(Conn conn, std::string host, int port, Ms timeout) {
  const auto deadline = Clock::now() + timeout;
  const auto now = co_await replication_info(conn, timeout);
  if (!now.ok()) co_return now.status;
  const auto& info = now.info;
  if (info.role == RedisRole::replica && info.master_host == host && info.master_port == port &&
      info.master_link_up) {
    co_return success("already following " + endpoint_text(host, port) + " with the link up");
  }
  auto t = left(deadline);
  if (!t) co_return failure(RedisErrc::operation_timeout, "no time left for REPLICAOF");
  Argv replicaof{"REPLICAOF", host, std::to_string(port)};
  const auto r = co_await send(conn, std::move(replicaof), *t);
  if (!r.ok()) co_return failure(r, "REPLICAOF " + endpoint_text(host, port));
  const auto role = co_await fetch_role(conn, deadline);
  if (!role.ok()) co_return role.status;
  const auto& got = role.info;
  if (got.role != RedisRole::replica || got.master_host != host || got.master_port != port) {
    co_return failure(RedisErrc::not_confirmed,
                      "REPLICAOF answered but ROLE says " + std::string(to_string(got.role)) +
                          (got.role == RedisRole::replica
                               ? " of " + endpoint_text(got.master_host, got.master_port)
                               : std::string()));
  }
  co_return success("following " + endpoint_text(host, port));
}

// Only connections that came in through a VIP (their local address is VIP:port): another
// daemon's checks and clients that chose this node's own address are not ours to cut.
Awaitable<RedisOpResult> kill_clients(Conn conn, std::vector<std::string> through, Ms timeout) {
  static constexpr const char* kTypes[] = {"normal", "pubsub"};
  std::vector<Argv> kills;
  for (const auto& laddr : through) {
    for (const char* type : kTypes)
      kills.push_back(Argv{"CLIENT", "KILL", "LADDR", laddr, "TYPE", type, "SKIPME", "yes"});
  }
  if (kills.empty()) co_return success("no VIP: no client to drop");
  const auto expected = kills.size();
  const auto rs = co_await send_all(conn, std::move(kills), timeout);
  if (rs.size() != expected)
    co_return failure(RedisErrc::unexpected_reply, "CLIENT KILL: incomplete answer");
  long long killed = 0;
  for (std::size_t i = 0; i < rs.size(); ++i) {
    const auto& what = through[i / std::size(kTypes)];
    if (!rs[i].ok()) co_return failure(rs[i], "CLIENT KILL LADDR " + what);
    if (!rs[i].reply.is_integer())
      co_return failure(RedisErrc::unexpected_reply, "CLIENT KILL LADDR " + what + ": not a count");
    killed += rs[i].reply.integer;
  }
  co_return success("killed " + std::to_string(killed) + " clients of the VIP");
}

Awaitable<RedisOpResult> pause_writes(Conn conn, Ms pause, Ms timeout) {
  Argv command{"CLIENT", "PAUSE", std::to_string(pause.count()), "WRITE"};
  const auto r = co_await send(conn, std::move(command), timeout);
  if (!r.ok()) co_return failure(r, "CLIENT PAUSE");
  co_return success("writes paused for up to " + std::to_string(pause.count()) + " ms");
}

Awaitable<RedisOpResult> unpause(Conn conn, Ms timeout) {
  Argv command{"CLIENT", "UNPAUSE"};
  const auto r = co_await send(conn, std::move(command), timeout);
  if (!r.ok()) co_return failure(r, "CLIENT UNPAUSE");
  co_return success("writes resumed");
}

Awaitable<RedisOpResult> restart_master_link(Conn conn, Ms timeout) {
  Argv command{"CLIENT", "KILL", "TYPE", "master"};
  const auto r = co_await send(conn, std::move(command), timeout);
  if (!r.ok()) co_return failure(r, "CLIENT KILL TYPE master");
  if (!r.reply.is_integer())
    co_return failure(RedisErrc::unexpected_reply, "CLIENT KILL TYPE master: not a count");
  if (r.reply.integer == 0) co_return success("no master link to restart");
  co_return success("master link restarted");
}

Awaitable<PeerData> peer_data(Conn conn, Ms timeout) {
  std::vector<Argv> sections{
      {"INFO", "replication"}, {"INFO", "persistence"}, {"INFO", "keyspace"}};
  const auto rs = co_await send_all(conn, std::move(sections), timeout);
  PeerData data;
  auto failed = std::find_if(rs.begin(), rs.end(), [](const RedisResult& x) { return !x.ok(); });
  if (rs.size() != 3) {
    data.error = "incomplete answer";
  } else if (failed != rs.end()) {
    data.error = failed->message;
  } else if (!rs[0].reply.is_text() || !rs[1].reply.is_text() || !rs[2].reply.is_text()) {
    data.error = "unexpected reply";
  } else {
    data = judge_peer_data(rs[0].reply.str, rs[1].reply.str, rs[2].reply.str);
  }
  co_return data;
}

Awaitable<StreamDbMarkResult> stream_db_mark(Conn conn, Ms timeout) {
  std::vector<Argv> asks{{"INFO", "replication"}, {"CLIENT", "LIST", "TYPE", "master"}};
  const auto rs = co_await send_all(conn, std::move(asks), timeout);
  StreamDbMarkResult out;
  if (rs.size() != 2) {
    out.status = failure(RedisErrc::unexpected_reply, "incomplete answer");
    co_return out;
  }
  const auto info = parsed_info(rs[0]);
  if (!info.ok()) {
    out.status = info.status;
  } else if (!rs[1].ok()) {
    out.status = failure(rs[1], "CLIENT LIST");
  } else if (!rs[1].reply.is_text()) {
    out.status = failure(RedisErrc::unexpected_reply, "CLIENT LIST: unexpected reply");
  } else {
    out.status = success("ok");
    out.mark = judge_stream_db_mark(info.info, rs[1].reply.str);
  }
  co_return out;
}

class ConnectionOperations final : public RedisOperations {
 public:
  ConnectionOperations(Conn conn, bool close_on_release)
      : conn_(std::move(conn)), close_(close_on_release) {}
  ~ConnectionOperations() override {
    if (close_) conn_->close();
  }

  std::string name() const override { return conn_->options().endpoint.to_string(); }
  Awaitable<RedisOpResult> promote(Ms t) override { return agent::promote(conn_, t); }
  Awaitable<RedisOpResult> follow(std::string host, int port, Ms t) override {
    return agent::follow(conn_, std::move(host), port, t);
  }
  Awaitable<RedisOpResult> kill_clients(std::vector<std::string> through, Ms t) override {
    return agent::kill_clients(conn_, std::move(through), t);
  }
  Awaitable<RedisOpResult> pause_writes(Ms pause, Ms t) override {
    return agent::pause_writes(conn_, pause, t);
  }
  Awaitable<RedisOpResult> unpause(Ms t) override { return agent::unpause(conn_, t); }
  Awaitable<RedisOpResult> restart_master_link(Ms t) override {
    return agent::restart_master_link(conn_, t);
  }
  Awaitable<InfoResult> replication_info(Ms t) override {
    return agent::replication_info(conn_, t);
  }
  Awaitable<PeerData> peer_data(Ms t) override { return agent::peer_data(conn_, t); }
  Awaitable<StreamDbMarkResult> stream_db_mark(Ms t) override {
    return agent::stream_db_mark(conn_, t);
  }

 private:
  Conn conn_;
  bool close_;
};

class StopGuardedOperations final : public RedisOperations,
                                    public std::enable_shared_from_this<StopGuardedOperations> {
 public:
  StopGuardedOperations(std::shared_ptr<RedisOperations> inner, std::stop_token stop)
      : inner_(std::move(inner)), stop_(std::move(stop)) {}

  std::string name() const override { return inner_->name(); }
  Awaitable<RedisOpResult> promote(Ms t) override { return wrap(inner_->promote(t)); }
  Awaitable<RedisOpResult> follow(std::string host, int port, Ms t) override {
    return wrap(inner_->follow(std::move(host), port, t));
  }
  Awaitable<RedisOpResult> kill_clients(std::vector<std::string> through, Ms t) override {
    return wrap(inner_->kill_clients(std::move(through), t));
  }
  Awaitable<RedisOpResult> pause_writes(Ms pause, Ms t) override {
    return wrap(inner_->pause_writes(pause, t));
  }
  Awaitable<RedisOpResult> unpause(Ms t) override { return wrap(inner_->unpause(t)); }
  Awaitable<RedisOpResult> restart_master_link(Ms t) override {
    return wrap(inner_->restart_master_link(t));
  }
  Awaitable<InfoResult> replication_info(Ms t) override {
    return wrap(inner_->replication_info(t));
  }
  Awaitable<PeerData> peer_data(Ms t) override { return wrap(inner_->peer_data(t)); }
  Awaitable<StreamDbMarkResult> stream_db_mark(Ms t) override {
    return wrap(inner_->stream_db_mark(t));
  }

 private:
  template <typename T>
  Awaitable<T> wrap(Awaitable<T> task) {
    return guarded(stop_, inner_, std::move(task));
  }

  std::shared_ptr<RedisOperations> inner_;
  std::stop_token stop_;
};

}  // namespace

std::shared_ptr<RedisOperations> operations_on(std::shared_ptr<RedisConnection> connection,
                                               bool close_on_release) {
  return std::make_shared<ConnectionOperations>(std::move(connection), close_on_release);
}

std::shared_ptr<RedisOperations> stop_guarded(std::shared_ptr<RedisOperations> ops,
                                              std::stop_token stop) {
  return std::make_shared<StopGuardedOperations>(std::move(ops), std::move(stop));
}

ConnectedRedisNodes::ConnectedRedisNodes(boost::asio::io_context& io,
                                         RedisConnectionOptions options)
    : io_(io), options_(std::move(options)) {
  local_ = RedisConnection::create(io_, options_);
  local_ops_ = operations_on(local_, false);
}

ConnectedRedisNodes::~ConnectedRedisNodes() { close(); }

std::shared_ptr<RedisOperations> ConnectedRedisNodes::connect(const std::string& host,
                                                              std::uint16_t port) {
  std::erase_if(peers_, [](const auto& p) { return p.expired(); });
  auto o = options_;
  o.endpoint.host = host;
  o.endpoint.port = port;
  o.endpoint.unix_path.clear();
  auto conn = RedisConnection::create(io_, std::move(o));
  if (closed_) {
    conn->close();
  } else {
    conn->start();
    peers_.push_back(conn);
  }
  return operations_on(std::move(conn), true);
}

void ConnectedRedisNodes::close() {
  closed_ = true;
  local_->close();
  for (auto& p : peers_) {
    if (auto c = p.lock()) c->close();
  }
  peers_.clear();
}

}  // namespace redvip::agent
