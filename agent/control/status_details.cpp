#include "agent/control/status_details.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "agent/control/status_report.hpp"

namespace redvip::agent {
namespace {

std::string label(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

long long behind(const ReplicationInfo& master, const ConnectedReplica& replica) {
  return master.master_repl_offset >= 0 ? std::max(0LL, master.master_repl_offset - replica.offset)
                                        : -1;
}

// A replica's bytes behind its master at the last reading of the master's offset; -1 unknown.
long long behind_master(const RedisStatusView& redis) {
  const auto& m = redis.master_offset;
  if (!m || m->offset < 0 || m->ours < 0) return -1;
  return std::max(0LL, m->offset - m->ours);
}

std::string wall_time(std::chrono::system_clock::time_point at) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(at);
  std::tm local{};
  ::localtime_r(&seconds, &local);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count() % 1000;
  return fmt::format("{:%Y-%m-%d %H:%M:%S}.{:03}", local, ms);
}

}  // namespace

std::string redis_replication_text(const RedisStatusView& redis) {
  if (!redis.present || !redis.replication) return {};
  const ReplicationInfo& r = *redis.replication;
  if (r.role == RedisRole::master) {
    std::string out = fmt::format("  redis: master offset {}", r.master_repl_offset);
    // Said before it happens: on the last node a stop has no one to hand over to.
    if (r.replicas.empty())
      out +=
          "; no replica connected: a stop now pauses writes for handover_timeout, then drops the "
          "VIP";
    for (const auto& replica : r.replicas)
      out += fmt::format("; replica {}:{} {} offset {} ({} bytes behind)", replica.ip, replica.port,
                         replica.state, replica.offset, behind(r, replica));
    return out + "\n";
  }
  if (r.role == RedisRole::replica) {
    std::string out = fmt::format("  redis: replica of {}:{}, link {}", r.master_host,
                                  r.master_port, r.master_link_up ? "up" : "down");
    if (r.master_sync_in_progress) out += ", full sync in progress";
    out += fmt::format(", offset {}",
                       r.slave_repl_offset >= 0 ? r.slave_repl_offset : r.master_repl_offset);
    if (r.master_last_io_seconds_ago >= 0)
      out += fmt::format(", last I/O {} s ago", r.master_last_io_seconds_ago);
    // The master's own offset: our INFO has only ours, which says nothing of how far behind.
    if (const long long lag = behind_master(redis); lag >= 0)
      out += fmt::format("; master offset {}, {} bytes behind (read {:.1f} s ago)",
                         redis.master_offset->offset, lag,
                         static_cast<double>(redis.master_offset->age.count()) / 1000.0);
    else
      out += "; master offset unknown";
    return out + "\n";
  }
  return {};
}

std::string timeline_text(const InstanceStatus& status) {
  if (!status.last_timeline) return {};
  return fmt::format("  last transition {}: {}\n", wall_time(status.last_timeline->seen_at),
                     status.last_timeline->text());
}

std::string redis_replication_json(const RedisStatusView& redis) {
  if (!redis.present || !redis.replication) return {};
  const ReplicationInfo& r = *redis.replication;
  std::string out = fmt::format(",\"replication\":{{\"role\":\"{}\",\"offset\":{}",
                                to_string(r.role), r.master_repl_offset);
  if (r.role == RedisRole::replica) {
    out += fmt::format(
        ",\"master\":\"{}:{}\",\"link_up\":{},\"sync_in_progress\":{},\"replica_offset\":{},"
        "\"master_last_io_seconds_ago\":{}",
        json_escape(r.master_host), r.master_port, r.master_link_up ? "true" : "false",
        r.master_sync_in_progress ? "true" : "false", r.slave_repl_offset,
        r.master_last_io_seconds_ago);
    if (const long long lag = behind_master(redis); lag >= 0)
      out += fmt::format(",\"master_offset\":{},\"lag_bytes\":{},\"master_offset_age_ms\":{}",
                         redis.master_offset->offset, lag, redis.master_offset->age.count());
    else
      out += ",\"master_offset\":null,\"lag_bytes\":null,\"master_offset_age_ms\":null";
  }
  out += ",\"replicas\":[";
  for (std::size_t i = 0; i < r.replicas.size(); ++i) {
    const auto& replica = r.replicas[i];
    out += fmt::format(
        "{}{{\"address\":\"{}:{}\",\"state\":\"{}\",\"offset\":{},\"lag_bytes\":{},\"lag_seconds\":"
        "{}}}",
        i ? "," : "", json_escape(replica.ip), replica.port, json_escape(replica.state),
        replica.offset, behind(r, replica), replica.lag);
  }
  return out + "]}";
}

std::string timeline_json(const InstanceStatus& status) {
  if (!status.last_timeline) return {};
  return ",\"last_transition_timeline\":" + status.last_timeline->json();
}

std::string prometheus_details(const std::vector<InstanceView>& instances) {
  std::string out;
  auto family = [&](std::string_view name, std::string_view type, std::string_view help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  family("redvip_failover_duration_seconds", "histogram",
         "becoming master: from the cause seen to the announcements sent");
  for (const auto& i : instances) {
    const auto& h = i.vrrp.master_durations;
    const std::string name = label(i.vrrp.name);
    for (std::size_t b = 0; b < h.kBounds.size(); ++b)
      out +=
          fmt::format("redvip_failover_duration_seconds_bucket{{instance=\"{}\",le=\"{}\"}} {}\n",
                      name, h.kBounds[b], h.buckets[b]);
    out +=
        fmt::format("redvip_failover_duration_seconds_bucket{{instance=\"{}\",le=\"+Inf\"}} {}\n",
                    name, h.count);
    out += fmt::format("redvip_failover_duration_seconds_sum{{instance=\"{}\"}} {}\n", name, h.sum);
    out += fmt::format("redvip_failover_duration_seconds_count{{instance=\"{}\"}} {}\n", name,
                       h.count);
  }
  bool any = false;
  for (const auto& i : instances) any = any || (i.redis.present && i.redis.replication);
  if (!any) return out;
  family("redvip_redis_offset", "gauge",
         "the local Redis's replication offset (master_repl_offset)");
  for (const auto& i : instances)
    if (i.redis.present && i.redis.replication)
      out += fmt::format("redvip_redis_offset{{instance=\"{}\",role=\"{}\"}} {}\n",
                         label(i.vrrp.name), to_string(i.redis.replication->role),
                         i.redis.replication->master_repl_offset);
  family("redvip_redis_replica_lag_bytes", "gauge",
         "on a master: how many bytes of the replication stream each replica has not acknowledged");
  for (const auto& i : instances) {
    if (!i.redis.present || !i.redis.replication || i.redis.replication->role != RedisRole::master)
      continue;
    for (const auto& replica : i.redis.replication->replicas)
      out += fmt::format("redvip_redis_replica_lag_bytes{{instance=\"{}\",replica=\"{}:{}\"}} {}\n",
                         label(i.vrrp.name), label(replica.ip), replica.port,
                         behind(*i.redis.replication, replica));
  }
  family("redvip_redis_master_link_up", "gauge",
         "on a replica: 1 while its link to the master is up");
  for (const auto& i : instances)
    if (i.redis.present && i.redis.replication && i.redis.replication->role == RedisRole::replica)
      out += fmt::format("redvip_redis_master_link_up{{instance=\"{}\"}} {}\n", label(i.vrrp.name),
                         i.redis.replication->master_link_up ? 1 : 0);
  family("redvip_redis_lag_bytes", "gauge",
         "on a replica: bytes behind its master's offset, as the master last reported it");
  for (const auto& i : instances)
    if (i.redis.present && i.redis.replication && i.redis.replication->role == RedisRole::replica &&
        behind_master(i.redis) >= 0)
      out += fmt::format("redvip_redis_lag_bytes{{instance=\"{}\"}} {}\n", label(i.vrrp.name),
                         behind_master(i.redis));
  family("redvip_redis_master_last_io_seconds", "gauge",
         "on a replica: seconds since it last heard from its master");
  for (const auto& i : instances)
    if (i.redis.present && i.redis.replication && i.redis.replication->role == RedisRole::replica &&
        i.redis.replication->master_last_io_seconds_ago >= 0)
      out += fmt::format("redvip_redis_master_last_io_seconds{{instance=\"{}\"}} {}\n",
                         label(i.vrrp.name), i.redis.replication->master_last_io_seconds_ago);
  return out;
}

}  // namespace redvip::agent
