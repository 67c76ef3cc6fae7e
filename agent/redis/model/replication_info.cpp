#include "agent/redis/model/replication_info.hpp"

#include <charconv>

namespace redvip::agent {
namespace {

std::optional<long long> to_number(std::string_view s) {
  long long value = 0;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, value);
  if (ec != std::errc() || ptr != end || s.empty()) return std::nullopt;
  return value;
}

bool is_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Calls fn(key, value) for every "k=v" in a comma list ("ip=127.0.0.1,port=6380,...").
template <typename Fn>
void for_each_pair(std::string_view list, Fn&& fn) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    const std::string_view item = list.substr(0, comma);
    const auto eq = item.find('=');
    if (eq != std::string_view::npos) fn(item.substr(0, eq), item.substr(eq + 1));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

std::optional<ConnectedReplica> parse_replica_line(std::string_view value) {
  ConnectedReplica r;
  bool have_ip = false;
  bool have_port = false;
  for_each_pair(value, [&](std::string_view k, std::string_view v) {
    if (k == "ip") {
      r.ip = std::string(v);
      have_ip = true;
    } else if (k == "port") {
      if (auto n = to_number(v); n && *n >= 0 && *n <= 65535) {
        r.port = static_cast<int>(*n);
        have_port = true;
      }
    } else if (k == "state") {
      r.state = std::string(v);
    } else if (k == "offset") {
      if (auto n = to_number(v)) r.offset = *n;
    } else if (k == "lag") {
      if (auto n = to_number(v)) r.lag = *n;
    }
  });
  if (!have_ip || !have_port) return std::nullopt;
  return r;
}

void apply_field(ReplicationInfo& info, std::string_view key, std::string_view value,
                 bool& recognised) {
  auto number = [&](long long& out) {
    if (auto n = to_number(value)) out = *n;
  };
  if (key == "role") {
    recognised = true;
    if (value == "master") {
      info.role = RedisRole::master;
    } else if (value == "slave" || value == "replica") {
      info.role = RedisRole::replica;
    }
  } else if (key == "master_host") {
    info.master_host = std::string(value);
  } else if (key == "master_port") {
    if (auto n = to_number(value); n && *n >= 0 && *n <= 65535)
      info.master_port = static_cast<int>(*n);
  } else if (key == "master_link_status") {
    info.master_link_up = value == "up";
  } else if (key == "master_sync_in_progress") {
    info.master_sync_in_progress = value == "1";
  } else if (key == "master_last_io_seconds_ago") {
    number(info.master_last_io_seconds_ago);
  } else if (key == "slave_priority") {
    number(info.replica_priority);
  } else if (key == "slave_repl_offset") {
    number(info.slave_repl_offset);
  } else if (key == "master_repl_offset") {
    number(info.master_repl_offset);
  } else if (key == "master_replid") {
    info.master_replid = std::string(value);
  } else if (key == "master_replid2") {
    info.master_replid2 = std::string(value);
  } else if (key == "second_repl_offset") {
    number(info.second_repl_offset);
  } else if (key == "repl_backlog_active") {
    info.repl_backlog_active = value == "1";
  } else if (key == "repl_backlog_first_byte_offset") {
    number(info.repl_backlog_first_byte_offset);
  } else if (key == "repl_backlog_histlen") {
    number(info.repl_backlog_histlen);
  } else if (key == "repl_backlog_size") {
    number(info.repl_backlog_size);
  } else if (key == "loading") {
    recognised = true;
    info.loading = value == "1";
  } else if (key.size() > 5 && key.substr(0, 5) == "slave" && is_digits(key.substr(5))) {
    if (auto r = parse_replica_line(value)) info.replicas.push_back(std::move(*r));
  } else if (key.size() > 2 && key.substr(0, 2) == "db" && is_digits(key.substr(2))) {
    for_each_pair(value, [&](std::string_view k, std::string_view v) {
      if (k != "keys") return;
      if (auto n = to_number(v); n && *n >= 0) {
        recognised = true;
        if (info.total_keys < 0) info.total_keys = 0;
        info.total_keys += *n;
      }
    });
  }
}

}  // namespace

std::optional<ReplicationInfo> parse_info(std::string_view text) {
  ReplicationInfo info;
  bool recognised = false;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (line.front() == '#') {
      // An empty keyspace section still means "no keys", which the cold-start check needs.
      if (line == "# Keyspace") {
        recognised = true;
        if (info.total_keys < 0) info.total_keys = 0;
      }
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    apply_field(info, line.substr(0, colon), line.substr(colon + 1), recognised);
  }
  if (!recognised) return std::nullopt;
  return info;
}

bool merge_role_reply(const RedisReply& reply, ReplicationInfo& info) {
  if (!reply.is_array() || reply.elements.empty() || !reply.elements[0].is_text()) return false;
  const auto& items = reply.elements;
  const std::string& kind = items[0].str;
  if (kind == "master") {
    if (items.size() < 3 || !items[1].is_integer() || !items[2].is_array()) return false;
    std::vector<ConnectedReplica> replicas;
    for (const auto& entry : items[2].elements) {
      if (!entry.is_array() || entry.elements.size() < 3) return false;
      const auto& e = entry.elements;
      if (!e[0].is_text() || !e[1].is_text() || !e[2].is_text()) return false;
      auto port = to_number(e[1].str);
      auto offset = to_number(e[2].str);
      if (!port || *port < 0 || *port > 65535 || !offset) return false;
      ConnectedReplica r;
      r.ip = e[0].str;
      r.port = static_cast<int>(*port);
      r.offset = *offset;
      // ROLE lists only replicas past the handshake; INFO has the precise state.
      r.state = "online";
      replicas.push_back(std::move(r));
    }
    info.role = RedisRole::master;
    info.master_repl_offset = items[1].integer;
    info.replicas = std::move(replicas);
    return true;
  }
  if (kind == "slave" || kind == "replica") {
    if (items.size() < 5 || !items[1].is_text() || !items[2].is_integer() || !items[3].is_text() ||
        !items[4].is_integer()) {
      return false;
    }
    if (items[2].integer < 0 || items[2].integer > 65535) return false;
    info.role = RedisRole::replica;
    info.master_host = items[1].str;
    info.master_port = static_cast<int>(items[2].integer);
    info.master_link_up = items[3].str == "connected";
    info.master_sync_in_progress = items[3].str == "sync";
    info.slave_repl_offset = items[4].integer;
    return true;
  }
  return false;
}

std::string_view to_string(RedisRole role) {
  switch (role) {
    case RedisRole::master:
      return "master";
    case RedisRole::replica:
      return "replica";
    case RedisRole::unknown:
      break;
  }
  return "unknown";
}

}  // namespace redvip::agent
