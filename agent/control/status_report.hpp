#pragma once
// How instance status is shown: plain text for redvipctl, JSON for tools, Prometheus text.
#include <string>
#include <vector>

#include "agent/instance/instance_status.hpp"
#include "agent/redis/roles/redis_status.hpp"

namespace redvip::agent {

struct InstanceView {
  InstanceStatus vrrp;
  RedisStatusView redis;
};

std::string render_text(const std::vector<InstanceView>& instances);
std::string render_json(const std::vector<InstanceView>& instances);
std::string render_prometheus(const std::vector<InstanceView>& instances);
std::string json_escape(std::string_view text);

}  // namespace redvip::agent
