// The metrics people read about and look at: every metric family redvipd emits is named in
// redvipd(8) and the README, and every metric the Grafana dashboard queries is emitted.
#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "agent/control/status_report.hpp"
#include "agent/instance/failover_timeline.hpp"

using namespace redvip::agent;
using redvip::vrrp::State;

namespace {

const std::string kSource = REDVIP_SOURCE_DIR;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A master and a replica with a redis block, a finished failover and receive-path counters:
// every family and every sample name render_prometheus has.
std::string metrics_of_every_kind() {
  InstanceView master;
  master.vrrp.name = "redis_vip";
  master.vrrp.state = State::master;
  master.redis.present = true;
  master.redis.healthy = true;
  ReplicationInfo info;
  info.role = RedisRole::master;
  info.master_repl_offset = 1200;
  info.replicas.push_back({"10.0.0.2", 6379, "online", 1180, 0});
  master.redis.replication = info;
  TimelineRecorder r;
  const redvip::vrrp::TimePoint t0{std::chrono::seconds(1)};
  r.begin(State::backup, State::master, "master down", t0, t0, std::chrono::system_clock::now());
  r.step("announced", t0 + std::chrono::milliseconds(20));
  r.finish();
  master.vrrp.last_timeline = r.last();
  master.vrrp.master_durations = r.master_durations();

  InstanceView replica;
  replica.vrrp.name = "other";
  replica.vrrp.state = State::backup;
  replica.redis.present = true;
  ReplicationInfo rinfo;
  rinfo.role = RedisRole::replica;
  rinfo.master_host = "10.0.0.1";
  rinfo.master_port = 6379;
  rinfo.master_link_up = true;
  rinfo.slave_repl_offset = 1180;
  rinfo.master_repl_offset = 1180;
  rinfo.master_last_io_seconds_ago = 0;
  replica.redis.replication = rinfo;

  redvip::netlink::ReceiverCounters paths;
  paths.unclaimed = 1;
  return render_prometheus({master, replica}, paths);
}

std::set<std::string> matches(const std::string& text, const std::regex& re) {
  std::set<std::string> out;
  for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it)
    out.insert((*it)[1].str());
  return out;
}

// `name` as a whole word: not the start of a longer metric name.
bool names(const std::string& doc, const std::string& name) {
  return std::regex_search(doc, std::regex("(^|[^a-z0-9_])" + name + "($|[^a-z0-9_])"));
}

}  // namespace

TEST_CASE("Docs: every metric family emitted is named in redvipd(8) and the README",
          "[metrics][docs]") {
  const std::string metrics = metrics_of_every_kind();
  const auto families = matches(metrics, std::regex("# TYPE (redvip_[a-z0-9_]+) "));
  REQUIRE(families.size() >= 24);  // the rendering above still reaches every family (24 now)
  const std::string man = read_file(kSource + "/packaging/man/redvipd.8");
  const std::string readme = read_file(kSource + "/README.md");
  for (const auto& name : families) {
    INFO(name);
    CHECK(names(man, name));
    CHECK(names(readme, name));
  }
}

TEST_CASE("Docs: every metric the Grafana dashboard queries is emitted", "[metrics][docs]") {
  const std::string metrics = metrics_of_every_kind();
  const auto samples =
      matches(metrics, std::regex("(?:^|\n)(redvip_[a-z0-9_]+)[{ ]", std::regex::ECMAScript));
  const auto queried = matches(read_file(kSource + "/packaging/grafana/redvip.json"),
                               std::regex("(redvip_[a-z0-9_]+)"));
  REQUIRE(queried.size() >= 10);
  for (const auto& name : queried) {
    INFO(name);
    CHECK(samples.count(name) == 1);
  }
}
