#pragma once
// How instance status is shown: plain text for redvipctl, JSON for tools, Prometheus text.
#include <string>
#include <vector>

#include "agent/vrrp_instance.hpp"

namespace redvip::agent {

// Redis side of an instance, when it has a redis block; shown next to the VRRP state.
struct RedisStatusView {
  bool present = false;
  bool healthy = false;
  std::string role;  // "master", "replica", or empty when unknown
  std::string detail;
  std::uint64_t checks_ok = 0;
  std::uint64_t checks_failed = 0;
};

struct InstanceView {
  InstanceStatus vrrp;
  RedisStatusView redis;
};

std::string render_text(const std::vector<InstanceView>& instances);
std::string render_json(const std::vector<InstanceView>& instances);
std::string render_prometheus(const std::vector<InstanceView>& instances);
std::string json_escape(std::string_view text);

}  // namespace redvip::agent
