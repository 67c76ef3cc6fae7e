#include "agent/scripts/script_runner.hpp"

#include <fcntl.h>
#include <cstring>
#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>

#include "agent/config/values.hpp"

namespace redvip::agent {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string ScriptOutcome::describe() const {
  switch (kind) {
    case Kind::exited:
      return fmt::format("exit {} after {} ms", code, elapsed.count());
    case Kind::signaled:
      return fmt::format("killed by signal {} after {} ms", code, elapsed.count());
    case Kind::timed_out:
      return fmt::format("killed at its {} ms timeout", elapsed.count());
    case Kind::not_started:
      return "not started: " + error;
  }
  return {};
}

struct ScriptRunner::Child {
  explicit Child(asio::io_context& io) : exited(io), deadline(io) {}
  int pid = -1;
  asio::posix::stream_descriptor exited;  // the pidfd: readable once the child has exited
  asio::steady_timer deadline;            // also the poll timer when there is no pidfd
  bool has_pidfd = false;
  bool timed_out = false;
  milliseconds timeout{0};
  Clock::time_point started;
  Done done;
};

namespace {

// Resolved before fork: the child may only make async-signal-safe calls.
struct Identity {
  bool change = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

bool resolve_identity(const ScriptCommand& command, Identity& out, std::string& error) {
  if (command.user.empty()) return true;
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::vector<char> buffer(16384);
  if (::getpwnam_r(command.user.c_str(), &pw, buffer.data(), buffer.size(), &found) != 0 ||
      !found) {
    error = "no user " + command.user;
    return false;
  }
  out.uid = pw.pw_uid;
  out.gid = pw.pw_gid;
  if (!command.group.empty()) {
    struct group gr {};
    struct group* g = nullptr;
    std::vector<char> gbuffer(16384);
    if (::getgrnam_r(command.group.c_str(), &gr, gbuffer.data(), gbuffer.size(), &g) != 0 || !g) {
      error = "no group " + command.group;
      return false;
    }
    out.gid = gr.gr_gid;
  }
  if (out.uid == ::geteuid() && out.gid == ::getegid()) return true;
  if (::geteuid() != 0) {
    error = fmt::format("redvipd (uid {}) cannot run it as {}", ::geteuid(), command.user);
    return false;
  }
  int count = 64;
  out.groups.resize(static_cast<std::size_t>(count));
  if (::getgrouplist(command.user.c_str(), out.gid, out.groups.data(), &count) < 0) count = 0;
  out.groups.resize(static_cast<std::size_t>(count));
  out.change = true;
  return true;
}

}  // namespace

ScriptRunner::ScriptRunner(asio::io_context& io) : io_(io) {}

ScriptRunner::~ScriptRunner() {
  for (auto& [pid, child] : children_) {
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, nullptr, WNOHANG);
  }
}

int ScriptRunner::run(const ScriptCommand& command, const std::vector<std::string>& extra_args,
                      milliseconds timeout, Done done) {
  auto fail = [&](std::string why) {
    ScriptOutcome outcome;
    outcome.error = std::move(why);
    asio::post(io_, [done = std::move(done), outcome] { done(outcome); });
    return 0;
  };
  auto words = split_command_line(command.command);
  if (!words) return fail("not a command line");
  for (const auto& extra : extra_args) words->push_back(extra);
  Identity identity;
  std::string error;
  if (!resolve_identity(command, identity, error)) return fail(error);
  std::vector<char*> argv;
  for (auto& w : *words) argv.push_back(w.data());
  argv.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid < 0) return fail(fmt::format("fork: {}", std::strerror(errno)));
  if (pid == 0) {
    // The child: its own process group (the deadline kills all of it), default signals, no
    // descriptor of ours, then exec. Only async-signal-safe calls until exec.
    ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig : {SIGPIPE, SIGCHLD, SIGHUP, SIGTERM, SIGINT}) ::signal(sig, SIG_DFL);
    const int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(null, 2);
    }
    ::syscall(SYS_close_range, 3U, ~0U, 0U);
    // redvipd's network capabilities are not the script's (systemd hands them over as ambient).
    ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    if (identity.change) {
      if (::setgroups(identity.groups.size(), identity.groups.data()) != 0 ||
          ::setgid(identity.gid) != 0 || ::setuid(identity.uid) != 0)
        ::_exit(126);
    }
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also here: the deadline may come before the child ran setpgid
  auto child = std::make_shared<Child>(io_);
  child->pid = pid;
  child->timeout = timeout;
  child->started = Clock::now();
  child->done = std::move(done);
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    // Linux 5.3+ has pidfds; without one the exit could only be polled.
    const std::string why = fmt::format("pidfd_open: {}", std::strerror(errno));
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return fail(why);
  }
  child->exited.assign(pidfd);
  child->has_pidfd = true;
  children_[pid] = child;
  watch(child);
  return pid;
}

void ScriptRunner::cancel(int pid) {
  auto it = children_.find(pid);
  if (it == children_.end()) return;
  it->second->done = nullptr;
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
}

void ScriptRunner::watch(const std::shared_ptr<Child>& child) {
  std::weak_ptr<Child> weak = child;
  const int pid = child->pid;
  auto reap = [this, weak, pid] {
    auto c = weak.lock();
    if (!c) return false;
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == 0) return false;
    ScriptOutcome outcome;
    outcome.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - c->started);
    if (c->timed_out) {
      outcome.kind = ScriptOutcome::Kind::timed_out;
      outcome.elapsed = c->timeout;
    } else if (r < 0) {
      outcome.kind = ScriptOutcome::Kind::not_started;
      outcome.error = fmt::format("lost track of process {}", pid);
    } else if (WIFEXITED(status)) {
      outcome.kind = ScriptOutcome::Kind::exited;
      outcome.code = WEXITSTATUS(status);
    } else {
      outcome.kind = ScriptOutcome::Kind::signaled;
      outcome.code = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    }
    finished(pid, outcome);
    return true;
  };
  child->exited.async_wait(asio::posix::descriptor_base::wait_read,
                           [reap](boost::system::error_code ec) {
                             if (!ec) reap();
                           });
  // The deadline: kill the process group; the pidfd then reports the exit.
  child->deadline.expires_at(child->started + child->timeout);
  child->deadline.async_wait([weak, pid](boost::system::error_code ec) {
    if (ec) return;
    auto c = weak.lock();
    if (!c) return;
    c->timed_out = true;
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
  });
}

void ScriptRunner::finished(int pid, ScriptOutcome outcome) {
  auto it = children_.find(pid);
  if (it == children_.end()) return;
  auto child = it->second;
  children_.erase(it);
  child->deadline.cancel();
  if (child->has_pidfd) child->exited.close();
  // Called after this handler returns: done() may start the next script.
  if (child->done) asio::post(io_, [child, outcome] { child->done(outcome); });
  if (children_.empty()) {
    auto waiters = std::move(idle_waiters_);
    idle_waiters_.clear();
    for (auto& w : waiters) asio::post(io_, std::move(w));
  }
}

void ScriptRunner::when_idle(std::function<void()> done) {
  if (children_.empty()) {
    asio::post(io_, std::move(done));
    return;
  }
  idle_waiters_.push_back(std::move(done));
}

}  // namespace redvip::agent
