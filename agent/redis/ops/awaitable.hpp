#pragma once
// The building blocks of the Redis role sequences on Asio C++20 coroutines (Boost 1.74: no
// cancellation slots, no awaitable operators), each in one place:
//  - await_callback: a callback-style operation (RedisConnection::command, a release hook) as
//    an awaitable;
//  - Stopped / guarded: the one idiom for "the controller is gone";
//  - sleep_for / poll_until: the one poll-until-deadline loop;
//  - gather: several tasks side by side (the peers asked at once).
//
// Stopping. A controller owns a std::stop_source and requests a stop when it stops or is
// destroyed. Every awaitable here that can suspend, and every operation of a stop-guarded
// RedisOperations, checks the token before it starts and again when it completes, and throws
// Stopped when the stop was requested: a suspended sequence then unwinds from the co_await it
// is in without running another line of its own, so nothing touches a destroyed controller.
// Hence sequences never catch (...): only the handler given to co_spawn sees the exception, and
// it tells a stop (ignored) from a failure (logged) by the token it holds a copy of.
// <utility> first: Boost 1.74 Asio uses std::exchange without including it (g++ 12).
#include <utility>

#include <boost/asio.hpp>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <stop_token>
#include <vector>

namespace redvip::agent {

template <typename T>
using Awaitable = boost::asio::awaitable<T>;

// Thrown out of an awaitable once the stop was requested (see above).
struct Stopped : std::exception {
  const char* what() const noexcept override { return "stopped"; }
};

inline void throw_if_stopped(const std::stop_token& stop) {
  if (stop.stop_requested()) throw Stopped{};
}

// `start(resume)` begins a callback-style operation; resume(value) (copyable, callable once;
// later calls are ignored) completes the awaitable with `value`. The coroutine resumes through
// its executor, never inside start() or inside the caller of resume(). When resume is destroyed
// without being called (a connection dropped its pending callbacks), the waiting coroutine is
// destroyed, never resumed.
template <typename T, typename Start>
Awaitable<T> await_callback(Start start) {
  auto executor = co_await boost::asio::this_coro::executor;
  co_return co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(T)>(
      [executor](auto handler, Start begin) {
        using Handler = decltype(handler);
        auto slot = std::make_shared<std::optional<Handler>>(std::move(handler));
        begin([executor, slot](T value) {
          if (!*slot) return;
          Handler h = std::move(**slot);
          slot->reset();
          boost::asio::post(executor, [h = std::move(h), value = std::move(value)]() mutable {
            std::move(h)(std::move(value));
          });
        });
      },
      boost::asio::use_awaitable, std::move(start));
}

// `task`, but throwing Stopped instead of starting or returning once `stop` was requested.
// `keep` stays alive until the task finished (the object whose operation it is).
template <typename T>
Awaitable<T> guarded(std::stop_token stop, std::shared_ptr<const void> keep, Awaitable<T> task) {
  throw_if_stopped(stop);
  T value = co_await std::move(task);
  throw_if_stopped(stop);
  keep.reset();
  co_return value;
}

inline Awaitable<void> guarded(std::stop_token stop, std::shared_ptr<const void> keep,
                               Awaitable<void> task) {
  throw_if_stopped(stop);
  co_await std::move(task);
  throw_if_stopped(stop);
  keep.reset();
}

inline Awaitable<void> sleep_for(std::chrono::milliseconds delay, std::stop_token stop) {
  throw_if_stopped(stop);
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, delay);
  co_await timer.async_wait(boost::asio::use_awaitable);
  throw_if_stopped(stop);
}

// The one poll-until-deadline loop: runs step() (an Awaitable<std::optional<R>>) until it
// yields a value, sleeping `interval` between tries; nullopt when `deadline` passed first.
// step() runs at least once, and the deadline is looked at after each try, so a step that
// succeeds at the deadline still counts.
template <typename Step>
auto poll_until(std::chrono::steady_clock::time_point deadline, std::chrono::milliseconds interval,
                std::stop_token stop, Step step) -> decltype(step()) {
  throw_if_stopped(stop);
  for (;;) {
    auto result = co_await step();
    if (result) co_return result;
    if (std::chrono::steady_clock::now() >= deadline) co_return std::nullopt;
    co_await sleep_for(interval, stop);
  }
}

// Runs `tasks` side by side and returns once all finished, or as soon as one result satisfies
// `enough(const T&)`: the others then finish on their own and their results are dropped.
// results[i] is empty for a task that threw (Stopped included) or had not finished.
template <typename T, typename Enough>
Awaitable<std::vector<std::optional<T>>> gather(std::vector<Awaitable<T>> tasks, Enough enough,
                                                std::stop_token stop) {
  struct State {
    std::vector<std::optional<T>> results;
    std::size_t left = 0;
    bool finished = false;
  };
  throw_if_stopped(stop);
  auto state = std::make_shared<State>();
  state->results.resize(tasks.size());
  state->left = tasks.size();
  if (tasks.empty()) co_return std::move(state->results);
  auto executor = co_await boost::asio::this_coro::executor;
  struct Unit {};
  co_await await_callback<Unit>([&](auto resume) {
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      boost::asio::co_spawn(executor, std::move(tasks[i]),
                            [state, i, enough, resume](std::exception_ptr e, T value) {
                              --state->left;
                              if (state->finished) return;
                              const bool good = !e && enough(value);
                              if (!e) state->results[i] = std::move(value);
                              if (good || state->left == 0) {
                                state->finished = true;
                                resume(Unit{});
                              }
                            });
    }
  });
  throw_if_stopped(stop);
  co_return std::move(state->results);
}

}  // namespace redvip::agent
