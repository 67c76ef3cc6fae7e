#include "agent/config/validate.hpp"

#include <map>
#include <string>
#include <tuple>

namespace redvip::agent {
namespace {

std::string where(const InstanceSettings& instance) {
  return instance.source_file + ":" + std::to_string(instance.source_line);
}

void add(std::vector<ConfigError>& errors, const InstanceSettings& instance,
         const std::string& message) {
  errors.push_back({instance.source_file, instance.source_line,
                    "vrrp_instance " + instance.name + ": " + message});
}

}  // namespace

void validate_config(const Config& config, std::vector<ConfigError>& errors) {
  std::map<std::string, const InstanceSettings*> names;
  std::map<std::tuple<std::string, vrrp::Family, int>, const InstanceSettings*> vrids;
  std::map<vrrp::IpAddress, const InstanceSettings*> vips;
  for (const InstanceSettings& instance : config.instances) {
    if (auto [it, inserted] = names.emplace(instance.name, &instance); !inserted)
      add(errors, instance, "the name is already used by the instance at " + where(*it->second));
    const auto key = std::make_tuple(instance.interface, instance.family, int{instance.vrid});
    if (auto [it, inserted] = vrids.emplace(key, &instance); !inserted)
      add(errors, instance,
          "virtual_router_id " + std::to_string(instance.vrid) + " on " + instance.interface +
              " (" + (instance.family == vrrp::Family::ipv4 ? "IPv4" : "IPv6") +
              ") is already used by vrrp_instance " + it->second->name + " at " +
              where(*it->second));
    for (const VirtualAddress& vip : instance.vips) {
      if (auto [it, inserted] = vips.emplace(vip.address, &instance);
          !inserted && it->second != &instance)
        add(errors, instance,
            "virtual address " + vip.address.to_string() + " is already managed by vrrp_instance " +
                it->second->name + " at " + where(*it->second));
    }
  }
}

}  // namespace redvip::agent
