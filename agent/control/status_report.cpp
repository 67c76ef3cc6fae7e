#include "agent/control/status_report.hpp"

#include <fmt/format.h>

#include "agent/control/status_details.hpp"

namespace redvip::agent {
namespace {
constexpr vrrp::State kStates[] = {vrrp::State::initialize, vrrp::State::backup,
                                   vrrp::State::master, vrrp::State::fault};

std::string master_text(const InstanceStatus& s) {
  return s.master ? s.master->to_string() : std::string("unknown");
}

std::string label_escape(std::string_view text) {
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
// What was dropped or refused because a peer, a packet or a Redis sent it: one JSON object and
// one set of metric families, so every drop counter is exported in both (issue 12).
template <typename Reason, std::size_t N>
std::string counts_json(const std::array<std::uint64_t, N>& counts) {
  std::string out = "{";
  for (std::size_t r = 0; r < N; ++r) {
    if (r > 0) out += ',';
    out += fmt::format("\"{}\":{}", vrrp::to_string(static_cast<Reason>(r)), counts[r]);
  }
  return out + '}';
}

std::string drops_json(const InstanceView& i) {
  const auto& c = i.vrrp.counters;
  std::string out = "\"drops\":{";
  out +=
      fmt::format("\"rejected\":{},\"ignored\":{},\"non_peer\":{},\"send_errors\":{},",
                  counts_json<vrrp::Reject>(c.rejected), counts_json<vrrp::DropReason>(c.dropped),
                  i.vrrp.socket.dropped_non_peer, i.vrrp.socket.send_errors);
  out += fmt::format("\"redis_non_peer_adverts\":{},\"redis_last_non_peer\":\"{}\"",
                     i.redis.non_peer_adverts, json_escape(i.redis.last_non_peer));
  out += '}';
  return out;
}

std::string paths_json(const netlink::ReceiverCounters& p) {
  return fmt::format(
      "\"receive_paths\":{{\"paths\":{},\"unclaimed\":{},\"dropped_non_peer\":{},\"dropped_short_"
      "ip\":{},"
      "\"dropped_oversized\":{},\"receive_errors\":{},\"rejected\":{}}}",
      p.paths, p.unclaimed, p.dropped_non_peer, p.dropped_short_ip, p.dropped_oversized,
      p.receive_errors, counts_json<vrrp::Reject>(p.rejected));
}

void paths_prometheus(const netlink::ReceiverCounters& p, std::string& out) {
  out +=
      "# HELP redvip_receive_path_dropped_total packets no instance could be charged with, by "
      "reason\n"
      "# TYPE redvip_receive_path_dropped_total counter\n";
  const std::pair<const char*, std::uint64_t> dropped[] = {{"unclaimed", p.unclaimed},
                                                           {"non_peer", p.dropped_non_peer},
                                                           {"short_ip", p.dropped_short_ip},
                                                           {"oversized", p.dropped_oversized},
                                                           {"receive_error", p.receive_errors}};
  for (const auto& [reason, n] : dropped) {
    out += fmt::format("redvip_receive_path_dropped_total{{reason=\"{}\"}} {}\n", reason, n);
  }
  out +=
      "# HELP redvip_receive_path_rejected_total malformed packets whose VRID byte no instance "
      "has, by reason\n"
      "# TYPE redvip_receive_path_rejected_total counter\n";
  for (std::size_t r = 0; r < vrrp::kRejectCount; ++r) {
    out += fmt::format("redvip_receive_path_rejected_total{{reason=\"{}\"}} {}\n",
                       vrrp::to_string(static_cast<vrrp::Reject>(r)), p.rejected[r]);
  }
}

void drops_prometheus(const std::vector<InstanceView>& instances, std::string& out) {
  auto family = [&](std::string_view name, std::string_view help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} counter\n", name, help, name);
  };
  family("redvip_advert_send_errors_total",
         "adverts the kernel refused (a full buffer included): dropped, never blocking");
  for (const auto& i : instances) {
    out += fmt::format("redvip_advert_send_errors_total{{instance=\"{}\"}} {}\n",
                       label_escape(i.vrrp.name), i.vrrp.socket.send_errors);
  }
  family("redvip_redis_non_peer_adverts_total",
         "adverts that named a master which is not a redis peer: its Redis was never followed or "
         "asked");
  for (const auto& i : instances) {
    if (!i.redis.present) continue;
    out += fmt::format("redvip_redis_non_peer_adverts_total{{instance=\"{}\"}} {}\n",
                       label_escape(i.vrrp.name), i.redis.non_peer_adverts);
  }
}

}  // namespace

std::string json_escape(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20)
          out += fmt::format("\\u{:04x}", c);
        else
          out += static_cast<char>(c);
    }
  }
  return out;
}

std::string render_text(const std::vector<InstanceView>& instances) {
  std::string out;
  for (const auto& i : instances) {
    const auto& s = i.vrrp;
    out += fmt::format("{}: {} priority {} master {}", s.name, vrrp::to_string(s.state), s.priority,
                       master_text(s));
    if (!s.not_eligible_because.empty())
      out += fmt::format(" (not eligible: {})", s.not_eligible_because);
    if (!s.held_by_sync_group.empty() && s.state == vrrp::State::backup)
      out += fmt::format(" (held: {})", s.held_by_sync_group);
    if (s.counters.split_brains > 0)
      out += fmt::format(" split brains {}", s.counters.split_brains);
    if (s.counters.master_down_deferred > 0)
      out += fmt::format(" deferred after stalls {}", s.counters.master_down_deferred);
    if (i.redis.present) {
      out += fmt::format(" redis {} {}", i.redis.healthy ? "healthy" : "unhealthy",
                         i.redis.role.empty() ? "?" : i.redis.role);
      if (!i.redis.detail.empty()) out += fmt::format(" ({})", i.redis.detail);
      if (i.redis.writes_held_for_silent_peer)
        out += " (writes held: a redis peer is silent, peer_loss_pause)";
    }
    out += '\n';
    out += redis_replication_text(i.redis);
    out += timeline_text(s);
  }
  if (out.empty()) out = "no instances\n";
  return out;
}

std::string render_json(const std::vector<InstanceView>& instances) {
  return render_json(instances, netlink::ReceiverCounters{});
}

std::string render_json(const std::vector<InstanceView>& instances,
                        const netlink::ReceiverCounters& paths) {
  std::string out = "{\"instances\":[";
  bool first = true;
  for (const auto& i : instances) {
    const auto& s = i.vrrp;
    if (!first) out += ',';
    first = false;
    out += fmt::format(
        "{{\"name\":\"{}\",\"state\":\"{}\",\"priority\":{},\"master\":{},\"eligible\":{},"
        "\"not_eligible_because\":\"{}\",\"last_transition\":\"{}\",\"adverts_sent\":{},"
        "\"adverts_received\":{},\"became_master\":{},\"split_brains\":{},"
        "\"master_down_deferred\":{}",
        json_escape(s.name), vrrp::to_string(s.state), s.priority,
        s.master ? fmt::format("\"{}\"", s.master->to_string()) : std::string("null"),
        s.not_eligible_because.empty() ? "true" : "false", json_escape(s.not_eligible_because),
        json_escape(s.last_transition_reason), s.counters.adverts_sent, s.counters.adverts_received,
        s.counters.became_master, s.counters.split_brains, s.counters.master_down_deferred);
    if (!s.held_by_sync_group.empty())
      out += fmt::format(",\"held_by_sync_group\":\"{}\"", json_escape(s.held_by_sync_group));
    if (i.redis.present) {
      out += fmt::format(
          ",\"redis\":{{\"healthy\":{},\"role\":\"{}\",\"detail\":\"{}\","
          "\"peer_loss_pauses\":{},\"writes_held_for_silent_peer\":{},"
          "\"stalled_streams_restarted\":{}}}",
          i.redis.healthy ? "true" : "false", json_escape(i.redis.role),
          json_escape(i.redis.detail), i.redis.peer_loss_pauses,
          i.redis.writes_held_for_silent_peer ? "true" : "false",
          i.redis.stalled_streams_restarted);
      out.pop_back();  // the replication details go inside the redis object
      out += redis_replication_json(i.redis) + "}";
    }
    out += timeline_json(s);
    out += ',' + drops_json(i);
    out += '}';
  }
  out += "]," + paths_json(paths) + "}\n";
  return out;
}

std::string render_prometheus(const std::vector<InstanceView>& instances) {
  return render_prometheus(instances, netlink::ReceiverCounters{});
}

std::string render_prometheus(const std::vector<InstanceView>& instances,
                              const netlink::ReceiverCounters& paths) {
  std::string out;
  auto family = [&](std::string_view name, std::string_view type, std::string_view help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  family("redvip_instance_state", "gauge", "1 for the state the instance is in");
  for (const auto& i : instances) {
    for (auto st : kStates) {
      out +=
          fmt::format("redvip_instance_state{{instance=\"{}\",state=\"{}\"}} {}\n",
                      label_escape(i.vrrp.name), vrrp::to_string(st), i.vrrp.state == st ? 1 : 0);
    }
  }
  auto per_instance = [&](std::string_view name, std::string_view type, std::string_view help,
                          auto value) {
    family(name, type, help);
    for (const auto& i : instances) {
      out += fmt::format("{}{{instance=\"{}\"}} {}\n", name, label_escape(i.vrrp.name), value(i));
    }
  };
  per_instance("redvip_priority", "gauge", "effective VRRP priority",
               [](const InstanceView& i) { return static_cast<unsigned>(i.vrrp.priority); });
  per_instance("redvip_eligible", "gauge", "1 when nothing keeps the node from being master",
               [](const InstanceView& i) { return i.vrrp.not_eligible_because.empty() ? 1 : 0; });
  per_instance("redvip_adverts_sent_total", "counter", "adverts sent",
               [](const InstanceView& i) { return i.vrrp.counters.adverts_sent; });
  per_instance("redvip_adverts_received_total", "counter", "valid adverts received",
               [](const InstanceView& i) { return i.vrrp.counters.adverts_received; });
  per_instance("redvip_transitions_total", "counter", "state transitions",
               [](const InstanceView& i) { return i.vrrp.counters.transitions; });
  per_instance("redvip_became_master_total", "counter", "times the instance became master",
               [](const InstanceView& i) { return i.vrrp.counters.became_master; });
  per_instance("redvip_split_brains_total", "counter",
               "times another master was heard while this one was master (either side counts)",
               [](const InstanceView& i) { return i.vrrp.counters.split_brains; });
  per_instance("redvip_master_down_deferred_total", "counter",
               "master-down deadlines moved after this host stalled (the master got an interval "
               "to speak)",
               [](const InstanceView& i) { return i.vrrp.counters.master_down_deferred; });
  per_instance("redvip_vip_errors_total", "counter", "failed VIP additions or removals",
               [](const InstanceView& i) { return i.vrrp.counters.vip_errors; });
  per_instance("redvip_adverts_dropped_non_peer_total", "counter",
               "unicast adverts from an address that is not a configured peer",
               [](const InstanceView& i) { return i.vrrp.socket.dropped_non_peer; });
  family("redvip_adverts_ignored_total", "counter",
         "valid adverts the state machine set aside, by reason");
  for (const auto& i : instances) {
    for (std::size_t r = 0; r < vrrp::kDropReasonCount; ++r) {
      out +=
          fmt::format("redvip_adverts_ignored_total{{instance=\"{}\",reason=\"{}\"}} {}\n",
                      label_escape(i.vrrp.name), vrrp::to_string(static_cast<vrrp::DropReason>(r)),
                      i.vrrp.counters.dropped[r]);
    }
  }
  family("redvip_adverts_rejected_total", "counter", "adverts the decoder rejected, by reason");
  for (const auto& i : instances) {
    for (std::size_t r = 0; r < vrrp::kRejectCount; ++r) {
      out += fmt::format("redvip_adverts_rejected_total{{instance=\"{}\",reason=\"{}\"}} {}\n",
                         label_escape(i.vrrp.name), vrrp::to_string(static_cast<vrrp::Reject>(r)),
                         i.vrrp.counters.rejected[r]);
    }
  }
  bool any_redis = false;
  for (const auto& i : instances) any_redis = any_redis || i.redis.present;
  if (any_redis) {
    family("redvip_redis_healthy", "gauge", "1 when the local Redis passes its checks");
    for (const auto& i : instances) {
      if (i.redis.present) {
        out += fmt::format("redvip_redis_healthy{{instance=\"{}\"}} {}\n",
                           label_escape(i.vrrp.name), i.redis.healthy ? 1 : 0);
      }
    }
    family("redvip_redis_peer_loss_pauses_total", "counter",
           "times a silent redis peer held the master's writes (peer_loss_pause)");
    for (const auto& i : instances) {
      if (!i.redis.present) continue;
      out += fmt::format("redvip_redis_peer_loss_pauses_total{{instance=\"{}\"}} {}\n",
                         label_escape(i.vrrp.name), i.redis.peer_loss_pauses);
    }
    family("redvip_redis_stalled_streams_restarted_total", "counter",
           "times our redis's link to its master was restarted because its stream stood still "
           "after a silence");
    for (const auto& i : instances) {
      if (!i.redis.present) continue;
      out += fmt::format("redvip_redis_stalled_streams_restarted_total{{instance=\"{}\"}} {}\n",
                         label_escape(i.vrrp.name), i.redis.stalled_streams_restarted);
    }
    family("redvip_redis_checks_total", "counter", "Redis health checks by result");
    for (const auto& i : instances) {
      if (!i.redis.present) continue;
      out += fmt::format("redvip_redis_checks_total{{instance=\"{}\",result=\"ok\"}} {}\n",
                         label_escape(i.vrrp.name), i.redis.checks_ok);
      out += fmt::format("redvip_redis_checks_total{{instance=\"{}\",result=\"failed\"}} {}\n",
                         label_escape(i.vrrp.name), i.redis.checks_failed);
    }
  }
  out += prometheus_details(instances);
  drops_prometheus(instances, out);
  paths_prometheus(paths, out);
  return out;
}

}  // namespace redvip::agent
