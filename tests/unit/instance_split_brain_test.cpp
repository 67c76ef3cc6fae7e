// A VrrpInstance in a split brain (fake ports): the keeper announces the VIPs at once and
// counts it; the yielder removes the VIPs, sends its last advert, follows and counts it.
#include <catch2/catch.hpp>

#include "agent/control/status_report.hpp"
#include "instance_fakes.hpp"

using namespace redvip::agent;
using namespace redvip::agent::test;
using Lines = std::vector<std::string>;

TEST_CASE("split brain: the keeper answers and announces at once, counted once",
          "[instance][split_brain]") {
  QuietLogs quiet;
  InstanceHarness h(golden_settings(), true);
  h.start();
  h.at(361);  // master-down 360.9 ms: master
  h.take();
  h.at(400);
  h.advert_from(kLower, 90);
  h.at(420);
  h.advert_from(kLower, 90);
  CHECK(h.take() == Lines{
                        "400 advert prio=100",
                        "400 announce 10.0.0.100",
                        "420 advert prio=100",
                    });
  CHECK(h.instance->status().counters.split_brains == 1);
  CHECK(h.instance->state() == redvip::vrrp::State::master);
  CHECK(h.vips.holds(h.vip()));
}

TEST_CASE("split brain: the yielder removes the VIPs, then sends its last advert, counted once",
          "[instance][split_brain]") {
  QuietLogs quiet;
  InstanceHarness h(golden_settings(), true);
  h.start();
  h.at(361);  // master-down 360.9 ms: master
  h.take();
  h.at(5000);
  h.take();
  h.advert_from(kHigher, 150);
  CHECK(h.take() == Lines{
                        "5000 vip- 10.0.0.100/24 eth0",
                        "5000 advert prio=100",
                        "5000 redis demoted new=10.0.0.6",
                        "5000 redis follows 10.0.0.6",
                        "5000 state BACKUP",
                    });
  CHECK(h.instance->status().counters.split_brains == 1);
  CHECK_FALSE(h.vips.holds(h.vip()));
}

TEST_CASE("split brain: a yield before the promotion completed sends no last advert",
          "[instance][split_brain]") {
  QuietLogs quiet;
  InstanceHarness h(golden_settings(), true);
  h.hooks.answer = std::nullopt;  // Redis answers later
  h.start();
  h.at(380);
  h.advert_from(kHigher, 200);
  h.at(390);
  h.step([&] { h.hooks.answer_promotion(false); });
  // Only the claim sent before the promotion (nobody was master), no last advert at the yield.
  for (const auto& line : h.take()) {
    if (line != "360 advert prio=100") CHECK(line.find("advert") == std::string::npos);
  }
}

TEST_CASE("split brain: each one counts in status and in redvip_split_brains_total",
          "[instance][split_brain][control]") {
  QuietLogs quiet;
  InstanceHarness h(golden_settings(), true);
  h.start();
  h.at(361);  // master-down 360.9 ms: master
  auto metric = [&] {
    const std::vector<InstanceView> views{InstanceView{h.instance->status(), {}}};
    const std::string metrics = render_prometheus(views);
    INFO(metrics);
    CHECK(metrics.find("# TYPE redvip_split_brains_total counter\n") != std::string::npos);
    const std::string name = "redvip_split_brains_total{instance=\"VI_1\"} ";
    const auto at = metrics.find(name);
    REQUIRE(at != std::string::npos);
    return metrics.substr(at + name.size(), metrics.find('\n', at) - at - name.size());
  };
  CHECK(metric() == "0");
  h.at(400);
  h.advert_from(kLower, 90);  // we keep the VIP: counted once, however long it lasts
  h.at(420);
  h.advert_from(kLower, 90);
  CHECK(metric() == "1");
  h.at(5000);
  h.advert_from(kHigher, 150);  // a second one, which we yield
  CHECK(metric() == "2");
  const std::vector<InstanceView> views{InstanceView{h.instance->status(), {}}};
  CHECK(render_text(views).find(" split brains 2") != std::string::npos);
  CHECK(render_json(views).find("\"split_brains\":2") != std::string::npos);
}
