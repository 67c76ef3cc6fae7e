#pragma once
// After redvipd has read its config and opened its sockets it needs only two capabilities:
// CAP_NET_RAW (VRRP raw sockets, gratuitous ARP, unsolicited NA) and CAP_NET_ADMIN (adding and
// removing the VIP, macvlan links, netlink). drop_privileges() keeps those and drops the rest.
#include <string>
#include <string_view>
#include <system_error>

namespace redvip::agent {

// Leaves the process with exactly CAP_NET_ADMIN and CAP_NET_RAW in the effective and permitted
// sets and the bounding set, empty inheritable and ambient sets, and no_new_privs set, so
// nothing it may execute can regain more.
//
// - Started as root (by hand, by a test, by an init system without capability support): drops
//   the bounding set, then, when `switch_to_user` is not empty and names an existing user,
//   becomes that user (and its primary group, no supplementary groups) keeping the two
//   capabilities through PR_SET_KEEPCAPS. Staying uid 0 without capabilities would still own
//   every root-owned file, so the packages create the user `redvip` and redvipd should pass it.
//   A missing user is not an error (the report says so): a build-tree run still drops the caps.
//   After the switch, files read at SIGHUP (the config) must be readable by that user.
// - Started by the systemd unit (User=redvip, AmbientCapabilities, CapabilityBoundingSet) it
//   finds the work done and only checks it; it never tries to switch user when not root.
//
// Returns an error when either capability is missing (the daemon could not work) or a step
// fails; `report` then names what failed and otherwise describes what was kept, for one log line.
std::error_code drop_privileges(std::string_view switch_to_user, std::string& report);

}  // namespace redvip::agent
