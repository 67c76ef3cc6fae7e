// Every way a config can be wrong gives an error naming file:line and the keyword, and no
// config: the daemon must never start on a half-understood file.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "agent/config/parser.hpp"

using redvip::agent::LoadResult;
using redvip::agent::parse_config_text;
using redvip::agent::ParseOptions;

namespace {

const std::string kName = "/etc/redvip/redvip.conf";

// A valid instance; `extra` starts on line 7.
std::string instance(const std::string& extra) {
  return "vrrp_instance VI_1 {\n"
         "    interface eth0\n"
         "    virtual_router_id 51\n"
         "    virtual_ipaddress {\n"
         "        192.0.2.1\n"
         "    }\n" +
         extra + "\n}\n";
}

// An instance without addresses; `extra` starts on line 4.
std::string instance_without_vips(const std::string& extra) {
  return "vrrp_instance VI_1 {\n"
         "    interface eth0\n"
         "    virtual_router_id 51\n" +
         extra + "\n}\n";
}

// A valid instance whose redis block holds `extra`, starting on line 8.
std::string redis(const std::string& extra) {
  return instance("    redis {\n" + extra + "\n    }");
}

struct ErrorCase {
  const char* what;
  std::string text;
  int line;
  std::string fragment;  // must appear in the message (it names the keyword)
};

void check_error(const ErrorCase& c, const ParseOptions& options = {}) {
  DYNAMIC_SECTION(c.what) {
    const LoadResult result = parse_config_text(c.text, kName, options);
    std::string all;
    bool found = false;
    for (const auto& e : result.errors) {
      all += e.to_string() + "\n";
      const std::string prefix = kName + ":" + std::to_string(c.line) + ": ";
      if (e.file == kName && e.line == c.line && e.to_string().rfind(prefix, 0) == 0 &&
          e.message.find(c.fragment) != std::string::npos)
        found = true;
    }
    INFO("text:\n" << c.text);
    INFO("errors:\n" << all);
    CHECK(found);
    CHECK_FALSE(result.config);
  }
}

}  // namespace

TEST_CASE("Config: the message has the form file:line: block: problem", "[config]") {
  const LoadResult result = parse_config_text(instance("    foo 1"), kName);
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].to_string() ==
        "/etc/redvip/redvip.conf:7: vrrp_instance VI_1: unknown keyword \"foo\"");
  CHECK_FALSE(result.config);
}

TEST_CASE("Config: syntax errors name file and line", "[config]") {
  std::string deep;
  for (int i = 0; i < 20; ++i) deep += "a {\n";
  const std::vector<ErrorCase> cases = {
      {"unterminated quote", "global_defs {\n  router_id \"abc\n}\n", 2,
       "unterminated quoted string"},
      {"quote inside a word", "global_defs {\n  router_id ab\"c\"\n}\n", 2, "inside a word"},
      {"text after a quote", "global_defs {\n  router_id \"ab\"c\n}\n", 2, "closing quote"},
      {"control character", "global_defs {\n  router_id a\x01z\n}\n", 2, "control character 0x01"},
      {"NUL byte", std::string("global_defs {\n\n  router_id a") + '\0' + "z\n}\n", 3,
       "control character 0x00"},
      {"stray closing brace", "global_defs {\n}\n}\n", 3, "unexpected '}'"},
      {"missing closing brace", "global_defs {\n  router_id a\n", 1, "missing '}'"},
      {"brace without keyword", "{\n}\n", 1, "'{' without a keyword"},
      {"nesting too deep", deep, 17, "nested too deeply"},
  };
  for (const auto& c : cases) check_error(c);
}

TEST_CASE("Config: top-level errors", "[config]") {
  const std::vector<ErrorCase> cases = {
      {"unknown top keyword", "\nvrrp_scriptx chk {\n}\n", 2, "unknown keyword \"vrrp_scriptx\""},
      {"vrrp_script without script", "vrrp_script chk {\n  interval 1\n}\n" + instance(""), 1,
       "vrrp_script chk: missing \"script\""},
      {"vrrp_script twice",
       "vrrp_script chk {\n  script x\n}\nvrrp_script chk {\n  script y\n}\n" + instance(""), 4,
       "vrrp_script chk is defined twice (first at /etc/redvip/redvip.conf:1)"},
      {"vrrp_script weight out of range",
       "vrrp_script chk {\n  script x\n  weight 254\n}\n" + instance(""), 3,
       "weight \"254\" must be a whole number in -253..253"},
      {"vrrp_script unclosed quote", "vrrp_script chk {\n  script \"a 'b\"\n}\n" + instance(""), 2,
       "is not a command line"},
      {"vrrp_track_file without file", "vrrp_track_file f {\n  weight 2\n}\n" + instance(""), 1,
       "missing \"file\""},
      {"notify_fifo twice",
       "global_defs {\n  notify_fifo /a\n  vrrp_notify_fifo /b\n}\n" + instance(""), 3,
       "a notify fifo is already given"},
      {"vrrp_sync_group without group", "vrrp_sync_group G {\n}\n" + instance(""), 1,
       "vrrp_sync_group G: needs a group { } block"},
      {"vrrp_sync_group naming no instance",
       "vrrp_sync_group G {\n  group {\n    VI_1\n    VI_9\n  }\n}\n" + instance(""), 4,
       "vrrp_sync_group G: no vrrp_instance \"VI_9\" is configured"},
      {"vrrp_sync_group listing one twice",
       "vrrp_sync_group G {\n  group {\n    VI_1\n    VI_1\n  }\n}\n" + instance(""), 4,
       "vrrp_instance VI_1 is listed twice"},
      {"an instance in two sync groups",
       "vrrp_sync_group G {\n  group {\n    VI_1\n  }\n}\nvrrp_sync_group H {\n  group {\n"
       "    VI_1\n  }\n}\n" +
           instance(""),
       8, "vrrp_instance VI_1 is already in vrrp_sync_group G"},
      {"vrrp_sync_group defined twice",
       "vrrp_sync_group G {\n  group {\n    VI_1\n  }\n}\nvrrp_sync_group G {\n  group {\n"
       "    VI_1\n  }\n}\n" +
           instance(""),
       6, "vrrp_sync_group G is defined twice"},
      {"tracking in a sync group",
       "vrrp_sync_group G {\n  group {\n    VI_1\n  }\n  track_interface {\n    eth1\n  }\n}\n" +
           instance(""),
       5, "not supported in a sync group: track in each vrrp_instance"},
      {"quoted keyword", "\"vrrp_instance\" X {\n}\n", 1, "unknown keyword \"vrrp_instance\""},
      {"instance without name", "vrrp_instance {\n}\n", 1, "vrrp_instance expects one name"},
      {"instance with two names", "vrrp_instance A B {\n}\n", 1, "vrrp_instance expects one name"},
      {"instance without block", "vrrp_instance A\n", 1, "\"vrrp_instance\" needs a { } block"},
      {"global_defs without block", "global_defs\n" + instance(""), 1,
       "\"global_defs\" needs a { } block"},
      {"redvip_defs without block", "redvip_defs x\n" + instance(""), 1,
       "\"redvip_defs\" needs a { } block"},
      {"include not allowed when files are off", "include /etc/x.conf\n", 1,
       "include is not allowed here"},
  };
  for (const auto& c : cases) check_error(c, ParseOptions{false});
}

TEST_CASE("Config: a file without instances is refused", "[config]") {
  const LoadResult result = parse_config_text("global_defs {\n  router_id a\n}\n", kName);
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].to_string() == kName + ": no vrrp_instance is configured");
}

TEST_CASE("Config: global_defs errors", "[config]") {
  const std::string tail = "}\n" + instance("");
  const std::vector<ErrorCase> cases = {
      {"unknown", "global_defs {\n  enable_script_checks\n" + tail, 2,
       "unknown keyword \"enable_script_checks\""},
      {"enable_script_security takes no value",
       "global_defs {\n  enable_script_security yes\n" + tail, 2,
       "\"enable_script_security\" expects no value, got 1"},
      {"router_id two values", "global_defs {\n  router_id a b\n" + tail, 2,
       "\"router_id\" expects one value, got 2"},
      {"router_id with a block", "global_defs {\n  router_id a {\n  }\n" + tail, 2,
       "\"router_id\" takes no { } block"},
      {"router_id twice", "global_defs {\n  router_id a\n  router_id b\n" + tail, 3,
       "\"router_id\" is given twice (first at /etc/redvip/redvip.conf:2)"},
      {"router_id twice across blocks",
       "global_defs {\n  router_id a\n}\nglobal_defs {\n  router_id b\n" + tail, 5,
       "\"router_id\" is given twice"},
      {"vrrp_version 4", "global_defs {\n  vrrp_version 4\n" + tail, 2,
       "vrrp_version \"4\" must be 2 or 3"},
      {"vrrp_rt_priority 0", "global_defs {\n  vrrp_rt_priority 0\n" + tail, 2,
       "vrrp_rt_priority \"0\" must be a whole number in 1..99"},
      {"vrrp_rt_priority 100", "global_defs {\n  vrrp_rt_priority 100\n" + tail, 2,
       "vrrp_rt_priority \"100\" must be a whole number in 1..99"},
      {"vrrp_no_swap with a value", "global_defs {\n  vrrp_no_swap yes\n" + tail, 2,
       "\"vrrp_no_swap\" expects no value, got 1"},
      {"vrrp_garp_master_delay", "global_defs {\n  vrrp_garp_master_delay 3601\n" + tail, 2,
       "vrrp_garp_master_delay \"3601\" must be a whole number in 0..3600"},
      {"vrrp_garp_master_delay negative", "global_defs {\n  vrrp_garp_master_delay -1\n" + tail, 2,
       "vrrp_garp_master_delay \"-1\""},
      {"vrrp_garp_master_repeat", "global_defs {\n  vrrp_garp_master_repeat 0\n" + tail, 2,
       "vrrp_garp_master_repeat \"0\" must be a whole number in 1..255"},
      {"vrrp_garp_master_refresh", "global_defs {\n  vrrp_garp_master_refresh 86401\n" + tail, 2,
       "vrrp_garp_master_refresh \"86401\""},
      {"vrrp_garp_master_refresh_repeat",
       "global_defs {\n  vrrp_garp_master_refresh_repeat 256\n" + tail, 2,
       "vrrp_garp_master_refresh_repeat \"256\""},
      {"vrrp_mcast_group4 unicast", "global_defs {\n  vrrp_mcast_group4 10.0.0.1\n" + tail, 2,
       "vrrp_mcast_group4 \"10.0.0.1\" is not an IPv4 multicast address"},
      {"vrrp_mcast_group4 IPv6", "global_defs {\n  vrrp_mcast_group4 ff02::12\n" + tail, 2,
       "vrrp_mcast_group4 \"ff02::12\" is not an IPv4 multicast"},
      {"vrrp_mcast_group4 garbage", "global_defs {\n  vrrp_mcast_group4 nope\n" + tail, 2,
       "vrrp_mcast_group4 \"nope\" is not an IP address"},
      {"vrrp_mcast_group6 site scope", "global_defs {\n  vrrp_mcast_group6 ff05::12\n" + tail, 2,
       "vrrp_mcast_group6 \"ff05::12\" is not a link-local IPv6 multicast"},
  };
  for (const auto& c : cases) check_error(c);
}

TEST_CASE("Config: redvip_defs errors", "[config]") {
  const std::string tail = "}\n" + instance("");
  const std::vector<ErrorCase> cases = {
      {"control_socket too long",
       "redvip_defs {\n  control_socket /" + std::string(120, 'a') + "\n" + tail, 2,
       "redvip_defs: control_socket"},
      {"metrics_address without port", "redvip_defs {\n  metrics_address 127.0.0.1\n" + tail, 2,
       "metrics_address \"127.0.0.1\" must be IPv4:PORT or [IPv6]:PORT"},
      {"metrics_address unbracketed IPv6", "redvip_defs {\n  metrics_address ::1:9150\n" + tail, 2,
       "metrics_address \"::1:9150\""},
      {"metrics_address port 0", "redvip_defs {\n  metrics_address 127.0.0.1:0\n" + tail, 2,
       "metrics_address"},
      {"unknown", "redvip_defs {\n  log_level debug\n" + tail, 2,
       "redvip_defs: unknown keyword \"log_level\""},
  };
  for (const auto& c : cases) check_error(c);
}

TEST_CASE("Config: vrrp_instance keyword errors", "[config]") {
  const std::vector<ErrorCase> cases = {
      {"unknown keyword", instance("    foo"), 7, "vrrp_instance VI_1: unknown keyword \"foo\""},
      {"track_script of an undefined script", instance("    track_script {\n      chk\n    }"), 8,
       "no vrrp_script \"chk\" is defined"},
      {"track_file of an undefined file", instance("    track_file {\n      f\n    }"), 8,
       "no vrrp_track_file \"f\" is defined"},
      {"notify_master twice", instance("    notify_master /bin/true\n    notify_master /bin/false"),
       8, "\"notify_master\" is given twice"},
      {"notify with four values", instance("    notify /bin/true a b c"), 7,
       "\"notify\" expects 1 to 3 values, got 4"},
      {"notify_deleted gets a hint", instance("    notify_deleted /bin/true"), 7,
       "unknown keyword \"notify_deleted\" (not supported"},
      {"virtual_ipaddress_excluded", instance("    virtual_ipaddress_excluded {\n 10.0.0.1\n }"), 7,
       "unknown keyword \"virtual_ipaddress_excluded\""},
      {"virtual_routes says where routes go",
       instance("    virtual_routes {\n 10.1.0.0/24 via 10.0.0.254\n }"), 7,
       "unknown keyword \"virtual_routes\" (not supported: redvip adds and removes only the "
       "virtual addresses; keep routes"},
      {"virtual_server says what to keep", "virtual_server 10.0.0.1 80 {\n}\n", 1,
       "unknown keyword \"virtual_server\" (not supported: redvip has no load balancer"},
      {"state FAULT", instance("    state FAULT"), 7, "state \"FAULT\" must be MASTER or BACKUP"},
      {"state lowercase", instance("    state master"), 7,
       "state \"master\" must be MASTER or BACKUP"},
      {"state without value", instance("    state"), 7, "\"state\" expects one value, got 0"},
      {"interface twice", instance_without_vips("    interface eth0\n"), 4,
       "\"interface\" is given twice"},
      {"interface name invalid",
       "vrrp_instance VI_1 {\n  interface abcdefghijklmnop\n  virtual_router_id 1\n  "
       "virtual_ipaddress {\n 10.0.0.1\n }\n}\n",
       2, "interface \"abcdefghijklmnop\" is not a valid interface name"},
      {"virtual_router_id 0",
       "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 0\n  virtual_ipaddress {\n "
       "10.0.0.1\n }\n}\n",
       3, "virtual_router_id \"0\" must be a whole number in 1..255"},
      {"virtual_router_id 256",
       "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 256\n  virtual_ipaddress {\n "
       "10.0.0.1\n }\n}\n",
       3, "virtual_router_id \"256\""},
      {"virtual_router_id hex",
       "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 0x10\n  virtual_ipaddress {\n "
       "10.0.0.1\n }\n}\n",
       3, "virtual_router_id \"0x10\""},
      {"priority 0", instance("    priority 0"), 7,
       "priority \"0\" must be a whole number in 1..255"},
      {"priority 256", instance("    priority 256"), 7, "priority \"256\""},
      {"priority twice", instance("    priority 100\n    priority 101"), 8,
       "\"priority\" is given twice (first at /etc/redvip/redvip.conf:7)"},
      {"advert_int too precise", instance("    version 3\n    advert_int 0.005"), 8,
       "advert_int \"0.005\" has more than 2 decimal places"},
      {"advert_int zero", instance("    advert_int 0"), 7, "advert_int \"0\" must be a number in"},
      {"advert_int 256", instance("    advert_int 256"), 7, "advert_int \"256\""},
      {"advert_int garbage", instance("    advert_int fast"), 7, "advert_int \"fast\""},
      {"advert_int fractional with v2", instance("    advert_int 0.5"), 7,
       "advert_int \"0.5\": a fractional interval needs version 3"},
      {"advert_int fractional with explicit v2", instance("    version 2\n    advert_int 1.5"), 8,
       "advert_int \"1.5\": a fractional interval needs version 3"},
      {"advert_int above the v3 maximum", instance("    version 3\n    advert_int 41"), 8,
       "advert_int \"41\" must be 0.01..40.95 seconds with version 3"},
      {"version 4", instance("    version 4"), 7, "version \"4\" must be 2 or 3"},
      {"nopreempt with a value", instance("    nopreempt yes"), 7,
       "\"nopreempt\" expects no value, got 1"},
      {"preempt and nopreempt", instance("    nopreempt\n    preempt"), 8,
       "preempt and nopreempt contradict each other"},
      {"preempt_delay 1001", instance("    preempt_delay 1001"), 7,
       "preempt_delay \"1001\" must be a number in 0..1000"},
      {"preempt_delay too precise", instance("    preempt_delay 1.005"), 7,
       "preempt_delay \"1.005\" has more than 2 decimal places"},
      {"use_vmac with a MAC", instance("    use_vmac vrrp1 00:00:5e:00:01:01"), 7,
       "\"use_vmac\" expects at most 1 value, got 2"},
      {"use_vmac bad name", instance("    use_vmac vrrp/1"), 7,
       "use_vmac \"vrrp/1\" is not a valid interface name"},
      {"garp_master_delay", instance("    garp_master_delay 3601"), 7,
       "garp_master_delay \"3601\""},
      {"garp_master_repeat", instance("    garp_master_repeat 0"), 7, "garp_master_repeat \"0\""},
      {"garp_master_refresh", instance("    garp_master_refresh x"), 7,
       "garp_master_refresh \"x\""},
      {"garp_master_refresh_repeat", instance("    garp_master_refresh_repeat 1000"), 7,
       "garp_master_refresh_repeat \"1000\""},
      {"dont_track_primary with a value", instance("    dont_track_primary on"), 7,
       "\"dont_track_primary\" expects no value"},
      {"track_interface weight out of range",
       instance("    track_interface {\n      eth1 weight 254\n    }"), 8,
       "track_interface: weight \"254\" must be a whole number in -253..253"},
      {"track_interface reverse",
       instance("    track_interface {\n      eth1 weight -2 reverse\n    }"), 8,
       "track_interface: \"eth1\": reverse is not supported: track a vrrp_script that succeeds "
       "while eth1 is down (one that tests /sys/class/net/eth1/operstate) with weight -2 in "
       "track_script"},
      {"track_interface other words", instance("    track_interface {\n      eth1 prio 2\n    }"),
       8, "track_interface: \"eth1\": expected \"NAME\" or \"NAME weight W\""},
      {"track_interface bad name", instance("    track_interface {\n      eth/1\n    }"), 8,
       "track_interface: \"eth/1\" is not a valid interface name"},
      {"track_interface twice", instance("    track_interface {\n      eth1\n      eth1\n    }"), 9,
       "track_interface: \"eth1\" is listed twice"},
      {"track_interface without block", instance("    track_interface eth1"), 7,
       "\"track_interface\" takes no value before its { } block"},
  };
  for (const auto& c : cases) check_error(c);
}

TEST_CASE("Config: missing required settings name the instance's line", "[config]") {
  const std::vector<ErrorCase> cases = {
      {"interface",
       "\nvrrp_instance VI_1 {\n  virtual_router_id 1\n  virtual_ipaddress {\n 10.0.0.1\n }\n}\n",
       2, "vrrp_instance VI_1: missing \"interface\""},
      {"virtual_router_id",
       "\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_ipaddress {\n 10.0.0.1\n }\n}\n", 2,
       "vrrp_instance VI_1: missing \"virtual_router_id\""},
      {"virtual_ipaddress", "\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n}\n",
       2, "vrrp_instance VI_1: missing \"virtual_ipaddress\""},
      {"an empty virtual_ipaddress",
       "\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n virtual_ipaddress {\n "
       "}\n}\n",
       2, "missing \"virtual_ipaddress\""},
  };
  for (const auto& c : cases) check_error(c);
}

TEST_CASE("Config: virtual_ipaddress errors", "[config]") {
  auto vips = [](const std::string& lines) {
    return instance_without_vips("    virtual_ipaddress {\n" + lines + "\n    }");
  };
  std::string many;
  for (int i = 0; i < 256; ++i)
    many += "10.0." + std::to_string(i / 200) + "." + std::to_string(i % 200 + 1) + "\n";
  const std::vector<ErrorCase> cases = {
      {"not an address", vips("        192.0.2"), 5,
       "virtual_ipaddress: \"192.0.2\" is not an address or ADDRESS/PREFIX"},
      {"prefix 33", vips("        192.0.2.1/33"), 5, "\"192.0.2.1/33\" is not an address"},
      {"prefix 0", vips("        192.0.2.1/0"), 5, "\"192.0.2.1/0\" is not an address"},
      {"prefix 129", vips("        2001:db8::1/129"), 5, "\"2001:db8::1/129\""},
      {"multicast", vips("        224.0.0.5"), 5, "\"224.0.0.5\" cannot be a virtual address"},
      {"unspecified", vips("        ::"), 5, "\"::\" cannot be a virtual address"},
      {"brd", vips("        192.0.2.1/24 brd 192.0.2.255"), 5,
       "\"192.0.2.1/24\": unsupported option \"brd\" (supported: dev IF, label LABEL)"},
      {"scope", vips("        192.0.2.1 scope link"), 5, "unsupported option \"scope\""},
      {"no_track", vips("        192.0.2.1 no_track"), 5, "unsupported option \"no_track\""},
      {"dev without value", vips("        192.0.2.1 dev"), 5,
       "\"192.0.2.1\": option \"dev\" needs a value"},
      {"dev invalid", vips("        192.0.2.1 dev a/b"), 5,
       "dev \"a/b\" is not a valid interface name"},
      {"dev twice", vips("        192.0.2.1 dev eth0 dev eth1"), 5,
       "option \"dev\" is given twice"},
      {"label on IPv6", vips("        2001:db8::1 label eth0:1"), 5,
       "a label is only possible on an IPv4 address"},
      {"label too long", vips("        192.0.2.1 label eth0:abcdefghijkl"), 5,
       "label \"eth0:abcdefghijkl\" must have 1 to 15"},
      {"listed twice", vips("        192.0.2.1\n        192.0.2.1/24"), 6,
       "\"192.0.2.1\" is listed twice (first at /etc/redvip/redvip.conf:5)"},
      {"address with a block", vips("        192.0.2.1 {\n        }"), 5,
       "an address takes no { } block"},
      {"value before the block", instance_without_vips("    virtual_ipaddress 192.0.2.1"), 4,
       "\"virtual_ipaddress\" takes no value before its { } block, got \"192.0.2.1\""},
      {"mixed families", vips("        192.0.2.1\n        2001:db8::1"), 6,
       "virtual_ipaddress \"2001:db8::1\" is IPv6 but the first address is IPv4"},
      {"more than 255", vips(many), 260, "more than 255 virtual addresses"},
  };
  for (const auto& c : cases) check_error(c);
}

TEST_CASE("Config: version, family and authentication combinations", "[config]") {
  const std::vector<ErrorCase> cases = {
      {"v2 with an IPv6 VIP",
       "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  version 2\n  "
       "virtual_ipaddress {\n 2001:db8::1\n }\n}\n",
       4, "version 2 cannot carry IPv6 addresses"},
      {"authentication with v3",
       instance(
           "    version 3\n    authentication {\n      auth_type PASS\n      auth_pass x\n    }"),
       8, "authentication is not part of VRRP version 3"},
      {"authentication with the global v3",
       "global_defs {\n  vrrp_version 3\n}\n" +
           instance("    authentication {\n      auth_type PASS\n      auth_pass x\n    }"),
       10, "authentication is not part of VRRP version 3"},
      {"auth_type AH",
       instance("    authentication {\n      auth_type AH\n      auth_pass x\n    }"), 8,
       "authentication: auth_type AH is not supported"},
      {"auth_type other",
       instance("    authentication {\n      auth_type PLAIN\n      auth_pass x\n    }"), 8,
       "auth_type \"PLAIN\" must be PASS"},
      {"auth_pass missing", instance("    authentication {\n      auth_type PASS\n    }"), 7,
       "authentication needs auth_pass"},
      {"auth_type missing", instance("    authentication {\n      auth_pass x\n    }"), 7,
       "authentication needs auth_type PASS"},
      {"auth_pass empty",
       instance("    authentication {\n      auth_type PASS\n      auth_pass \"\"\n    }"), 9,
       "authentication: auth_pass is empty"},
      {"unknown in authentication",
       instance("    authentication {\n      auth_type PASS\n      auth_pass x\n      auth_hash "
                "md5\n    }"),
       10, "authentication: unknown keyword \"auth_hash\""},
      {"authentication twice",
       instance("    authentication {\n auth_type PASS\n auth_pass x\n }\n    authentication {\n "
                "auth_type PASS\n auth_pass x\n }"),
       11, "\"authentication\" is given twice"},
      {"unicast_src_ip other family", instance("    unicast_src_ip 2001:db8::2"), 7,
       "unicast_src_ip \"2001:db8::2\" is IPv6 but the instance is IPv4"},
      {"unicast_src_ip garbage", instance("    unicast_src_ip here"), 7,
       "unicast_src_ip \"here\" is not an IP address"},
      {"unicast_peer other family",
       instance("    unicast_peer {\n      192.0.2.2\n      2001:db8::3\n    }"), 9,
       "unicast_peer \"2001:db8::3\" is IPv6 but the instance is IPv4"},
      {"unicast_peer garbage", instance("    unicast_peer {\n      peer1\n    }"), 8,
       "unicast_peer: \"peer1\" is not an IP address"},
      {"unicast_peer min_ttl", instance("    unicast_peer {\n      192.0.2.2 min_ttl 254\n    }"),
       8, "unicast_peer: \"192.0.2.2\": only an address is supported"},
      {"unicast_peer empty", instance("    unicast_peer {\n    }"), 7,
       "unicast_peer block is empty"},
      {"unicast_peer twice",
       instance("    unicast_peer {\n      192.0.2.2\n      192.0.2.2\n    }"), 9,
       "\"192.0.2.2\" is listed twice"},
  };
  for (const auto& c : cases) check_error(c);
}

TEST_CASE("Config: redis block errors", "[config]") {
  const std::vector<ErrorCase> cases = {
      {"address garbage", redis("      address localhost 6379"), 8,
       "redis: address \"localhost\" is not an IP address"},
      {"address port 0", redis("      address 127.0.0.1 0"), 8,
       "redis: address \"0\" must be a whole number in 1..65535"},
      {"address three values", redis("      address 127.0.0.1 6379 x"), 8,
       "\"address\" expects 1 to 2 values, got 3"},
      {"peer_port", redis("      peer_port 70000"), 8, "redis: peer_port \"70000\""},
      {"user empty", redis("      user \"\""), 8, "redis: user is empty"},
      {"password empty", redis("      password \"\""), 8, "redis: password is empty"},
      {"check_interval too small", redis("      check_interval 0.001"), 8,
       "redis: check_interval \"0.001\" must be a number in 0.01..10 seconds"},
      {"check_interval too large", redis("      check_interval 11"), 8, "check_interval \"11\""},
      {"check_timeout too precise", redis("      check_timeout 0.0005"), 8,
       "check_timeout \"0.0005\" has more than 3 decimal places"},
      {"fall 0", redis("      fall 0"), 8, "redis: fall \"0\" must be a whole number in 1..100"},
      {"rise 101", redis("      rise 101"), 8, "redis: rise \"101\""},
      {"handover_timeout too short", redis("      handover_timeout 0.05"), 8,
       "handover_timeout \"0.05\" must be a number in 0.1..300 seconds"},
      {"handover_timeout too long", redis("      handover_timeout 301"), 8,
       "handover_timeout \"301\""},
      {"unknown", redis("      sentinel yes"), 8,
       "vrrp_instance VI_1: redis: unknown keyword \"sentinel\""},
      {"duplicate", redis("      fall 2\n      fall 3"), 9, "redis: \"fall\" is given twice"},
      {"redis twice", instance("    redis {\n    }\n    redis {\n    }"), 9,
       "\"redis\" is given twice"},
      {"password_file when files are off", redis("      password_file /etc/redvip/pass"), 8,
       "password_file is not allowed here"},
      {"multicast without peers", redis("      fall 2"), 7,
       "vrrp_instance VI_1: the redis block needs its peers: list them in peers { } (or use "
       "unicast_peer)"},
      {"peers empty", redis("      peers {\n      }"), 8, "redis: peers block is empty"},
      {"peer not an address", redis("      peers {\n        node2\n      }"), 9,
       "redis: peers: \"node2\" is not an IP address"},
      {"peer twice", redis("      peers {\n        192.0.2.2\n        192.0.2.2\n      }"), 10,
       "\"192.0.2.2\" is listed twice (first at /etc/redvip/redvip.conf:9)"},
      {"peer of the other family", redis("      peers {\n        2001:db8::2\n      }"), 9,
       "redis: peer \"2001:db8::2\" is IPv6 but the instance is IPv4"},
  };
  for (const auto& c : cases) check_error(c, ParseOptions{false});
}

TEST_CASE("Config: conflicts between instances", "[config]") {
  auto second = [](const std::string& name, const std::string& iface, const std::string& vrid,
                   const std::string& vip) {
    return "vrrp_instance " + name + " {\n  interface " + iface + "\n  virtual_router_id " + vrid +
           "\n  virtual_ipaddress {\n    " + vip + "\n  }\n}\n";
  };
  // instance("") ends on line 8; the second instance starts on line 9.
  const std::vector<ErrorCase> cases = {
      {"same name", instance("") + second("VI_1", "eth0", "52", "192.0.2.2"), 9,
       "vrrp_instance VI_1: the name is already used by the instance at /etc/redvip/redvip.conf:1"},
      {"same VRID on one interface and family",
       instance("") + second("VI_2", "eth0", "51", "192.0.2.2"), 9,
       "vrrp_instance VI_2: virtual_router_id 51 on eth0 (IPv4) is already used by vrrp_instance "
       "VI_1"},
      {"same VIP in two instances", instance("") + second("VI_2", "eth1", "52", "192.0.2.1/24"), 9,
       "vrrp_instance VI_2: virtual address 192.0.2.1 is already managed by vrrp_instance VI_1"},
  };
  for (const auto& c : cases) check_error(c);
}

TEST_CASE("Config: one VRID may be reused on another interface or family", "[config]") {
  const std::string text = instance("") +
                           "vrrp_instance V6 {\n  interface eth0\n  virtual_router_id 51\n"
                           "  virtual_ipaddress {\n    2001:db8::1\n  }\n}\n"
                           "vrrp_instance OTHER {\n  interface eth1\n  virtual_router_id 51\n"
                           "  virtual_ipaddress {\n    192.0.2.9\n  }\n}\n";
  const LoadResult result = parse_config_text(text, kName);
  INFO((result.errors.empty() ? std::string() : result.errors[0].to_string()));
  REQUIRE(result.config);
  CHECK(result.config->instances.size() == 3);
}

TEST_CASE("Config: every error is reported, not only the first", "[config]") {
  const LoadResult result =
      parse_config_text(instance("    priority 0\n    foo\n    state X"), kName);
  REQUIRE(result.errors.size() == 3);
  CHECK(result.errors[0].line == 7);
  CHECK(result.errors[1].line == 8);
  CHECK(result.errors[2].line == 9);
}
