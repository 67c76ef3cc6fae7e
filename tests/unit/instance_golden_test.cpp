// Golden tests of a VrrpInstance with fake ports (instance_fakes.hpp): events in (adverts off
// the wire, timer expiries, Redis answers, lost address events, stop) -> adverts, VIP changes,
// announcements and Redis calls out, with their times.
#include <catch2/catch.hpp>

#include "instance_fakes.hpp"

using namespace redvip::agent;
using namespace redvip::agent::test;
using Lines = std::vector<std::string>;

TEST_CASE("golden: a backup takes over when the master goes silent", "[instance][golden]") {
  QuietLogs quiet;
  InstanceHarness h;
  h.start();
  for (int ms : {50, 150, 250}) {
    h.at(ms);
    h.advert_from(kHigher, 200);
  }
  h.at(1000);
  CHECK(h.take() == Lines{
                        "0 state BACKUP",
                        // master-down: 3 x 100 ms + skew (256 - 100) * 100 / 256 ms after 250 ms
                        "610 advert prio=100",
                        "610 vip+ 10.0.0.100/24 eth0",
                        "610 announce 10.0.0.100",
                        "610 advert prio=100",
                        "610 state MASTER",
                        // then every 100 ms on the 100 ms grid (vrrp::next_advert_time)
                        "700 advert prio=100",
                        "800 advert prio=100",
                        "900 advert prio=100",
                        "1000 advert prio=100",
                    });
  CHECK(h.instance->status().counters.adverts_received == 3);
  CHECK(h.instance->status().master == InstanceHarness::kUs);
}

TEST_CASE("golden: a release (priority 0) is a takeover from a live master", "[instance][golden]") {
  QuietLogs quiet;
  InstanceHarness h(golden_settings(), true);
  h.start();
  h.at(50);
  h.advert_from(kHigher, 200);
  h.at(150);
  h.advert_from(kHigher, 200);
  h.at(200);
  h.advert_from(kHigher, 0);
  h.at(400);
  CHECK(h.take() == Lines{
                        "0 state BACKUP",
                        "50 redis follows 10.0.0.6",
                        // after skew time (60 ms): the VRID claimed at once (it yielded
                        // already, and other backups must not take over too); its writes
                        // must reach us before the VIP
                        "260 advert prio=100",
                        "260 redis promote live=10.0.0.6",
                        "260 vip+ 10.0.0.100/24 eth0",
                        "260 announce 10.0.0.100",
                        "260 advert prio=100",
                        "260 state MASTER",
                        // 360: the grid point 300 is too soon, so half an interval on, and
                        // from there on the grid (vrrp::next_advert_time)
                        "310 advert prio=100",
                        "400 advert prio=100",
                    });
}

TEST_CASE("golden: preempting a lower master that still advertises", "[instance][golden]") {
  QuietLogs quiet;
  auto settings = golden_settings();
  settings.priority = 150;
  InstanceHarness h(settings, true);
  h.start();
  for (int ms : {50, 150, 250}) {
    h.at(ms);
    h.advert_from(kLower, 100);
  }
  h.at(345);
  CHECK(h.take() == Lines{
                        "0 state BACKUP",
                        "50 redis follows 10.0.0.4",
                        // its adverts are ignored: master-down (341.4 ms) runs out from startup
                        "341 redis promote live=10.0.0.4",
                        "341 vip+ 10.0.0.100/24 eth0",
                        "341 announce 10.0.0.100",
                        "341 advert prio=150",
                        "341 state MASTER",
                    });
  CHECK(h.instance->status().counters.dropped[static_cast<std::size_t>(
            redvip::vrrp::DropReason::lower_priority_ignored_in_backup)] == 3);
  // It answers the lower master at once (keepalived does the same).
  h.advert_from(kLower, 100);
  CHECK(h.take() == Lines{"345 advert prio=150"});
}

TEST_CASE("golden: a live advert reaches the hooks in any state, also during our promotion",
          "[instance][golden]") {
  // The Redis side must know that a master it takes over from as silent advertises again,
  // even one we would not follow (a lower priority while we are master).
  QuietLogs quiet;
  InstanceHarness h(golden_settings(), true);
  h.hooks.answer.reset();  // the promotion stays under way
  h.start();
  h.at(400);
  REQUIRE(h.take() == Lines{"0 state BACKUP", "360 advert prio=100", "360 redis promote live=none",
                            "360 state MASTER"});
  h.advert_from(kLower, 90);
  h.advert_from(kLower, 0);  // a release is no sign of life
  CHECK(h.hooks.heard == std::vector<redvip::vrrp::IpAddress>{kLower});
  h.hooks.answer_promotion(false);
}

TEST_CASE("golden: a failed promotion holds the node in Fault, then it tries again",
          "[instance][golden]") {
  QuietLogs quiet;
  InstanceHarness h(golden_settings(), true);
  h.hooks.answer = false;
  h.start();
  h.at(500);
  CHECK(h.take() == Lines{
                        "0 state BACKUP",
                        "360 advert prio=100",  // nobody was master: the VRID is claimed first
                        "360 redis promote live=none",
                        // the master entry is void: no VIP, no announcement; released at once
                        "360 advert prio=0",
                        "360 redis demoted new=none",
                        "360 state FAULT",
                    });
  CHECK(h.instance->status().not_eligible_because == "promotion: replica not in sync");
  CHECK_FALSE(h.vips.holds(h.vip()));
  h.hooks.answer = true;
  h.at(1800);
  CHECK(h.take() == Lines{
                        "1360 state BACKUP",  // one second later, as when eligible again
                        "1721 advert prio=100",
                        "1721 redis promote live=none",
                        "1721 vip+ 10.0.0.100/24 eth0",
                        "1721 announce 10.0.0.100",
                        "1721 advert prio=100",
                        "1721 state MASTER",
                        "1800 advert prio=100",
                    });
  CHECK(h.instance->status().not_eligible_because.empty());
}

TEST_CASE("golden: a promotion overtaken by a better master, then failing, touches no VIP",
          "[instance][golden]") {
  QuietLogs quiet;
  InstanceHarness h(golden_settings(), true);
  h.hooks.answer = std::nullopt;  // Redis answers later
  h.start();
  h.at(380);
  h.advert_from(kHigher, 200);
  h.at(390);
  h.step([&] { h.hooks.answer_promotion(false); });
  CHECK(h.take() == Lines{
                        "0 state BACKUP",
                        "360 advert prio=100",
                        "360 redis promote live=none",
                        "360 state MASTER",
                        "380 redis follows 10.0.0.6",
                        "380 state BACKUP",
                        // the failed entry is dropped; the step down after it still runs
                        "390 redis demoted new=10.0.0.6",
                    });
  CHECK(h.instance->state() == redvip::vrrp::State::backup);
}

TEST_CASE("golden: a VIP lost while address events were dropped is put back by the master",
          "[instance][golden]") {
  QuietLogs quiet;
  InstanceHarness h;
  h.start();
  h.step([&] { h.instance->recheck_vips(); });  // backup: holds nothing, adds nothing
  h.at(365);
  h.take();
  h.vips.lose(h.vip());
  h.step([&] { h.instance->recheck_vips(); });
  CHECK(h.take() == Lines{"365 vip+ 10.0.0.100/24 eth0"});
  h.step([&] { h.instance->recheck_vips(); });
  CHECK(h.take().empty());
}

TEST_CASE("golden: a master stops with a priority-0 advert and no VIP left", "[instance][golden]") {
  QuietLogs quiet;
  InstanceHarness h(golden_settings(), true);
  h.start();
  h.at(365);
  h.take();
  bool done = false;
  h.step([&] { h.instance->stop([&] { done = true; }); });
  CHECK(done);
  CHECK(h.take() == Lines{
                        "365 advert prio=0",
                        "365 vip- 10.0.0.100/24 eth0",
                        "365 redis demoted new=none",
                        "365 state INIT",
                    });
  h.at(2000);
  CHECK(h.take().empty());
  h.instance.reset();
  CHECK(h.destroyed);
}

TEST_CASE("golden: a higher priority master takes over from us", "[instance][golden]") {
  QuietLogs quiet;
  InstanceHarness h(golden_settings(), true);
  h.start();
  h.at(365);
  h.take();
  h.advert_from(kHigher, 200);
  CHECK(h.take() == Lines{
                        "365 vip- 10.0.0.100/24 eth0",
                        "365 advert prio=100",             // our last: the better master hears us
                        "365 redis demoted new=10.0.0.6",  // RoleHooks::split_brain's default
                        "365 redis follows 10.0.0.6",
                        "365 state BACKUP",
                    });
}

TEST_CASE("golden: v2 adverts carry the password; wrong ones are counted, not obeyed",
          "[instance][golden]") {
  QuietLogs quiet;
  auto settings = golden_settings();
  settings.version = redvip::vrrp::Version::v2;
  settings.advert_interval = redvip::vrrp::Centiseconds{100};
  settings.auth_password = "s3cret";
  InstanceHarness h(settings, true);
  h.start();
  const redvip::vrrp::Centiseconds second{100};
  h.at(100);
  h.advert_from(kHigher, 200, second, "wrong");
  h.advert_from(kHigher, 200, second);  // no authentication at all
  const auto rejected = h.instance->status().counters.rejected;
  CHECK(rejected[static_cast<std::size_t>(redvip::vrrp::Reject::auth_mismatch)] == 1);
  CHECK(rejected[static_cast<std::size_t>(redvip::vrrp::Reject::auth_type_mismatch)] == 1);
  h.advert_from(kHigher, 200, second, "s3cret");
  CHECK(h.instance->status().counters.adverts_received == 1);
  h.at(5000);
  CHECK(h.take() == Lines{
                        "0 state BACKUP",
                        "100 redis follows 10.0.0.6",
                        // master-down 3 s + skew 609.375 ms after the good advert
                        "3709 advert prio=100",
                        "3709 redis promote live=none",
                        "3709 vip+ 10.0.0.100/24 eth0",
                        "3709 announce 10.0.0.100",
                        "3709 advert prio=100",
                        "3709 state MASTER",
                        // 4709: the grid point 4000 is too soon, so half an interval on, and
                        // from there on the grid
                        "4209 advert prio=100",
                        "5000 advert prio=100",
                    });
  REQUIRE_FALSE(h.adverts().sent.empty());
  CHECK(h.adverts().sent.back().auth_type == redvip::vrrp::AuthType::simple_text);
  CHECK(h.adverts().sent.back().auth_data == redvip::vrrp::password_auth_data("s3cret"));
}

TEST_CASE("golden: an advert read late in a batch counts from its arrival", "[instance][golden]") {
  QuietLogs quiet;
  InstanceHarness h;
  h.start();
  h.at(50);
  h.advert_from(kHigher, 200);
  // Arrived at 100 ms, read at 104 ms: master-down runs from 100 ms (460 ms), not from 104.
  h.at(104);
  h.advert_from(kHigher, 200, redvip::vrrp::Centiseconds{10}, std::nullopt,
                std::chrono::milliseconds(4));
  h.at(500);
  CHECK(h.take() == Lines{"0 state BACKUP", "460 advert prio=100", "460 vip+ 10.0.0.100/24 eth0",
                          "460 announce 10.0.0.100", "460 advert prio=100", "460 state MASTER"});
}

TEST_CASE("golden: master-down reads the adverts waiting in a batch before it takes over",
          "[instance][golden]") {
  QuietLogs quiet;
  InstanceHarness h;
  h.start();
  h.at(50);
  h.advert_from(kHigher, 200);
  h.at(405);
  h.queue_advert_from(kHigher, 200);  // in time, but still in the kernel at 410 ms
  h.at(800);
  // The queued advert (arrived at 405 ms) re-armed master-down to 765.9 ms: no takeover at 410.
  CHECK(h.take() == Lines{"0 state BACKUP", "766 advert prio=100", "766 vip+ 10.0.0.100/24 eth0",
                          "766 announce 10.0.0.100", "766 advert prio=100", "766 state MASTER"});
}
