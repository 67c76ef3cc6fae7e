#pragma once
// What an instance derives from its settings, one function per fact, for the instance, its
// wiring and `redvipd --cleanup` alike.
#include <string>
#include <vector>

#include "agent/config/settings.hpp"
#include "netlink/address_manager.hpp"
#include "netlink/vrrp_socket.hpp"
#include "vrrp/advert.hpp"
#include "vrrp/codec.hpp"
#include "vrrp/state_machine.hpp"

namespace redvip::agent {

// Where the VIPs and the announcements go by default: the VMAC when use_vmac, else the
// interface. (Adverts always leave from the interface itself.)
std::string vip_interface(const InstanceSettings& settings);
// A VIP's own `dev`, else vip_interface().
std::string vip_device(const InstanceSettings& settings, const VirtualAddress& vip);
std::vector<netlink::Vip> instance_vips(const InstanceSettings& settings);

// The receive path and source of the instance's adverts: the parent interface, also with a VMAC
// (keepalived sends from the VMAC; neighbours learn the virtual MAC from the announcements).
netlink::VrrpSocketConfig socket_config(const InstanceSettings& settings,
                                        const GlobalSettings& globals);
vrrp::InstanceConfig machine_config(const InstanceSettings& settings,
                                    const vrrp::IpAddress& source);
// Our advert at the configured priority (the instance sets the priority of each one it sends).
vrrp::Advert own_advert(const InstanceSettings& settings);
// What a received advert must match beyond the shared checks: version, VRID, v2 password.
vrrp::DecodeOptions advert_checks(const InstanceSettings& settings);

}  // namespace redvip::agent
