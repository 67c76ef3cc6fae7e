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
#include "tests/unit/status_pair.hpp"

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
  const auto [master, replica] = redvip::test::status_pair();
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
