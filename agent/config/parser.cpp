#include "agent/config/parser.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "agent/config/script_hints.hpp"
#include "agent/config/tree.hpp"
#include "agent/config/validate.hpp"
#include "agent/config/values.hpp"
#include "vrrp/vmac_name.hpp"

namespace redvip::agent {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using vrrp::Centiseconds;
using vrrp::Family;
using vrrp::IpAddress;
using vrrp::Version;

constexpr std::size_t kMaxPasswordFileSize = 4096;
constexpr std::size_t kMaxVips = 255;  // the advert's address count is one byte
constexpr std::size_t kMaxUnixPath = 107;

std::string quote(std::string_view text) { return "\"" + std::string(text) + "\""; }
std::string family_name(Family family) { return family == Family::ipv4 ? "IPv4" : "IPv6"; }

// keepalived's e-mail alerts: redvip sends none; the lines are read past with a warning so
// that a keepalived file starts unchanged (notify scripts are the way to alert).
bool mail_keyword(const std::string& keyword) {
  static const std::set<std::string> mail = {"notification_email", "notification_email_from",
                                             "smtp_server",        "smtp_connect_timeout",
                                             "smtp_helo_name",     "smtp_alert",
                                             "smtp_alert_vrrp"};
  return mail.count(keyword) > 0;
}

// Why a keyword a keepalived user may well have is refused, so the error says what to do.
std::string unsupported_hint(const std::string& keyword) {
  static const std::set<std::string> scripts = {"notify_master_rx_lower_pri", "notify_deleted",
                                                "notify_fifo_script", "vrrp_notify_fifo_script"};
  if (scripts.count(keyword))
    return " (not supported: redvip runs notify, notify_master|backup|fault|stop and notify_fifo)";
  if (keyword == "virtual_ipaddress_excluded")
    return " (not supported: use one vrrp_instance per address family)";
  // keepalived's routing and LVS features: refused rather than skipped, since a route or a
  // virtual server the operator relies on would silently be missing.
  static const std::set<std::string> routing = {"virtual_routes", "virtual_rules", "static_routes",
                                                "static_rules", "static_ipaddress"};
  if (routing.count(keyword))
    return " (not supported: redvip adds and removes only the virtual addresses; keep routes, "
           "rules and static addresses in the host's network configuration, or add them from a "
           "notify_master script)";
  static const std::set<std::string> lvs = {"virtual_server", "virtual_server_group",
                                            "lvs_sync_daemon", "lvs_sync_daemon_interface"};
  if (lvs.count(keyword))
    return " (not supported: redvip has no load balancer; keep keepalived's checker (keepalived "
           "--check) for LVS and let redvip hold the Redis VIP)";
  return {};
}

// Remembers where each single-valued keyword was first given in one block, because a second
// occurrence would silently override the first.
class SeenKeywords {
 public:
  const Statement* first(const Statement& st) {
    auto [it, inserted] = seen_.emplace(st.keyword, &st);
    return inserted ? nullptr : it->second;
  }

 private:
  std::map<std::string, const Statement*> seen_;
};

struct PendingInstance {
  InstanceSettings settings;
  std::string context;
  const Statement* block = nullptr;
  const Statement* interface_st = nullptr;
  const Statement* vrid_st = nullptr;
  const Statement* version_st = nullptr;
  const Statement* advert_st = nullptr;
  const Statement* auth_st = nullptr;
  const Statement* state_st = nullptr;
  const Statement* nopreempt_st = nullptr;
  const Statement* preempt_st = nullptr;
  const Statement* unicast_src_st = nullptr;
  std::optional<Version> version;
  std::int64_t advert_centis = 100;
  std::optional<std::uint64_t> garp_delay, garp_repeat, garp_refresh, garp_refresh_repeat;
  std::vector<const Statement*> vip_sts;   // parallel to settings.vips
  std::vector<const Statement*> peer_sts;  // parallel to settings.unicast_peers
  const Statement* redis_st = nullptr;
  std::vector<const Statement*> redis_peer_sts;  // parallel to settings.redis->peers
  std::optional<std::string> vmac_name;
  std::vector<const Statement*> notify_sts;        // notify* lines, for the old-recipe checks
  std::vector<const Statement*> track_script_sts;  // parallel to settings.track_scripts
};

// A vrrp_script or vrrp_track_file block, where it is written.
template <typename T>
struct Defined {
  T settings;
  const Statement* st = nullptr;
};

class Parser {
 public:
  Parser(LoadResult& out, const ParseOptions& options) : out_(out), options_(options) {}

  Config run(const std::vector<Statement>& top, const std::string& main_file) {
    Config config;
    // Globals first, wherever they are written, so that instances inherit them.
    SeenKeywords global_seen;
    SeenKeywords redvip_seen;
    for (const Statement& st : top) {
      if (st.keyword == "global_defs" && !st.keyword_quoted) {
        if (expect_block(st, "")) parse_global_defs(st, global_seen, config.globals);
      } else if (st.keyword == "redvip_defs" && !st.keyword_quoted) {
        if (expect_block(st, "")) parse_redvip_defs(st, redvip_seen, config.redvip);
      }
    }
    // Scripts and tracked files next: instances refer to them wherever they are written.
    for (const Statement& st : top) {
      if (st.keyword_quoted) continue;
      if (st.keyword != "vrrp_script" && st.keyword != "vrrp_track_file") continue;
      const std::string ctx = st.keyword + (st.args.empty() ? "" : " " + st.args[0]);
      if (st.args.size() != 1 || st.args[0].empty()) {
        error(st, "", st.keyword + " expects one name");
        continue;
      }
      if (!expect_block(st, ctx)) continue;
      const auto& known = st.keyword == "vrrp_script" ? where_defined(scripts_, st.args[0])
                                                      : where_defined(files_, st.args[0]);
      if (!known.empty()) {
        error(st, "", ctx + " is defined twice (first at " + known + ")");
        continue;
      }
      if (st.keyword == "vrrp_script") {
        if (auto script = parse_vrrp_script(st, ctx, config.globals))
          scripts_.emplace(st.args[0], Defined<VrrpScriptSettings>{std::move(*script), &st});
      } else if (auto file = parse_track_file_block(st, ctx)) {
        files_.emplace(st.args[0], Defined<TrackFileSettings>{std::move(*file), &st});
      }
    }
    for (const Statement& st : top) {
      if (st.keyword_quoted) {
        unknown(st, "");
      } else if (st.keyword == "global_defs" || st.keyword == "redvip_defs" ||
                 st.keyword == "vrrp_script" || st.keyword == "vrrp_track_file" ||
                 st.keyword == "vrrp_sync_group") {
        continue;
      } else if (st.keyword == "vrrp_instance") {
        if (st.args.size() != 1 || st.args[0].empty()) {
          error(st, "", "vrrp_instance expects one name");
          continue;
        }
        if (!expect_block(st, "vrrp_instance " + st.args[0])) continue;
        if (auto instance = parse_instance(st, config.globals, config.redvip))
          config.instances.push_back(std::move(*instance));
      } else {
        unknown(st, "");
      }
    }
    // Sync groups last: they name instances wherever those are written.
    for (const Statement& st : top) {
      if (!st.keyword_quoted && st.keyword == "vrrp_sync_group") parse_sync_group(st, config);
    }
    if (config.instances.empty() && out_.errors.empty())
      out_.errors.push_back({main_file, 0, "no vrrp_instance is configured"});
    return config;
  }

 private:
  // --- reporting -------------------------------------------------------------------------
  static std::string located(const std::string& context, const std::string& message) {
    return context.empty() ? message : context + ": " + message;
  }
  void error(const Statement& st, const std::string& context, const std::string& message) {
    out_.errors.push_back({st.file, st.line, located(context, message)});
  }
  void warn(const Statement& st, const std::string& context, const std::string& message) {
    out_.warnings.push_back(ConfigError{st.file, st.line, located(context, message)}.to_string());
  }
  void unknown(const Statement& st, const std::string& context) {
    error(st, context, "unknown keyword " + quote(st.keyword) + unsupported_hint(st.keyword));
  }
  std::string where(const Statement& st) const { return st.file + ":" + std::to_string(st.line); }

  // --- shape checks ------------------------------------------------------------------------
  bool expect_block(const Statement& st, const std::string& context) {
    if (!st.has_block) {
      error(st, context, quote(st.keyword) + " needs a { } block");
      return false;
    }
    return true;
  }
  // A keyword whose content is a block: "keyword { ... }" and nothing else on its line.
  bool block_only(const Statement& st, const std::string& context) {
    if (!st.args.empty()) {
      error(st, context,
            quote(st.keyword) + " takes no value before its { } block, got " + quote(st.args[0]));
      return false;
    }
    return expect_block(st, context);
  }
  // A keyword with between min and max values and no block.
  bool expect_values(const Statement& st, const std::string& context, std::size_t min,
                     std::size_t max) {
    if (st.has_block) {
      error(st, context, quote(st.keyword) + " takes no { } block");
      return false;
    }
    if (st.args.size() < min || st.args.size() > max) {
      std::string expected;
      if (min == max)
        expected = min == 0 ? "no value" : min == 1 ? "one value" : std::to_string(min) + " values";
      else if (min == 0)
        expected = "at most " + std::to_string(max) + " value" + (max == 1 ? "" : "s");
      else
        expected = std::to_string(min) + " to " + std::to_string(max) + " values";
      error(st, context,
            quote(st.keyword) + " expects " + expected + ", got " + std::to_string(st.args.size()));
      return false;
    }
    return true;
  }
  bool not_duplicate(SeenKeywords& seen, const Statement& st, const std::string& context) {
    if (const Statement* first = seen.first(st)) {
      error(st, context, quote(st.keyword) + " is given twice (first at " + where(*first) + ")");
      return false;
    }
    return true;
  }
  // The common case: a single-valued keyword, once per block.
  bool single(SeenKeywords& seen, const Statement& st, const std::string& context) {
    return not_duplicate(seen, st, context) && expect_values(st, context, 1, 1);
  }
  bool flag(SeenKeywords& seen, const Statement& st, const std::string& context) {
    return not_duplicate(seen, st, context) && expect_values(st, context, 0, 0);
  }

  // --- values ----------------------------------------------------------------------------
  std::optional<std::uint64_t> number(const Statement& st, const std::string& context,
                                      const std::string& text, std::uint64_t min,
                                      std::uint64_t max) {
    auto value = parse_unsigned(text, min, max);
    if (!value)
      error(st, context,
            st.keyword + " " + quote(text) + " must be a whole number in " + std::to_string(min) +
                ".." + std::to_string(max));
    return value;
  }
  // A decimal with `decimals` places, scaled; range given in scaled units with its text.
  std::optional<std::int64_t> fixed(const Statement& st, const std::string& context,
                                    const std::string& text, int decimals, std::int64_t min,
                                    std::int64_t max, const std::string& range_text) {
    const FixedResult value = parse_fixed(text, decimals);
    if (value.error == FixedError::too_many_decimals) {
      error(st, context,
            st.keyword + " " + quote(text) + " has more than " + std::to_string(decimals) +
                " decimal places");
      return std::nullopt;
    }
    if (value.error != FixedError::none || value.scaled < min || value.scaled > max) {
      error(st, context, st.keyword + " " + quote(text) + " must be a number in " + range_text);
      return std::nullopt;
    }
    return value.scaled;
  }
  std::optional<IpAddress> address(const Statement& st, const std::string& context,
                                   const std::string& text) {
    auto value = IpAddress::parse(text);
    if (!value) error(st, context, st.keyword + " " + quote(text) + " is not an IP address");
    return value;
  }
  std::optional<Version> version(const Statement& st, const std::string& context) {
    if (st.args[0] == "2") return Version::v2;
    if (st.args[0] == "3") return Version::v3;
    error(st, context, st.keyword + " " + quote(st.args[0]) + " must be 2 or 3");
    return std::nullopt;
  }
  bool interface_name(const Statement& st, const std::string& context, const std::string& name) {
    if (valid_interface_name(name)) return true;
    error(st, context,
          st.keyword + " " + quote(name) +
              " is not a valid interface name (1 to 15 characters, no '/', ':' or spaces)");
    return false;
  }

  // --- global_defs -------------------------------------------------------------------------
  void parse_global_defs(const Statement& block, SeenKeywords& seen, GlobalSettings& globals) {
    const std::string ctx = "global_defs";
    for (const Statement& st : block.block) {
      const std::string& k = st.keyword;
      if (st.keyword_quoted) {
        unknown(st, ctx);
      } else if (k == "router_id") {
        if (single(seen, st, ctx)) globals.router_id = st.args[0];
      } else if (k == "vrrp_version") {
        if (single(seen, st, ctx))
          if (auto v = version(st, ctx)) globals.default_version = *v;
      } else if (k == "vrrp_garp_master_delay") {
        if (single(seen, st, ctx))
          if (auto v = number(st, ctx, st.args[0], 0, 3600))
            globals.garp.master_delay = seconds(*v);
      } else if (k == "vrrp_garp_master_repeat") {
        if (single(seen, st, ctx))
          if (auto v = number(st, ctx, st.args[0], 1, 255))
            globals.garp.master_repeat = static_cast<unsigned>(*v);
      } else if (k == "vrrp_garp_master_refresh") {
        if (single(seen, st, ctx))
          if (auto v = number(st, ctx, st.args[0], 0, 86400))
            globals.garp.master_refresh = seconds(*v);
      } else if (k == "vrrp_garp_master_refresh_repeat") {
        if (single(seen, st, ctx))
          if (auto v = number(st, ctx, st.args[0], 1, 255))
            globals.garp.master_refresh_repeat = static_cast<unsigned>(*v);
      } else if (k == "vrrp_rt_priority") {
        if (single(seen, st, ctx))
          if (auto v = number(st, ctx, st.args[0], 1, 99))
            globals.rt_priority = static_cast<int>(*v);
      } else if (k == "vrrp_no_swap") {
        if (flag(seen, st, ctx)) globals.no_swap = true;
      } else if (k == "notify_fifo" || k == "vrrp_notify_fifo") {
        // One fifo gets every instance's lines (redvip has only VRRP to tell about).
        if (!expect_values(st, ctx, 1, 3)) continue;
        if (!globals.notify_fifo.empty()) {
          error(st, ctx, k + ": a notify fifo is already given (redvip writes every line to one)");
          continue;
        }
        globals.notify_fifo = resolve_path(st.base_dir, st.args[0]);
      } else if (k == "script_user") {
        if (!not_duplicate(seen, st, ctx) || !expect_values(st, ctx, 1, 2)) continue;
        globals.script_user = st.args[0];
        if (st.args.size() == 2) globals.script_group = st.args[1];
      } else if (k == "enable_script_security") {
        // redvip never runs a script through a shell and runs it as script_user or as the
        // user the line names; keepalived's check of the script's path is left to the admin.
        flag(seen, st, ctx);
      } else if (k == "vrrp_mcast_group4") {
        if (single(seen, st, ctx))
          if (auto a = address(st, ctx, st.args[0])) {
            if (a->family != Family::ipv4 || !a->is_multicast())
              error(st, ctx, k + " " + quote(st.args[0]) + " is not an IPv4 multicast address");
            else
              globals.mcast_group4 = *a;
          }
      } else if (k == "vrrp_mcast_group6") {
        if (single(seen, st, ctx))
          if (auto a = address(st, ctx, st.args[0])) {
            // VRRP adverts stay on the link: the group must have link-local scope (ffX2::).
            if (a->family != Family::ipv6 || !a->is_multicast() || (a->bytes[1] & 0x0f) != 2)
              error(st, ctx,
                    k + " " + quote(st.args[0]) +
                        " is not a link-local IPv6 multicast address (ffX2::)");
            else
              globals.mcast_group6 = *a;
          }
      } else if (mail_keyword(k)) {
        warn(st, ctx, k + " is ignored: redvip sends no e-mail (use a notify script to alert)");
      } else {
        unknown(st, ctx);
      }
    }
  }

  // --- redvip_defs -------------------------------------------------------------------------
  void parse_redvip_defs(const Statement& block, SeenKeywords& seen, RedvipSettings& redvip) {
    const std::string ctx = "redvip_defs";
    for (const Statement& st : block.block) {
      const std::string& k = st.keyword;
      if (st.keyword_quoted) {
        unknown(st, ctx);
      } else if (k == "control_socket") {
        if (!single(seen, st, ctx)) continue;
        const std::string& path = st.args[0];
        if (path.empty() || path.size() > kMaxUnixPath)
          error(st, ctx,
                k + " " + quote(path) + " must be a path of 1 to " + std::to_string(kMaxUnixPath) +
                    " characters");
        else
          redvip.control_socket = resolve_path(st.base_dir, path);
      } else if (k == "metrics_address") {
        if (!single(seen, st, ctx)) continue;
        if (auto hp = parse_host_port(st.args[0]))
          redvip.metrics_address = *hp;
        else
          error(st, ctx,
                k + " " + quote(st.args[0]) +
                    " must be IPv4:PORT or [IPv6]:PORT, e.g. 127.0.0.1:9650");
      } else if (k == "notify_timeout") {
        if (single(seen, st, ctx))
          if (auto v = fixed(st, ctx, st.args[0], 3, 100, 3600000, "0.1..3600 seconds"))
            redvip.notify_timeout = milliseconds(*v);
      } else {
        unknown(st, ctx);
      }
    }
  }

  // --- vrrp_instance -----------------------------------------------------------------------
  std::optional<InstanceSettings> parse_instance(const Statement& block,
                                                 const GlobalSettings& globals,
                                                 const RedvipSettings& redvip) {
    PendingInstance p;
    p.block = &block;
    p.context = "vrrp_instance " + block.args[0];
    p.settings.name = block.args[0];
    p.settings.source_file = block.file;
    p.settings.source_line = block.line;
    const std::size_t errors_before = out_.errors.size();
    const std::string& ctx = p.context;
    InstanceSettings& s = p.settings;
    SeenKeywords seen;
    for (const Statement& st : block.block) {
      const std::string& k = st.keyword;
      if (st.keyword_quoted) {
        unknown(st, ctx);
      } else if (k == "state") {
        if (!single(seen, st, ctx)) continue;
        p.state_st = &st;
        if (st.args[0] == "MASTER")
          s.initial_state = InitialState::master;
        else if (st.args[0] == "BACKUP")
          s.initial_state = InitialState::backup;
        else
          error(st, ctx, "state " + quote(st.args[0]) + " must be MASTER or BACKUP");
      } else if (k == "interface") {
        if (!single(seen, st, ctx)) continue;
        p.interface_st = &st;
        if (interface_name(st, ctx, st.args[0])) s.interface = st.args[0];
      } else if (k == "virtual_router_id") {
        if (!single(seen, st, ctx)) continue;
        p.vrid_st = &st;
        if (auto v = number(st, ctx, st.args[0], 1, 255)) s.vrid = static_cast<std::uint8_t>(*v);
      } else if (k == "priority") {
        if (single(seen, st, ctx))
          if (auto v = number(st, ctx, st.args[0], 1, 255))
            s.priority = static_cast<std::uint8_t>(*v);
      } else if (k == "advert_int") {
        if (!single(seen, st, ctx)) continue;
        p.advert_st = &st;
        // The range depends on the version, which may come later: checked in finish().
        if (auto v = fixed(st, ctx, st.args[0], 2, 1, 25500, "0.01..40.95 (v3) or 1..255 (v2)"))
          p.advert_centis = *v;
      } else if (k == "version") {
        if (!single(seen, st, ctx)) continue;
        p.version_st = &st;
        p.version = version(st, ctx);
      } else if (k == "nopreempt") {
        if (flag(seen, st, ctx)) p.nopreempt_st = &st;
      } else if (k == "preempt") {  // keepalived keeps it for backwards compatibility
        if (flag(seen, st, ctx)) p.preempt_st = &st;
      } else if (k == "preempt_delay") {
        if (single(seen, st, ctx))
          if (auto v = fixed(st, ctx, st.args[0], 2, 0, 100000, "0..1000 seconds"))
            s.preempt_delay = Centiseconds(*v);
      } else if (k == "virtual_ipaddress") {
        // Repeated blocks add up, as in keepalived.
        if (block_only(st, ctx)) parse_vips(st, p);
      } else if (k == "unicast_src_ip") {
        if (!single(seen, st, ctx)) continue;
        p.unicast_src_st = &st;
        s.unicast_src = address(st, ctx, st.args[0]);
      } else if (k == "unicast_peer") {
        if (block_only(st, ctx)) parse_peers(st, p);
      } else if (k == "authentication") {
        if (not_duplicate(seen, st, ctx) && block_only(st, ctx)) parse_authentication(st, p);
      } else if (k == "track_interface") {
        if (block_only(st, ctx)) parse_track_interfaces(st, p);
      } else if (k == "use_vmac") {
        if (!not_duplicate(seen, st, ctx) || !expect_values(st, ctx, 0, 1)) continue;
        s.use_vmac = true;
        if (!st.args.empty() && interface_name(st, ctx, st.args[0])) p.vmac_name = st.args[0];
      } else if (k == "garp_master_delay") {
        if (single(seen, st, ctx)) p.garp_delay = number(st, ctx, st.args[0], 0, 3600);
      } else if (k == "garp_master_repeat") {
        if (single(seen, st, ctx)) p.garp_repeat = number(st, ctx, st.args[0], 1, 255);
      } else if (k == "garp_master_refresh") {
        if (single(seen, st, ctx)) p.garp_refresh = number(st, ctx, st.args[0], 0, 86400);
      } else if (k == "garp_master_refresh_repeat") {
        if (single(seen, st, ctx)) p.garp_refresh_repeat = number(st, ctx, st.args[0], 1, 255);
      } else if (k == "dont_track_primary") {
        if (flag(seen, st, ctx)) s.dont_track_primary = true;
      } else if (k == "redis") {
        if (not_duplicate(seen, st, ctx) && block_only(st, ctx)) {
          p.redis_st = &st;
          s.redis = parse_redis(st, ctx + ": redis", p.redis_peer_sts);
        }
      } else if (notify_keyword(k)) {
        if (notify_line(st, ctx, seen, globals, s.notify)) p.notify_sts.push_back(&st);
      } else if (k == "track_script") {
        if (block_only(st, ctx)) parse_track_scripts(st, p);
      } else if (k == "track_file") {
        if (block_only(st, ctx)) parse_track_files(st, p);
      } else if (mail_keyword(k)) {
        warn(st, ctx, k + " is ignored: redvip sends no e-mail (use a notify script to alert)");
      } else {
        unknown(st, ctx);
      }
    }
    finish(p, globals);
    s.notify.fifo = globals.notify_fifo;
    s.notify.timeout = redvip.notify_timeout;
    check_old_recipe(p);
    if (out_.errors.size() != errors_before) return std::nullopt;
    return std::move(p.settings);
  }

  // notify, notify_master|backup|fault|stop in a vrrp_instance or a vrrp_sync_group: false
  // when the line is refused (reported).
  static bool notify_keyword(const std::string& k) {
    return k == "notify" || k == "notify_master" || k == "notify_backup" || k == "notify_fault" ||
           k == "notify_stop";
  }
  bool notify_line(const Statement& st, const std::string& ctx, SeenKeywords& seen,
                   const GlobalSettings& globals, NotifySettings& notify) {
    if (!not_duplicate(seen, st, ctx) || !expect_values(st, ctx, 1, 3)) return false;
    auto command = script_command(st, ctx, globals);
    if (!command) return false;
    const std::string& k = st.keyword;
    auto& slot = k == "notify"          ? notify.any
                 : k == "notify_master" ? notify.master
                 : k == "notify_backup" ? notify.backup
                 : k == "notify_fault"  ? notify.fault
                                        : notify.stop;
    slot = std::move(*command);
    return true;
  }

  // --- vrrp_sync_group ---------------------------------------------------------------------
  void parse_sync_group(const Statement& block, Config& config) {
    const std::string ctx = "vrrp_sync_group" + (block.args.empty() ? "" : " " + block.args[0]);
    if (block.args.size() != 1 || block.args[0].empty()) {
      error(block, "", "vrrp_sync_group expects one name");
      return;
    }
    if (!expect_block(block, ctx)) return;
    for (const auto& other : config.sync_groups) {
      if (other.name == block.args[0]) {
        error(block, "",
              ctx + " is defined twice (first at " + other.source_file + ":" +
                  std::to_string(other.source_line) + ")");
        return;
      }
    }
    SyncGroupSettings g;
    g.name = block.args[0];
    g.source_file = block.file;
    g.source_line = block.line;
    SeenKeywords seen;
    const std::size_t errors_before = out_.errors.size();
    const Statement* group_st = nullptr;
    std::vector<const Statement*> member_sts;
    std::vector<const Statement*> notify_sts;
    for (const Statement& st : block.block) {
      const std::string& k = st.keyword;
      if (st.keyword_quoted) {
        unknown(st, ctx);
      } else if (k == "group") {
        if (!not_duplicate(seen, st, ctx) || !block_only(st, ctx)) continue;
        group_st = &st;
        for (const Statement& name : st.block) {
          if (name.has_block || !name.args.empty()) {
            error(name, ctx + ": group",
                  "one vrrp_instance name a line, got " + quote(name.keyword));
            continue;
          }
          g.members.push_back(name.keyword);
          member_sts.push_back(&name);
        }
      } else if (notify_keyword(k)) {
        if (notify_line(st, ctx, seen, config.globals, g.notify)) notify_sts.push_back(&st);
      } else if (mail_keyword(k)) {
        warn(st, ctx, k + " is ignored: redvip sends no e-mail (use a notify script to alert)");
      } else if (k == "track_interface" || k == "track_script" || k == "track_file" ||
                 k == "global_tracking" || k == "sync_group_tracking_weight") {
        error(st, ctx,
              "unknown keyword " + quote(k) +
                  " (not supported in a sync group: track in each vrrp_instance; one member's "
                  "fault already moves the whole group)");
      } else {
        unknown(st, ctx);
      }
    }
    if (!group_st) {
      error(block, ctx, "needs a group { } block naming its vrrp_instances");
      return;
    }
    for (std::size_t i = 0; i < g.members.size(); ++i) {
      const auto& name = g.members[i];
      const auto& st = *member_sts[i];
      if (std::find(g.members.begin(), g.members.begin() + static_cast<std::ptrdiff_t>(i), name) !=
          g.members.begin() + static_cast<std::ptrdiff_t>(i)) {
        error(st, ctx, "vrrp_instance " + name + " is listed twice");
        continue;
      }
      auto instance = std::find_if(config.instances.begin(), config.instances.end(),
                                   [&](const InstanceSettings& s) { return s.name == name; });
      if (instance == config.instances.end()) {
        error(st, ctx, "no vrrp_instance " + quote(name) + " is configured");
        continue;
      }
      if (!instance->sync_group.empty()) {
        error(st, ctx,
              "vrrp_instance " + name + " is already in vrrp_sync_group " + instance->sync_group +
                  " (an instance is in one group at most)");
        continue;
      }
      instance->sync_group = g.name;
    }
    check_group_recipe(notify_sts, ctx, g, config);
    if (out_.errors.size() != errors_before) return;
    if (g.members.size() == 1)
      warn(*group_st, ctx, "has one member: it changes nothing (name two instances or more)");
    g.notify.fifo = config.globals.notify_fifo;
    g.notify.timeout = config.redvip.notify_timeout;
    config.sync_groups.push_back(std::move(g));
  }

  // --- scripts (agent/notify/ runs them) ------------------------------------------------
  template <typename T>
  static std::string where_defined(const std::map<std::string, Defined<T>>& known,
                                   const std::string& name) {
    auto it = known.find(name);
    return it == known.end() ? std::string()
                             : it->second.st->file + ":" + std::to_string(it->second.st->line);
  }

  // "COMMAND [USER [GROUP]]", as keepalived's notify* and script lines.
  std::optional<ScriptCommand> script_command(const Statement& st, const std::string& ctx,
                                              const GlobalSettings& globals) {
    if (!split_command_line(st.args[0])) {
      error(st, ctx,
            st.keyword + " " + quote(st.args[0]) +
                " is not a command line (empty, or a quote is not closed)");
      return std::nullopt;
    }
    ScriptCommand command;
    command.command = st.args[0];
    command.user = st.args.size() > 1 ? st.args[1] : globals.script_user;
    command.group = st.args.size() > 2   ? st.args[2]
                    : st.args.size() > 1 ? ""
                                         : globals.script_group;
    command.source = where(st);
    return command;
  }

  std::optional<VrrpScriptSettings> parse_vrrp_script(const Statement& block,
                                                      const std::string& ctx,
                                                      const GlobalSettings& globals) {
    VrrpScriptSettings v;
    v.name = block.args[0];
    SeenKeywords seen;
    const std::size_t errors_before = out_.errors.size();
    bool has_script = false;
    bool has_timeout = false;
    std::string user, group;
    for (const Statement& st : block.block) {
      const std::string& k = st.keyword;
      if (st.keyword_quoted) {
        unknown(st, ctx);
      } else if (k == "script") {
        if (!single(seen, st, ctx)) continue;
        if (auto command = script_command(st, ctx, globals)) {
          v.script = std::move(*command);
          has_script = true;
        }
      } else if (k == "interval" || k == "timeout") {
        if (!single(seen, st, ctx)) continue;
        if (auto value = fixed(st, ctx, st.args[0], 3, 10, 3600000, "0.01..3600 seconds")) {
          (k == "interval" ? v.interval : v.timeout) = milliseconds(*value);
          if (k == "timeout") has_timeout = true;
        }
      } else if (k == "weight") {
        if (!not_duplicate(seen, st, ctx)) continue;
        if (auto w = weight(st, ctx)) v.weight = *w;
      } else if (k == "rise" || k == "fall") {
        if (single(seen, st, ctx))
          if (auto value = number(st, ctx, st.args[0], 1, 1000))
            (k == "rise" ? v.rise : v.fall) = static_cast<unsigned>(*value);
      } else if (k == "user") {
        if (!not_duplicate(seen, st, ctx) || !expect_values(st, ctx, 1, 2)) continue;
        user = st.args[0];
        group = st.args.size() == 2 ? st.args[1] : "";
      } else if (k == "init_fail") {
        if (flag(seen, st, ctx)) v.init_fail = true;
      } else {
        unknown(st, ctx);
      }
    }
    if (!has_script) error(block, ctx, "missing \"script\"");
    if (!has_timeout) v.timeout = v.interval;
    if (!user.empty()) {
      v.script.user = user;
      v.script.group = group;
    }
    if (out_.errors.size() != errors_before) return std::nullopt;
    return v;
  }

  // "weight W" with keepalived's range; "reverse" is not supported.
  std::optional<int> weight(const Statement& st, const std::string& ctx) {
    if (!expect_values(st, ctx, 1, 1)) return std::nullopt;
    const std::string& text = st.args[0];
    const bool negative = !text.empty() && text[0] == '-';
    auto magnitude = parse_unsigned(
        negative ? std::string_view(text).substr(1) : std::string_view(text), 0, 253);
    if (!magnitude) {
      error(st, ctx, "weight " + quote(text) + " must be a whole number in -253..253");
      return std::nullopt;
    }
    return negative ? -static_cast<int>(*magnitude) : static_cast<int>(*magnitude);
  }

  std::optional<TrackFileSettings> parse_track_file_block(const Statement& block,
                                                          const std::string& ctx) {
    TrackFileSettings f;
    f.name = block.args[0];
    SeenKeywords seen;
    const std::size_t errors_before = out_.errors.size();
    for (const Statement& st : block.block) {
      const std::string& k = st.keyword;
      if (st.keyword_quoted) {
        unknown(st, ctx);
      } else if (k == "file") {
        if (single(seen, st, ctx)) f.path = resolve_path(st.base_dir, st.args[0]);
      } else if (k == "weight") {
        if (!not_duplicate(seen, st, ctx)) continue;
        if (auto w = weight(st, ctx)) f.weight = *w;
      } else {
        unknown(st, ctx);
      }
    }
    if (f.path.empty() && out_.errors.size() == errors_before)
      error(block, ctx, "missing \"file\"");
    if (out_.errors.size() != errors_before) return std::nullopt;
    return f;
  }

  // "NAME [weight W]" lines; W overrides the definition's weight for this instance.
  std::optional<int> tracked_weight(const Statement& st, const std::string& ctx) {
    if (st.has_block) {
      error(st, ctx, quote(st.keyword) + " takes no { } block");
      return std::nullopt;
    }
    if (st.args.empty()) return 0;
    if (st.args.size() != 2 || st.args[0] != "weight") {
      error(st, ctx, quote(st.keyword) + ": expected \"NAME\" or \"NAME weight W\"");
      return std::nullopt;
    }
    Statement w = st;
    w.keyword = "weight";
    w.args.erase(w.args.begin());
    return weight(w, ctx);
  }

  void parse_track_scripts(const Statement& block, PendingInstance& p) {
    const std::string ctx = p.context + ": track_script";
    for (const Statement& st : block.block) {
      auto w = tracked_weight(st, ctx);
      if (!w) continue;
      auto it = scripts_.find(st.keyword);
      if (it == scripts_.end()) {
        error(st, ctx, "no vrrp_script " + quote(st.keyword) + " is defined");
        continue;
      }
      TrackedScript tracked{it->second.settings};
      if (!st.args.empty()) tracked.script.weight = *w;
      for (const auto& t : p.settings.track_scripts) {
        if (t.script.name == st.keyword) {
          error(st, ctx, quote(st.keyword) + " is listed twice");
          w.reset();
        }
      }
      if (!w) continue;
      p.settings.track_scripts.push_back(std::move(tracked));
      p.track_script_sts.push_back(&st);
    }
  }

  void parse_track_files(const Statement& block, PendingInstance& p) {
    const std::string ctx = p.context + ": track_file";
    for (const Statement& st : block.block) {
      auto w = tracked_weight(st, ctx);
      if (!w) continue;
      auto it = files_.find(st.keyword);
      if (it == files_.end()) {
        error(st, ctx, "no vrrp_track_file " + quote(st.keyword) + " is defined");
        continue;
      }
      TrackedFile tracked{it->second.settings};
      if (!st.args.empty()) tracked.file.weight = *w;
      p.settings.track_files.push_back(std::move(tracked));
    }
  }

  // The old keepalived recipe for Redis (notify scripts running SLAVEOF, a vrrp_script running
  // redis-cli PING): beside a redis { } block, role-changing scripts would fight redvipd's own
  // role changes and are refused; without one, each line is named with what to write instead,
  // one redis { } block for all of them that passes -t as it is written (its peers too).
  void check_old_recipe(PendingInstance& p) {
    const InstanceSettings& s = p.settings;
    const std::string& ctx = p.context;
    std::string redis_address;
    std::vector<std::size_t> pings;
    for (std::size_t i = 0; i < s.track_scripts.size(); ++i) {
      const auto& command = s.track_scripts[i].script.script.command;
      if (!runs_redis_ping({command, program_text(command)})) continue;
      if (redis_address.empty()) redis_address = redis_cli_address(command);
      pings.push_back(i);
    }
    const auto role_changes = role_change_lines(p.notify_sts);
    if (redis_address.empty() && !role_changes.empty())
      redis_address = redis_cli_address(role_changes.front()->args[0]);
    // A recipe that points Redis at the VIP (common) names no peer: the VIP never sends adverts.
    auto target = replication_target_of(role_changes);
    if (target && own_address(s, target->host)) target.reset();
    const std::string block = redis_block_hint(redis_address, target, !s.unicast_peers.empty());
    for (std::size_t i : pings) {
      const auto& script = s.track_scripts[i].script;
      const std::string defined = where_defined(scripts_, script.name);
      if (s.redis)
        warn(*p.track_script_sts[i], ctx,
             "track_script " + script.name +
                 " checks Redis with redis-cli, which the redis { } "
                 "block already does: remove this line and vrrp_script " +
                 script.name + " at " + defined);
      else
        warn(*p.track_script_sts[i], ctx,
             "track_script " + script.name +
                 " checks Redis with redis-cli: replace this line (and "
                 "vrrp_script " +
                 script.name + " at " + defined + ") with " + block +
                 ", which checks Redis "
                 "itself and changes its role in an order that keeps acknowledged writes");
    }
    for (const Statement* st : role_changes)
      role_change_notify(*st, ctx, s.redis ? "the redis { } block" : "", block, "the instance");
  }

  // A vrrp_sync_group's notify scripts, as an instance's: a member with a redis { } block owns
  // that Redis's role, so a group script that changes it is refused the same way.
  void check_group_recipe(const std::vector<const Statement*>& notify_sts, const std::string& ctx,
                          const SyncGroupSettings& g, const Config& config) {
    const auto role_changes = role_change_lines(notify_sts);
    if (role_changes.empty()) return;
    std::string owner;
    bool unicast = false;
    for (const auto& member : g.members) {
      for (const auto& i : config.instances) {
        if (i.name != member) continue;
        if (i.redis && owner.empty()) owner = "the redis { } block of vrrp_instance " + i.name;
        unicast = unicast || !i.unicast_peers.empty();
      }
    }
    const std::string block = redis_block_hint(redis_cli_address(role_changes.front()->args[0]),
                                               replication_target_of(role_changes), unicast);
    for (const Statement* st : role_changes)
      role_change_notify(*st, ctx, owner, block, "the member vrrp_instance in front of this Redis");
  }

  std::vector<const Statement*> role_change_lines(const std::vector<const Statement*>& sts) const {
    std::vector<const Statement*> out;
    for (const Statement* st : sts)
      if (runs_role_change({st->args[0], program_text(st->args[0])})) out.push_back(st);
    return out;
  }

  std::optional<ReplicationTarget> replication_target_of(
      const std::vector<const Statement*>& role_changes) const {
    for (const Statement* st : role_changes)
      if (auto target = replication_target({st->args[0], program_text(st->args[0])})) return target;
    return std::nullopt;
  }

  // One of the instance's VIPs or its unicast source, as written in a command line.
  static bool own_address(const InstanceSettings& s, const std::string& host) {
    for (const auto& v : s.vips)
      if (v.address.to_string() == host) return true;
    return s.unicast_src && s.unicast_src->to_string() == host;
  }

  // The redis { } block that replaces the recipe, on one line that reads as written: the peers
  // are the master the scripts point Redis at (without them, or unicast_peer, the block is
  // refused); peer_port only when that master listens on another port than the local Redis.
  static std::string redis_block_hint(const std::string& address,
                                      const std::optional<ReplicationTarget>& target,
                                      bool has_unicast_peers) {
    const std::string local = address.empty() ? std::string("127.0.0.1 6379") : address;
    if (!target) {
      return "redis { address " + local + " }" +
             (has_unicast_peers ? ""
                                : " (with peers { ADDRESS } inside it, one line per other node)");
    }
    const std::string local_port = local.substr(local.rfind(' ') + 1);
    return "redis { peers { " + target->host + " } " +
           (target->port != local_port ? "peer_port " + target->port + " " : std::string()) +
           "address " + local + " }";
  }

  // owner: what already changes this Redis's role ("" none): then the line is an error,
  // otherwise a warning naming `block` and where to add it.
  void role_change_notify(const Statement& st, const std::string& ctx, const std::string& owner,
                          const std::string& block, const std::string& where_to_add) {
    if (!owner.empty())
      error(st, ctx,
            st.keyword + " runs SLAVEOF/REPLICAOF, which would fight the role changes of " + owner +
                ": remove it (notify scripts are for telling others)");
    else
      warn(st, ctx,
           st.keyword + " runs SLAVEOF/REPLICAOF: remove this line and add " + block + " to " +
               where_to_add +
               "; redvipd then makes the role changes itself, in an order that keeps "
               "acknowledged writes");
  }

  std::string program_text(const std::string& command) const {
    return options_.allow_file_access ? read_script_program(command) : std::string();
  }

  void parse_vips(const Statement& block, PendingInstance& p) {
    const std::string ctx = p.context + ": virtual_ipaddress";
    for (const Statement& st : block.block) {
      if (st.has_block) {
        error(st, ctx, "an address takes no { } block");
        continue;
      }
      auto parsed = parse_prefixed_address(st.keyword);
      if (!parsed) {
        error(st, ctx, quote(st.keyword) + " is not an address or ADDRESS/PREFIX");
        continue;
      }
      VirtualAddress vip;
      vip.address = parsed->address;
      vip.prefix = parsed->prefix;
      if (vip.address.is_multicast() ||
          vip.address == IpAddress::from_bytes(vip.address.family, {}))
        error(st, ctx,
              quote(st.keyword) + " cannot be a virtual address (multicast or unspecified)");
      bool ok = true;
      std::set<std::string> options;
      for (std::size_t i = 0; i < st.args.size() && ok; ++i) {
        const std::string& option = st.args[i];
        if (option != "dev" && option != "label") {
          error(st, ctx,
                quote(st.keyword) + ": unsupported option " + quote(option) +
                    " (supported: dev IF, label LABEL)");
          ok = false;
        } else if (i + 1 >= st.args.size()) {
          error(st, ctx, quote(st.keyword) + ": option " + quote(option) + " needs a value");
          ok = false;
        } else if (!options.insert(option).second) {
          error(st, ctx, quote(st.keyword) + ": option " + quote(option) + " is given twice");
          ok = false;
        } else if (option == "dev") {
          const std::string& dev = st.args[++i];
          if (!valid_interface_name(dev)) {
            error(st, ctx,
                  quote(st.keyword) + ": dev " + quote(dev) + " is not a valid interface name");
            ok = false;
          }
          vip.dev = dev;
        } else {
          const std::string& label = st.args[++i];
          if (vip.address.family != Family::ipv4) {
            error(st, ctx, quote(st.keyword) + ": a label is only possible on an IPv4 address");
            ok = false;
          } else if (label.empty() || label.size() > 15) {
            error(st, ctx,
                  quote(st.keyword) + ": label " + quote(label) + " must have 1 to 15 characters");
            ok = false;
          }
          vip.label = label;
        }
      }
      if (!ok || duplicate_vip(st, ctx, vip, p)) continue;
      p.settings.vips.push_back(std::move(vip));
      p.vip_sts.push_back(&st);
    }
  }

  // keepalived keeps the first copy of an address listed twice (its own sample
  // keepalived.conf.vrrp does it, with a label on the second), so a copy that changes nothing
  // that matters is a warning. A different prefix or device is an error: the two lines ask for
  // different things and the kernel holds the address once, so which one was meant is a guess.
  bool duplicate_vip(const Statement& st, const std::string& ctx, const VirtualAddress& vip,
                     const PendingInstance& p) {
    for (std::size_t i = 0; i < p.settings.vips.size(); ++i) {
      const VirtualAddress& first = p.settings.vips[i];
      if (first.address != vip.address) continue;
      const std::string listed = quote(vip.address.to_string()) + " is listed twice (first at " +
                                 where(*p.vip_sts[i]) + ")";
      // No dev is the instance's interface (when it was given before this block).
      const auto dev_of = [&](const VirtualAddress& v) {
        return v.dev.empty() ? p.settings.interface : v.dev;
      };
      if (first.prefix != vip.prefix || dev_of(first) != dev_of(vip)) {
        error(st, ctx,
              listed + " with a different " + (first.prefix != vip.prefix ? "prefix" : "dev") +
                  ": an interface holds an address once, so keep the one line that is meant");
      } else {
        warn(st, ctx,
             listed + ": this line is ignored, as keepalived does" +
                 (first.label != vip.label
                      ? " (its label " + quote(vip.label.empty() ? "none" : vip.label) +
                            " is not used: the first line's is)"
                      : std::string()));
      }
      return true;
    }
    return false;
  }

  void parse_peers(const Statement& block, PendingInstance& p) {
    parse_address_list(block, p.context, "unicast_peer", p.settings.unicast_peers, p.peer_sts);
  }

  // A block of addresses, one a line (unicast_peer, the redis block's peers): no duplicates.
  void parse_address_list(const Statement& block, const std::string& outer, const std::string& name,
                          std::vector<IpAddress>& list, std::vector<const Statement*>& sts) {
    const std::string ctx = outer + ": " + name;
    if (block.block.empty()) error(block, outer, name + " block is empty");
    for (const Statement& st : block.block) {
      if (st.has_block || !st.args.empty()) {
        error(st, ctx,
              quote(st.keyword) + ": only an address is supported (no min_ttl, max_ttl or block)");
        continue;
      }
      auto peer = IpAddress::parse(st.keyword);
      if (!peer) {
        error(st, ctx, quote(st.keyword) + " is not an IP address");
        continue;
      }
      bool duplicate = false;
      for (std::size_t i = 0; i < list.size(); ++i) {
        if (list[i] == *peer) {
          error(st, ctx, quote(st.keyword) + " is listed twice (first at " + where(*sts[i]) + ")");
          duplicate = true;
        }
      }
      if (duplicate) continue;
      list.push_back(*peer);
      sts.push_back(&st);
    }
  }

  void parse_authentication(const Statement& block, PendingInstance& p) {
    const std::string ctx = p.context + ": authentication";
    p.auth_st = &block;
    SeenKeywords seen;
    const Statement* type_st = nullptr;
    const Statement* pass_st = nullptr;
    for (const Statement& st : block.block) {
      if (st.keyword_quoted) {
        unknown(st, ctx);
      } else if (st.keyword == "auth_type") {
        if (!single(seen, st, ctx)) continue;
        type_st = &st;
        if (st.args[0] == "AH")
          error(st, ctx,
                "auth_type AH is not supported (IPsec AH was removed from VRRP by RFC 3768)");
        else if (st.args[0] != "PASS")
          error(st, ctx, "auth_type " + quote(st.args[0]) + " must be PASS");
      } else if (st.keyword == "auth_pass") {
        if (!single(seen, st, ctx)) continue;
        pass_st = &st;
        std::string pass = st.args[0];
        if (pass.empty()) {
          error(st, ctx, "auth_pass is empty");
          continue;
        }
        // keepalived keeps the first 8 bytes (the field's size) and warns; peers configured
        // with the long password therefore interoperate, so we do the same.
        if (pass.size() > 8) {
          pass.resize(8);
          warn(st, ctx, "auth_pass is longer than 8 characters: only the first 8 are used");
        }
        p.settings.auth_password = std::move(pass);
      } else {
        unknown(st, ctx);
      }
    }
    if (!type_st) error(block, p.context, "authentication needs auth_type PASS");
    if (!pass_st) error(block, p.context, "authentication needs auth_pass");
  }

  // "IFNAME" or "IFNAME weight W", keepalived's lines.
  void parse_track_interfaces(const Statement& block, PendingInstance& p) {
    const std::string ctx = p.context + ": track_interface";
    for (const Statement& st : block.block) {
      if (!st.has_block && st.args.size() == 3 && st.args[0] == "weight" &&
          st.args[2] == "reverse") {
        // "weight W reverse" counts the interface as up while it is down; no plain weight says
        // that (a positive one adds while up, a negative one subtracts while down).
        error(st, ctx,
              quote(st.keyword) + ": reverse is not supported: track a vrrp_script that succeeds " +
                  "while " + st.keyword + " is down (one that tests /sys/class/net/" + st.keyword +
                  "/operstate) with weight " + st.args[1] + " in track_script");
        continue;
      }
      auto w = tracked_weight(st, ctx);
      if (!w) continue;
      if (!valid_interface_name(st.keyword)) {
        error(st, ctx, quote(st.keyword) + " is not a valid interface name");
        continue;
      }
      auto& list = p.settings.track_interfaces;
      if (std::any_of(list.begin(), list.end(),
                      [&](const TrackedInterface& t) { return t.name == st.keyword; })) {
        error(st, ctx, quote(st.keyword) + " is listed twice");
        continue;
      }
      list.push_back({st.keyword, *w});
    }
  }

  std::optional<RedisSettings> parse_redis(const Statement& block, const std::string& ctx,
                                           std::vector<const Statement*>& peer_sts) {
    RedisSettings r;
    SeenKeywords seen;
    const Statement* peer_port_st = nullptr;
    const Statement* password_st = nullptr;
    const Statement* password_file_st = nullptr;
    const std::size_t errors_before = out_.errors.size();
    for (const Statement& st : block.block) {
      const std::string& k = st.keyword;
      if (st.keyword_quoted) {
        unknown(st, ctx);
      } else if (k == "address") {
        if (!not_duplicate(seen, st, ctx) || !expect_values(st, ctx, 1, 2)) continue;
        if (auto a = address(st, ctx, st.args[0])) r.address = *a;
        if (st.args.size() == 2)
          if (auto port = number(st, ctx, st.args[1], 1, 65535))
            r.port = static_cast<std::uint16_t>(*port);
      } else if (k == "peer_port") {
        if (!single(seen, st, ctx)) continue;
        peer_port_st = &st;
        if (auto port = number(st, ctx, st.args[0], 1, 65535))
          r.peer_port = static_cast<std::uint16_t>(*port);
      } else if (k == "peers") {
        if (not_duplicate(seen, st, ctx) && block_only(st, ctx))
          parse_address_list(st, ctx, "peers", r.peers, peer_sts);
      } else if (k == "user") {
        if (!single(seen, st, ctx)) continue;
        if (st.args[0].empty())
          error(st, ctx, "user is empty");
        else
          r.user = st.args[0];
      } else if (k == "password") {
        if (!single(seen, st, ctx)) continue;
        password_st = &st;
        if (st.args[0].empty()) {
          error(st, ctx, "password is empty");
          continue;
        }
        r.password = st.args[0];
        warn(st, ctx, "password is written in the config file; prefer password_file");
      } else if (k == "password_file") {
        if (!single(seen, st, ctx)) continue;
        password_file_st = &st;
        if (auto secret = read_password_file(st, ctx)) {
          r.password = std::move(*secret);
          r.password_file = resolve_path(st.base_dir, st.args[0]);
        }
      } else if (k == "check_interval" || k == "check_timeout") {
        if (!single(seen, st, ctx)) continue;
        if (auto v = fixed(st, ctx, st.args[0], 3, 10, 10000, "0.01..10 seconds"))
          (k == "check_interval" ? r.check_interval : r.check_timeout) = milliseconds(*v);
      } else if (k == "fall" || k == "rise") {
        if (!single(seen, st, ctx)) continue;
        if (auto v = number(st, ctx, st.args[0], 1, 100))
          (k == "fall" ? r.fall : r.rise) = static_cast<unsigned>(*v);
      } else if (k == "handover_timeout") {
        if (!single(seen, st, ctx)) continue;
        if (auto v = fixed(st, ctx, st.args[0], 3, 100, 300000, "0.1..300 seconds"))
          r.handover_timeout = milliseconds(*v);
      } else if (k == "diverged_writes_dir") {
        if (!single(seen, st, ctx)) continue;
        if (st.args[0].empty())
          error(st, ctx, "diverged_writes_dir is empty");
        else
          r.diverged_writes_dir = resolve_path(st.base_dir, st.args[0]);
      } else if (k == "diverged_writes_merge") {
        if (!single(seen, st, ctx)) continue;
        if (st.args[0] == "on" || st.args[0] == "off")
          r.diverged_writes_merge = st.args[0] == "on";
        else
          error(st, ctx, "diverged_writes_merge must be on or off, not " + quote(st.args[0]));
      } else if (k == "peer_loss_pause") {
        if (!single(seen, st, ctx)) continue;
        if (st.args[0] == "off" || st.args[0] == "auto") {
          r.peer_loss_pause.on = st.args[0] == "auto";
        } else if (auto v = fixed(st, ctx, st.args[0], 3, 10, 600000,
                                  "0.01..600 seconds, or off or auto")) {
          r.peer_loss_pause = {true, milliseconds(*v)};
        }
      } else {
        unknown(st, ctx);
      }
    }
    if (password_st && password_file_st)
      error(*password_st, ctx,
            "password and password_file are both given (first at " + where(*password_file_st) +
                "); keep one");
    if (!peer_port_st) r.peer_port = r.port;
    if (out_.errors.size() != errors_before) return std::nullopt;
    return r;
  }

  std::optional<std::string> read_password_file(const Statement& st, const std::string& ctx) {
    if (!options_.allow_file_access) {
      error(st, ctx, "password_file is not allowed here");
      return std::nullopt;
    }
    const std::string path = resolve_path(st.base_dir, st.args[0]);
    std::string secret;
    std::string why;
    // The messages below name the file, never its content.
    if (!read_config_file(path, secret, why, kMaxPasswordFileSize)) {
      error(st, ctx, "password_file " + quote(path) + ": " + why);
      return std::nullopt;
    }
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    if (secret.empty()) {
      error(st, ctx, "password_file " + quote(path) + " is empty");
      return std::nullopt;
    }
    if (secret.find_first_of("\r\n") != std::string::npos) {
      error(st, ctx, "password_file " + quote(path) + " must hold the password on one line");
      return std::nullopt;
    }
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0 && (info.st_mode & S_IROTH))
      warn(st, ctx, "password_file " + quote(path) + " is readable by every user");
    return secret;
  }

  // Settings that depend on each other, checked once the whole block is read.
  void finish(PendingInstance& p, const GlobalSettings& globals) {
    InstanceSettings& s = p.settings;
    const std::string& ctx = p.context;
    const Statement& block = *p.block;
    if (!p.interface_st) error(block, ctx, "missing \"interface\"");
    if (!p.vrid_st) error(block, ctx, "missing \"virtual_router_id\"");
    if (s.vips.empty()) {
      error(block, ctx, "missing \"virtual_ipaddress\" (at least one address)");
      return;
    }
    if (s.vips.size() > kMaxVips)
      error(*p.vip_sts[kMaxVips], ctx,
            "more than " + std::to_string(kMaxVips) +
                " virtual addresses (one advert cannot carry them)");

    s.family = s.vips.front().address.family;
    for (std::size_t i = 1; i < s.vips.size(); ++i) {
      if (s.vips[i].address.family != s.family)
        error(*p.vip_sts[i], ctx,
              "virtual_ipaddress " + quote(s.vips[i].address.to_string()) + " is " +
                  family_name(s.vips[i].address.family) + " but the first address is " +
                  family_name(s.family) + " (use one vrrp_instance per address family)");
    }

    // Like keepalived: an IPv6 instance runs v3 unless the instance itself asks otherwise.
    if (p.version)
      s.version = *p.version;
    else
      s.version = s.family == Family::ipv6 ? Version::v3 : globals.default_version;
    if (s.version == Version::v2 && s.family == Family::ipv6 && p.version_st)
      error(*p.version_st, ctx, "version 2 cannot carry IPv6 addresses (use version 3)");

    if (p.advert_st) {
      const std::int64_t cs = p.advert_centis;
      if (s.version == Version::v2 && cs % 100 != 0)
        error(*p.advert_st, ctx,
              "advert_int " + quote(p.advert_st->args[0]) +
                  ": a fractional interval needs version 3");
      else if (s.version == Version::v3 && cs > 4095)
        error(*p.advert_st, ctx,
              "advert_int " + quote(p.advert_st->args[0]) +
                  " must be 0.01..40.95 seconds with version 3");
    }
    s.advert_interval = Centiseconds(p.advert_centis);

    if (p.auth_st && s.version == Version::v3)
      error(*p.auth_st, ctx,
            "authentication is not part of VRRP version 3 (remove it or use version 2)");

    if (p.nopreempt_st && p.preempt_st)
      error(*p.preempt_st, ctx,
            "preempt and nopreempt contradict each other (nopreempt at " + where(*p.nopreempt_st) +
                ")");
    // keepalived clears nopreempt on a MASTER instance (with a warning): same here, so a
    // keepalived config behaves the same under redvip.
    s.preempt = p.nopreempt_st == nullptr || s.initial_state == InitialState::master;
    if (p.nopreempt_st && s.initial_state == InitialState::master)
      warn(*p.nopreempt_st, ctx,
           "nopreempt does not work with state MASTER and is cleared (use state BACKUP)");

    if (s.unicast_src && s.unicast_src->family != s.family)
      error(*p.unicast_src_st, ctx,
            "unicast_src_ip " + quote(s.unicast_src->to_string()) + " is " +
                family_name(s.unicast_src->family) + " but the instance is " +
                family_name(s.family));
    for (std::size_t i = 0; i < s.unicast_peers.size(); ++i) {
      if (s.unicast_peers[i].family != s.family)
        error(*p.peer_sts[i], ctx,
              "unicast_peer " + quote(s.unicast_peers[i].to_string()) + " is " +
                  family_name(s.unicast_peers[i].family) + " but the instance is " +
                  family_name(s.family));
    }

    if (s.redis) finish_redis_peers(p);

    s.garp = globals.garp;
    if (p.garp_delay) s.garp.master_delay = seconds(*p.garp_delay);
    if (p.garp_repeat) s.garp.master_repeat = static_cast<unsigned>(*p.garp_repeat);
    if (p.garp_refresh) s.garp.master_refresh = seconds(*p.garp_refresh);
    if (p.garp_refresh_repeat)
      s.garp.master_refresh_repeat = static_cast<unsigned>(*p.garp_refresh_repeat);

    if (s.use_vmac) {
      s.vmac_name = p.vmac_name
                        ? *p.vmac_name
                        : vrrp::default_vmac_name(s.vrid, s.family, [this](std::string_view n) {
                            return vmac_names_.count(std::string(n)) > 0;
                          });
      vmac_names_.insert(s.vmac_name);
    }
  }

  // Whose Redis ours may replicate from, catch up with or ask: the redis block's peers, else the
  // unicast peers. An advert from any other address may cost the VIP (VRRP has no more
  // protection than that) but never a REPLICAOF or a connection, so the set must be explicit.
  void finish_redis_peers(PendingInstance& p) {
    InstanceSettings& s = p.settings;
    const std::string ctx = p.context + ": redis";
    for (std::size_t i = 0; i < s.redis->peers.size(); ++i) {
      if (s.redis->peers[i].family != s.family)
        error(*p.redis_peer_sts[i], ctx,
              "peer " + quote(s.redis->peers[i].to_string()) + " is " +
                  family_name(s.redis->peers[i].family) + " but the instance is " +
                  family_name(s.family));
    }
    if (s.redis->peers.empty()) s.redis->peers = s.unicast_peers;
    if (s.redis->peers.empty())
      error(*p.redis_st, p.context,
            "the redis block needs its peers: list them in peers { } (or use unicast_peer); "
            "redis never replicates from an address that is not a configured peer");
  }

  LoadResult& out_;
  const ParseOptions& options_;
  std::set<std::string> vmac_names_;  // VMAC names given so far: a default name avoids them
  std::map<std::string, Defined<VrrpScriptSettings>> scripts_;
  std::map<std::string, Defined<TrackFileSettings>> files_;
};

LoadResult parse_statements(const TreeResult& tree, const std::string& main_file,
                            const ParseOptions& options) {
  LoadResult out;
  out.errors = tree.errors;
  out.warnings = tree.warnings;
  if (!out.errors.empty()) return out;
  Parser parser(out, options);
  Config config = parser.run(tree.statements, main_file);
  if (out.errors.empty()) validate_config(config, out.errors);
  if (out.errors.empty()) out.config = std::move(config);
  return out;
}

}  // namespace

LoadResult load_config_file(const std::string& path) {
  std::string text;
  std::string why;
  if (!read_config_file(path, text, why, std::size_t{1} << 20)) {
    LoadResult out;
    out.errors.push_back({path, 0, "cannot read the configuration: " + why});
    return out;
  }
  const ParseOptions options;
  const TreeResult tree = read_statements(text, path, directory_of(path), ReadOptions{});
  return parse_statements(tree, path, options);
}

LoadResult parse_config_text(std::string_view text, const std::string& name) {
  return parse_config_text(text, name, ParseOptions{});
}

LoadResult parse_config_text(std::string_view text, const std::string& name,
                             const ParseOptions& options) {
  const TreeResult tree = read_statements(text, name, "", ReadOptions{options.allow_file_access});
  return parse_statements(tree, name, options);
}

}  // namespace redvip::agent
