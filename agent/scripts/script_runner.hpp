#pragma once
// Runs keepalived-style scripts as child processes without ever blocking the io_context: fork +
// exec (the child in its own process group, optionally as another user, stdin/stdout/stderr on
// /dev/null), its exit watched through a pidfd on Asio, and a deadline after which the whole
// process group is killed. The outcome (exit status, signal, timeout) goes to a callback; what
// it means (a notification that failed, a check that failed) is the caller's business.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "agent/config/settings.hpp"

namespace redvip::agent {

struct ScriptOutcome {
  enum class Kind { exited, signaled, timed_out, not_started };
  Kind kind = Kind::not_started;
  int code = 0;       // the exit status, or the signal
  std::string error;  // why it did not start
  std::chrono::milliseconds elapsed{0};

  bool ok() const { return kind == Kind::exited && code == 0; }
  // "exit 0 after 12 ms", "killed at its 1000 ms timeout", "killed by signal 15 after 3 ms",
  // "not started: no user nobody2".
  std::string describe() const;
};

class ScriptRunner {
 public:
  using Done = std::function<void(const ScriptOutcome&)>;

  explicit ScriptRunner(boost::asio::io_context& io);
  // Kills every process group still running (their outcome is not reported).
  ~ScriptRunner();
  ScriptRunner(const ScriptRunner&) = delete;
  ScriptRunner& operator=(const ScriptRunner&) = delete;

  // Runs command (+ extra words) and calls done once, from the io_context, with what happened.
  // done is also called (not_started) when the command cannot be run at all.
  // Returns the child's pid (0 when it did not start), for cancel().
  int run(const ScriptCommand& command, const std::vector<std::string>& extra_args,
          std::chrono::milliseconds timeout, Done done);
  // Kills that run's process group now; its done() is not called.
  void cancel(int pid);

  std::size_t running() const { return children_.size(); }
  // done() once nothing runs: at once when nothing does.
  void when_idle(std::function<void()> done);

 private:
  struct Child;
  void finished(int pid, ScriptOutcome outcome);
  void watch(const std::shared_ptr<Child>& child);

  boost::asio::io_context& io_;
  std::map<int, std::shared_ptr<Child>> children_;  // by pid
  std::vector<std::function<void()>> idle_waiters_;
};

}  // namespace redvip::agent
