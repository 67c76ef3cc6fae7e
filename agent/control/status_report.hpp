#pragma once
// How instance status is shown: plain text for redvipctl, JSON for tools, Prometheus text.
#include <string>
#include <vector>

#include "agent/instance/instance_status.hpp"
#include "agent/redis/roles/redis_status.hpp"
#include "netlink/vrrp_receiver.hpp"

namespace redvip::agent {

struct InstanceView {
  InstanceStatus vrrp;
  RedisStatusView redis;
};

std::string render_text(const std::vector<InstanceView>& instances);
std::string render_json(const std::vector<InstanceView>& instances);
std::string render_prometheus(const std::vector<InstanceView>& instances);
// With the receive paths' counters (what no instance can be charged with).
std::string render_json(const std::vector<InstanceView>& instances,
                        const netlink::ReceiverCounters& paths);
std::string render_prometheus(const std::vector<InstanceView>& instances,
                              const netlink::ReceiverCounters& paths);
std::string json_escape(std::string_view text);

}  // namespace redvip::agent
