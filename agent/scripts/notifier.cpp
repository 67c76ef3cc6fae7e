#include "agent/scripts/notifier.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace redvip::agent {

Notifier::Notifier(ScriptRunner& runner, std::string instance, NotifySettings settings,
                   NotifyKind kind)
    : runner_(runner),
      instance_(std::move(instance)),
      settings_(std::move(settings)),
      kind_(kind) {}

Notifier::~Notifier() {
  if (fifo_ >= 0) ::close(fifo_);
}

void Notifier::notify(NotifyState state, std::uint8_t priority) {
  if (!settings_.fifo.empty()) write_fifo(fifo_line(instance_, state, priority, kind_));
  for (auto& call : notification_calls(settings_, instance_, state, priority, kind_)) {
    if (queue_.size() >= kMaxQueued) {
      ++counters_.dropped;
      limiter_.log(Level::warning, instance_, "notify queue full",
                   "{} notifications wait already: {} ({}) dropped", kMaxQueued,
                   queue_.front().label, queue_.front().command.command);
      queue_.pop_front();
    }
    queue_.push_back(std::move(call));
  }
  if (!running_) next();
}

void Notifier::next() {
  if (running_ || queue_.empty()) return;
  running_ = true;
  ScriptCall call = std::move(queue_.front());
  queue_.pop_front();
  ++counters_.runs;
  log(Level::info, instance_, "running {} ({})", call.label, call.command.command);
  auto self = shared_from_this();
  runner_.run(
      call.command, call.args, settings_.timeout,
      [self, label = call.label, source = call.command.source](const ScriptOutcome& outcome) {
        self->running_ = false;
        if (outcome.kind == ScriptOutcome::Kind::timed_out)
          ++self->counters_.timed_out;
        else if (!outcome.ok())
          ++self->counters_.failed;
        log(outcome.ok() ? Level::info : Level::warning, self->instance_, "{} ({}): {}", label,
            source, outcome.describe());
        self->next();
      });
}

void Notifier::write_fifo(const std::string& line) {
  // Opened read-write, as keepalived does: the open never waits for a reader and a reader
  // that comes later gets the lines from then on. Non-blocking: a full fifo drops the line.
  if (fifo_ < 0) {
    // Like keepalived, the fifo is made when it is not there yet.
    if (::mkfifo(settings_.fifo.c_str(), 0600) != 0 && errno != EEXIST) {
      ++counters_.dropped;
      limiter_.log(Level::warning, instance_, "fifo open", "cannot make notify_fifo {}: {}",
                   settings_.fifo, std::strerror(errno));
      return;
    }
    fifo_ = ::open(settings_.fifo.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fifo_ < 0) {
      ++counters_.dropped;
      limiter_.log(Level::warning, instance_, "fifo open", "cannot open notify_fifo {}: {}",
                   settings_.fifo, std::strerror(errno));
      return;
    }
  }
  const ssize_t n = ::write(fifo_, line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size())) {
    ++counters_.dropped;
    limiter_.log(Level::warning, instance_, "fifo write", "notify_fifo {}: line dropped ({})",
                 settings_.fifo, n < 0 ? std::strerror(errno) : "short write");
  }
}

}  // namespace redvip::agent
