// RedisRoles' confirmation logic against a scripted fake: a role change that Redis accepts
// but does not show is reported, an already-following replica is left alone.
#include "tests/unit/redis_fake_server.hpp"

#include <catch2/catch.hpp>

#include "agent/redis/ops/operations.hpp"

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

const std::string k_role_replica = "*5\r\n$5\r\nslave\r\n$8\r\n10.0.0.1\r\n:6379\r\n$9\r\nconnected\r\n:700\r\n";
const std::string k_role_master = "*3\r\n$6\r\nmaster\r\n:700\r\n*0\r\n";

template <typename Start>
RedisOpResult run_op(boost::asio::io_context& io, Start start) {
  std::optional<RedisOpResult> out;
  start([&out](RedisOpResult r) { out = std::move(r); });
  REQUIRE(run_until(io, [&] { return out.has_value(); }));
  return *out;
}

}  // namespace

TEST_CASE("roles: promote succeeds only when ROLE confirms master") {
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
  RedisRoles roles(connect_to(io, fake.port()));
  auto ok = run_op(io, [&](auto done) { roles.promote(1s, done); });
  CHECK(ok.ok());
  CHECK(fake.received[1] == std::vector<std::string>{"REPLICAOF", "NO", "ONE"});
  CHECK(fake.received[2] == std::vector<std::string>{"ROLE"});

  promoted = false;
  ignore_promotion = true;  // +OK but still a replica
  auto bad = run_op(io, [&](auto done) { roles.promote(1s, done); });
  CHECK(bad.error == RedisErrc::not_confirmed);
}

TEST_CASE("roles: follow skips a replica already linked to that master, else REPLICAOF + ROLE") {
  boost::asio::io_context io;
  FakeRedis fake(io, [&](const std::vector<std::string>& argv) -> std::optional<std::string> {
    if (argv[0] == "INFO") {
      return bulk("# Replication\r\nrole:slave\r\nmaster_host:10.0.0.1\r\nmaster_port:6379\r\n"
                  "master_link_status:up\r\nmaster_sync_in_progress:0\r\n");
    }
    if (argv[0] == "ROLE") return k_role_replica;
    return ok_for_all(argv);
  });
  RedisRoles roles(connect_to(io, fake.port()));
  auto same = run_op(io, [&](auto done) { roles.follow("10.0.0.1", 6379, 1s, done); });
  CHECK(same.ok());
  CHECK(same.message.find("already") != std::string::npos);
  for (const auto& argv : fake.received) CHECK(argv[0] != "REPLICAOF");

  // Another master: REPLICAOF is sent, but the fake's ROLE still names 10.0.0.1.
  auto other = run_op(io, [&](auto done) { roles.follow("10.0.0.2", 6379, 1s, done); });
  CHECK(other.error == RedisErrc::not_confirmed);
  bool sent = false;
  for (const auto& argv : fake.received) {
    if (argv == std::vector<std::string>{"REPLICAOF", "10.0.0.2", "6379"}) sent = true;
  }
  CHECK(sent);
}

TEST_CASE("roles: kill_clients never kills our own connection") {
  boost::asio::io_context io;
  FakeRedis fake(io, [&](const std::vector<std::string>& argv) -> std::optional<std::string> {
    if (argv[0] == "CLIENT" && argv[1] == "KILL") return std::string(":2\r\n");
    return ok_for_all(argv);
  });
  RedisRoles roles(connect_to(io, fake.port()));
  auto r = run_op(io, [&](auto done) { roles.kill_clients(1s, done); });
  CHECK(r.ok());
  int kills = 0;
  for (const auto& argv : fake.received) {
    if (argv.size() >= 2 && argv[1] == "KILL") {
      ++kills;
      REQUIRE(argv.size() == 6);
      CHECK(argv[4] == "SKIPME");
      CHECK(argv[5] == "yes");
    }
  }
  CHECK(kills == 2);
}

TEST_CASE("roles: wait_replica_caught_up times out with the gap, succeeds when offsets meet") {
  boost::asio::io_context io;
  long long replica_offset = 40;
  FakeRedis fake(io, [&](const std::vector<std::string>& argv) -> std::optional<std::string> {
    if (argv[0] == "INFO") {
      return bulk("# Replication\r\nrole:master\r\nconnected_slaves:1\r\nslave0:ip=10.0.0.2,port=6379,state=online,offset=" +
                  std::to_string(replica_offset) + ",lag=0\r\nmaster_repl_offset:50\r\n");
    }
    return ok_for_all(argv);
  });
  RedisRoles roles(connect_to(io, fake.port()));
  auto behind = run_op(io, [&](auto done) { roles.wait_replica_caught_up(150ms, 10ms, done); });
  CHECK(behind.error == RedisErrc::operation_timeout);
  CHECK(behind.message.find("master offset 50, best replica offset 40") != std::string::npos);
  replica_offset = 50;
  auto caught = run_op(io, [&](auto done) { roles.wait_replica_caught_up(150ms, 10ms, done); });
  CHECK(caught.ok());
}
