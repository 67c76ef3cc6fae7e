#include "agent/instance/derived.hpp"

namespace redvip::agent {

std::string vip_interface(const InstanceSettings& settings) {
  return settings.use_vmac ? settings.vmac_name : settings.interface;
}

std::string vip_device(const InstanceSettings& settings, const VirtualAddress& vip) {
  return vip.dev.empty() ? vip_interface(settings) : vip.dev;
}

std::vector<netlink::Vip> instance_vips(const InstanceSettings& settings) {
  std::vector<netlink::Vip> out;
  out.reserve(settings.vips.size());
  for (const auto& v : settings.vips) {
    out.push_back(netlink::Vip{v.address, v.prefix, vip_device(settings, v), v.label});
  }
  return out;
}

netlink::VrrpSocketConfig socket_config(const InstanceSettings& settings,
                                        const GlobalSettings& globals) {
  netlink::VrrpSocketConfig config;
  config.family = settings.family;
  config.interface = settings.interface;
  config.source = settings.unicast_src;
  config.unicast_peers = settings.unicast_peers;
  config.multicast_group =
      settings.family == vrrp::Family::ipv4 ? globals.mcast_group4 : globals.mcast_group6;
  return config;
}

vrrp::InstanceConfig machine_config(const InstanceSettings& settings,
                                    const vrrp::IpAddress& source) {
  vrrp::InstanceConfig config;
  config.version = settings.version;
  config.family = settings.family;
  config.vrid = settings.vrid;
  config.priority = settings.priority;
  config.advert_interval = settings.advert_interval;
  config.preempt = settings.preempt;
  config.preempt_delay = settings.preempt_delay;
  config.start_as_master = settings.initial_state == InitialState::master;
  config.primary_address = source;
  return config;
}

vrrp::Advert own_advert(const InstanceSettings& settings) {
  vrrp::Advert advert;
  advert.version = settings.version;
  advert.family = settings.family;
  advert.vrid = settings.vrid;
  advert.priority = settings.priority;
  advert.interval = settings.advert_interval;
  for (const auto& v : settings.vips) advert.addresses.push_back(v.address);
  if (settings.auth_password) {
    advert.auth_type = vrrp::AuthType::simple_text;
    advert.auth_data = vrrp::password_auth_data(*settings.auth_password);
  }
  return advert;
}

vrrp::DecodeOptions advert_checks(const InstanceSettings& settings) {
  vrrp::DecodeOptions options;
  options.version = settings.version;
  options.vrid = settings.vrid;
  options.password = settings.auth_password;
  return options;
}

}  // namespace redvip::agent
