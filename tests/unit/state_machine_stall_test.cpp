// A host that froze (HostResumed): a backup whose master-down runs out within the master's advert
// interval of the resume gives the master that interval to speak first, once per silence.
#include <catch2/catch.hpp>

#include "tests/unit/scenario.hpp"

using namespace redvip::vrrp;
using namespace redvip::vrrp::test;

namespace {
// Backup following kHigherAddress (priority 200, 1 s adverts): master-down 3 s + skew 0.609 s.
const Step kStarted{0, Startup{}, {moved(I, B), arm(kMasterDown, 360.9375)}, B};
const Step kFollowing{
    100, advert(kHigherAddress, 200), {arm(kMasterDown, 460.9375), follows(kHigherAddress)}, B};
// Frozen 2.8 s: master-down (460.94) would run out before the master, frozen with us, could send
// its overdue advert. It moves to the resume + 1 s (the master's interval).
const Step kStalled{400, resumed(280), {arm(kMasterDown, 500), deferred(280, 100)}, B};
}  // namespace

TEST_CASE("A stall just before master-down gives the master one interval, then takes over",
          "[state_machine][stall]") {
  StateMachine m(config(Version::v3, 100));
  run(m, {
             kStarted,
             kFollowing,
             kStalled,
             {461, fired(kMasterDown), {}, B},  // the old deadline: stale
             {470, resumed(50), {}, B},         // once per silence: a dead master stays dead
             {500,
              fired(kMasterDown),
              {moved(B, M, "master down timer expired"), send(100), take(), Announce{}, send(100),
               arm(kAdvert, 600)},
              M},
         });
}

TEST_CASE("The master heard after a stall: no takeover, and the next stall defers again",
          "[state_machine][stall]") {
  StateMachine m(config(Version::v3, 100));
  run(m, {
             kStarted,
             kFollowing,
             kStalled,
             {402, advert(kHigherAddress, 200), {arm(kMasterDown, 762.9375)}, B},
             {700, resumed(290), {arm(kMasterDown, 800), deferred(290, 100)}, B},
             {705, advert(kHigherAddress, 200), {arm(kMasterDown, 1065.9375)}, B},
         });
}

TEST_CASE("A stall moves nothing when master-down is further off than one interval",
          "[state_machine][stall]") {
  StateMachine m(config(Version::v3, 100));
  run(m, {
             kStarted,
             kFollowing,
             {200, resumed(90), {}, B},  // 460.94 >= 200 + 100
             {361, resumed(90), {arm(kMasterDown, 461), deferred(90, 100)}, B},
         });
}

TEST_CASE("A stall changes nothing for a master, in Fault, or after the master released",
          "[state_machine][stall]") {
  SECTION("master") {
    StateMachine m(config(Version::v3, 100));
    run(m, {
               kStarted,
               {361,
                fired(kMasterDown),
                {moved(B, M), send(100), take(), Announce{}, send(100), arm(kAdvert, 411)},
                M},
               {500, resumed(100), {}, M},
           });
  }
  SECTION("fault") {
    StateMachine m(config(Version::v3, 100));
    run(m, {
               kStarted,
               {50, eligibility(false, "link down"), {moved(B, F), cancel(kMasterDown)}, F},
               {300, resumed(200), {}, F},
           });
  }
  SECTION("released: the backups take over after their skew, stall or not") {
    StateMachine m(config(Version::v3, 100));
    run(m, {
               kStarted,
               kFollowing,
               {200, advert(kHigherAddress, 0), {arm(kMasterDown, 260.9375), follows_none()}, B},
               {250, resumed(100), {}, B},
               {261,
                fired(kMasterDown),
                {moved(B, M), send(100), take_released(kHigherAddress), Announce{}, send(100),
                 arm(kAdvert, 311)},
                M},
           });
  }
}
