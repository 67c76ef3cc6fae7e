// The coroutine building blocks of the role sequences (agent/redis/ops/awaitable.hpp): a
// callback operation resumes its coroutine through the executor and at most once, poll_until
// stops at the first value or at the deadline, gather returns early on an `enough` result, and a
// requested stop ends each of them with Stopped instead of a value.
#include <catch2/catch.hpp>

#include "agent/redis/ops/awaitable.hpp"
#include "tests/unit/redis_fake_server.hpp"

using namespace redvip::agent;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

// Runs `task` to its end; the value, or the exception it ended with.
template <typename T>
struct Outcome {
  std::optional<T> value;
  std::exception_ptr error;
  bool done = false;
};

template <typename T>
Outcome<T> run(asio::io_context& io, Awaitable<T> task, std::chrono::milliseconds limit = 2s) {
  auto out = std::make_shared<Outcome<T>>();
  asio::co_spawn(io, std::move(task), [out](std::exception_ptr e, T v) {
    out->done = true;
    out->error = e;
    if (!e) out->value = std::move(v);
  });
  redvip::test::run_until(
      io, [&] { return out->done; }, limit);
  return *out;
}

bool is_stopped(std::exception_ptr e) {
  try {
    if (e) std::rethrow_exception(e);
  } catch (const Stopped&) {
    return true;
  } catch (...) {
  }
  return false;
}

}  // namespace

TEST_CASE("awaitable: a callback resumes its coroutine later, once") {
  asio::io_context io;
  bool start_returned = false;
  bool resumed_inside_start = false;
  auto task = [&]() -> Awaitable<int> {
    const int v = co_await await_callback<int>([&](auto resume) {
      resume(7);  // completes at once: the coroutine must still resume through the executor
      resume(8);  // a second call is ignored
      start_returned = true;
    });
    resumed_inside_start = !start_returned;
    co_return v;
  };
  auto out = run(io, task());
  REQUIRE(out.done);
  CHECK_FALSE(out.error);
  CHECK(out.value == 7);
  CHECK_FALSE(resumed_inside_start);

  // A callback dropped without a call (a connection destroyed with commands pending) ends the
  // coroutine without resuming it.
  bool after_await = false;
  auto dropped = [&]() -> Awaitable<int> {
    co_await await_callback<int>([](auto resume) { (void)resume; });
    after_await = true;
    co_return 0;
  };
  auto never = run(io, dropped(), 50ms);
  CHECK_FALSE(never.done);
  CHECK_FALSE(after_await);
}

TEST_CASE("awaitable: poll_until returns the first value, or nullopt at the deadline") {
  asio::io_context io;
  std::stop_source stop;
  int tries = 0;
  auto until_third = [&]() -> Awaitable<std::optional<int>> {
    return poll_until(Clock::now() + 1s, 2ms, stop.get_token(),
                      [&]() -> Awaitable<std::optional<int>> {
                        co_return ++tries == 3 ? std::optional<int>(tries) : std::nullopt;
                      });
  };
  auto found = run(io, until_third());
  CHECK(found.value == std::optional<int>(3));

  tries = 0;
  const auto t0 = Clock::now();
  auto never = [&]() -> Awaitable<std::optional<int>> {
    return poll_until(Clock::now() + 50ms, 5ms, stop.get_token(),
                      [&]() -> Awaitable<std::optional<int>> {
                        ++tries;
                        co_return std::nullopt;
                      });
  };
  auto timed_out = run(io, never());
  REQUIRE(timed_out.value);
  CHECK_FALSE(*timed_out.value);
  CHECK(Clock::now() - t0 >= 50ms);
  CHECK(tries >= 2);

  // A stop ends the loop at its next step.
  tries = 0;
  auto stopping = [&]() -> Awaitable<std::optional<int>> {
    return poll_until(Clock::now() + 10s, 2ms, stop.get_token(),
                      [&]() -> Awaitable<std::optional<int>> {
                        if (++tries == 2) stop.request_stop();
                        co_return std::nullopt;
                      });
  };
  auto stopped = run(io, stopping());
  REQUIRE(stopped.done);
  CHECK(is_stopped(stopped.error));
  CHECK(tries == 2);
}

TEST_CASE("awaitable: gather waits for all, or returns at the first good enough result") {
  asio::io_context io;
  std::stop_source stop;
  auto after = [](std::chrono::milliseconds d, int v) -> Awaitable<int> {
    co_await sleep_for(d, {});
    co_return v;
  };
  auto all = [&]() -> Awaitable<std::vector<std::optional<int>>> {
    std::vector<Awaitable<int>> tasks;
    tasks.push_back(after(30ms, 1));
    tasks.push_back(after(1ms, 2));
    co_return co_await gather(
        std::move(tasks), [](int) { return false; }, stop.get_token());
  };
  auto both = run(io, all());
  REQUIRE(both.value);
  CHECK((*both.value)[0] == std::optional<int>(1));
  CHECK((*both.value)[1] == std::optional<int>(2));

  auto first_even = [&]() -> Awaitable<std::vector<std::optional<int>>> {
    std::vector<Awaitable<int>> tasks;
    tasks.push_back(after(500ms, 1));
    tasks.push_back(after(1ms, 2));
    co_return co_await gather(
        std::move(tasks), [](int v) { return v % 2 == 0; }, stop.get_token());
  };
  const auto t0 = Clock::now();
  auto early = run(io, first_even());
  CHECK(Clock::now() - t0 < 400ms);
  REQUIRE(early.value);
  CHECK_FALSE((*early.value)[0]);
  CHECK((*early.value)[1] == std::optional<int>(2));
  // The straggler finishes on its own without touching the result.
  redvip::test::run_until(
      io, [] { return false; }, 600ms);
}

TEST_CASE("awaitable: guarded neither starts nor returns after a stop") {
  asio::io_context io;
  std::stop_source stop;
  bool ran = false;
  auto work = [&]() -> Awaitable<int> {
    ran = true;
    co_await sleep_for(20ms, {});
    co_return 1;
  };
  auto task = guarded(stop.get_token(), nullptr, work());
  asio::co_spawn(io, std::move(task), [](std::exception_ptr, int) {});
  auto second = guarded(stop.get_token(), nullptr, work());
  // Stopped while running: no value.
  redvip::test::run_until(io, [&] { return ran; });
  stop.request_stop();
  ran = false;
  auto out = run(io, std::move(second));
  CHECK(is_stopped(out.error));
  CHECK_FALSE(ran);
}
