#include "agent/scripts/tracker.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "agent/log/log.hpp"

namespace redvip::agent {
namespace asio = boost::asio;

namespace {
// A track file's first bytes: it holds one number.
long long read_track_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return 0;
  char buffer[64];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  ::close(fd);
  if (n <= 0) return 0;
  return track_file_value(std::string_view(buffer, static_cast<std::size_t>(n)));
}
}  // namespace

Tracker::Tracker(asio::io_context& io, ScriptRunner& runner, const InstanceSettings& settings,
                 Blocked blocked, Priority priority)
    : io_(io),
      runner_(runner),
      name_(settings.name),
      base_priority_(settings.priority),
      blocked_(std::move(blocked)),
      priority_(std::move(priority)),
      file_timer_(io) {
  for (const auto& tracked : settings.track_scripts) {
    const auto& s = tracked.script;
    Script script{s, HealthCounter(static_cast<int>(s.rise), static_cast<int>(s.fall)),
                  !s.init_fail, s.init_fail ? "init_fail" : "not run yet",
                  std::make_unique<asio::steady_timer>(io)};
    scripts_.push_back(std::move(script));
  }
  for (const auto& tracked : settings.track_files) {
    file_settings_.push_back(tracked.file);
    files_.push_back({tracked.file.name, tracked.file.weight, 0});
  }
  for (const auto& tracked : settings.track_interfaces)
    if (tracked.weight != 0) interfaces_.push_back({tracked.name, tracked.weight, false});
}

Tracker::~Tracker() {
  lifetime_.end();
  for (auto& s : scripts_)
    if (s.running) runner_.cancel(s.running);
}

void Tracker::start() {
  for (std::size_t i = 0; i < files_.size(); ++i)
    files_[i].value = read_track_file(file_settings_[i].path);
  apply();
  for (std::size_t i = 0; i < scripts_.size(); ++i) run_script(i);
  if (!files_.empty()) read_files();
}

void Tracker::on_link(const std::string& interface, bool up) {
  for (auto& i : interfaces_) {
    if (i.name != interface || i.up == up) continue;
    i.up = up;
    if (!applied_) continue;
    log(up ? Level::info : Level::warning, name_, "tracked interface {} is {} (weight {})", i.name,
        up ? "up" : "down", i.weight);
    apply();
  }
}

void Tracker::run_script(std::size_t index) {
  auto& script = scripts_[index];
  const auto started = std::chrono::steady_clock::now();
  const auto alive = lifetime_.watch();
  script.running =
      runner_.run(script.settings.script, {}, script.settings.timeout,
                  [this, alive, index, started](const ScriptOutcome& outcome) {
                    if (alive.expired()) return;
                    auto& s = scripts_[index];
                    s.running = 0;
                    s.last = outcome.describe();
                    if (auto changed = s.counter.record(outcome.ok())) {
                      s.ok = *changed == Health::healthy;
                      log(s.ok ? Level::info : Level::warning, name_, "vrrp_script {} is {} ({})",
                          s.settings.name, s.ok ? "succeeding" : "failing", s.last);
                      apply();
                    }
                    // The next run counts from this one's start, as keepalived's interval does.
                    s.timer->expires_at(started + s.settings.interval);
                    s.timer->async_wait([this, alive, index](boost::system::error_code ec) {
                      if (!ec && !alive.expired()) run_script(index);
                    });
                  });
}

void Tracker::read_files() {
  const auto alive = lifetime_.watch();
  file_timer_.expires_after(kFileInterval);
  file_timer_.async_wait([this, alive](boost::system::error_code ec) {
    if (ec || alive.expired()) return;
    bool changed = false;
    for (std::size_t i = 0; i < files_.size(); ++i) {
      const long long value = read_track_file(file_settings_[i].path);
      if (value == files_[i].value) continue;
      log(Level::info, name_, "track file {} ({}) holds {} (was {})", files_[i].name,
          file_settings_[i].path, value, files_[i].value);
      files_[i].value = value;
      changed = true;
    }
    if (changed) apply();
    read_files();
  });
}

void Tracker::apply() {
  TrackingVerdict next = tracking_verdict(base_priority_, script_states(), files_, interfaces_);
  for (const auto& [cause, detail] : verdict_.faults)
    if (!next.faults.count(cause)) blocked_(cause, false, {});
  for (const auto& [cause, detail] : next.faults) {
    auto it = verdict_.faults.find(cause);
    if (it == verdict_.faults.end() || it->second != detail) blocked_(cause, true, detail);
  }
  if (!applied_ || next.priority != verdict_.priority) {
    if (applied_ || next.priority != base_priority_)
      log(Level::info, name_, "tracked priority {}", next.priority);
    priority_(next.priority);
  }
  applied_ = true;
  verdict_ = std::move(next);
}

std::vector<ScriptState> Tracker::script_states() const {
  std::vector<ScriptState> out;
  for (const auto& s : scripts_) out.push_back({s.settings.name, s.settings.weight, s.ok});
  return out;
}

std::vector<FileState> Tracker::file_states() const { return files_; }

}  // namespace redvip::agent
