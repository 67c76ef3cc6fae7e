// Several state machines on a simulated LAN with a fake clock: elections, failover times,
// preemption; plus random event storms that check the invariants the daemon relies on.
#include <catch2/catch.hpp>

#include <map>
#include <queue>
#include <random>

#include "tests/unit/scenario.hpp"

using namespace redvip::vrrp;
using namespace redvip::vrrp::test;

namespace {

// What the daemon can rely on after every handle(): the actions tell it everything.
struct Observer {
  State state = State::initialize;
  bool vips = false;
  std::optional<IpAddress> master;
  bool wants = false;  // WantsMaster, as told
  std::array<std::optional<TimePoint>, kTimerKindCount> timers{};

  void apply(const std::vector<Action>& actions, const StateMachine& machine) {
    bool left_master = false;  // a master yielding to a better one sends one last advert
    for (std::size_t i = 0; i < actions.size(); ++i) {
      const auto& action = actions[i];
      INFO("action " << i << " of " << describe(actions));
      if (const auto* t = std::get_if<Transition>(&action)) {
        REQUIRE(i == 0);  // a state change starts with its Transition
        REQUIRE(t->from == state);
        REQUIRE(t->from != t->to);
        left_master = t->from == State::master && t->to == State::backup;
        state = t->to;
        master.reset();
      } else if (std::holds_alternative<TakeVips>(action)) {
        REQUIRE_FALSE(vips);
        vips = true;
      } else if (std::holds_alternative<ReleaseVips>(action)) {
        REQUIRE(vips);
        vips = false;
      } else if (const auto* a = std::get_if<ArmTimer>(&action)) {
        timers[static_cast<std::size_t>(a->timer)] = a->deadline;
      } else if (const auto* c = std::get_if<CancelTimer>(&action)) {
        REQUIRE(timers[static_cast<std::size_t>(c->timer)]);
        timers[static_cast<std::size_t>(c->timer)].reset();
      } else if (const auto* mc = std::get_if<MasterChanged>(&action)) {
        REQUIRE(state == State::backup);
        REQUIRE(mc->master != master);
        master = mc->master;
      } else if (const auto* w = std::get_if<WantsMaster>(&action)) {
        REQUIRE(w->wants != wants);
        wants = w->wants;
        if (wants) REQUIRE(state == State::backup);
      } else if (const auto* s = std::get_if<SendAdvert>(&action)) {
        // Only a master advertises, except the priority-0 release on the way out and the
        // last advert of a master yielding to a better one (split brain).
        REQUIRE((state == State::master || s->priority == kPriorityRelease || left_master));
      }
    }
    REQUIRE(state == machine.state());
    REQUIRE(vips == (state == State::master));
    REQUIRE(master == machine.master());
    REQUIRE(wants == machine.wants_master());
    for (std::size_t k = 0; k < kTimerKindCount; ++k) {
      INFO("timer " << to_string(static_cast<TimerKind>(k)));
      REQUIRE(timers[k] == machine.timer_deadline(static_cast<TimerKind>(k)));
    }
    REQUIRE(timers[0].has_value() == (state == State::master));
    REQUIRE(timers[1].has_value() == (state == State::backup));
    if (timers[2]) REQUIRE(state == State::backup);
  }

  // A fired timer the machine honoured is no longer armed.
  void fired(TimerKind timer, TimePoint now) {
    auto& deadline = timers[static_cast<std::size_t>(timer)];
    if (deadline && now >= *deadline) deadline.reset();
  }
};

struct Node {
  IpAddress address;
  StateMachine machine;
  Observer observer;
  bool running = true;  // false: crashed, hears and sends nothing
  std::vector<std::pair<std::int64_t, State>> history;
};

// Discrete-event LAN: adverts reach every other running node after `latency`; every
// ArmTimer schedules a TimerFired, and cancelled or re-armed ones are delivered anyway,
// as a careless daemon would: the machine must ignore the stale ones.
class Lan {
 public:
  explicit Lan(std::int64_t latency) : latency_(latency) {}

  Node& add(InstanceConfig c, IpAddress address) {
    c.primary_address = address;
    nodes_.push_back(Node{address, StateMachine(c), {}, true, {}});
    return nodes_.back();
  }
  Node& node(std::size_t i) { return nodes_[i]; }

  void at(std::int64_t time, std::size_t node, Event event) {
    queue_.push({time, seq_++, node, std::move(event)});
  }

  void run_until(std::int64_t end) {
    while (!queue_.empty() && queue_.top().time <= end) {
      auto item = queue_.top();
      queue_.pop();
      deliver(item);
    }
  }

 private:
  struct Item {
    std::int64_t time;
    std::uint64_t seq;
    std::size_t node;
    Event event;
    bool operator>(const Item& other) const {
      return std::tie(time, seq) > std::tie(other.time, other.seq);
    }
  };

  void deliver(const Item& item) {
    auto& n = nodes_[item.node];
    const bool control =
        std::holds_alternative<Startup>(item.event) || std::holds_alternative<Shutdown>(item.event);
    if (!n.running && !control) return;
    if (control) n.running = std::holds_alternative<Startup>(item.event);
    const auto now = test::at(item.time);
    if (const auto* f = std::get_if<TimerFired>(&item.event)) n.observer.fired(f->timer, now);
    const auto actions = n.machine.handle(item.event, now);
    n.observer.apply(actions, n.machine);
    for (const auto& action : actions) {
      if (const auto* t = std::get_if<Transition>(&action)) {
        n.history.emplace_back(item.time, t->to);
      } else if (const auto* a = std::get_if<ArmTimer>(&action)) {
        // Whole centiseconds, rounded up: a skew has fractions, and a timer never fires early.
        const auto when = std::chrono::ceil<Centiseconds>(a->deadline - t0).count();
        at(when, item.node, TimerFired{a->timer});
      } else if (const auto* s = std::get_if<SendAdvert>(&action)) {
        for (std::size_t other = 0; other < nodes_.size(); ++other) {
          if (other == item.node) continue;
          at(item.time + latency_, other,
             AdvertReceived{n.address, s->priority, n.machine.config().advert_interval});
        }
      }
    }
  }

  std::int64_t latency_;
  std::deque<Node> nodes_;
  std::priority_queue<Item, std::vector<Item>, std::greater<>> queue_;
  std::uint64_t seq_ = 0;
};

bool ever_master(const Node& n) {
  for (const auto& [time, state] : n.history) {
    if (state == State::master) return true;
  }
  return false;
}

std::int64_t became_master_at(const Node& n, std::int64_t after) {
  for (const auto& [time, state] : n.history) {
    if (state == State::master && time >= after) return time;
  }
  return -1;
}

const IpAddress kA = IpAddress::v4(10, 0, 0, 1);
const IpAddress kB = IpAddress::v4(10, 0, 0, 2);
const IpAddress kC = IpAddress::v4(10, 0, 0, 3);

}  // namespace

TEST_CASE("Two nodes: the higher priority wins, fails over on crash and on release",
          "[state_machine][simulation]") {
  Lan lan(1);
  // Timers fire at whole centiseconds here, rounded up.
  auto& a = lan.add(config(Version::v3, 150), kA);  // master-down 341.41: 342
  auto& b = lan.add(config(Version::v3, 100), kB);  // master-down 360.94: 361
  lan.at(0, 0, Startup{});
  lan.at(0, 1, Startup{});
  lan.run_until(1000);
  CHECK(became_master_at(a, 0) == 342);
  CHECK_FALSE(ever_master(b));
  CHECK(b.machine.master() == kA);

  SECTION("crash: B takes over 3 * interval + skew after A's last advert arrived") {
    // A advertises at 342, then on the interval grid (vrrp/timers.hpp) at 400, 500, ...,
    // 1000; the last reaches B at 1001. Crash: A sends nothing.
    a.running = false;
    lan.run_until(5000);
    CHECK(became_master_at(b, 1000) == 1001 + 361);
  }
  SECTION("shutdown: B takes over skew time after the priority-0 advert") {
    lan.at(1000, 0, Shutdown{});
    lan.run_until(5000);
    CHECK(became_master_at(b, 1000) == 1001 + 61);  // skew 60.94
    CHECK(a.machine.state() == State::initialize);
  }
  SECTION("A comes back and preempts; B steps down one latency later") {
    lan.at(1000, 0, Shutdown{});
    lan.at(2000, 0, Startup{});
    lan.run_until(5000);
    CHECK(became_master_at(a, 2000) == 2342);  // B's lower adverts were ignored
    CHECK(a.machine.state() == State::master);
    CHECK(b.machine.state() == State::backup);
    CHECK(b.history.back() == std::pair<std::int64_t, State>{2343, State::backup});
    CHECK(b.machine.master() == kA);
    CHECK_FALSE(a.machine.master());
  }
}

TEST_CASE("nopreempt: a returning higher priority waits as backup", "[state_machine][simulation]") {
  Lan lan(1);
  auto ca = config(Version::v3, 150);
  ca.preempt = false;
  auto& a = lan.add(ca, kA);
  auto& b = lan.add(config(Version::v3, 100), kB);
  lan.at(0, 1, Startup{});
  lan.at(1000, 0, Startup{});
  lan.run_until(10000);
  CHECK(became_master_at(b, 0) == 361);
  CHECK_FALSE(ever_master(a));
  CHECK(b.machine.state() == State::master);
}

TEST_CASE("Equal priorities started together converge on the higher address",
          "[state_machine][simulation]") {
  Lan lan(1);
  auto& a = lan.add(config(Version::v3, 100), kA);
  auto& b = lan.add(config(Version::v3, 100), kB);
  lan.at(0, 0, Startup{});
  lan.at(0, 1, Startup{});
  lan.run_until(3000);
  // Both time out together at 361 (360.94 rounded up) and both become master; A hears B's
  // equal-priority advert from a higher address and steps down one latency later.
  CHECK(became_master_at(a, 0) == 361);
  CHECK(became_master_at(b, 0) == 361);
  CHECK(a.machine.state() == State::backup);
  CHECK(b.machine.state() == State::master);
  CHECK(a.history.back() == std::pair<std::int64_t, State>{362, State::backup});
}

TEST_CASE("Three v3 nodes at 100 ms: the next priority takes over, the lowest never does",
          "[state_machine][simulation]") {
  Lan lan(1);
  auto& a = lan.add(config(Version::v3, 200, 10), kA);  // master-down 30 + 2.19: 33
  auto& b = lan.add(config(Version::v3, 150, 10), kB);  // 30 + 4.14
  auto& c = lan.add(config(Version::v3, 100, 10), kC);  // 30 + 6.09
  for (std::size_t i = 0; i < 3; ++i) lan.at(0, i, Startup{});
  lan.run_until(500);
  CHECK(became_master_at(a, 0) == 33);
  a.running = false;  // A's last advert, on the 10 cs grid at 500, reaches the others at 501
  lan.run_until(2000);
  CHECK(became_master_at(b, 500) == 501 + 35);  // 535.14, rounded up
  CHECK_FALSE(ever_master(c));
}

TEST_CASE("Random event storms keep the daemon's view consistent", "[state_machine][property]") {
  for (std::uint32_t seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
    auto c = config(pick(2) ? Version::v3 : Version::v2, static_cast<std::uint8_t>(1 + pick(255)));
    c.preempt = pick(2);
    c.preempt_delay = Centiseconds{pick(2) * 300};
    c.start_as_master = pick(4) == 0;
    c.lower_prio_no_advert = pick(2);
    StateMachine machine(c);
    Observer observer;
    std::int64_t now = 0;
    INFO("seed " << seed);
    for (int step = 0; step < 3000; ++step) {
      now += pick(150);
      Event event;
      switch (pick(10)) {
        case 0:
          event = Startup{};
          break;
        case 1:
          event = pick(10) == 0 ? Event{Shutdown{}} : Event{Startup{}};
          break;
        case 2:
        case 3:
          event = fired(static_cast<TimerKind>(pick(3)));
          break;
        case 4: {
          // Fire exactly at an armed deadline, as a real timer does.
          const auto kind = static_cast<TimerKind>(pick(3));
          if (auto d = machine.timer_deadline(kind); d && *d >= test::at(now)) {
            now = std::chrono::duration_cast<Centiseconds>(*d - t0).count();
          }
          event = fired(kind);
          break;
        }
        case 5:
        case 6: {
          const std::int64_t intervals[] = {0, 50, 100, 200, 5000};
          const IpAddress sources[] = {kLowerAddress, kHigherAddress, kUs};
          event =
              advert(sources[pick(3)], static_cast<std::uint8_t>(pick(256)), intervals[pick(5)]);
          break;
        }
        case 7:
          event = eligibility(pick(3) != 0, "cause");
          break;
        case 8:
          event = sync_hold(pick(2) == 0);
          break;
        default:
          event = priority_change(static_cast<std::uint8_t>(pick(256)));
          break;
      }
      INFO("step " << step << " event #" << event.index());
      if (const auto* f = std::get_if<TimerFired>(&event)) observer.fired(f->timer, test::at(now));
      observer.apply(machine.handle(event, test::at(now)), machine);
      REQUIRE(machine.effective_priority() >= 1);
      REQUIRE(machine.master_adver_interval() > Centiseconds{0});
      // A sync group's hold keeps everyone but the address owner out of Master; only a
      // backup wants it.
      if (machine.held() && c.priority != kPriorityOwner) REQUIRE(machine.state() != State::master);
      if (machine.wants_master()) REQUIRE(machine.state() == State::backup);
    }
  }
}
