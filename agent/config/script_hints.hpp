#pragma once
// What a keepalived script does to Redis, as far as its text tells: the old recipe's notify
// scripts run SLAVEOF/REPLICAOF and its vrrp_script runs `redis-cli PING`. Beside a redis { }
// block the first would fight redvipd's own role changes (an error), the second is redundant;
// without one, -t names both as the lines to change (agent/config/parser.cpp).
#include <optional>
#include <string>
#include <string_view>

namespace redvip::agent {

struct ScriptText {
  std::string command;  // the command line as written
  std::string program;  // the program file's text when it is a small readable script, else ""
};

// SLAVEOF or REPLICAOF as a word, in any case.
bool runs_role_change(const ScriptText& script);
// redis-cli with PING: a Redis health check.
bool runs_redis_ping(const ScriptText& script);
// "-h HOST -p PORT" of a redis-cli command line, as "HOST PORT" (defaults 127.0.0.1 6379).
std::string redis_cli_address(std::string_view command);

// The master a role-changing script points Redis at: "SLAVEOF HOST PORT" (or REPLICAOF) with
// an IP address, in the command line or else in the program file. The redis { } block that
// replaces the script must list HOST in its peers: redvipd replicates only from a peer.
struct ReplicationTarget {
  std::string host;
  std::string port;
  friend bool operator==(const ReplicationTarget&, const ReplicationTarget&) = default;
};
std::optional<ReplicationTarget> replication_target(const ScriptText& script);

// The script's program file (the command's first word, or a shell's script argument) when it
// is a regular file of at most 64 KiB; "" otherwise. Reads a local file once, at load time.
std::string read_script_program(std::string_view command);

}  // namespace redvip::agent
