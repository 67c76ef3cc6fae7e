// Eligibility, priority changes, dropped adverts and configuration of the state machine.
#include <catch2/catch.hpp>

#include "tests/unit/scenario.hpp"

using namespace redvip::vrrp;
using namespace redvip::vrrp::test;

TEST_CASE("Fault from backup cancels its timers; leaving Fault forgets the learned interval",
          "[state_machine][eligibility]") {
  StateMachine m(config(Version::v3, 100));
  run(m, {
             {0, Startup{}, {moved(I, B), arm(kMasterDown, 360.9375)}, B},
             {100,
              advert(kHigherAddress, 200, 50),
              {arm(kMasterDown, 280.4687), follows(kHigherAddress)},
              B},
             {150,
              eligibility(false, "link down"),
              {moved(B, F, "not eligible: link down"), cancel(kMasterDown)},
              F},
             {280, fired(kMasterDown), {}, F},
             // A second cause while already in Fault: no action, only the reason.
             {290, eligibility(false, "redis down"), {}, F},
             // Back with our own interval: 3 * 100 + 60.9375.
             {300, eligibility(true), {moved(F, B), arm(kMasterDown, 660.9375)}, B},
             {310, eligibility(true), {}, B},
         });
  CHECK(m.master_adver_interval() == Centiseconds{100});
}

TEST_CASE("The address owner leaves Fault straight to master", "[state_machine][eligibility]") {
  StateMachine m(config(Version::v3, 255));
  run(m, {
             {0,
              Startup{},
              {moved(I, M), send(255), TakeVips{}, Announce{}, send(255), arm(kAdvert, 100)},
              M},
             {50,
              eligibility(false, "link down"),
              {moved(M, F), cancel(kAdvert), send(0), ReleaseVips{}},
              F},
             {70,
              eligibility(true),
              {moved(F, M, "eligible again as address owner"), send(255), TakeVips{}, Announce{},
               send(255), arm(kAdvert, 120)},
              M},
         });
}

TEST_CASE("Not eligible before Startup starts in Fault", "[state_machine][eligibility]") {
  StateMachine m(config(Version::v3, 255));
  run(m, {
             {0, eligibility(false, "redis not synced"), {}, I},
             {10, Startup{}, {moved(I, F, "startup while not eligible: redis not synced")}, F},
             {20, fired(kAdvert), {}, F},
             {30, Shutdown{}, {moved(F, I, "shutdown")}, I},
         });
  CHECK_FALSE(m.eligible());
}

TEST_CASE("A master keeps its role after lowering its priority until a better advert",
          "[state_machine][priority]") {
  StateMachine m(config(Version::v3, 100));
  run(m, {
             {0, Startup{}, {moved(I, B), arm(kMasterDown, 360.9375)}, B},
             {361,
              fired(kMasterDown),
              {moved(B, M), send(100), TakeVips{}, Announce{}, send(100), arm(kAdvert, 411)},
              M},
             {400, priority_change(50), {}, M},
             {461, fired(kAdvert), {send(50), arm(kAdvert, 511)}, M},
             // 80 was lower than us before; now it is higher. 3*100 + 206*100/256 (80.47) = 380.47.
             {500,
              advert(kHigherAddress, 80),
              {moved(M, B, "higher priority advert (80 from 10.0.0.6, ours 50)"), cancel(kAdvert),
               ReleaseVips{}, last_advert(50),
               SplitBrain{SplitBrain::Phase::we_yield, kHigherAddress, 80, Centiseconds{139}},
               arm(kMasterDown, 880.4687), follows(kHigherAddress)},
              B},
         });
  CHECK(m.effective_priority() == 50);
}

TEST_CASE("A backup's priority change moves its master-down deadline by the skew difference",
          "[state_machine][priority]") {
  StateMachine m(config(Version::v3, 100));
  run(m, {
             {0, Startup{}, {moved(I, B), arm(kMasterDown, 360.9375)}, B},
             // Skew 60.9375 -> 21.875 (5600/256): 360.9375 - 60.9375 + 21.875.
             {100, priority_change(200), {arm(kMasterDown, 321.875)}, B},
             {150, priority_change(200), {}, B},
             // Back down to 1: skew 99.6093 (25500/256): 321.875 - 21.875 + 99.6093.
             {200, priority_change(1), {arm(kMasterDown, 399.6093)}, B},
         });
}

TEST_CASE("A backup raised above a preempting master's priority takes over",
          "[state_machine][priority]") {
  StateMachine m(config(Version::v3, 100));
  run(m, {
             {0, Startup{}, {moved(I, B), arm(kMasterDown, 360.9375)}, B},
             {100,
              advert(kHigherAddress, 120),
              {arm(kMasterDown, 460.9375), follows(kHigherAddress)},
              B},
             // Skew 60.9375 -> 49.2187 (12600/256).
             {150, priority_change(130), {arm(kMasterDown, 449.2187)}, B},
             {200,
              advert(kHigherAddress, 120),
              {drop(DropReason::lower_priority_ignored_in_backup)},
              B},
             {450,
              fired(kMasterDown),
              {moved(B, M), send(130), TakeVips{}, Announce{}, send(130), arm(kAdvert, 500)},
              M},
         });
}

TEST_CASE("Effective priority is clamped to 1..254 and the owner's never changes",
          "[state_machine][priority]") {
  StateMachine m(config(Version::v3, 100));
  m.handle(priority_change(0), at(0));
  CHECK(m.effective_priority() == 1);
  m.handle(priority_change(255), at(0));
  CHECK(m.effective_priority() == 254);

  StateMachine owner(config(Version::v3, 255));
  run(owner, {
                 {0,
                  Startup{},
                  {moved(I, M), send(255), TakeVips{}, Announce{}, send(255), arm(kAdvert, 100)},
                  M},
                 {10, priority_change(10), {}, M},
                 {100, fired(kAdvert), {send(255), arm(kAdvert, 200)}, M},
             });
  CHECK(owner.effective_priority() == 255);
}

TEST_CASE("Adverts that cannot be used are dropped with a reason", "[state_machine][drop]") {
  StateMachine m(config(Version::v3, 100));
  run(m, {
             {0, advert(kHigherAddress, 200), {drop(DropReason::not_active)}, I},
             {0, Startup{}, {moved(I, B), arm(kMasterDown, 360.9375)}, B},
             {100, advert(kUs, 200), {drop(DropReason::own_address)}, B},
             {110, advert(kHigherAddress, 200, 0), {drop(DropReason::interval_invalid)}, B},
             {120, advert(kHigherAddress, 200, 4096), {drop(DropReason::interval_invalid)}, B},
             {361,
              fired(kMasterDown),
              {moved(B, M), send(100), TakeVips{}, Announce{}, send(100), arm(kAdvert, 411)},
              M},
             {400, advert(kUs, 200), {drop(DropReason::own_address)}, M},
             {410, advert(kHigherAddress, 200, 0), {drop(DropReason::interval_invalid)}, M},
         });
  CHECK(m.master_adver_interval() == Centiseconds{100});
  CHECK(to_string(DropReason::interval_mismatch) == "interval_mismatch");
  CHECK(to_string(DropReason::not_active) == "not_active");
}

TEST_CASE("The machine clamps a configuration it cannot run", "[state_machine][config]") {
  StateMachine zero(config(Version::v3, 0));
  CHECK(zero.effective_priority() == 1);
  StateMachine fractional_v2(config(Version::v2, 100, 150));
  CHECK(fractional_v2.config().advert_interval == Centiseconds{100});
  StateMachine huge_v3(config(Version::v3, 100, 9000));
  CHECK(huge_v3.config().advert_interval == Centiseconds{4095});
  auto nopreempt_owner = config(Version::v3, 255);
  nopreempt_owner.preempt = false;
  CHECK(StateMachine(nopreempt_owner).config().preempt);
  auto delay_without_preempt = config(Version::v3, 100);
  delay_without_preempt.preempt = false;
  delay_without_preempt.preempt_delay = Centiseconds{300};
  CHECK(StateMachine(delay_without_preempt).config().preempt_delay == Centiseconds{0});
}
