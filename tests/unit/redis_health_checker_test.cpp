// RedisHealthChecker against the scripted fake server: rise/fall on real sockets, a server
// that goes silent (as under SIGSTOP), and LOADING.
#include "tests/unit/redis_fake_server.hpp"

#include <catch2/catch.hpp>

#include "agent/redis/ops/health_checker.hpp"

using namespace redvip::agent;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using redvip::test::bulk;
using redvip::test::FakeRedis;
using redvip::test::ok_for_all;
using redvip::test::run_until;

namespace {

const std::string k_replica_info =
    "# "
    "Replication\r\nrole:slave\r\nmaster_host:10.0.0.1\r\nmaster_port:6379\r\nmaster_link_status:"
    "up\r\n"
    "master_last_io_seconds_ago:0\r\nmaster_sync_in_progress:0\r\nslave_repl_offset:700\r\n"
    "master_replid:7b84cbc99d847fd0694c977c71f9447e32bd4dbf\r\nmaster_repl_offset:700\r\n";

// The tests that stop the server need a short connect timeout; one that counts every check from
// the first needs long timeouts: under ASan on a busy machine a first handshake once took longer
// than 100 ms (CI, 2026-12-02), and its retry added a failed check and a second handshake.
std::shared_ptr<RedisConnection> connect_to(boost::asio::io_context& io, std::uint16_t port,
                                            std::chrono::milliseconds connect_timeout = 100ms) {
  RedisConnectionOptions o;
  o.endpoint.port = port;
  o.connect_timeout = connect_timeout;
  o.reconnect_min = 20ms;
  o.reconnect_max = 50ms;
  return RedisConnection::create(io, o);
}

}  // namespace

TEST_CASE("health checker: rise successes make it healthy and INFO is exposed") {
  boost::asio::io_context io;
  FakeRedis fake(io, [](const std::vector<std::string>& argv) -> std::optional<std::string> {
    if (argv[0] == "INFO") return bulk(k_replica_info);
    return ok_for_all(argv);
  });
  std::vector<Health> changes;
  RedisHealthChecker checker(connect_to(io, fake.port(), 5s), RedisHealthOptions{20ms, 2s, 3, 2},
                             [&](Health h, const std::string&) { changes.push_back(h); });
  checker.start();
  REQUIRE(run_until(io, [&] { return checker.health() == Health::healthy; }));
  CHECK(checker.stats().successes == 3);  // exactly `rise` successes, not fewer
  CHECK(changes == std::vector<Health>{Health::healthy});
  REQUIRE(checker.latest());
  CHECK(checker.latest()->role == RedisRole::replica);
  CHECK(checker.latest()->master_host == "10.0.0.1");
  CHECK(checker.latest()->slave_repl_offset == 700);
  // PING then INFO replication, pipelined, after the handshake.
  REQUIRE(fake.received.size() >= 3);
  CHECK(fake.received[1] == std::vector<std::string>{"PING"});
  CHECK(fake.received[2] == std::vector<std::string>{"INFO", "replication"});
}

TEST_CASE("health checker: a silent server fails one check per deadline, never several at once") {
  boost::asio::io_context io;
  FakeRedis fake(io, [](const std::vector<std::string>& argv) -> std::optional<std::string> {
    if (argv[0] == "INFO") return bulk(k_replica_info);
    return ok_for_all(argv);
  });
  std::optional<Clock::time_point> unhealthy_at;
  const auto interval = 30ms;
  const auto timeout = 60ms;  // longer than the interval: checks must not overlap
  RedisHealthChecker checker(connect_to(io, fake.port()),
                             RedisHealthOptions{interval, timeout, 1, 2},
                             [&](Health h, const std::string&) {
                               if (h == Health::unhealthy) unhealthy_at = Clock::now();
                             });
  checker.start();
  REQUIRE(run_until(io, [&] { return checker.health() == Health::healthy; }));

  fake.hang_all = true;
  const auto stopped = Clock::now();
  const auto checks_before = checker.stats().checks;
  REQUIRE(run_until(
      io, [&] { return unhealthy_at.has_value(); }, 2s));
  const auto detect =
      std::chrono::duration_cast<std::chrono::milliseconds>(*unhealthy_at - stopped);
  // fall=2: two checks, one after the other, each failing at its own deadline (the second one
  // waits for the reconnection instead of failing at once): at least 2 × timeout after the
  // server stopped answering, at most one interval more (+ scheduling slack).
  CHECK(detect.count() >= (2 * timeout).count() - 5);
  CHECK(detect.count() <= (2 * timeout + interval + 80ms).count());

  // While the server stays silent checks go on, one at a time (a check waiting for a
  // reconnection fails at its deadline; while the connection backs off, a check fails at once):
  // between one per deadline and about one per interval in 300 ms, never a spin.
  REQUIRE_FALSE(run_until(
      io, [] { return false; }, 300ms));
  const auto ran = checker.stats().checks - checks_before;
  CHECK(ran >= 3);
  CHECK(ran <= 15);
  CHECK(checker.stats().delayed > 0);
  CHECK(checker.stats().successes + checker.stats().failures == checker.stats().checks);
  CHECK(checker.health() == Health::unhealthy);
  CHECK_FALSE(checker.last_failure().empty());
  // A Redis that does not answer at all (hung): the master hands off at once (hand_off.cpp).
  CHECK(checker.unanswered());

  fake.hang_all = false;  // new connections answer again (SIGCONT after the old ones closed)
  REQUIRE(run_until(
      io, [&] { return checker.health() == Health::healthy; }, 2s));
  CHECK_FALSE(checker.unanswered());
}

TEST_CASE("health checker: a stall shorter than fall deadlines is one failed check") {
  boost::asio::io_context io;
  bool stalled = false;
  FakeRedis fake(io, [&](const std::vector<std::string>& argv) -> std::optional<std::string> {
    if (stalled && (argv[0] == "PING" || argv[0] == "INFO")) return std::nullopt;
    if (argv[0] == "INFO") return bulk(k_replica_info);
    return ok_for_all(argv);
  });
  int unhealthy = 0;
  RedisHealthChecker checker(connect_to(io, fake.port()), RedisHealthOptions{30ms, 60ms, 1, 2},
                             [&](Health h, const std::string&) {
                               if (h == Health::unhealthy) ++unhealthy;
                             });
  // The stall ends as the first check fails at its deadline: the next check, on the new
  // connection, is answered. (Before, the next check had already been sent on the stalled
  // connection and failed with it, or failed at once while the connection backed off.)
  checker.set_result_callback([&](bool ok, const std::string&) {
    if (!ok) stalled = false;
  });
  checker.start();
  REQUIRE(run_until(io, [&] { return checker.health() == Health::healthy; }));
  const auto failures_before = checker.stats().failures;
  stalled = true;
  REQUIRE(run_until(
      io, [&] { return checker.stats().failures > failures_before; }, 1s));
  REQUIRE_FALSE(run_until(
      io, [] { return false; }, 200ms));
  CHECK(checker.stats().failures == failures_before + 1);
  CHECK(unhealthy == 0);
  CHECK(checker.health() == Health::healthy);
}

TEST_CASE(
    "health checker: a server that closes our connection, then stops listening, is lost at once") {
  // A SIGKILLed redis-server closes our connection and its listening socket in one exit, in
  // either order: the refusal must be seen even when it comes a few ms after the close — also
  // when the listener goes while our probe is half-connected (the probe then meets a reset).
  for (const auto delay : {0us, 100us, 300us, 600us, 1000us, 1500us, 2000us, 3000us, 5000us}) {
    CAPTURE(delay.count());
    boost::asio::io_context io;
    FakeRedis fake(io, [](const std::vector<std::string>& argv) -> std::optional<std::string> {
      if (argv[0] == "INFO") return bulk(k_replica_info);
      return ok_for_all(argv);
    });
    std::string reason;
    // Checks too rare to notice anything in this test: only the lost connection can.
    RedisHealthChecker checker(connect_to(io, fake.port()), RedisHealthOptions{5s, 100ms, 1, 3},
                               [&](Health, const std::string& why) { reason = why; });
    checker.start();
    REQUIRE(run_until(io, [&] { return checker.health() == Health::healthy; }));
    fake.drop_clients();
    boost::asio::steady_timer later(io, delay);
    later.async_wait([&](boost::system::error_code) { fake.stop_listening(); });
    REQUIRE(run_until(
        io, [&] { return checker.health() == Health::unhealthy; }, 1s));
    CHECK(reason.find("a new connection is refused") != std::string::npos);
    CHECK(checker.lost());
  }
}

TEST_CASE(
    "health checker: a connection closed by someone else, the server still listening, is "
    "not a loss") {
  boost::asio::io_context io;
  FakeRedis fake(io, [](const std::vector<std::string>& argv) -> std::optional<std::string> {
    if (argv[0] == "INFO") return bulk(k_replica_info);
    return ok_for_all(argv);
  });
  RedisHealthChecker checker(connect_to(io, fake.port()), RedisHealthOptions{5s, 100ms, 1, 3},
                             [](Health, const std::string&) {});
  checker.start();
  REQUIRE(run_until(io, [&] { return checker.health() == Health::healthy; }));
  fake.drop_clients();  // CLIENT KILL: Redis answers new connections
  REQUIRE_FALSE(run_until(
      io, [&] { return checker.health() != Health::healthy; }, 300ms));
  CHECK_FALSE(checker.lost());
}

TEST_CASE("health checker: LOADING is a failure and sets the loading flag") {
  boost::asio::io_context io;
  FakeRedis fake(io, [](const std::vector<std::string>& argv) -> std::optional<std::string> {
    if (argv[0] == "PING")
      return std::string("-LOADING Redis is loading the dataset in memory\r\n");
    if (argv[0] == "INFO")
      return bulk("# Replication\r\nrole:master\r\nconnected_slaves:0\r\nmaster_repl_offset:0\r\n");
    return ok_for_all(argv);
  });
  std::string reason;
  RedisHealthChecker checker(connect_to(io, fake.port()), RedisHealthOptions{20ms, 100ms, 1, 1},
                             [&](Health, const std::string& why) { reason = why; });
  checker.start();
  REQUIRE(run_until(io, [&] { return checker.health() == Health::unhealthy; }));
  CHECK(reason.find("LOADING") != std::string::npos);
  CHECK_FALSE(checker.unanswered());  // it answered: an error, not silence
  REQUIRE(checker.latest());
  CHECK(checker.latest()->loading);
  CHECK(checker.latest()->role == RedisRole::master);
}
