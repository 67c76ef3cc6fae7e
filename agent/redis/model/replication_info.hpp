#pragma once
// What Redis says about its replication role, parsed from INFO and ROLE (the judgements redvip
// makes on it are in decisions.hpp). Standard library only: fuzzed, and unit-tested on outputs
// captured from redis-server 7.0.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/redis/model/reply.hpp"

namespace redvip::agent {

enum class RedisRole { unknown, master, replica };

struct ConnectedReplica {
  std::string ip;
  int port = 0;
  std::string state;  // "online", "wait_bgsave", "send_bulk", ...
  long long offset = 0;
  long long lag = -1;
};

struct ReplicationInfo {
  RedisRole role = RedisRole::unknown;
  // Replica side (role == replica).
  std::string master_host;
  int master_port = 0;
  bool master_link_up = false;
  bool master_sync_in_progress = false;
  long long master_last_io_seconds_ago = -1;
  long long slave_repl_offset = -1;
  // redis.conf's replica-priority (INFO's slave_priority, shown by a replica): 0 means this
  // replica is never to be promoted (Sentinel honours it, and so do we); -1 when not shown.
  long long replica_priority = -1;
  // Both sides.
  long long master_repl_offset = -1;
  std::string master_replid;
  // The history this server continued from (PSYNC2): master_replid2 is valid for PSYNC
  // offsets up to second_repl_offset (-1 and an all-zero id when there is none).
  std::string master_replid2;
  long long second_repl_offset = -1;
  // The replication backlog: PSYNC can continue from offsets in
  // [repl_backlog_first_byte_offset, repl_backlog_first_byte_offset + repl_backlog_histlen].
  bool repl_backlog_active = false;
  long long repl_backlog_first_byte_offset = -1;
  long long repl_backlog_histlen = -1;
  long long repl_backlog_size = -1;  // the configured size: trimming starts beyond it
  std::vector<ConnectedReplica> replicas;
  // From INFO persistence "loading:1" or a -LOADING error reply.
  bool loading = false;
  // From INFO keyspace: keys over all databases; -1 when the section was not seen.
  long long total_keys = -1;
};

// Parses the text of INFO (any sections, CRLF or LF). Unknown fields are ignored, so a newer
// Redis that adds fields still parses. Returns nullopt only when the text has no "role:" line
// and no keyspace/persistence data, i.e. it is not INFO output at all.
std::optional<ReplicationInfo> parse_info(std::string_view text);

// Merges the ROLE reply into `info` (role, master host/port, replica offsets). Returns false
// when the reply does not have ROLE's shape.
bool merge_role_reply(const RedisReply& reply, ReplicationInfo& info);

std::string_view to_string(RedisRole role);

}  // namespace redvip::agent
