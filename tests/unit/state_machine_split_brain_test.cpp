// Two masters at once (a partition heals, two backups time out together): the better one
// answers and announces the VIPs at once, the other yields with a last advert so the better one
// hears it whichever advert crossed first, and both report the split brain once.
#include <catch2/catch.hpp>

#include <algorithm>

#include "tests/unit/scenario.hpp"

using namespace redvip::vrrp;
using namespace redvip::vrrp::test;

namespace {

Action split(SplitBrain::Phase phase, const IpAddress& other, std::uint8_t priority,
             std::int64_t centiseconds = 0) {
  return SplitBrain{phase, other, priority, Centiseconds{centiseconds}};
}
constexpr auto kHeard = SplitBrain::Phase::heard;
constexpr auto kItYielded = SplitBrain::Phase::it_yielded;
constexpr auto kWeYield = SplitBrain::Phase::we_yield;

template <class A>
std::size_t count_of(const std::vector<Action>& actions) {
  return static_cast<std::size_t>(
      std::count_if(actions.begin(), actions.end(),
                    [](const Action& a) { return std::holds_alternative<A>(a); }));
}

// The adverts a machine sends, as its peer receives them.
std::vector<Event> adverts_out(const std::vector<Action>& actions, const StateMachine& from) {
  std::vector<Event> out;
  for (const auto& action : actions) {
    if (const auto* s = std::get_if<SendAdvert>(&action)) {
      out.push_back(AdvertReceived{from.config().primary_address, s->priority,
                                   from.config().advert_interval});
    }
  }
  return out;
}

}  // namespace

TEST_CASE("Split brain, keeper: answers, announces once, reports when the other goes silent",
          "[state_machine][split_brain]") {
  StateMachine m(config(Version::v3, 150));
  run(m, {
             {0, Startup{}, {moved(I, B), arm(kMasterDown, 341.4062)}, B},
             {342,
              fired(kMasterDown),
              {moved(B, M), send(150), TakeVips{}, Announce{}, send(150), arm(kAdvert, 400)},
              M},
             // The partition heals: a lower master advertises. Clients that followed its
             // gratuitous ARP must come back now: an advert and an announcement.
             {400,
              advert(kLowerAddress, 100),
              {send(150), arm(kAdvert, 500), split(kHeard, kLowerAddress, 100), Announce{}},
              M},
             // Still heard: answered, not announced or reported again.
             {450, advert(kLowerAddress, 100), {send(150), arm(kAdvert, 500)}, M},
             {550, fired(kAdvert), {send(150), arm(kAdvert, 600)}, M},
             // Two intervals without its advert: it yielded, 50 cs after we first heard it.
             {650,
              fired(kAdvert),
              {send(150), arm(kAdvert, 700), split(kItYielded, kLowerAddress, 100, 50)},
              M},
             {750, fired(kAdvert), {send(150), arm(kAdvert, 800)}, M},
             // A new split later is a new episode.
             {800,
              advert(kLowerAddress, 100),
              {send(150), arm(kAdvert, 900), split(kHeard, kLowerAddress, 100), Announce{}},
              M},
         });
}

TEST_CASE("Split brain, keeper with lower_prio_no_advert: silent, but still announces",
          "[state_machine][split_brain]") {
  auto c = config(Version::v3, 150);
  c.lower_prio_no_advert = true;
  StateMachine m(c);
  run(m, {
             {0, Startup{}, {moved(I, B), arm(kMasterDown, 341.4062)}, B},
             {342,
              fired(kMasterDown),
              {moved(B, M), send(150), TakeVips{}, Announce{}, send(150), arm(kAdvert, 400)},
              M},
             {400, advert(kLowerAddress, 100), {split(kHeard, kLowerAddress, 100), Announce{}}, M},
             {420, advert(kLowerAddress, 100), {}, M},
         });
}

TEST_CASE("Split brain, yielder: VIPs off, one last advert, reports how long it was master",
          "[state_machine][split_brain]") {
  StateMachine m(config(Version::v3, 100));
  run(m, {
             {0, Startup{}, {moved(I, B), arm(kMasterDown, 360.9375)}, B},
             {361,
              fired(kMasterDown),
              {moved(B, M), send(100), TakeVips{}, Announce{}, send(100), arm(kAdvert, 411)},
              M},
             {860,
              advert(kHigherAddress, 150),
              {moved(M, B), cancel(kAdvert), ReleaseVips{}, last_advert(100),
               split(kWeYield, kHigherAddress, 150, 499), arm(kMasterDown, 1220.9375),
               follows(kHigherAddress)},
              B},
         });
}

TEST_CASE("A preemption is no split brain for the node that preempts",
          "[state_machine][split_brain]") {
  StateMachine m(config(Version::v3, 150));
  run(m, {
             {0, Startup{}, {moved(I, B), arm(kMasterDown, 341.4062)}, B},
             {100,
              advert(kLowerAddress, 100),
              {drop(DropReason::lower_priority_ignored_in_backup), follows(kLowerAddress)},
              B},
             {200,
              advert(kLowerAddress, 100),
              {drop(DropReason::lower_priority_ignored_in_backup)},
              B},
             {342,
              fired(kMasterDown),
              {moved(B, M), take(kLowerAddress), Announce{}, send(150), arm(kAdvert, 400)},
              M},
             // The master we took over from knowingly advertises until it hears us.
             {350, advert(kLowerAddress, 100), {send(150), arm(kAdvert, 400)}, M},
             // Someone else is a split brain all the same.
             {360,
              advert(kHigherAddress, 90),
              {send(150), arm(kAdvert, 410), split(kHeard, kHigherAddress, 90), Announce{}},
              M},
             {460, fired(kAdvert), {send(150), arm(kAdvert, 510)}, M},
             // Two intervals without the preempted master's advert: it yielded. When it
             // advertises as master again (a later split), that is a split brain.
             {560,
              fired(kAdvert),
              {send(150), arm(kAdvert, 610), split(kItYielded, kHigherAddress, 90, 0)},
              M},
             {600,
              advert(kLowerAddress, 100),
              {send(150), arm(kAdvert, 700), split(kHeard, kLowerAddress, 100), Announce{}},
              M},
         });
}

TEST_CASE("Split brain heal: the keeper announces whichever advert crosses first",
          "[state_machine][split_brain]") {
  auto ca = config(Version::v3, 150);
  ca.primary_address = kHigherAddress;
  auto cb = config(Version::v3, 100);
  cb.primary_address = kLowerAddress;
  StateMachine a(ca);
  StateMachine b(cb);
  // Partitioned: both time out and become master.
  a.handle(Startup{}, at(0));
  b.handle(Startup{}, at(0));
  a.handle(fired(kMasterDown), at(342));
  b.handle(fired(kMasterDown), at(361));
  REQUIRE(a.state() == M);
  REQUIRE(b.state() == M);

  std::vector<Action> a_actions;
  std::vector<Action> b_actions;
  SECTION("A's advert reaches B first: B's last advert tells A") {
    const auto b_out = b.handle(advert(kHigherAddress, 150), at(1000));
    CHECK(b.state() == B);
    CHECK(count_of<SplitBrain>(b_out) == 1);
    for (const auto& e : adverts_out(b_out, b)) {
      const auto out = a.handle(e, at(1001));
      a_actions.insert(a_actions.end(), out.begin(), out.end());
    }
  }
  SECTION("B's advert reaches A first: A answers and announces, B yields") {
    const auto a_out = a.handle(advert(kLowerAddress, 100), at(1000));
    a_actions.insert(a_actions.end(), a_out.begin(), a_out.end());
    for (const auto& e : adverts_out(a_out, a)) {
      b_actions = b.handle(e, at(1001));
      CHECK(b.state() == B);
      // B's last advert reaches A: known already, answered, not announced again.
      for (const auto& back : adverts_out(b_actions, b)) {
        const auto out = a.handle(back, at(1002));
        a_actions.insert(a_actions.end(), out.begin(), out.end());
      }
    }
    CHECK(count_of<SplitBrain>(b_actions) == 1);
  }
  CHECK(a.state() == M);
  CHECK(count_of<Announce>(a_actions) == 1);
  CHECK(count_of<SplitBrain>(a_actions) == 1);
  CHECK(count_of<ReleaseVips>(a_actions) == 0);
}
