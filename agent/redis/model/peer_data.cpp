#include "agent/redis/model/peer_data.hpp"

namespace redvip::agent {

PeerData judge_peer_data(std::string_view replication, std::string_view persistence,
                         std::string_view keyspace) {
  PeerData out;
  auto rep = parse_info(replication);
  auto per = parse_info(persistence);
  auto ks = parse_info(keyspace);
  if (!rep || rep->role == RedisRole::unknown || !ks || ks->total_keys < 0) {
    out.error = "unparsable INFO from peer";
    return out;
  }
  out.reachable = true;
  out.role = rep->role;
  out.master_repl_offset = rep->master_repl_offset;
  out.master_replid = rep->master_replid;
  out.loading = per && per->loading;
  out.keys = ks->total_keys;
  out.has_data = out.keys > 0 || out.loading;
  return out;
}

}  // namespace redvip::agent
