// Every drop counter reaches both status JSON ("drops") and the metrics: what was refused
// because a peer, a packet or a Redis sent it.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "agent/control/status_report.hpp"

using namespace redvip::agent;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::vector<InstanceView> one_instance() {
  InstanceView v;
  v.vrrp.name = "VI_1";
  v.redis.present = true;
  v.redis.non_peer_adverts = 7;
  v.redis.last_non_peer = "10.0.0.66";
  return {v};
}

}  // namespace

TEST_CASE("status: adverts naming a non-peer master are in the JSON and the metrics", "[control]") {
  const auto views = one_instance();
  const std::string json = render_json(views);
  INFO(json);
  CHECK(contains(json, "\"redis_non_peer_adverts\":7,\"redis_last_non_peer\":\"10.0.0.66\""));
  const std::string metrics = render_prometheus(views);
  INFO(metrics);
  CHECK(contains(metrics, "# TYPE redvip_redis_non_peer_adverts_total counter\n"));
  CHECK(contains(metrics, "redvip_redis_non_peer_adverts_total{instance=\"VI_1\"} 7\n"));
}
