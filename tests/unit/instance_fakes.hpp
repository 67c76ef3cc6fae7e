#pragma once
// Fakes for every port of a VrrpInstance, writing what the instance does to one transcript, and
// a harness that feeds it events (packets, timer expiries, eligibility, link and address
// events) at chosen times: golden tests compare the transcript with the lines expected.
// Lines: "<ms> <what>", ms after the harness's t0:
//   advert prio=N            an advert sent
//   vip+ A/P dev / vip- A/P dev   a VIP added / removed
//   announce A,B             gratuitous ARP / NA started
//   redis promote live=A|none / redis demoted new=A|none / redis follows A   RoleHooks calls
//   state S                  the instance's state after the step changed it
#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/instance/vrrp_instance.hpp"
#include "agent/log/log.hpp"
#include "vrrp/codec.hpp"

namespace redvip::agent::test {

inline const vrrp::TimePoint kT0 = vrrp::TimePoint{} + std::chrono::hours(1000);

struct Transcript {
  const vrrp::TimePoint* now = nullptr;
  std::vector<std::string> lines;
  void add(const std::string& what) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*now - kT0).count();
    lines.push_back(std::to_string(ms) + " " + what);
  }
  std::vector<std::string> take() { return std::exchange(lines, {}); }
};

class FakeTimers final : public TimerPort {
 public:
  vrrp::TimePoint now() const override { return now_; }
  void set_handler(std::function<void(vrrp::TimerKind)> fire) override { fire_ = std::move(fire); }
  void arm(vrrp::TimerKind kind, vrrp::TimePoint deadline) override { deadlines_[kind] = deadline; }
  void cancel(vrrp::TimerKind kind) override { deadlines_.erase(kind); }
  void watch_stalls(vrrp::Clock::duration period,
                    std::function<void(vrrp::Clock::duration)> resumed) override {
    watch_period = period;
    resumed_ = std::move(resumed);
  }
  // The process ran nothing for `stalled` and runs again now (the real hub: timer_hub.hpp).
  void stall(vrrp::Clock::duration stalled) {
    if (resumed_) resumed_(stalled);
  }
  std::optional<vrrp::Clock::duration> watch_period;

  // Fires every deadline up to `until`, earliest first, at its own time; `after_fire` runs after
  // each (the harness notes state changes there).
  void advance_to(vrrp::TimePoint until, const std::function<void()>& after_fire) {
    while (true) {
      auto next = deadlines_.end();
      for (auto it = deadlines_.begin(); it != deadlines_.end(); ++it) {
        if (it->second <= until && (next == deadlines_.end() || it->second < next->second))
          next = it;
      }
      if (next == deadlines_.end()) break;
      const auto kind = next->first;
      now_ = next->second;
      deadlines_.erase(next);
      fire_(kind);
      after_fire();
    }
    now_ = until;
  }
  const vrrp::TimePoint& clock() const { return now_; }
  std::optional<vrrp::TimePoint> deadline(vrrp::TimerKind kind) const {
    auto it = deadlines_.find(kind);
    return it == deadlines_.end() ? std::nullopt : std::optional(it->second);
  }

 private:
  vrrp::TimePoint now_ = kT0;
  std::map<vrrp::TimerKind, vrrp::TimePoint> deadlines_;
  std::function<void(vrrp::TimerKind)> fire_;
  std::function<void(vrrp::Clock::duration)> resumed_;
};

class FakeAdverts final : public AdvertPort {
 public:
  FakeAdverts(Transcript& out, vrrp::IpAddress source) : out_(out), source_(source) {}
  std::error_code send(const vrrp::Advert& advert) override {
    sent.push_back(advert);
    out_.add("advert prio=" + std::to_string(advert.priority));
    return {};
  }
  const vrrp::IpAddress& source_address() const override { return source_; }
  netlink::SocketCounters counters() const override { return {}; }
  void receive_pending() override {
    if (auto deliver = std::exchange(queued, nullptr)) deliver();
  }
  std::vector<vrrp::Advert> sent;
  std::function<void()> queued;  // a packet that arrived but waits in a read batch

 private:
  Transcript& out_;
  vrrp::IpAddress source_;
};

class FakeVips final : public netlink::VipTable {
 public:
  explicit FakeVips(Transcript& out) : out_(out) {}
  std::error_code add(const netlink::Vip& vip) override {
    if (held_.insert(key(vip)).second) out_.add("vip+ " + key(vip));
    return {};
  }
  std::error_code remove(const netlink::Vip& vip) override {
    if (held_.erase(key(vip))) out_.add("vip- " + key(vip));
    return {};
  }
  bool present(const netlink::Vip& vip, std::error_code* = nullptr) override {
    return held_.count(key(vip)) > 0;
  }
  // Someone else removes it, and no event tells the instance.
  void lose(const netlink::Vip& vip) { held_.erase(key(vip)); }
  bool holds(const netlink::Vip& vip) const { return held_.count(key(vip)) > 0; }

 private:
  static std::string key(const netlink::Vip& vip) {
    return netlink::to_string(vip) + " " + vip.device;
  }
  Transcript& out_;
  std::set<std::string> held_;
};

class FakeAnnouncer final : public AnnouncePort {
 public:
  explicit FakeAnnouncer(Transcript& out) : out_(out) {}
  std::error_code start(const std::vector<vrrp::IpAddress>& vips) override {
    std::string text;
    for (const auto& v : vips) text += (text.empty() ? "" : ",") + v.to_string();
    out_.add("announce " + text);
    return {};
  }
  void stop() override {}

 private:
  Transcript& out_;
};

// The Redis role controller's side. Answers promote() at once with `answer`, or holds it until
// answer_promotion() when `answer` is nullopt.
class FakeHooks final : public RoleHooks {
 public:
  explicit FakeHooks(Transcript& out) : out_(out) {}
  void promote(const std::optional<vrrp::IpAddress>& live_master, bool,
               std::function<void(bool, const std::string&)> done) override {
    out_.add("redis promote live=" + (live_master ? live_master->to_string() : "none"));
    if (answer) {
      done(*answer, *answer ? "" : "replica not in sync");
    } else {
      pending_ = std::move(done);
    }
  }
  void demoted(const std::optional<vrrp::IpAddress>& new_master) override {
    out_.add("redis demoted new=" + (new_master ? new_master->to_string() : "none"));
  }
  void master_seen(const vrrp::IpAddress& master, vrrp::Centiseconds) override {
    if (master == last_seen_) return;  // called for every advert: note changes only
    last_seen_ = master;
    out_.add("redis follows " + master.to_string());
  }
  // Every live advert, in any state (not in the transcript: one per advert).
  void advert_heard(const vrrp::IpAddress& router) override { heard.push_back(router); }
  std::vector<vrrp::IpAddress> heard;
  void answer_promotion(bool ok) {
    auto done = std::exchange(pending_, nullptr);
    REQUIRE(done);
    done(ok, ok ? "" : "replica not in sync");
  }
  std::optional<bool> answer = true;

 private:
  Transcript& out_;
  std::function<void(bool, const std::string&)> pending_;
  std::optional<vrrp::IpAddress> last_seen_;
};

// The other routers of the tests: a higher and a lower address than ours (10.0.0.5).
inline const vrrp::IpAddress kHigher = vrrp::IpAddress::v4(10, 0, 0, 6);
inline const vrrp::IpAddress kLower = vrrp::IpAddress::v4(10, 0, 0, 4);

// Only errors are logged while it lives (the instance logs every transition).
struct QuietLogs {
  QuietLogs() { set_log_level(Level::error); }
  ~QuietLogs() { set_log_level(Level::info); }
};

inline InstanceSettings golden_settings() {
  InstanceSettings s;
  s.name = "VI_1";
  s.interface = "eth0";
  s.vrid = 51;
  s.priority = 100;
  s.version = vrrp::Version::v3;
  s.advert_interval = vrrp::Centiseconds{10};  // master-down at priority 100: 360.9 ms
  s.vips.push_back(VirtualAddress{vrrp::IpAddress::v4(10, 0, 0, 100), 24, "", ""});
  return s;
}

class InstanceHarness {
 public:
  static inline const vrrp::IpAddress kUs = vrrp::IpAddress::v4(10, 0, 0, 5);
  static inline const vrrp::IpAddress kGroup = vrrp::IpAddress::v4(224, 0, 0, 18);

  explicit InstanceHarness(InstanceSettings settings = golden_settings(), bool with_redis = false)
      : vips(out), hooks(out) {
    auto timers = std::make_unique<FakeTimers>();
    auto adverts = std::make_unique<FakeAdverts>(out, kUs);
    timers_ = timers.get();
    adverts_ = adverts.get();
    out.now = &timers_->clock();
    InstancePorts ports;
    ports.adverts = std::move(adverts);
    ports.vips = &vips;
    ports.announcer = std::make_unique<FakeAnnouncer>(out);
    ports.timers = std::move(timers);
    ports.on_destroy = [this] { destroyed = true; };
    instance = std::make_unique<VrrpInstance>(std::move(settings), std::move(ports));
    if (with_redis) instance->set_hooks(&hooks);
  }

  void start() {
    step([&] { instance->start(); });
  }
  // Lets time pass to `ms` after t0, firing the timers due.
  void at(std::int64_t ms) {
    timers_->advance_to(kT0 + std::chrono::milliseconds(ms), [this] { note_state(); });
  }
  // An advert from `source` as it comes off the wire: encoded, decoded by the shared receive
  // path's checks, then given to the instance; `late`: it arrived that long before it is read.
  void advert_from(const vrrp::IpAddress& source, std::uint8_t priority,
                   vrrp::Centiseconds interval = vrrp::Centiseconds{10},
                   std::optional<std::string> password = std::nullopt,
                   std::chrono::milliseconds late = {}) {
    vrrp::Advert a;
    a.version = instance->settings().version;
    a.family = source.family;
    a.vrid = instance->settings().vrid;
    a.priority = priority;
    a.interval = interval;
    a.addresses.push_back(instance->settings().vips.at(0).address);
    if (password) {
      a.auth_type = vrrp::AuthType::simple_text;
      a.auth_data = vrrp::password_auth_data(*password);
    }
    const vrrp::IpMeta meta{source, kGroup, vrrp::kRequiredTtl};
    const auto bytes = vrrp::encode(a, source, kGroup);
    step([&] {
      instance->on_packet(vrrp::decode_shared(bytes, meta), meta, timers_->now() - late);
    });
  }
  // An advert that arrives now but is only read when the instance asks (receive_pending).
  void queue_advert_from(const vrrp::IpAddress& source, std::uint8_t priority) {
    const auto arrived = timers_->now();
    adverts_->queued = [this, source, priority, arrived] {
      const auto late =
          std::chrono::duration_cast<std::chrono::milliseconds>(timers_->now() - arrived);
      advert_from(source, priority, vrrp::Centiseconds{10}, std::nullopt, late);
    };
  }
  template <typename F>
  void step(F&& f) {
    f();
    note_state();
  }
  std::vector<std::string> take() { return out.take(); }
  netlink::Vip vip() const { return {instance->settings().vips.at(0).address, 24, "eth0", ""}; }
  FakeTimers& timers() { return *timers_; }
  FakeAdverts& adverts() { return *adverts_; }

  Transcript out;
  FakeVips vips;
  FakeHooks hooks;
  std::unique_ptr<VrrpInstance> instance;
  bool destroyed = false;

 private:
  void note_state() {
    const auto state = instance->state();
    if (state == noted_) return;
    noted_ = state;
    out.add("state " + std::string(vrrp::to_string(state)));
  }
  FakeTimers* timers_ = nullptr;
  FakeAdverts* adverts_ = nullptr;
  vrrp::State noted_ = vrrp::State::initialize;
};

}  // namespace redvip::agent::test
