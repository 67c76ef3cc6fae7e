// RedisOperations over a real connection, against a scripted fake server: a role change that
// Redis accepts but does not show is reported, an already-following replica is left alone,
// CLIENT KILL spares our connection, the cold-start data question is pipelined and bounded, and
// a stop-guarded operation never returns once the stop was requested.
#include "tests/unit/redis_fake_server.hpp"

#include <catch2/catch.hpp>

#include "agent/redis/ops/operations.hpp"

#include <stop_token>

using namespace redvip::agent;
using namespace std::chrono_literals;
using redvip::test::bulk;
using redvip::test::FakeRedis;
using redvip::test::ok_for_all;
using redvip::test::run_until;

namespace {

std::shared_ptr<RedisConnection> connect_to(boost::asio::io_context& io, std::uint16_t port) {
  RedisConnectionOptions o;
  o.endpoint.port = port;
  return RedisConnection::create(io, o);
}

const std::string k_role_replica =
    "*5\r\n$5\r\nslave\r\n$8\r\n10.0.0.1\r\n:6379\r\n$9\r\nconnected\r\n:700\r\n";
const std::string k_role_master = "*3\r\n$6\r\nmaster\r\n:700\r\n*0\r\n";

// Runs one operation to its end.
template <typename T>
T run_op(boost::asio::io_context& io, Awaitable<T> op) {
  std::optional<T> out;
  boost::asio::co_spawn(io, std::move(op), [&out](std::exception_ptr e, T r) {
    REQUIRE_FALSE(e);
    out = std::move(r);
  });
  REQUIRE(run_until(io, [&] { return out.has_value(); }));
  return *out;
}

}  // namespace

TEST_CASE("operations: promote succeeds only when ROLE confirms master") {
  boost::asio::io_context io;
  bool promoted = false;
  bool ignore_promotion = false;
  FakeRedis fake(io, [&](const std::vector<std::string>& argv) -> std::optional<std::string> {
    if (argv[0] == "REPLICAOF") {
      promoted = !ignore_promotion;
      return std::string("+OK\r\n");
    }
    if (argv[0] == "ROLE") return promoted ? k_role_master : k_role_replica;
    return ok_for_all(argv);
  });
  auto ops = operations_on(connect_to(io, fake.port()), false);
  auto ok = run_op(io, ops->promote(1s));
  CHECK(ok.ok());
  CHECK(fake.received[1] == std::vector<std::string>{"REPLICAOF", "NO", "ONE"});
  CHECK(fake.received[2] == std::vector<std::string>{"ROLE"});

  promoted = false;
  ignore_promotion = true;  // +OK but still a replica
  auto bad = run_op(io, ops->promote(1s));
  CHECK(bad.error == RedisErrc::not_confirmed);
}

TEST_CASE(
    "operations: follow skips a replica already linked to that master, else REPLICAOF + ROLE") {
  boost::asio::io_context io;
  FakeRedis fake(io, [&](const std::vector<std::string>& argv) -> std::optional<std::string> {
    if (argv[0] == "INFO") {
      return bulk(
          "# Replication\r\nrole:slave\r\nmaster_host:10.0.0.1\r\nmaster_port:6379\r\n"
          "master_link_status:up\r\nmaster_sync_in_progress:0\r\n");
    }
    if (argv[0] == "ROLE") return k_role_replica;
    return ok_for_all(argv);
  });
  auto ops = operations_on(connect_to(io, fake.port()), false);
  auto same = run_op(io, ops->follow("10.0.0.1", 6379, 1s));
  CHECK(same.ok());
  CHECK(same.message.find("already") != std::string::npos);
  for (const auto& argv : fake.received) CHECK(argv[0] != "REPLICAOF");

  // Another master: REPLICAOF is sent, but the fake's ROLE still names 10.0.0.1.
  auto other = run_op(io, ops->follow("10.0.0.2", 6379, 1s));
  CHECK(other.error == RedisErrc::not_confirmed);
  bool sent = false;
  for (const auto& argv : fake.received) {
    if (argv == std::vector<std::string>{"REPLICAOF", "10.0.0.2", "6379"}) sent = true;
  }
  CHECK(sent);
}

TEST_CASE("operations: kill_clients drops only the VIP's clients, never our own connection") {
  boost::asio::io_context io;
  FakeRedis fake(io, [&](const std::vector<std::string>& argv) -> std::optional<std::string> {
    if (argv[0] == "CLIENT" && argv[1] == "KILL") return std::string(":2\r\n");
    return ok_for_all(argv);
  });
  auto ops = operations_on(connect_to(io, fake.port()), false);
  auto r = run_op(io, ops->kill_clients({"10.0.0.100:6379", "[fd00::100]:6379"}, 1s));
  CHECK(r.ok());
  CHECK(r.message == "killed 8 clients of the VIP");
  std::vector<std::vector<std::string>> kills;
  for (const auto& argv : fake.received) {
    if (argv.size() >= 2 && argv[1] == "KILL") kills.push_back(argv);
  }
  using Argv = std::vector<std::string>;
  CHECK(kills ==
        std::vector<Argv>{
            {"CLIENT", "KILL", "LADDR", "10.0.0.100:6379", "TYPE", "normal", "SKIPME", "yes"},
            {"CLIENT", "KILL", "LADDR", "10.0.0.100:6379", "TYPE", "pubsub", "SKIPME", "yes"},
            {"CLIENT", "KILL", "LADDR", "[fd00::100]:6379", "TYPE", "normal", "SKIPME", "yes"},
            {"CLIENT", "KILL", "LADDR", "[fd00::100]:6379", "TYPE", "pubsub", "SKIPME", "yes"},
        });
}

TEST_CASE("operations: restart_master_link drops the replica's master link, and says whether") {
  boost::asio::io_context io;
  long long links = 1;
  FakeRedis fake(io, [&](const std::vector<std::string>& argv) -> std::optional<std::string> {
    if (argv == std::vector<std::string>{"CLIENT", "KILL", "TYPE", "master"})
      return ":" + std::to_string(std::exchange(links, 0)) + "\r\n";
    if (argv[0] == "CLIENT") return std::string("-ERR unknown\r\n");
    return ok_for_all(argv);
  });
  auto ops = operations_on(connect_to(io, fake.port()), false);
  auto r = run_op(io, ops->restart_master_link(1s));
  CHECK(r.ok());
  CHECK(r.message == "master link restarted");
  r = run_op(io, ops->restart_master_link(1s));
  CHECK(r.ok());
  CHECK(r.message == "no master link to restart");
}

TEST_CASE("operations: kill_clients names the endpoint a Redis refused") {
  boost::asio::io_context io;
  FakeRedis fake(io, [&](const std::vector<std::string>& argv) -> std::optional<std::string> {
    if (argv[0] == "CLIENT" && argv[1] == "KILL") return std::string("-ERR syntax error\r\n");
    return ok_for_all(argv);
  });
  auto ops = operations_on(connect_to(io, fake.port()), false);
  auto r = run_op(io, ops->kill_clients({"10.0.0.100:6379"}, 1s));
  CHECK_FALSE(r.ok());
  CHECK(r.message == "CLIENT KILL LADDR 10.0.0.100:6379: ERR syntax error");
}

TEST_CASE("operations: peer_data asks three INFO sections at once and judges them") {
  boost::asio::io_context io;
  FakeRedis fake(io, [&](const std::vector<std::string>& argv) -> std::optional<std::string> {
    if (argv[0] != "INFO") return ok_for_all(argv);
    if (argv[1] == "replication")
      return bulk("# Replication\r\nrole:master\r\nmaster_replid:abc\r\nmaster_repl_offset:70\r\n");
    if (argv[1] == "persistence") return bulk("# Persistence\r\nloading:0\r\n");
    return bulk("# Keyspace\r\ndb0:keys=5,expires=0,avg_ttl=0\r\n");
  });
  auto ops = operations_on(connect_to(io, fake.port()), true);
  auto d = run_op(io, ops->peer_data(500ms));
  CHECK(d.reachable);
  CHECK(d.has_data);
  CHECK(d.keys == 5);
  CHECK(d.master_repl_offset == 70);

  // A server that stops answering: unreachable within the timeout, never an exception.
  fake.hang_all = true;
  auto hung = operations_on(connect_to(io, fake.port()), true);
  const auto t0 = std::chrono::steady_clock::now();
  auto h = run_op(io, hung->peer_data(100ms));
  CHECK_FALSE(h.reachable);
  CHECK_FALSE(h.error.empty());
  CHECK(std::chrono::steady_clock::now() - t0 < 1s);
}

TEST_CASE("operations: stream_db_mark reads the offset, then the master link's database") {
  boost::asio::io_context io;
  std::vector<std::string> asked;
  bool replica = true;
  FakeRedis fake(io, [&](const std::vector<std::string>& argv) -> std::optional<std::string> {
    if (argv[0] == "INFO" || (argv[0] == "CLIENT" && argv[1] == "LIST"))
      asked.push_back(argv[0] + " " + argv[1]);
    if (argv[0] == "INFO")
      return bulk(replica ? "# Replication\r\nrole:slave\r\nmaster_host:10.0.0.1\r\n"
                            "master_port:6379\r\nmaster_link_status:up\r\n"
                            "slave_repl_offset:4242\r\nmaster_replid:abc\r\n"
                          : "# Replication\r\nrole:master\r\nmaster_replid:abc\r\n"
                            "master_repl_offset:70\r\n");
    if (argv[0] == "CLIENT" && argv[1] == "LIST")
      return bulk(replica ? "id=3 addr=10.0.0.1:6379 flags=M db=6 multi=-1\n" : "");
    return ok_for_all(argv);
  });
  auto ops = operations_on(connect_to(io, fake.port()), true);
  auto r = run_op(io, ops->stream_db_mark(500ms));
  REQUIRE(r.status.ok());
  REQUIRE(r.mark);
  CHECK(*r.mark == StreamDbMark{"abc", 4242, 6});
  CHECK(asked == std::vector<std::string>{"INFO replication", "CLIENT LIST"});
  // A master answers, but has no master link: no mark, and still an answer.
  replica = false;
  r = run_op(io, ops->stream_db_mark(500ms));
  CHECK(r.status.ok());
  CHECK_FALSE(r.mark);
}

TEST_CASE("operations: closing on release closes a peer's connection") {
  boost::asio::io_context io;
  FakeRedis fake(io, ok_for_all);
  auto conn = connect_to(io, fake.port());
  {
    auto ops = operations_on(conn, true);
    CHECK(run_op(io, ops->unpause(1s)).ok());
  }
  CHECK(conn->state() == RedisConnection::State::closed);
  auto shared = connect_to(io, fake.port());
  {
    auto ops = operations_on(shared, false);
    CHECK(run_op(io, ops->unpause(1s)).ok());
  }
  CHECK(shared->state() != RedisConnection::State::closed);
}

TEST_CASE("operations: stop-guarded operations throw Stopped instead of returning after a stop") {
  boost::asio::io_context io;
  FakeRedis fake(io, [&](const std::vector<std::string>& argv) -> std::optional<std::string> {
    if (argv[0] == "CLIENT" && argv[1] == "PAUSE") return std::nullopt;  // hangs: stays in flight
    return ok_for_all(argv);
  });
  std::stop_source stop;
  auto ops = stop_guarded(operations_on(connect_to(io, fake.port()), true), stop.get_token());
  bool returned = false;
  std::exception_ptr thrown;
  bool finished = false;
  boost::asio::co_spawn(io, ops->pause_writes(1000ms, 200ms),
                        [&](std::exception_ptr e, RedisOpResult) {
                          finished = true;
                          thrown = e;
                          returned = !e;
                        });
  REQUIRE(run_until(io, [&] {
    return !fake.received.empty() && fake.received.back().size() > 1 &&
           fake.received.back()[1] == "PAUSE";
  }));
  stop.request_stop();
  REQUIRE(run_until(io, [&] { return finished; }));
  CHECK_FALSE(returned);
  REQUIRE(thrown);
  CHECK_THROWS_AS(std::rethrow_exception(thrown), Stopped);

  // Once stopped, an operation does not even start. (The connection may reconnect meanwhile:
  // the timed-out PAUSE closed it, so look for the command itself.)
  finished = false;
  boost::asio::co_spawn(io, ops->unpause(200ms), [&](std::exception_ptr e, RedisOpResult) {
    finished = true;
    thrown = e;
  });
  REQUIRE(run_until(io, [&] { return finished; }));
  CHECK(thrown);
  run_until(
      io, [] { return false; }, 50ms);
  for (const auto& argv : fake.received) CHECK_FALSE((argv.size() > 1 && argv[1] == "UNPAUSE"));
}
