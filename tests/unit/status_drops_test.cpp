// Every drop counter reaches both status JSON ("drops") and the metrics: what was refused
// because a peer, a packet or a Redis sent it.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "agent/control/status_report.hpp"

using namespace redvip::agent;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::vector<InstanceView> one_instance() {
  InstanceView v;
  v.vrrp.name = "VI_1";
  v.redis.present = true;
  v.redis.non_peer_adverts = 7;
  v.redis.last_non_peer = "10.0.0.66";
  v.vrrp.counters.rejected[static_cast<std::size_t>(redvip::vrrp::Reject::bad_checksum)] = 3;
  v.vrrp.counters.dropped[static_cast<std::size_t>(redvip::vrrp::DropReason::interval_mismatch)] =
      4;
  v.vrrp.socket.dropped_non_peer = 5;
  v.vrrp.socket.send_errors = 6;
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

TEST_CASE("status: rejects, drops and the receive paths' counters are in the JSON and the metrics",
          "[control]") {
  const auto views = one_instance();
  redvip::netlink::ReceiverCounters paths;
  paths.paths = 1;
  paths.unclaimed = 11;
  paths.dropped_non_peer = 12;
  paths.dropped_short_ip = 13;
  paths.dropped_oversized = 14;
  paths.receive_errors = 15;
  paths.rejected[static_cast<std::size_t>(redvip::vrrp::Reject::bad_checksum)] = 16;
  const std::string json = render_json(views, paths);
  INFO(json);
  CHECK(contains(json, "\"bad_checksum\":3"));
  CHECK(contains(json, "\"interval_mismatch\":4"));
  CHECK(contains(json, "\"non_peer\":5,\"send_errors\":6"));
  CHECK(contains(json,
                 "\"receive_paths\":{\"paths\":1,\"unclaimed\":11,\"dropped_non_peer\":12,"
                 "\"dropped_short_ip\":13,\"dropped_oversized\":14,\"receive_errors\":15,"));
  CHECK(contains(json, "\"bad_checksum\":16"));
  const std::string metrics = render_prometheus(views, paths);
  INFO(metrics);
  CHECK(contains(metrics, "redvip_advert_send_errors_total{instance=\"VI_1\"} 6\n"));
  CHECK(contains(metrics, "redvip_receive_path_dropped_total{reason=\"short_ip\"} 13\n"));
  CHECK(contains(metrics, "redvip_receive_path_dropped_total{reason=\"oversized\"} 14\n"));
  CHECK(contains(metrics, "redvip_receive_path_dropped_total{reason=\"receive_error\"} 15\n"));
  CHECK(contains(metrics, "redvip_receive_path_dropped_total{reason=\"unclaimed\"} 11\n"));
  CHECK(contains(metrics, "redvip_receive_path_rejected_total{reason=\"bad_checksum\"} 16\n"));
}

TEST_CASE("status: writes held for a silent redis peer are in the text, the JSON and the metrics",
          "[control]") {
  auto views = one_instance();
  views[0].redis.peer_loss_pauses = 2;
  views[0].redis.writes_held_for_silent_peer = true;
  const std::string text = render_text(views);
  INFO(text);
  CHECK(contains(text, "(writes held: a redis peer is silent, peer_loss_pause)"));
  const std::string json = render_json(views);
  INFO(json);
  CHECK(contains(json, "\"peer_loss_pauses\":2,\"writes_held_for_silent_peer\":true"));
  const std::string metrics = render_prometheus(views);
  INFO(metrics);
  CHECK(contains(metrics, "# TYPE redvip_redis_peer_loss_pauses_total counter\n"));
  CHECK(contains(metrics, "redvip_redis_peer_loss_pauses_total{instance=\"VI_1\"} 2\n"));
}

TEST_CASE("status: stalled replication streams restarted are in the JSON and the metrics",
          "[control]") {
  auto views = one_instance();
  views[0].redis.stalled_streams_restarted = 3;
  const std::string json = render_json(views);
  INFO(json);
  CHECK(contains(json, "\"stalled_streams_restarted\":3"));
  const std::string metrics = render_prometheus(views);
  INFO(metrics);
  CHECK(contains(metrics, "# TYPE redvip_redis_stalled_streams_restarted_total counter\n"));
  CHECK(contains(metrics, "redvip_redis_stalled_streams_restarted_total{instance=\"VI_1\"} 3\n"));
}
