// The direct hand-off: a master that hands its service to a successor (HandOver) releases at
// once and stays Backup without preempting it back; the successor, told by its service right
// after the release (HandedOver), takes over without the skew wait. Anything late or foreign
// leaves the RFC's timers in charge.
#include <catch2/catch.hpp>

#include "tests/unit/scenario.hpp"

using namespace redvip::vrrp;
using namespace redvip::vrrp::test;

namespace {

// Priority 150, interval 100: skew 10600/256 = 41.4062; master-down 341.4062.
StateMachine master_at_360(std::uint8_t priority = 150) {
  StateMachine m(config(Version::v3, priority));
  m.handle(Startup{}, at(0));
  m.handle(TimerFired{kMasterDown}, at(400));
  REQUIRE(m.state() == M);
  return m;
}
}  // namespace

TEST_CASE("HandOver releases with priority 0, follows the successor and arms master-down",
          "[state_machine][handover]") {
  StateMachine m = master_at_360();
  run(m, {
             {450,
              HandOver{kLowerAddress},
              {moved(M, B, "handed over to 10.0.0.4"), cancel(kAdvert), send(0),
               follows(kLowerAddress), ReleaseVips{}, arm(kMasterDown, 791.4062)},
              B},
             // The successor advertises with a lower priority: followed, not preempted.
             {460, advert(kLowerAddress, 100), {arm(kMasterDown, 801.4062)}, B},
             {560, advert(kLowerAddress, 100), {arm(kMasterDown, 901.4062)}, B},
         });
  CHECK(m.handed_over());
  CHECK(m.master() == kLowerAddress);
}

TEST_CASE("After a handover the old master takes over again only when the successor goes silent",
          "[state_machine][handover]") {
  StateMachine m = master_at_360();
  run(m, {
             {450,
              HandOver{kLowerAddress},
              {moved(M, B), cancel(kAdvert), send(0), follows(kLowerAddress), ReleaseVips{},
               arm(kMasterDown, 791.4062)},
              B},
             {500, advert(kLowerAddress, 100), {arm(kMasterDown, 841.4062)}, B},
             {842,
              fired(kMasterDown),
              {moved(B, M, "master down timer expired"), send(150), take(), Announce{}, send(150),
               arm(kAdvert, 900)},
              M},
         });
  // Master again: the next time a lower master shows up, preemption applies as before.
  CHECK_FALSE(m.handed_over());
}

TEST_CASE("HandOver outside Master does nothing", "[state_machine][handover]") {
  StateMachine m(config(Version::v3, 150));
  run(m, {
             {0, HandOver{kLowerAddress}, {}, I},
             {10, Startup{}, {moved(I, B), arm(kMasterDown, 351.4062)}, B},  // 10 + 341.4062
             {20, HandOver{kLowerAddress}, {}, B},
         });
  CHECK_FALSE(m.handed_over());
}

TEST_CASE("HandedOver right after the master's release takes over at once",
          "[state_machine][handover]") {
  StateMachine m(config(Version::v3, 100));
  run(m, {
             {0, Startup{}, {moved(I, B), arm(kMasterDown, 360.9375)}, B},
             {100,
              advert(kHigherAddress, 150),
              {arm(kMasterDown, 460.9375), follows(kHigherAddress)},
              B},
             {150, advert(kHigherAddress, 0), {arm(kMasterDown, 210.9375), follows_none()}, B},
             // Our service says it is master now: no skew wait; the releasing master is alive.
             {151,
              HandedOver{kHigherAddress},
              {moved(B, M, "handed over by 10.0.0.6"), send(100), take_released(kHigherAddress),
               Announce{}, send(100), arm(kAdvert, 201), cancel(kMasterDown)},
              M},
             {210, fired(kMasterDown), {}, M},  // cancelled: stale
         });
  CHECK_FALSE(m.released_by());
}

TEST_CASE("HandedOver is ignored when it is late, foreign or without a release",
          "[state_machine][handover]") {
  SECTION("no release heard") {
    StateMachine m(config(Version::v3, 100));
    run(m, {
               {0, Startup{}, {moved(I, B), arm(kMasterDown, 360.9375)}, B},
               {100,
                advert(kHigherAddress, 150),
                {arm(kMasterDown, 460.9375), follows(kHigherAddress)},
                B},
               {110, HandedOver{kHigherAddress}, {}, B},
           });
  }
  SECTION("from another router than the one that released") {
    StateMachine m(config(Version::v3, 100));
    run(m, {
               {0, Startup{}, {moved(I, B), arm(kMasterDown, 360.9375)}, B},
               {100,
                advert(kHigherAddress, 150),
                {arm(kMasterDown, 460.9375), follows(kHigherAddress)},
                B},
               {150, advert(kHigherAddress, 0), {arm(kMasterDown, 210.9375), follows_none()}, B},
               {151, HandedOver{kLowerAddress}, {}, B},
           });
    CHECK(m.released_by() == kHigherAddress);
  }
  SECTION("another master advertised since the release") {
    StateMachine m(config(Version::v3, 100));
    run(m, {
               {0, Startup{}, {moved(I, B), arm(kMasterDown, 360.9375)}, B},
               {100,
                advert(kHigherAddress, 150),
                {arm(kMasterDown, 460.9375), follows(kHigherAddress)},
                B},
               {150, advert(kHigherAddress, 0), {arm(kMasterDown, 210.9375), follows_none()}, B},
               {160,
                advert(kLowerAddress, 120),
                {arm(kMasterDown, 520.9375), follows(kLowerAddress)},
                B},
               {161, HandedOver{kHigherAddress}, {}, B},
           });
    CHECK_FALSE(m.released_by());
  }
  SECTION("after we already took over by the skew timer") {
    StateMachine m(config(Version::v3, 100));
    run(m, {
               {0, Startup{}, {moved(I, B), arm(kMasterDown, 360.9375)}, B},
               {100,
                advert(kHigherAddress, 150),
                {arm(kMasterDown, 460.9375), follows(kHigherAddress)},
                B},
               {150, advert(kHigherAddress, 0), {arm(kMasterDown, 210.9375), follows_none()}, B},
               {211,
                fired(kMasterDown),
                {moved(B, M), send(100), take_released(kHigherAddress), Announce{}, send(100),
                 arm(kAdvert, 300)},
                M},
               {211, HandedOver{kHigherAddress}, {}, M},
           });
  }
}

TEST_CASE("A shutdown master's release is followed by the successor's HandedOver as well",
          "[state_machine][handover]") {
  // SIGTERM uses the same path: Shutdown sends priority 0; the successor acts on HandedOver.
  StateMachine m(config(Version::v3, 100));
  run(m, {
             {0, Startup{}, {moved(I, B), arm(kMasterDown, 360.9375)}, B},
             {100,
              advert(kHigherAddress, 150),
              {arm(kMasterDown, 460.9375), follows(kHigherAddress)},
              B},
             {300, advert(kHigherAddress, 0), {arm(kMasterDown, 360.9375), follows_none()}, B},
             {300,
              HandedOver{kHigherAddress},
              {moved(B, M), send(100), take_released(kHigherAddress), Announce{}, send(100),
               arm(kAdvert, 400), cancel(kMasterDown)},
              M},
         });
}

TEST_CASE("After a handover a short Fault does not let the old master preempt the successor",
          "[state_machine][handover]") {
  StateMachine m = master_at_360();
  run(m, {
             {450,
              HandOver{kLowerAddress},
              {moved(M, B), cancel(kAdvert), send(0), follows(kLowerAddress), ReleaseVips{},
               arm(kMasterDown, 791.4062)},
              B},
             {451,
              eligibility(false, "redis sync"),
              {moved(B, State::fault), cancel(kMasterDown)},
              State::fault},
             {455, eligibility(true), {moved(State::fault, B), arm(kMasterDown, 796.4062)}, B},
             // The successor's lower-priority advert is followed, not ignored.
             {460,
              advert(kLowerAddress, 100),
              {arm(kMasterDown, 801.4062), follows(kLowerAddress)},
              B},
         });
  CHECK(m.handed_over());
}
