// What the state machine tells the agent about a takeover (is the previous master alive?) and
// how it answers a promotion the agent could not complete (Fault, then a retry).
#include <catch2/catch.hpp>

#include "tests/unit/scenario.hpp"

using namespace redvip::vrrp;
using namespace redvip::vrrp::test;

TEST_CASE("TakeVips names no live master after the master went silent",
          "[state_machine][promotion]") {
  StateMachine m(config(Version::v3, 100));
  run(m,
      {
          {0, Startup{}, {moved(I, B), arm(kMasterDown, 360.9375)}, B},
          {100,
           advert(kHigherAddress, 200),
           {arm(kMasterDown, 460.9375), follows(kHigherAddress)},
           B},
          {461,
           fired(kMasterDown),
           {moved(B, M), send(100), take(std::nullopt), Announce{}, send(100), arm(kAdvert, 511)},
           M},
      });
}

TEST_CASE("TakeVips names a master heard within two intervals, in any state",
          "[state_machine][promotion]") {
  // The owner leaving Fault preempts whoever took over meanwhile: that master is alive.
  StateMachine m(config(Version::v3, 255));
  run(m, {
             {0, eligibility(false, "link down"), {}, I},
             {0, Startup{}, {moved(I, F)}, F},
             {100, advert(kLowerAddress, 100), {drop(DropReason::not_active)}, F},
             {250, advert(kLowerAddress, 100), {drop(DropReason::not_active)}, F},
             {300,
              eligibility(true),
              {moved(F, M), take(kLowerAddress), Announce{}, send(255), arm(kAdvert, 400)},
              M},
         });
  StateMachine late(config(Version::v3, 255));
  run(late,
      {
          {0, eligibility(false, "link down"), {}, I},
          {0, Startup{}, {moved(I, F)}, F},
          {100, advert(kLowerAddress, 100), {drop(DropReason::not_active)}, F},
          {300,
           eligibility(true),
           {moved(F, M), send(255), take(std::nullopt), Announce{}, send(255), arm(kAdvert, 400)},
           M},
      });
}

TEST_CASE("A failed promotion holds the machine in Fault for promotion_retry, then it tries again",
          "[state_machine][promotion]") {
  StateMachine m(config(Version::v3, 100));
  run(m, {
             {0, Startup{}, {moved(I, B), arm(kMasterDown, 360.9375)}, B},
             {361,
              fired(kMasterDown),
              {moved(B, M), send(100), take(), Announce{}, send(100), arm(kAdvert, 411)},
              M},
             {370,
              promotion_failed("redis down"),
              {moved(M, F, "promotion failed: redis down"), cancel(kAdvert), send(0), ReleaseVips{},
               arm(kPromotionRetry, 470)},
              F},
             // Eligibility coming and going changes nothing while the retry waits.
             {380, eligibility(false, "redis unhealthy"), {}, F},
             {390, eligibility(true), {}, F},
             {400, advert(kHigherAddress, 200), {drop(DropReason::not_active)}, F},
             {470,
              fired(kPromotionRetry),
              {moved(F, B, "eligible again"), arm(kMasterDown, 830.9375)},
              B},
         });
  CHECK(m.promotion_failure().empty());
}

TEST_CASE("A promotion failure reported too late changes nothing", "[state_machine][promotion]") {
  StateMachine m(config(Version::v3, 100));
  run(m, {
             {0, Startup{}, {moved(I, B), arm(kMasterDown, 360.9375)}, B},
             {100, promotion_failed("stale"), {}, B},
         });
}

TEST_CASE("The retry keeps a node that is not eligible in Fault; shutdown cancels it",
          "[state_machine][promotion]") {
  StateMachine m(config(Version::v3, 100));
  run(m, {
             {0, Startup{}, {moved(I, B), arm(kMasterDown, 360.9375)}, B},
             {361,
              fired(kMasterDown),
              {moved(B, M), send(100), take(), Announce{}, send(100), arm(kAdvert, 411)},
              M},
             {370,
              promotion_failed(""),
              {moved(M, F), cancel(kAdvert), send(0), ReleaseVips{}, arm(kPromotionRetry, 470)},
              F},
             {380, eligibility(false, "redis unhealthy"), {}, F},
             {470, fired(kPromotionRetry), {}, F},
             {480, eligibility(true), {moved(F, B), arm(kMasterDown, 840.9375)}, B},
             {490, fired(kMasterDown), {}, B},
         });
  StateMachine s(config(Version::v3, 100));
  run(s, {
             {0, Startup{}, {moved(I, B), arm(kMasterDown, 360.9375)}, B},
             {361,
              fired(kMasterDown),
              {moved(B, M), send(100), take(), Announce{}, send(100), arm(kAdvert, 411)},
              M},
             {370,
              promotion_failed("x"),
              {moved(M, F), cancel(kAdvert), send(0), ReleaseVips{}, arm(kPromotionRetry, 470)},
              F},
             {380, Shutdown{}, {moved(F, I), cancel(kPromotionRetry)}, I},
         });
}
