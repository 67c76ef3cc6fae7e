// keepalived's vrrp_sync_group, the state machine's part: a member held by its group (another
// member follows a better master) never becomes master on its own. Held in Master it releases;
// held in Backup, what would make it master only makes it want Master; released while it wants
// it, it takes over at once. The address owner is never held.
#include <catch2/catch.hpp>

#include "tests/unit/scenario.hpp"

using namespace redvip::vrrp;
using namespace redvip::vrrp::test;

// Priority 150, interval 100: skew 10600/256 = 41.4062; master-down 341.4062.

TEST_CASE("A held backup only wants Master when master-down runs out; released, it takes over",
          "[state_machine][sync]") {
  StateMachine m(config(Version::v3, 150));
  run(m, {
             {0, Startup{}, {moved(I, B), arm(kMasterDown, 341.4062)}, B},
             {10, sync_hold(true), {}, B},
             // Master-down stays armed: each expiry while held says "still ready".
             {342, fired(kMasterDown), {wants(true), arm(kMasterDown, 683.4062)}, B},
             {350, sync_hold(true), {}, B},  // unchanged: nothing
             {400,
              sync_hold(false),
              {moved(B, M, "master down timer expired (sync group ready)"), wants(false), send(150),
               take(), Announce{}, send(150), arm(kAdvert, 500), cancel(kMasterDown)},
              M},
         });
  CHECK_FALSE(m.wants_master());
}

TEST_CASE("A held backup that hears a master it accepts no longer wants Master",
          "[state_machine][sync]") {
  StateMachine m(config(Version::v3, 150));
  run(m, {
             {0, Startup{}, {moved(I, B), arm(kMasterDown, 341.4062)}, B},
             {10, sync_hold(true), {}, B},
             {342, fired(kMasterDown), {wants(true), arm(kMasterDown, 683.4062)}, B},
             {350,
              advert(kHigherAddress, 200),
              {arm(kMasterDown, 691.4062), follows(kHigherAddress), wants(false)},
              B},
             // The hold lifts, but the master is there: nothing to take over.
             {400, sync_hold(false), {}, B},
             {450, advert(kHigherAddress, 200), {arm(kMasterDown, 791.4062)}, B},
         });
}

TEST_CASE("A held master releases and waits in Backup; released, it preempts the lower master",
          "[state_machine][sync]") {
  StateMachine m(config(Version::v3, 150));
  m.handle(Startup{}, at(0));
  m.handle(TimerFired{kMasterDown}, at(342));
  REQUIRE(m.state() == M);
  run(m, {
             {450,
              sync_hold(true, "sync group G: VI_2 follows a better master"),
              {moved(M, B, "sync group G: VI_2 follows a better master"), cancel(kAdvert), send(0),
               ReleaseVips{}, arm(kMasterDown, 791.4062)},
              B},
             // The other node takes over this VRID with a lower priority: we would preempt it,
             // but the group holds us, so master-down runs out and we only want Master.
             {500,
              advert(kLowerAddress, 100),
              {drop(DropReason::lower_priority_ignored_in_backup), follows(kLowerAddress)},
              B},
             {792, fired(kMasterDown), {wants(true), arm(kMasterDown, 1133.4062)}, B},
             {800,
              advert(kLowerAddress, 100),
              {drop(DropReason::lower_priority_ignored_in_backup)},
              B},
             {850,
              sync_hold(false),
              {moved(B, M), wants(false), take(kLowerAddress), Announce{}, send(150),
               arm(kAdvert, 900), cancel(kMasterDown)},
              M},
         });
}

TEST_CASE("A held backup handed the service over only wants Master", "[state_machine][sync]") {
  StateMachine m(config(Version::v3, 150));
  run(m, {
             {0, Startup{}, {moved(I, B), arm(kMasterDown, 341.4062)}, B},
             {100,
              advert(kHigherAddress, 200),
              {arm(kMasterDown, 441.4062), follows(kHigherAddress)},
              B},
             {150, sync_hold(true), {}, B},
             {200, advert(kHigherAddress, 0), {arm(kMasterDown, 241.4062), follows_none()}, B},
             {210, HandedOver{kHigherAddress}, {wants(true), arm(kMasterDown, 551.4062)}, B},
         });
}

TEST_CASE("Leaving Backup forgets wanting Master", "[state_machine][sync]") {
  StateMachine m(config(Version::v3, 150));
  run(m, {
             {0, Startup{}, {moved(I, B), arm(kMasterDown, 341.4062)}, B},
             {10, sync_hold(true), {}, B},
             {342, fired(kMasterDown), {wants(true), arm(kMasterDown, 683.4062)}, B},
             {350,
              eligibility(false, "link eth0 down"),
              {moved(B, F), wants(false), cancel(kMasterDown)},
              F},
             // Eligible again: a full master-down wait, held as before.
             {400, eligibility(true), {moved(F, B), arm(kMasterDown, 741.4062)}, B},
         });
}

TEST_CASE("The address owner is never held", "[state_machine][sync]") {
  StateMachine m(config(Version::v3, kPriorityOwner));
  run(m, {
             {0,
              Startup{},
              {moved(I, M), send(255), take(), Announce{}, send(255), arm(kAdvert, 100)},
              M},
             {10, sync_hold(true), {}, M},
         });
  CHECK(m.held());
}

TEST_CASE("follows_master: a master accepted, not one about to be preempted nor a release",
          "[state_machine][sync]") {
  StateMachine m(config(Version::v3, 150));
  m.handle(Startup{}, at(0));
  CHECK_FALSE(m.follows_master());  // nobody heard yet
  m.handle(AdvertReceived{kHigherAddress, 200, Centiseconds{100}}, at(10));
  CHECK(m.follows_master());
  m.handle(AdvertReceived{kHigherAddress, 0, Centiseconds{100}}, at(20));
  CHECK_FALSE(m.follows_master());  // it released
  m.handle(AdvertReceived{kLowerAddress, 100, Centiseconds{100}}, at(30));
  CHECK_FALSE(m.follows_master());  // lower: we preempt it
  CHECK(m.master() == kLowerAddress);
  m.handle(TimerFired{kMasterDown}, at(400));
  REQUIRE(m.state() == M);
  m.handle(AdvertReceived{kHigherAddress, 200, Centiseconds{100}}, at(410));
  CHECK(m.follows_master());  // a master that yields to a better one follows it
}
