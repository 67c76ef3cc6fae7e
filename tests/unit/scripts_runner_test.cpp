// Scripts as child processes on the io_context: exit status, a hanging script (and what it
// started) killed at its timeout, the loop never blocked meanwhile, notifications one at a time
// in order, track_script and track_file changing priority and eligibility.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <functional>
#include <map>
#include <optional>
#include <thread>

#include "agent/scripts/notifier.hpp"
#include "agent/scripts/script_runner.hpp"
#include "agent/scripts/tracker.hpp"

using namespace redvip::agent;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/redvip-scripts-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string path;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

ScriptCommand sh(const std::string& script) {
  return ScriptCommand{"/bin/sh -c '" + script + "'", "", "", "t:1"};
}

// Runs the io_context until `done` or the limit.
template <typename Pred>
void run_until(asio::io_context& io, Pred done, std::chrono::milliseconds limit = 5000ms) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < end) {
    io.run_for(10ms);
    io.restart();
  }
}

}  // namespace

TEST_CASE("ScriptRunner: exit status, signals, a missing program", "[scripts]") {
  asio::io_context io;
  ScriptRunner runner(io);
  std::optional<ScriptOutcome> a, b, c, d;
  runner.run(sh("exit 0"), {}, 2000ms, [&](const ScriptOutcome& o) { a = o; });
  runner.run(sh("exit 3"), {}, 2000ms, [&](const ScriptOutcome& o) { b = o; });
  runner.run(sh("kill -TERM $$"), {}, 2000ms, [&](const ScriptOutcome& o) { c = o; });
  runner.run(ScriptCommand{"/nonexistent/program", "", "", "t:1"}, {}, 2000ms,
             [&](const ScriptOutcome& o) { d = o; });
  run_until(io, [&] { return a && b && c && d; });
  REQUIRE((a && b && c && d));
  CHECK(a->ok());
  CHECK(b->kind == ScriptOutcome::Kind::exited);
  CHECK(b->code == 3);
  CHECK(b->describe().rfind("exit 3 after ", 0) == 0);
  CHECK(c->kind == ScriptOutcome::Kind::signaled);
  CHECK(c->code == SIGTERM);
  CHECK(d->code == 127);  // exec failed in the child
  CHECK(runner.running() == 0);
}

TEST_CASE("ScriptRunner: arguments are passed as words, no shell", "[scripts]") {
  TempDir dir;
  asio::io_context io;
  ScriptRunner runner(io);
  bool done = false;
  runner.run(
      ScriptCommand{"/bin/sh -c 'printf \"%s|\" \"$@\" > " + dir.path + "/out' sh", "", "", "t:1"},
      {"INSTANCE", "VI 1", "$HOME"}, 2000ms, [&](const ScriptOutcome&) { done = true; });
  run_until(io, [&] { return done; });
  CHECK(slurp(dir.path + "/out") == "INSTANCE|VI 1|$HOME|");
}

TEST_CASE(
    "ScriptRunner: a hanging script and its children are killed at the timeout, the loop runs on",
    "[scripts]") {
  TempDir dir;
  asio::io_context io;
  ScriptRunner runner(io);
  std::optional<ScriptOutcome> outcome;
  // The script starts a child in its group and waits; both must go at the deadline.
  const auto started = std::chrono::steady_clock::now();
  runner.run(sh("sleep 30 & echo $! > " + dir.path + "/child; wait"), {}, 300ms,
             [&](const ScriptOutcome& o) { outcome = o; });
  int ticks = 0;
  asio::steady_timer tick(io);
  std::function<void()> again = [&] {
    tick.expires_after(10ms);
    tick.async_wait([&](boost::system::error_code ec) {
      if (ec) return;
      ++ticks;
      if (!outcome) again();
    });
  };
  again();
  run_until(io, [&] { return outcome.has_value(); });
  const auto elapsed = std::chrono::steady_clock::now() - started;
  REQUIRE(outcome);
  CHECK(outcome->kind == ScriptOutcome::Kind::timed_out);
  CHECK(outcome->describe() == "killed at its 300 ms timeout");
  CHECK(elapsed < 2000ms);
  CHECK(ticks >= 5);  // the io_context kept running while the script hung
  const int child = std::stoi(slurp(dir.path + "/child"));
  // The grandchild was killed with the group (allow the kernel a moment to reap it).
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = ::kill(child, 0) != 0 ||
           slurp("/proc/" + std::to_string(child) + "/stat").find(") Z") != std::string::npos;
    if (!gone) std::this_thread::sleep_for(10ms);
  }
  CHECK(gone);
}

TEST_CASE("ScriptRunner: cancel kills without a callback; when_idle waits for the last script",
          "[scripts]") {
  asio::io_context io;
  ScriptRunner runner(io);
  bool called = false;
  const int pid =
      runner.run(sh("sleep 30"), {}, 10000ms, [&](const ScriptOutcome&) { called = true; });
  REQUIRE(pid > 0);
  bool idle = false;
  runner.when_idle([&] { idle = true; });
  runner.cancel(pid);
  run_until(io, [&] { return idle; });
  CHECK(idle);
  CHECK_FALSE(called);
  CHECK(runner.running() == 0);
}

TEST_CASE("Notifier: scripts run one at a time, in order, the fifo gets keepalived's lines",
          "[scripts]") {
  TempDir dir;
  asio::io_context io;
  ScriptRunner runner(io);
  NotifySettings s;
  const std::string log = dir.path + "/log";
  // Each run appends "start" and, a little later, "end": overlapping runs would interleave.
  s.any = ScriptCommand{
      "/bin/sh -c 'echo start $3 >> " + log + "; sleep 0.05; echo end $3 >> " + log + "' sh", "",
      "", "t:1"};
  s.master = ScriptCommand{"/bin/sh -c 'echo master >> " + log + "'", "", "", "t:2"};
  s.fifo = dir.path + "/fifo";
  s.timeout = 2000ms;
  auto notifier = std::make_shared<Notifier>(runner, "VI_1", s);
  notifier->notify(NotifyState::backup, 100);
  notifier->notify(NotifyState::master, 100);
  notifier->notify(NotifyState::fault, 100);
  run_until(io, [&] { return notifier->idle(); });
  CHECK(slurp(log) ==
        "start BACKUP\nend BACKUP\nmaster\nstart MASTER\nend MASTER\nstart FAULT\nend FAULT\n");
  CHECK(notifier->counters().runs == 4);
  CHECK(notifier->counters().failed == 0);
  // The fifo was made and holds the three lines.
  const int fd = ::open(s.fifo.c_str(), O_RDONLY | O_NONBLOCK);
  REQUIRE(fd >= 0);
  char buffer[256];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  ::close(fd);
  CHECK(
      std::string(buffer, n > 0 ? static_cast<std::size_t>(n) : 0) ==
      "INSTANCE \"VI_1\" BACKUP 100\nINSTANCE \"VI_1\" MASTER 100\nINSTANCE \"VI_1\" FAULT 100\n");
}

TEST_CASE("Notifier: a failing or hanging script is counted and the next one still runs",
          "[scripts]") {
  TempDir dir;
  asio::io_context io;
  ScriptRunner runner(io);
  NotifySettings s;
  s.backup = sh("sleep 30");
  s.master = sh("exit 2");
  s.fault = sh("touch " + dir.path + "/fault");
  s.timeout = 200ms;
  auto notifier = std::make_shared<Notifier>(runner, "VI_1", s);
  notifier->notify(NotifyState::backup, 100);
  notifier->notify(NotifyState::master, 100);
  notifier->notify(NotifyState::fault, 100);
  run_until(io, [&] { return notifier->idle(); });
  CHECK(notifier->counters().timed_out == 1);
  CHECK(notifier->counters().failed == 1);
  CHECK(std::filesystem::exists(dir.path + "/fault"));
}

TEST_CASE("Tracker: a weight-0 script blocks, a weighted one moves the priority, a track file too",
          "[scripts]") {
  TempDir dir;
  asio::io_context io;
  ScriptRunner runner(io);
  InstanceSettings settings;
  settings.name = "VI_1";
  settings.priority = 100;
  const std::string flag = dir.path + "/down";
  VrrpScriptSettings check;
  check.name = "chk";
  check.script = sh("test ! -e " + flag);
  check.interval = 50ms;
  check.timeout = 1000ms;
  VrrpScriptSettings weighted = check;
  weighted.name = "gw";
  weighted.weight = -30;
  weighted.script = sh("test ! -e " + dir.path + "/gw");
  settings.track_scripts = {TrackedScript{check}, TrackedScript{weighted}};
  const std::string file = dir.path + "/prio";
  std::ofstream(file) << "4\n";
  settings.track_files = {TrackedFile{TrackFileSettings{"f", file, 5}}};
  std::map<std::string, std::string> blocked;
  int priority = -1;
  Tracker tracker(
      io, runner, settings,
      [&](const std::string& cause, bool blocking, const std::string& detail) {
        if (blocking)
          blocked[cause] = detail;
        else
          blocked.erase(cause);
      },
      [&](std::uint8_t p) { priority = p; });
  tracker.start();
  CHECK(priority == 120);  // the file's 4 * 5 at once
  CHECK(blocked.empty());
  std::ofstream(flag) << "";
  run_until(io, [&] { return blocked.count("script chk") > 0; });
  CHECK(blocked.count("script chk"));
  std::ofstream(dir.path + "/gw") << "";
  run_until(io, [&] { return priority == 90; });
  CHECK(priority == 90);
  std::filesystem::remove(flag);
  std::ofstream(file) << "0\n";
  run_until(
      io, [&] { return blocked.empty() && priority == 70; }, 3000ms);
  CHECK(blocked.empty());
  CHECK(priority == 70);
}
