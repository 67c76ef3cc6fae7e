// RedisConnection against a scripted fake server on loopback (no redis-server needed): every
// error path — deadline, refused, garbage, error replies, AUTH, connect timeout — on one
// io_context, checking that nothing delays a timer running next to it.
#include "tests/unit/redis_fake_server.hpp"

#include <catch2/catch.hpp>

#include "agent/redis/client/connection.hpp"

using namespace redvip::agent;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using redvip::test::FakeRedis;
using redvip::test::ok_for_all;
using redvip::test::run_until;

namespace {

RedisConnectionOptions options_for(std::uint16_t port) {
  RedisConnectionOptions o;
  o.endpoint.host = "127.0.0.1";
  o.endpoint.port = port;
  o.connect_timeout = 500ms;
  o.reconnect_min = 50ms;
  o.reconnect_max = 200ms;
  return o;
}

long ms_since(Clock::time_point t) {
  return static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count());
}

}  // namespace

TEST_CASE("redis connection pipelines commands and matches replies in order") {
  asio::io_context io;
  FakeRedis fake(io, ok_for_all);
  auto conn = RedisConnection::create(io, options_for(fake.port()));
  std::vector<std::string> got;
  for (std::string word : {"one", "two", "three"}) {
    conn->command({"ECHO", word}, 1s, [&got](RedisResult r) {
      REQUIRE(r.ok());
      got.push_back(r.reply.str);
    });
  }
  REQUIRE(run_until(io, [&] { return got.size() == 3; }));
  CHECK(got == std::vector<std::string>{"one", "two", "three"});
  REQUIRE(fake.received.size() == 4);
  CHECK(fake.received[0] == std::vector<std::string>{"CLIENT", "SETNAME", "redvip"});
  CHECK(conn->ready());
}

TEST_CASE(
    "redis connection: a command past its deadline fails, closes the connection, and timers stay "
    "on time") {
  asio::io_context io;
  FakeRedis fake(io, [](const std::vector<std::string>& argv) -> std::optional<std::string> {
    if (argv[0] == "HANG") return std::nullopt;
    return ok_for_all(argv);
  });
  auto conn = RedisConnection::create(io, options_for(fake.port()));
  std::optional<RedisResult> hang, after;
  long hang_ms = -1;
  bool warm = false;
  conn->command({"PING"}, 1s, [&](RedisResult r) { warm = r.ok(); });
  REQUIRE(run_until(io, [&] { return warm; }));

  // A 10 ms ticker on the same io_context: its worst lateness must stay small while the
  // connection waits for a reply that never comes.
  asio::steady_timer ticker(io);
  auto next = Clock::now() + 10ms;
  Clock::duration worst{0};
  std::function<void()> tick = [&] {
    ticker.expires_at(next);
    ticker.async_wait([&](boost::system::error_code ec) {
      if (ec) return;
      worst = std::max(worst, Clock::now() - next);
      next += 10ms;
      tick();
    });
  };
  tick();
  const auto sent = Clock::now();
  conn->command({"HANG"}, 150ms, [&](RedisResult r) {
    hang = std::move(r);
    hang_ms = ms_since(sent);
  });
  conn->command({"PING"}, 2s, [&](RedisResult r) { after = std::move(r); });
  REQUIRE(run_until(io, [&] { return hang && after; }));
  ticker.cancel();
  CHECK(hang->error == RedisErrc::command_timeout);
  CHECK(hang_ms >= 140);
  CHECK(hang_ms < 400);
  // The PING behind it cannot be matched to a reply any more.
  CHECK(after->error == RedisErrc::connection_lost);
  // A blocking client would be late by the whole 150 ms; the margin absorbs a loaded CI box.
  CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(worst).count() < 100);

  // It reconnects at once, and a command sent now waits for that connection instead of failing
  // (a Redis slow once is not a dead one).
  CHECK(conn->state() != RedisConnection::State::backoff);
  std::optional<RedisResult> next_one;
  conn->command({"PING"}, 1s, [&](RedisResult r) { next_one = std::move(r); });
  REQUIRE(run_until(io, [&] { return next_one.has_value(); }));
  CHECK(next_one->ok());
  CHECK(conn->ready());
  CHECK(fake.accepts == 2);
  std::optional<RedisResult> again;
  conn->command({"PING"}, 1s, [&](RedisResult r) { again = std::move(r); });
  REQUIRE(run_until(io, [&] { return again.has_value(); }));
  CHECK(again->reply.is_status("PONG"));
}

TEST_CASE("redis connection: refused is reported as refused") {
  asio::io_context io;
  std::uint16_t port = 0;
  {
    asio::ip::tcp::acceptor probe(io,
                                  asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = probe.local_endpoint().port();
  }
  auto conn = RedisConnection::create(io, options_for(port));
  std::optional<RedisResult> r;
  conn->command({"PING"}, 1s, [&](RedisResult x) { r = std::move(x); });
  REQUIRE(run_until(io, [&] { return r.has_value(); }));
  CHECK(r->error == RedisErrc::refused);
  CHECK(conn->state() == RedisConnection::State::backoff);
  // While backing off, commands fail at once instead of queueing behind a dead server.
  std::optional<RedisResult> fast;
  conn->command({"PING"}, 1s, [&](RedisResult x) { fast = std::move(x); });
  REQUIRE(run_until(
      io, [&] { return fast.has_value(); }, 20ms));
  CHECK(fast->error == RedisErrc::not_connected);
}

TEST_CASE("redis connection: a byte stream that is not RESP is a protocol error") {
  asio::io_context io;
  FakeRedis fake(io, [](const std::vector<std::string>& argv) -> std::optional<std::string> {
    if (argv[0] == "PING") return std::string("?garbage\r\n");
    return ok_for_all(argv);
  });
  auto conn = RedisConnection::create(io, options_for(fake.port()));
  std::optional<RedisResult> r;
  conn->command({"PING"}, 1s, [&](RedisResult x) { r = std::move(x); });
  REQUIRE(run_until(io, [&] { return r.has_value(); }));
  CHECK(r->error == RedisErrc::protocol_error);
}

TEST_CASE(
    "redis connection: a reply past a bound closes the connection with the reason; the loop stays "
    "on time") {
  asio::io_context io;
  const std::string huge_bulk = "$1000000000\r\n" + std::string(5 * 1024 * 1024, 'x');
  FakeRedis fake(io, [&](const std::vector<std::string>& argv) -> std::optional<std::string> {
    if (argv[0] == "ARRAY") return std::string("*2147483647\r\n");
    if (argv[0] == "BULK") return huge_bulk;
    return ok_for_all(argv);
  });
  auto conn = RedisConnection::create(io, options_for(fake.port()));
  asio::steady_timer ticker(io);
  auto next = Clock::now() + 10ms;
  Clock::duration worst{0};
  std::function<void()> tick = [&] {
    ticker.expires_at(next);
    ticker.async_wait([&](boost::system::error_code ec) {
      if (ec) return;
      worst = std::max(worst, Clock::now() - next);
      next += 10ms;
      tick();
    });
  };
  tick();
  for (const char* what : {"ARRAY", "BULK"}) {
    std::optional<RedisResult> r;
    conn->command({what}, 2s, [&](RedisResult x) { r = std::move(x); });
    REQUIRE(run_until(io, [&] { return r.has_value(); }));
    INFO(what << ": " << r->message);
    CHECK(r->error == RedisErrc::protocol_error);
    CHECK(r->message.find("reply refused: ") != std::string::npos);
    CHECK(r->message.find(std::string(what) == "ARRAY"
                              ? "elements per reply"
                              : "bytes (the bound per reply)") != std::string::npos);
    CHECK(conn->state() == RedisConnection::State::backoff);
    // It reconnects and works again.
    std::optional<RedisResult> ping;
    REQUIRE(run_until(io, [&] {
      if (!ping && conn->state() == RedisConnection::State::ready)
        conn->command({"PING"}, 1s, [&](RedisResult x) { ping = std::move(x); });
      if (conn->state() == RedisConnection::State::idle) conn->start();
      return ping.has_value();
    }));
    CHECK(ping->ok());
  }
  ticker.cancel();
  // Before the bounds, a *2147483647 reply froze the loop for seconds. Without other load the
  // worst lateness is under 50 ms; the margin is for a machine shared with builds.
  CHECK(worst < 250ms);
}

TEST_CASE("redis connection: a reply nobody asked for is a protocol error") {
  asio::io_context io;
  FakeRedis fake(io, [](const std::vector<std::string>& argv) -> std::optional<std::string> {
    if (argv[0] == "PING") return std::string("+PONG\r\n+PONG\r\n");
    return ok_for_all(argv);
  });
  auto conn = RedisConnection::create(io, options_for(fake.port()));
  std::optional<RedisResult> r;
  conn->command({"PING"}, 1s, [&](RedisResult x) { r = std::move(x); });
  REQUIRE(run_until(
      io, [&] { return r.has_value() && conn->state() == RedisConnection::State::backoff; }));
  CHECK(r->ok());
  CHECK(conn->last_error().find("no command waiting") != std::string::npos);
}

TEST_CASE("redis connection: LOADING and -ERR replies are classified and keep the connection") {
  asio::io_context io;
  FakeRedis fake(io, [](const std::vector<std::string>& argv) -> std::optional<std::string> {
    if (argv[0] == "PING")
      return std::string("-LOADING Redis is loading the dataset in memory\r\n");
    if (argv[0] == "BOGUS") return std::string("-ERR unknown command 'BOGUS'\r\n");
    return ok_for_all(argv);
  });
  auto conn = RedisConnection::create(io, options_for(fake.port()));
  std::vector<RedisResult> got;
  conn->command({"PING"}, 1s, [&](RedisResult x) { got.push_back(std::move(x)); });
  conn->command({"BOGUS"}, 1s, [&](RedisResult x) { got.push_back(std::move(x)); });
  conn->command({"ECHO", "still here"}, 1s, [&](RedisResult x) { got.push_back(std::move(x)); });
  REQUIRE(run_until(io, [&] { return got.size() == 3; }));
  CHECK(got[0].error == RedisErrc::loading);
  CHECK(got[0].message == "LOADING Redis is loading the dataset in memory");
  CHECK(got[1].error == RedisErrc::server_error);
  CHECK(got[1].reply.is_error());
  CHECK(got[2].ok());
  CHECK(got[2].reply.str == "still here");
  CHECK(fake.accepts == 1);
}

TEST_CASE(
    "redis connection: AUTH user password goes first; a wrong password fails the connection") {
  asio::io_context io;
  FakeRedis fake(io, [](const std::vector<std::string>& argv) -> std::optional<std::string> {
    if (argv[0] == "AUTH") {
      if (argv.size() == 3 && argv[1] == "alice" && argv[2] == "s3cret")
        return std::string("+OK\r\n");
      return std::string("-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    }
    return ok_for_all(argv);
  });
  auto opts = options_for(fake.port());
  opts.user = "alice";
  opts.password = "s3cret";
  auto good = RedisConnection::create(io, opts);
  std::optional<RedisResult> r1;
  good->command({"PING"}, 1s, [&](RedisResult x) { r1 = std::move(x); });
  REQUIRE(run_until(io, [&] { return r1.has_value(); }));
  CHECK(r1->reply.is_status("PONG"));
  REQUIRE(!fake.received.empty());
  CHECK(fake.received[0] == std::vector<std::string>{"AUTH", "alice", "s3cret"});

  opts.password = "wrong";
  auto bad = RedisConnection::create(io, opts);
  std::optional<RedisResult> r2;
  bad->command({"PING"}, 1s, [&](RedisResult x) { r2 = std::move(x); });
  REQUIRE(run_until(io, [&] { return r2.has_value(); }));
  CHECK(r2->error == RedisErrc::auth_failed);
  CHECK(r2->message.find("WRONGPASS") != std::string::npos);
  CHECK(r2->message.find("wrong") == std::string::npos);  // the secret is not in the text
}

TEST_CASE(
    "redis connection: a server that accepts but never answers the handshake hits the connect "
    "timeout") {
  asio::io_context io;
  FakeRedis fake(io, [](const std::vector<std::string>&) -> std::optional<std::string> {
    return std::nullopt;
  });
  auto opts = options_for(fake.port());
  opts.password = "pw";
  opts.connect_timeout = 120ms;
  auto conn = RedisConnection::create(io, opts);
  std::optional<RedisResult> r;
  const auto sent = Clock::now();
  long took = -1;
  conn->command({"PING"}, 2s, [&](RedisResult x) {
    r = std::move(x);
    took = ms_since(sent);
  });
  REQUIRE(run_until(io, [&] { return r.has_value(); }));
  CHECK(r->error == RedisErrc::connect_timeout);
  CHECK(took >= 110);
  CHECK(took < 300);
}

TEST_CASE("redis connection: close() cancels; destroying drops callbacks uncalled") {
  asio::io_context io;
  FakeRedis fake(io, [](const std::vector<std::string>& argv) -> std::optional<std::string> {
    if (argv[0] == "HANG") return std::nullopt;
    return ok_for_all(argv);
  });
  auto conn = RedisConnection::create(io, options_for(fake.port()));
  std::optional<RedisResult> r;
  conn->command({"HANG"}, 1s, [&](RedisResult x) { r = std::move(x); });
  REQUIRE(run_until(io, [&] { return fake.received.size() >= 2; }));
  conn->close();
  REQUIRE(run_until(io, [&] { return r.has_value(); }));
  CHECK(r->error == RedisErrc::cancelled);

  auto doomed = RedisConnection::create(io, options_for(fake.port()));
  bool called = false;
  doomed->command({"HANG"}, 100ms, [&](RedisResult) { called = true; });
  run_until(
      io, [] { return false; }, 50ms);
  doomed.reset();
  run_until(
      io, [] { return false; }, 200ms);
  CHECK_FALSE(called);
}
