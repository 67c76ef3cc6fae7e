// Redis only ever replicates from, catches up with, or asks a configured peer (redis.peers:
// the redis block's peers { } or the unicast peers). VRRP cannot tell a forged advert from a
// real one, so an advert from any other address may cost the VIP; here it never costs a
// REPLICAOF, a connection or data: the role change it asks for is skipped, counted and logged.
#include <algorithm>

#include "agent/redis/roles/role_controller.hpp"

namespace redvip::agent {

bool RedisRoleController::configured_peer(const vrrp::IpAddress& address, const char* what) {
  const auto& peers = redis_.peers;
  if (std::find(peers.begin(), peers.end(), address) != peers.end()) return true;
  ++non_peer_adverts_;
  last_non_peer_ = address.to_string();
  non_peer_log_.log(Level::warning, settings_.name, last_non_peer_ + what,
                    "advert from {}, which is not a redis peer: not {} it", last_non_peer_, what);
  return false;
}

}  // namespace redvip::agent
