// The RFC 5798 / RFC 3768 state machine as scenario tables with a fake clock.
// Deadlines are worked out by hand: v3 or v2, priority 100, interval 100 cs gives
// skew 60 cs (15600/256 = 60.9) and master-down 360 cs.
#include <catch2/catch.hpp>

#include "tests/unit/scenario.hpp"

using namespace redvip::vrrp;
using namespace redvip::vrrp::test;

TEST_CASE("Backup times out after 3 * interval + skew and becomes master in order",
          "[state_machine]") {
  StateMachine m(config(Version::v3, 100));
  run(m, {
             {0, Startup{}, {moved(I, B, "startup"), arm(kMasterDown, 360.9375)}, B},
             // Early or foreign timer completions change nothing.
             {359, fired(kMasterDown), {}, B},
             {300, fired(kAdvert), {}, B},
             {361,
              fired(kMasterDown),
              {moved(B, M, "master down timer expired"), send(100), TakeVips{}, Announce{},
               send(100), arm(kAdvert, 411)},
              M},
             {461, fired(kAdvert), {send(100), arm(kAdvert, 511)}, M},
             // Timer firing late: the next advert is one interval after it actually fired (675),
             // the grid point 600 is too soon: half an interval on.
             {575, fired(kAdvert), {send(100), arm(kAdvert, 625)}, M},
             // The master_down completion is stale once master.
             {600, fired(kMasterDown), {}, M},
         });
}

TEST_CASE("The address owner goes straight to master at startup", "[state_machine]") {
  StateMachine m(config(Version::v3, 255));
  run(m, {
             {0,
              Startup{},
              {moved(I, M, "startup as address owner (priority 255)"), send(255), TakeVips{},
               Announce{}, send(255), arm(kAdvert, 100)},
              M},
             {10, Startup{}, {}, M},  // a second Startup is ignored
         });
  // v2 the same.
  StateMachine v2(config(Version::v2, 255, 300));
  run(v2, {{0,
            Startup{},
            {moved(I, M), send(255), TakeVips{}, Announce{}, send(255), arm(kAdvert, 300)},
            M}});
}

TEST_CASE("Backup adverts reset master-down from the time of receipt", "[state_machine]") {
  StateMachine m(config(Version::v3, 100));
  run(m, {
             {0, Startup{}, {moved(I, B), arm(kMasterDown, 360.9375)}, B},
             {100,
              advert(kHigherAddress, 150),
              {arm(kMasterDown, 460.9375), follows(kHigherAddress)},
              B},
             {190, advert(kHigherAddress, 150), {arm(kMasterDown, 550.9375)}, B},
             // The old deadline passes without firing: it was re-armed.
             {460, fired(kMasterDown), {}, B},
             // Equal priority from a lower address is accepted too (backup compares >=).
             {500,
              advert(kLowerAddress, 100),
              {arm(kMasterDown, 860.9375), follows(kLowerAddress)},
              B},
         });
}

TEST_CASE("v3 backup learns Master_Adver_Interval and recomputes master-down", "[state_machine]") {
  StateMachine m(config(Version::v3, 100));
  run(m, {
             {0, Startup{}, {moved(I, B), arm(kMasterDown, 360.9375)}, B},
             // 3 * 50 + 7800/256 (30.4687) = 180.4687.
             {100,
              advert(kHigherAddress, 150, 50),
              {arm(kMasterDown, 280.4687), follows(kHigherAddress)},
              B},
         });
  CHECK(m.master_adver_interval() == Centiseconds{50});
  run(m, {
             // Priority 0: master-down = skew only, from the learned interval (30.4687 cs).
             {150, advert(kHigherAddress, 0, 50), {arm(kMasterDown, 180.4687), follows_none()}, B},
             {181,
              fired(kMasterDown),
              // Our own adverts keep our configured interval. The releasing master is alive.
              {moved(B, M), send(100), take_released(kHigherAddress), Announce{}, send(100),
               arm(kAdvert, 231)},
              M},
         });
}

TEST_CASE("v2 drops an advert whose interval differs from ours (RFC 3768 7.1)", "[state_machine]") {
  StateMachine m(config(Version::v2, 100));
  run(m, {
             {0, Startup{}, {moved(I, B), arm(kMasterDown, 360.9375)}, B},
             {100, advert(kHigherAddress, 150, 200), {drop(DropReason::interval_mismatch)}, B},
             // v2 never learns: a matching advert uses our own interval.
             {150,
              advert(kHigherAddress, 150, 100),
              {arm(kMasterDown, 510.9375), follows(kHigherAddress)},
              B},
             {511,
              fired(kMasterDown),
              {moved(B, M), send(100), TakeVips{}, Announce{}, send(100), arm(kAdvert, 600)},
              M},
             // Even a higher priority cannot depose us with the wrong interval.
             {520, advert(kHigherAddress, 200, 300), {drop(DropReason::interval_mismatch)}, M},
             {530, advert(kHigherAddress, 0, 300), {drop(DropReason::interval_mismatch)}, M},
         });
  CHECK(m.master_adver_interval() == Centiseconds{100});
}

TEST_CASE("Backup hearing priority 0 takes over after skew time only", "[state_machine]") {
  auto c = config(Version::v3, 200);
  c.preempt = false;  // priority 0 is not preemption: nopreempt takes over as well
  StateMachine m(c);
  // Priority 200, interval 100: skew 5600/256 = 21; master-down 321.
  run(m, {
             {0, Startup{}, {moved(I, B), arm(kMasterDown, 321.875)}, B},
             {100,
              advert(kHigherAddress, 100),
              {arm(kMasterDown, 421.875), follows(kHigherAddress)},
              B},
             {150, advert(kHigherAddress, 0), {arm(kMasterDown, 171.875), follows_none()}, B},
             // The master that released is alive: its data must reach us first.
             {172,
              fired(kMasterDown),
              {moved(B, M), send(200), take_released(kHigherAddress), Announce{}, send(200),
               arm(kAdvert, 222)},
              M},
         });
}

TEST_CASE("Master steps down for a higher priority or an equal one from a higher address",
          "[state_machine]") {
  SECTION("higher priority, learning its interval") {
    StateMachine m(config(Version::v3, 100));
    run(m, {
               {0, Startup{}, {moved(I, B), arm(kMasterDown, 360.9375)}, B},
               {361,
                fired(kMasterDown),
                {moved(B, M), send(100), TakeVips{}, Announce{}, send(100), arm(kAdvert, 411)},
                M},
               // 3 * 200 + 156*200/256 (121.875) = 721.875 after receipt.
               {400,
                advert(kLowerAddress, 101, 200),
                {moved(M, B, "higher priority advert (101 from 10.0.0.4, ours 100)"),
                 cancel(kAdvert), ReleaseVips{}, last_advert(100),
                 SplitBrain{SplitBrain::Phase::we_yield, kLowerAddress, 101, Centiseconds{39}},
                 arm(kMasterDown, 1121.875), follows(kLowerAddress)},
                B},
               {461, fired(kAdvert), {}, B},  // cancelled: stale
           });
    CHECK(m.master_adver_interval() == Centiseconds{200});
  }
  SECTION("equal priority: the higher primary address wins") {
    StateMachine m(config(Version::v3, 100));
    run(m, {
               {0, Startup{}, {moved(I, B), arm(kMasterDown, 360.9375)}, B},
               {361,
                fired(kMasterDown),
                {moved(B, M), send(100), TakeVips{}, Announce{}, send(100), arm(kAdvert, 411)},
                M},
               // Lower address, equal priority: we stay and answer at once (keepalived).
               {400,
                advert(kLowerAddress, 100),
                {send(100), arm(kAdvert, 500),
                 SplitBrain{SplitBrain::Phase::heard, kLowerAddress, 100, {}}, Announce{}},
                M},
               {410,
                advert(kHigherAddress, 100),
                {moved(M, B), cancel(kAdvert), ReleaseVips{}, last_advert(100),
                 SplitBrain{SplitBrain::Phase::we_yield, kHigherAddress, 100, Centiseconds{49}},
                 arm(kMasterDown, 770.9375), follows(kHigherAddress)},
                B},
           });
  }
}

TEST_CASE("Master hearing a lower priority keeps the role and answers with an advert",
          "[state_machine]") {
  auto c = config(Version::v3, 150);
  StateMachine m(c);
  run(m, {
             {0, Startup{}, {moved(I, B), arm(kMasterDown, 341.4062)}, B},
             {342,
              fired(kMasterDown),
              {moved(B, M), send(150), TakeVips{}, Announce{}, send(150), arm(kAdvert, 400)},
              M},
             // keepalived 2.2.7 (measured): an immediate advert so the lower one steps down
             // now, and the next one a full interval later.
             // Two masters: a split brain, announced at once (state_machine_split_brain_test).
             {400,
              advert(kLowerAddress, 100),
              {send(150), arm(kAdvert, 500),
               SplitBrain{SplitBrain::Phase::heard, kLowerAddress, 100, {}}, Announce{}},
              M},
             {441, fired(kAdvert), {}, M},
             {500, fired(kAdvert), {send(150), arm(kAdvert, 600)}, M},
         });
  c.lower_prio_no_advert = true;  // the RFC's behaviour: discard silently
  StateMachine strict(c);
  run(strict, {
                  {0, Startup{}, {moved(I, B), arm(kMasterDown, 341.4062)}, B},
                  {342,
                   fired(kMasterDown),
                   {moved(B, M), send(150), TakeVips{}, Announce{}, send(150), arm(kAdvert, 400)},
                   M},
                  {400,
                   advert(kLowerAddress, 100),
                   {SplitBrain{SplitBrain::Phase::heard, kLowerAddress, 100, {}}, Announce{}},
                   M},
              });
}

TEST_CASE("Master hearing priority 0 sends an advert at once and restarts its advert timer",
          "[state_machine]") {
  StateMachine m(config(Version::v3, 100));
  run(m, {
             {0, Startup{}, {moved(I, B), arm(kMasterDown, 360.9375)}, B},
             {361,
              fired(kMasterDown),
              {moved(B, M), send(100), TakeVips{}, Announce{}, send(100), arm(kAdvert, 411)},
              M},
             {420, advert(kHigherAddress, 0), {send(100), arm(kAdvert, 500)}, M},
             {460, fired(kAdvert), {}, M},  // the old schedule is gone
             {520, fired(kAdvert), {send(100), arm(kAdvert, 600)}, M},
         });
}

TEST_CASE("Preempting backup ignores a lower-priority master and takes over on time",
          "[state_machine]") {
  // Priority 150, interval 100: skew 10600/256 = 41.4062; master-down 341.4062.
  StateMachine m(config(Version::v3, 150));
  run(m, {
             {0, Startup{}, {moved(I, B), arm(kMasterDown, 341.4062)}, B},
             // Until we take over, the lower master is still the one to replicate from.
             {100,
              advert(kHigherAddress, 100),
              {drop(DropReason::lower_priority_ignored_in_backup), follows(kHigherAddress)},
              B},
             {200,
              advert(kHigherAddress, 100),
              {drop(DropReason::lower_priority_ignored_in_backup)},
              B},
             {300,
              advert(kHigherAddress, 100, 50),
              {drop(DropReason::lower_priority_ignored_in_backup)},
              B},
             // The master we preempt still advertises: it is handed to the promotion.
             {342,
              fired(kMasterDown),
              {moved(B, M), take(kHigherAddress), Announce{}, send(150), arm(kAdvert, 400)},
              M},
         });
  // A discarded advert teaches nothing.
  CHECK(m.master_adver_interval() == Centiseconds{100});
}

TEST_CASE("nopreempt backup never takes over while a lower master advertises", "[state_machine]") {
  auto c = config(Version::v3, 150);
  c.preempt = false;
  StateMachine m(c);
  std::vector<Step> steps = {{0, Startup{}, {moved(I, B), arm(kMasterDown, 341.4062)}, B}};
  for (std::int64_t t = 100; t <= 2000; t += 100) {
    std::vector<Action> expect = {arm(kMasterDown, t + 341.4062)};
    if (t == 100) expect.push_back(follows(kHigherAddress));
    steps.push_back({t, advert(kHigherAddress, 1), expect, B});
    steps.push_back({t + 99, fired(kMasterDown), {}, B});
  }
  // The master goes quiet: take over 3 * interval + skew after its last advert.
  steps.push_back({2342,
                   fired(kMasterDown),
                   {moved(B, M), send(150), TakeVips{}, Announce{}, send(150), arm(kAdvert, 2400)},
                   M});
  run(m, steps);
}

TEST_CASE("preempt_delay: a lower master is tolerated for the delay, then preempted",
          "[state_machine]") {
  auto c = config(Version::v3, 150);
  c.preempt_delay = Centiseconds{500};
  StateMachine m(c);
  run(m, {
             {0, Startup{}, {moved(I, B), arm(kMasterDown, 341.4062)}, B},
             // First lower advert: accepted, and the delay starts.
             {100,
              advert(kHigherAddress, 100),
              {arm(kMasterDown, 441.4062), arm(kPreemptDelay, 600), follows(kHigherAddress)},
              B},
             {200, advert(kHigherAddress, 100), {arm(kMasterDown, 541.4062)}, B},
             {500, advert(kHigherAddress, 100), {arm(kMasterDown, 841.4062)}, B},
             {600, fired(kPreemptDelay), {}, B},
             {700,
              advert(kHigherAddress, 100),
              {drop(DropReason::lower_priority_ignored_in_backup)},
              B},
             {800,
              advert(kHigherAddress, 100),
              {drop(DropReason::lower_priority_ignored_in_backup)},
              B},
             {842,
              fired(kMasterDown),
              {moved(B, M), take(kHigherAddress), Announce{}, send(150), arm(kAdvert, 900)},
              M},
         });
}

TEST_CASE("preempt_delay stops when a master at least as good is heard, and restarts",
          "[state_machine]") {
  auto c = config(Version::v3, 150);
  c.preempt_delay = Centiseconds{500};
  StateMachine m(c);
  run(m, {
             {0, Startup{}, {moved(I, B), arm(kMasterDown, 341.4062)}, B},
             {100,
              advert(kHigherAddress, 100),
              {arm(kMasterDown, 441.4062), arm(kPreemptDelay, 600), follows(kHigherAddress)},
              B},
             {200,
              advert(kHigherAddress, 150),
              {arm(kMasterDown, 541.4062), cancel(kPreemptDelay)},
              B},
             {600, fired(kPreemptDelay), {}, B},  // cancelled: stale
             {700,
              advert(kHigherAddress, 100),
              {arm(kMasterDown, 1041.4062), arm(kPreemptDelay, 1200)},
              B},
             // The deadline passed but its timer event is late: the delay is over anyway.
             {1200,
              advert(kHigherAddress, 100),
              {cancel(kPreemptDelay), drop(DropReason::lower_priority_ignored_in_backup)},
              B},
             {1250, fired(kPreemptDelay), {}, B},
         });
}

TEST_CASE("preempt_delay timer is cancelled when the backup becomes master", "[state_machine]") {
  auto c = config(Version::v3, 150);
  c.preempt_delay = Centiseconds{500};
  StateMachine m(c);
  run(m, {
             {0, Startup{}, {moved(I, B), arm(kMasterDown, 341.4062)}, B},
             {100,
              advert(kHigherAddress, 100),
              {arm(kMasterDown, 441.4062), arm(kPreemptDelay, 600), follows(kHigherAddress)},
              B},
             // The lower master dies before the delay ends.
             {442,
              fired(kMasterDown),
              {moved(B, M), send(150), TakeVips{}, Announce{}, send(150), arm(kAdvert, 500),
               cancel(kPreemptDelay)},
              M},
             {600, fired(kPreemptDelay), {}, M},
         });
}

TEST_CASE("state MASTER on a non-owner starts like any backup (keepalived 2.2.7, measured)",
          "[state_machine]") {
  auto c = config(Version::v3, 100);
  c.start_as_master = true;
  SECTION("nobody answers: master after the full 3 * interval + skew") {
    StateMachine m(c);
    run(m, {
               {0, Startup{}, {moved(I, B, "startup"), arm(kMasterDown, 360.9375)}, B},
               {100, fired(kMasterDown), {}, B},
               {361,
                fired(kMasterDown),
                {moved(B, M), send(100), TakeVips{}, Announce{}, send(100), arm(kAdvert, 411)},
                M},
           });
  }
  SECTION("it overrides nopreempt and preempt_delay, as keepalived does at load time") {
    c.preempt = false;
    c.preempt_delay = Centiseconds{1000};
    StateMachine m(c);
    CHECK(m.config().preempt);
    CHECK(m.config().preempt_delay == Centiseconds{0});
    run(m, {
               {0, Startup{}, {moved(I, B), arm(kMasterDown, 360.9375)}, B},
               {50,
                advert(kHigherAddress, 50),
                {drop(DropReason::lower_priority_ignored_in_backup), follows(kHigherAddress)},
                B},
           });
  }
  SECTION("on the owner it is the owner's immediate start") {
    c.priority = 255;
    StateMachine m(c);
    run(m, {{0,
             Startup{},
             {moved(I, M), send(255), TakeVips{}, Announce{}, send(255), arm(kAdvert, 100)},
             M}});
  }
}

TEST_CASE("Shutdown releases as master and stops timers in every state", "[state_machine]") {
  SECTION("master: priority-0 advert, VIPs released, Initialize; it can start again") {
    StateMachine m(config(Version::v3, 255));
    run(m,
        {
            {0,
             Startup{},
             {moved(I, M), send(255), TakeVips{}, Announce{}, send(255), arm(kAdvert, 100)},
             M},
            {50, Shutdown{}, {moved(M, I, "shutdown"), cancel(kAdvert), send(0), ReleaseVips{}}, I},
            {100, fired(kAdvert), {}, I},
            {120, advert(kHigherAddress, 100), {drop(DropReason::not_active)}, I},
            {150, Shutdown{}, {}, I},
            // Heard 80 cs ago: a live master, which the owner preempts.
            {200,
             Startup{},
             {moved(I, M), take(kHigherAddress), Announce{}, send(255), arm(kAdvert, 300)},
             M},
        });
  }
  SECTION("backup: timers cancelled, nothing sent") {
    auto c = config(Version::v3, 150);
    c.preempt_delay = Centiseconds{500};
    StateMachine m(c);
    run(m, {
               {0, Startup{}, {moved(I, B), arm(kMasterDown, 341.4062)}, B},
               {100,
                advert(kHigherAddress, 100),
                {arm(kMasterDown, 441.4062), arm(kPreemptDelay, 600), follows(kHigherAddress)},
                B},
               {200, Shutdown{}, {moved(B, I), cancel(kMasterDown), cancel(kPreemptDelay)}, I},
               {441, fired(kMasterDown), {}, I},
           });
  }
  SECTION("initialize: nothing to do") {
    StateMachine m(config(Version::v3, 100));
    run(m, {{0, Shutdown{}, {}, I}});
  }
}

TEST_CASE("Not eligible puts the instance in Fault; eligible again returns to backup",
          "[state_machine]") {
  SECTION("from master: release with a priority-0 advert") {
    StateMachine m(config(Version::v3, 100));
    run(m,
        {
            {0, Startup{}, {moved(I, B), arm(kMasterDown, 360.9375)}, B},
            {361,
             fired(kMasterDown),
             {moved(B, M), send(100), TakeVips{}, Announce{}, send(100), arm(kAdvert, 411)},
             M},
            {400,
             eligibility(false, "redis down"),
             {moved(M, F, "not eligible: redis down"), cancel(kAdvert), send(0), ReleaseVips{}},
             F},
            {460, fired(kAdvert), {}, F},
            {470, advert(kHigherAddress, 100), {drop(DropReason::not_active)}, F},
            {480, priority_change(120), {}, F},
            // Priority 120 now: 300 + 13600/256 (53.125) = 353.125.
            {500, eligibility(true), {moved(F, B, "eligible again"), arm(kMasterDown, 853.125)}, B},
        });
  }
}
