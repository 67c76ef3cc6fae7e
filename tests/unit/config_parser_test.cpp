// What a valid config turns into: keepalived files read unchanged, redvip's additions, the
// defaults keepalived uses, and the warnings.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "agent/config/parser.hpp"

using namespace redvip::agent;
using redvip::vrrp::Centiseconds;
using redvip::vrrp::Family;
using redvip::vrrp::IpAddress;
using redvip::vrrp::Version;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

const std::string kFixtures = std::string(REDVIP_FIXTURES_DIR) + "/config";

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

std::string errors_of(const LoadResult& result) {
  std::string all;
  for (const auto& e : result.errors) all += e.to_string() + "\n";
  return all;
}

const Config& require_config(const LoadResult& result) {
  INFO(errors_of(result));
  REQUIRE(result.config);
  return *result.config;
}

bool has_warning(const LoadResult& result, const std::string& prefix, const std::string& fragment) {
  return std::any_of(result.warnings.begin(), result.warnings.end(), [&](const std::string& w) {
    return w.rfind(prefix, 0) == 0 && w.find(fragment) != std::string::npos;
  });
}

// A private directory for files a test writes, removed at the end.
struct TempDir {
  std::string path;
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "cfg-test-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string write(const std::string& name, const std::string& text, mode_t mode = 0600) const {
    const std::string file = path + "/" + name;
    std::filesystem::create_directories(std::filesystem::path(file).parent_path());
    std::ofstream(file) << text;
    ::chmod(file.c_str(), mode);
    return file;
  }
};

const std::string kMinimal =
    "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 7\n"
    "  virtual_ipaddress {\n    192.0.2.1\n  }\n}\n";

}  // namespace

TEST_CASE("Config: a keepalived VRRPv2 instance with PASS authentication reads unchanged",
          "[config]") {
  const std::string path = kFixtures + "/keepalived_v2_pass.conf";
  const LoadResult result = load_config_file(path);
  const Config& config = require_config(result);
  CHECK(result.warnings.empty());
  CHECK(config.globals.router_id == "redis-a");
  CHECK(config.globals.garp.master_delay == seconds(2));
  CHECK(config.globals.garp.master_repeat == 3);
  REQUIRE(config.instances.size() == 1);
  const InstanceSettings& vi = config.instances[0];
  CHECK(vi.name == "VI_1");
  CHECK(vi.source_file == path);
  CHECK(vi.source_line == 10);
  CHECK(vi.initial_state == InitialState::backup);
  CHECK(vi.interface == "eth0");
  CHECK(vi.vrid == 51);
  CHECK(vi.priority == 150);
  CHECK(vi.advert_interval == Centiseconds(100));
  CHECK(vi.version == Version::v2);
  CHECK(vi.family == Family::ipv4);
  CHECK_FALSE(vi.preempt);
  REQUIRE(vi.auth_password);
  CHECK(*vi.auth_password == "s3cr#t!!");  // quoted: '#' and '!' are not comments
  CHECK(vi.track_interfaces == std::vector<TrackedInterface>{{"eth1", 0}});
  REQUIRE(vi.vips.size() == 2);
  CHECK(vi.vips[0] == VirtualAddress{ip("192.168.200.16"), 24, "eth0", "eth0:1"});
  CHECK(vi.vips[1] == VirtualAddress{ip("192.168.200.17"), 32, "", ""});
  // Instance GARP settings fall back to global_defs, field by field.
  CHECK(vi.garp.master_delay == seconds(2));
  CHECK(vi.garp.master_repeat == 3);
  CHECK(vi.garp.master_refresh == seconds(60));
  CHECK(vi.garp.master_refresh_repeat == 1);
  CHECK(vi.use_vmac);
  CHECK(vi.vmac_name == "vrrp51");
  CHECK_FALSE(vi.unicast_src);
  CHECK(vi.unicast_peers.empty());
  CHECK_FALSE(vi.redis);
  CHECK(config.redvip.control_socket == "/run/redvip/redvip.sock");
  CHECK_FALSE(config.redvip.metrics_address);
}

TEST_CASE("Config: a keepalived VRRPv3 unicast instance with advert_int 0.1 reads unchanged",
          "[config]") {
  const LoadResult result = load_config_file(kFixtures + "/keepalived_v3_unicast.conf");
  const Config& config = require_config(result);
  CHECK(result.warnings.empty());
  CHECK(config.globals.default_version == Version::v3);
  REQUIRE(config.instances.size() == 2);
  const InstanceSettings& vi = config.instances[0];
  CHECK(vi.name == "redis_vip");
  CHECK(vi.source_line == 7);  // the block's brace is on the next line
  CHECK(vi.version == Version::v3);
  CHECK(vi.advert_interval == Centiseconds(10));
  CHECK(vi.preempt);
  CHECK(vi.preempt_delay == Centiseconds(250));
  CHECK(vi.unicast_src == ip("10.0.0.2"));
  CHECK(vi.unicast_peers == std::vector<IpAddress>{ip("10.0.0.1"), ip("10.0.0.3")});
  REQUIRE(vi.vips.size() == 1);
  CHECK(vi.vips[0].prefix == 24);
  CHECK(vi.dont_track_primary);
  CHECK_FALSE(vi.use_vmac);
  CHECK_FALSE(vi.auth_password);

  const InstanceSettings& v6 = config.instances[1];
  CHECK(v6.family == Family::ipv6);
  CHECK(v6.version == Version::v3);
  CHECK(v6.advert_interval == Centiseconds(50));
  CHECK(v6.priority == 100);
  REQUIRE(v6.vips.size() == 2);
  CHECK(v6.vips[0] == VirtualAddress{ip("fe80::100"), 64, "", ""});
  CHECK(v6.vips[1] == VirtualAddress{ip("2001:db8::100"), 128, "", ""});
}

TEST_CASE("Config: the redis block and redvip_defs", "[config]") {
  const LoadResult result = load_config_file(kFixtures + "/redvip.conf");
  const Config& config = require_config(result);
  CHECK(config.redvip.control_socket == "/run/redvip/test.sock");
  REQUIRE(config.redvip.metrics_address);
  CHECK(*config.redvip.metrics_address == HostPort{ip("127.0.0.1"), 9150});
  REQUIRE(config.instances.size() == 1);
  REQUIRE(config.instances[0].redis);
  const RedisSettings& r = *config.instances[0].redis;
  CHECK(r.address == ip("127.0.0.1"));
  CHECK(r.port == 6380);
  CHECK(r.peer_port == 6379);
  CHECK(r.user == "redvip");
  REQUIRE(r.password);
  CHECK(*r.password == "fixture-password");  // the trailing newline is not part of it
  CHECK(r.password_file == kFixtures + "/secrets/redis.pass");  // relative to the config file
  CHECK(r.check_interval == milliseconds(50));
  CHECK(r.check_timeout == milliseconds(100));
  CHECK(r.fall == 3);
  CHECK(r.rise == 4);
  CHECK(r.handover_timeout == milliseconds(2500));
  for (const auto& w : result.warnings) CHECK(w.find("fixture-password") == std::string::npos);
}

TEST_CASE("Config: defaults match keepalived's", "[config]") {
  const LoadResult result = parse_config_text(kMinimal, "t.conf");
  const Config& config = require_config(result);
  CHECK(config.globals.default_version == Version::v2);
  CHECK(config.globals.mcast_group4 == ip("224.0.0.18"));
  CHECK(config.globals.mcast_group6 == ip("ff02::12"));
  CHECK(config.globals.garp == GarpSettings{seconds(5), 5, seconds(0), 1});
  const InstanceSettings& vi = config.instances.at(0);
  CHECK(vi.initial_state == InitialState::backup);
  CHECK(vi.priority == 100);
  CHECK(vi.advert_interval == Centiseconds(100));
  CHECK(vi.version == Version::v2);
  CHECK(vi.preempt);
  CHECK(vi.preempt_delay == Centiseconds(0));
  CHECK(vi.vips.at(0).prefix == 32);
  CHECK_FALSE(vi.dont_track_primary);
  CHECK_FALSE(vi.use_vmac);
}

TEST_CASE("Config: version follows global_defs, except that IPv6 instances default to v3",
          "[config]") {
  const std::string v6 =
      "vrrp_instance V6 {\n  interface eth0\n  virtual_router_id 7\n"
      "  virtual_ipaddress {\n    2001:db8::7\n  }\n}\n";
  const Config c1 = require_config(parse_config_text(v6, "t.conf"));
  CHECK(c1.instances.at(0).version == Version::v3);
  const Config c2 =
      require_config(parse_config_text("global_defs {\n vrrp_version 3\n}\n" + kMinimal, "t.conf"));
  CHECK(c2.instances.at(0).version == Version::v3);
}

TEST_CASE("Config: real-time scheduling and locked memory are off unless asked", "[config]") {
  const Config plain = require_config(parse_config_text(kMinimal, "t.conf"));
  CHECK_FALSE(plain.globals.rt_priority);
  CHECK_FALSE(plain.globals.no_swap);
  const Config rt = require_config(parse_config_text(
      "global_defs {\n vrrp_rt_priority 30\n vrrp_no_swap\n}\n" + kMinimal, "t.conf"));
  CHECK(rt.globals.rt_priority == 30);
  CHECK(rt.globals.no_swap);
}

TEST_CASE("Config: use_vmac without a name takes keepalived's vrrp.VRID", "[config]") {
  std::string text = kMinimal;
  text.insert(text.find("}\n}") + 2, "  use_vmac\n");
  const Config config = require_config(parse_config_text(text, "t.conf"));
  CHECK(config.instances.at(0).use_vmac);
  CHECK(config.instances.at(0).vmac_name == "vrrp.7");
}

TEST_CASE("Config: redis defaults, and peer_port follows the local port", "[config]") {
  std::string text = kMinimal;
  text.insert(text.find("}\n}") + 2,
              "  redis {\n    address 10.1.1.1 6390\n    peers { 192.0.2.2 }\n  }\n");
  const Config config = require_config(parse_config_text(text, "t.conf"));
  REQUIRE(config.instances.at(0).redis);
  const RedisSettings& r = *config.instances.at(0).redis;
  CHECK(r.address == ip("10.1.1.1"));
  CHECK(r.port == 6390);
  CHECK(r.peer_port == 6390);
  CHECK_FALSE(r.password);
  CHECK(r.user.empty());
  CHECK(r.check_interval == milliseconds(100));
  CHECK(r.check_timeout == milliseconds(100));
  CHECK(r.fall == 2);
  CHECK(r.rise == 2);
  CHECK(r.handover_timeout == milliseconds(2000));

  std::string empty_block = kMinimal;
  empty_block.insert(empty_block.find("}\n}") + 2, "  redis {\n    peers { 192.0.2.2 }\n  }\n");
  const Config defaults = require_config(parse_config_text(empty_block, "t.conf"));
  REQUIRE(defaults.instances.at(0).redis);
  CHECK(defaults.instances.at(0).redis->address == ip("127.0.0.1"));
  CHECK(defaults.instances.at(0).redis->port == 6379);
}

TEST_CASE("Config: the redis peers are the block's peers, else the unicast peers", "[config]") {
  std::string listed = kMinimal;
  listed.insert(listed.find("}\n}") + 2,
                "  redis {\n    peers {\n      192.0.2.2\n      192.0.2.3\n    }\n  }\n");
  const Config a = require_config(parse_config_text(listed, "t.conf"));
  CHECK(a.instances.at(0).redis->peers == std::vector<IpAddress>{ip("192.0.2.2"), ip("192.0.2.3")});
  CHECK(a.instances.at(0).unicast_peers.empty());  // still multicast

  std::string unicast = kMinimal;
  unicast.insert(unicast.find("}\n}") + 2,
                 "  unicast_peer {\n    10.0.0.2\n    10.0.0.3\n  }\n  redis {\n  }\n");
  const Config b = require_config(parse_config_text(unicast, "t.conf"));
  CHECK(b.instances.at(0).redis->peers == std::vector<IpAddress>{ip("10.0.0.2"), ip("10.0.0.3")});

  std::string both = kMinimal;
  both.insert(both.find("}\n}") + 2,
              "  unicast_peer {\n    10.0.0.2\n  }\n  redis {\n    peers { 10.0.0.9 }\n  }\n");
  const Config c = require_config(parse_config_text(both, "t.conf"));
  CHECK(c.instances.at(0).redis->peers == std::vector<IpAddress>{ip("10.0.0.9")});
}

TEST_CASE("Config: comments, quotes and brace placement", "[config]") {
  const std::string text =
      "# a comment line\n"
      "! another comment style\n"
      "global_defs { router_id \"two words\" }   # trailing comment\n"
      "vrrp_instance \"VI 1\"\n"
      "{\n"
      "  interface eth0 ! comment after a value\n"
      "  virtual_router_id 9#comment right after a word\n"
      "  authentication {\n"
      "    auth_type PASS\n"
      "    auth_pass \"p!ss #1\"\n"
      "  }\n"
      "  virtual_ipaddress { 192.0.2.9/24 dev eth0\n"
      "    192.0.2.10 }\n"
      "}\n";
  const LoadResult result = parse_config_text(text, "t.conf");
  const Config& config = require_config(result);
  CHECK(config.globals.router_id == "two words");
  const InstanceSettings& vi = config.instances.at(0);
  CHECK(vi.name == "VI 1");
  CHECK(vi.interface == "eth0");
  CHECK(vi.vrid == 9);
  CHECK(vi.auth_password == std::optional<std::string>("p!ss #1"));
  REQUIRE(vi.vips.size() == 2);
  CHECK(vi.vips[0].dev == "eth0");
  CHECK(vi.vips[1].address == ip("192.0.2.10"));
}

TEST_CASE("Config: warnings name file:line and the keyword", "[config]") {
  SECTION("auth_pass is cut to 8 characters, as keepalived does") {
    std::string text = kMinimal;
    text.insert(text.find("}\n}") + 2,
                "  authentication {\n    auth_type PASS\n    auth_pass 123456789\n  }\n");
    const LoadResult result = parse_config_text(text, "t.conf");
    const Config& config = require_config(result);
    CHECK(config.instances.at(0).auth_password == std::optional<std::string>("12345678"));
    CHECK(has_warning(result, "t.conf:9: vrrp_instance VI_1: authentication: ",
                      "auth_pass is longer than 8 characters"));
  }
  SECTION("an inline Redis password") {
    std::string text = kMinimal;
    text.insert(text.find("}\n}") + 2,
                "  redis {\n    password hunter2\n    peers { 192.0.2.2 }\n  }\n");
    const LoadResult result = parse_config_text(text, "t.conf");
    const Config& config = require_config(result);
    CHECK(config.instances.at(0).redis->password == std::optional<std::string>("hunter2"));
    CHECK(has_warning(result, "t.conf:8: vrrp_instance VI_1: redis: ", "prefer password_file"));
    for (const auto& w : result.warnings) CHECK(w.find("hunter2") == std::string::npos);
  }
  SECTION("nopreempt with state MASTER is cleared, as keepalived does") {
    std::string text = kMinimal;
    text.insert(text.find("}\n}") + 2, "  state MASTER\n  nopreempt\n");
    const LoadResult result = parse_config_text(text, "t.conf");
    const Config& config = require_config(result);
    CHECK(config.instances.at(0).preempt);
    CHECK(config.instances.at(0).initial_state == InitialState::master);
    CHECK(has_warning(
        result, "t.conf:8: vrrp_instance VI_1: ", "nopreempt does not work with state MASTER"));
  }
}

TEST_CASE("Config: a virtual address listed twice is kept once, as keepalived does", "[config]") {
  auto with_vips = [](const std::string& lines) {
    return "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 7\n"
           "  virtual_ipaddress {\n" +
           lines + "  }\n}\n";
  };
  SECTION("the same address again, with a label: a warning, the first line stands") {
    const LoadResult result =
        parse_config_text(with_vips("    192.0.2.1\n    192.0.2.1 label eth0:1\n"), "t.conf");
    const Config& config = require_config(result);
    REQUIRE(config.instances.at(0).vips.size() == 1);
    CHECK(config.instances.at(0).vips[0].label.empty());
    CHECK(has_warning(result, "t.conf:6: vrrp_instance VI_1: virtual_ipaddress: ",
                      "\"192.0.2.1\" is listed twice (first at t.conf:5): this line is ignored, "
                      "as keepalived does (its label \"eth0:1\" is not used"));
  }
  SECTION("another prefix or device: an error that says why") {
    const LoadResult prefix =
        parse_config_text(with_vips("    192.0.2.1/24\n    192.0.2.1/25\n"), "t.conf");
    REQUIRE(prefix.errors.size() == 1);
    CHECK(prefix.errors[0].line == 6);
    CHECK(prefix.errors[0].message.find("with a different prefix: an interface holds an address "
                                        "once") != std::string::npos);
    const LoadResult dev =
        parse_config_text(with_vips("    192.0.2.1\n    192.0.2.1 dev eth1\n"), "t.conf");
    REQUIRE(dev.errors.size() == 1);
    CHECK(dev.errors[0].message.find("with a different dev") != std::string::npos);
  }
  SECTION("dev naming the instance's own interface is the same device") {
    const LoadResult same =
        parse_config_text(with_vips("    192.0.2.1\n    192.0.2.1 dev eth0\n"), "t.conf");
    CHECK(require_config(same).instances.at(0).vips.size() == 1);
    CHECK(has_warning(same, "t.conf:6: vrrp_instance VI_1: virtual_ipaddress: ",
                      "\"192.0.2.1\" is listed twice (first at t.conf:5): this line is ignored"));
  }
}

TEST_CASE("Config: include with a glob, relative to the including file", "[config]") {
  const std::string main = kFixtures + "/include/main.conf";
  const LoadResult result = load_config_file(main);
  const Config& config = require_config(result);
  CHECK(config.globals.router_id == "included");
  REQUIRE(config.instances.size() == 2);  // sorted by name; not-included.txt is not matched
  CHECK(config.instances[0].name == "first");
  CHECK(config.instances[0].source_file == kFixtures + "/include/conf.d/10-first.conf");
  CHECK(config.instances[0].source_line == 1);
  CHECK(config.instances[1].name == "second");
  REQUIRE(config.instances[1].vips.size() == 1);  // from ../snippets, relative to conf.d
  CHECK(config.instances[1].vips[0].address == ip("192.0.2.2"));
}

TEST_CASE("Config: errors inside an included file name that file", "[config]") {
  TempDir dir;
  dir.write("conf.d/a.conf", kMinimal);
  dir.write("conf.d/b.conf", "vrrp_instance B {\n  interface eth0\n  bogus\n}\n");
  const std::string main = dir.write("main.conf", "include conf.d/*.conf\n");
  const LoadResult result = load_config_file(main);
  CHECK_FALSE(result.config);
  REQUIRE_FALSE(result.errors.empty());
  CHECK(result.errors[0].to_string() ==
        dir.path + "/conf.d/b.conf:3: vrrp_instance B: unknown keyword \"bogus\"");
}

TEST_CASE("Config: include errors", "[config]") {
  TempDir dir;
  SECTION("a missing plain file is an error") {
    const std::string main = dir.write("main.conf", kMinimal + "\ninclude missing.conf\n");
    const LoadResult result = load_config_file(main);
    CHECK_FALSE(result.config);
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].to_string().rfind(main + ":9: include \"missing.conf\": no such file",
                                             0) == 0);
  }
  SECTION("a pattern that matches nothing is a warning") {
    const std::string main = dir.write("main.conf", kMinimal + "include conf.d/*.conf\n");
    const LoadResult result = load_config_file(main);
    REQUIRE(result.config);
    CHECK(has_warning(result, main + ":8: ", "include \"conf.d/*.conf\" matched no file"));
  }
  SECTION("a file that includes itself") {
    const std::string main = dir.write("main.conf", kMinimal + "include main.conf\n");
    const LoadResult result = load_config_file(main);
    CHECK_FALSE(result.config);
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].to_string().rfind(main + ":8: include \"", 0) == 0);
    CHECK(result.errors[0].message.find("includes itself") != std::string::npos);
  }
  SECTION("two files that include each other") {
    dir.write("b.conf", "include a.conf\n");
    const std::string a = dir.write("a.conf", kMinimal + "include b.conf\n");
    const LoadResult result = load_config_file(a);
    CHECK_FALSE(result.config);
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].file == dir.path + "/b.conf");
    CHECK(result.errors[0].line == 1);
    CHECK(result.errors[0].message.find("includes itself") != std::string::npos);
  }
  SECTION("a directory is not a config file") {
    std::filesystem::create_directories(dir.path + "/sub.conf");
    const std::string main = dir.write("main.conf", kMinimal + "include sub.conf\n");
    const LoadResult result = load_config_file(main);
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].to_string() ==
          main + ":8: include \"" + dir.path + "/sub.conf\": not a regular file");
  }
  SECTION("include takes exactly one pattern") {
    const std::string main = dir.write("main.conf", kMinimal + "include a b\n");
    const LoadResult result = load_config_file(main);
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].to_string() == main + ":8: include expects one file name or pattern");
  }
  SECTION("a syntax error in an included file") {
    dir.write("bad.conf", "global_defs {\n");
    const std::string main = dir.write("main.conf", kMinimal + "include bad.conf\n");
    const LoadResult result = load_config_file(main);
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].to_string() ==
          dir.path + "/bad.conf:1: missing '}' for the block opened here");
  }
  SECTION("a missing main file") {
    const LoadResult result = load_config_file(dir.path + "/none.conf");
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].to_string() ==
          dir.path + "/none.conf: cannot read the configuration: No such file or directory");
  }
}

TEST_CASE("Config: parse_config_text takes includes relative to the current directory",
          "[config]") {
  TempDir dir;
  dir.write("inst.conf", kMinimal);
  char old_cwd[4096];
  REQUIRE(::getcwd(old_cwd, sizeof old_cwd) != nullptr);
  REQUIRE(::chdir(dir.path.c_str()) == 0);
  const LoadResult result = parse_config_text("include inst.conf\n", "text");
  REQUIRE(::chdir(old_cwd) == 0);
  const Config& config = require_config(result);
  CHECK(config.instances.at(0).source_file == "inst.conf");
}

TEST_CASE("Config: password_file", "[config]") {
  TempDir dir;
  auto with_file = [&](const std::string& relative) {
    std::string text = kMinimal;
    text.insert(text.find("}\n}") + 2,
                "  redis {\n    password_file " + relative + "\n    peers { 192.0.2.2 }\n  }\n");
    return dir.write("main.conf", text);
  };
  SECTION("read relative to the config file, newline stripped, no warning when private") {
    dir.write("secret", "s3cret\r\n", 0600);
    const LoadResult result = load_config_file(with_file("secret"));
    const Config& config = require_config(result);
    CHECK(config.instances.at(0).redis->password == std::optional<std::string>("s3cret"));
    CHECK(config.instances.at(0).redis->password_file == dir.path + "/secret");
    CHECK(result.warnings.empty());
  }
  SECTION("a file every user can read gets a warning") {
    dir.write("secret", "s3cret\n", 0644);
    const LoadResult result = load_config_file(with_file("secret"));
    REQUIRE(result.config);
    CHECK(has_warning(result, dir.path + "/main.conf:8: vrrp_instance VI_1: redis: ",
                      "is readable by every user"));
  }
  SECTION("missing") {
    const LoadResult result = load_config_file(with_file("nope"));
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].to_string() ==
          dir.path + "/main.conf:8: vrrp_instance VI_1: redis: password_file \"" + dir.path +
              "/nope\": No such file or directory");
  }
  SECTION("empty") {
    dir.write("secret", "\n");
    const LoadResult result = load_config_file(with_file("secret"));
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].line == 8);
    CHECK(result.errors[0].message.find("password_file \"" + dir.path + "/secret\" is empty") !=
          std::string::npos);
  }
  SECTION("two lines, and the content never appears in the message") {
    dir.write("secret", "line-one\nline-two\n");
    const LoadResult result = load_config_file(with_file("secret"));
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].line == 8);
    CHECK(result.errors[0].message.find("must hold the password on one line") != std::string::npos);
    CHECK(result.errors[0].message.find("line-one") == std::string::npos);
  }
  SECTION("together with password") {
    dir.write("secret", "x\n");
    std::string text = kMinimal;
    text.insert(
        text.find("}\n}") + 2,
        "  redis {\n    password_file secret\n    password y\n    peers { 192.0.2.2 }\n  }\n");
    const LoadResult result = load_config_file(dir.write("main.conf", text));
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].line == 9);
    CHECK(result.errors[0].message.find("redis: password and password_file are both given") !=
          std::string::npos);
  }
}

TEST_CASE("Config: the fuzz seeds are accepted configs", "[config]") {
  // The fuzzer mutates from these; seeds that fail early would leave the deeper checks unfuzzed.
  const std::string corpus = std::string(REDVIP_FIXTURES_DIR) + "/../fuzz/corpus/config_fuzz";
  int seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
    std::ifstream in(entry.path());
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const LoadResult result = parse_config_text(text, entry.path().string(), ParseOptions{false});
    INFO(entry.path().string() << "\n" << errors_of(result));
    CHECK(result.config);
    ++seeds;
  }
  CHECK(seeds >= 4);
}

TEST_CASE("Config: keepalived's samples read unchanged", "[config]") {
  // Every file there: keepalived's own samples, copied unchanged, and the Redis recipe.
  const std::string dir = std::string(REDVIP_FIXTURES_DIR) + "/keepalived_samples";
  int samples = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".md") continue;
    const LoadResult result = load_config_file(entry.path().string());
    INFO(entry.path().string() << "\n" << errors_of(result));
    CHECK(result.config);
    ++samples;
  }
  CHECK(samples >= 6);
}

TEST_CASE("Config: track_interface with keepalived's weights (its localcheck sample)", "[config]") {
  const std::string path =
      std::string(REDVIP_FIXTURES_DIR) + "/keepalived_samples/keepalived.conf.vrrp.localcheck";
  const LoadResult result = load_config_file(path);
  const Config& config = require_config(result);
  REQUIRE(config.instances.size() == 9);
  CHECK(config.instances[0].track_interfaces ==
        std::vector<TrackedInterface>{{"eth1", 2}, {"eth2", -2}, {"eth3", 0}});
  CHECK(config.instances[1].track_interfaces ==
        std::vector<TrackedInterface>{{"eth0", 2}, {"eth2", -2}, {"eth3", 0}});
}

TEST_CASE("Config: keepalived's vrrp_sync_group sample reads unchanged", "[config]") {
  const std::string path = std::string(REDVIP_FIXTURES_DIR) + "/keepalived_samples/vrrp_sync.conf";
  const LoadResult result = load_config_file(path);
  const Config& config = require_config(result);
  CHECK(result.warnings.empty());
  REQUIRE(config.sync_groups.size() == 2);
  const SyncGroupSettings& g1 = config.sync_groups[0];
  CHECK(g1.name == "G1");
  CHECK(g1.source_line == 3);
  CHECK(g1.members ==
        std::vector<std::string>{"VI_1", "VI_2", "VI_5", "VI_6", "VI_7", "VI_8", "VI_9"});
  REQUIRE(g1.notify.master);
  CHECK(g1.notify.master->command == "/usr/local/bin/vrrp.mast arg1 arg2");
  REQUIRE(g1.notify.backup);
  REQUIRE(g1.notify.fault);
  CHECK_FALSE(g1.notify.any);
  CHECK(config.sync_groups[1].name == "G2");
  CHECK(config.sync_groups[1].members == std::vector<std::string>{"VI_3", "VI_4"});
  REQUIRE(config.instances.size() == 9);
  for (const auto& instance : config.instances) {
    INFO(instance.name);
    CHECK(instance.sync_group ==
          (instance.name == "VI_3" || instance.name == "VI_4" ? "G2" : "G1"));
  }
}

TEST_CASE("Config: a sync group of one member is a warning", "[config]") {
  const LoadResult result = parse_config_text(
      "vrrp_sync_group G {\n  group {\n    VI_1\n  }\n}\n"
      "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n"
      "  virtual_ipaddress {\n    192.0.2.1\n  }\n}\n",
      "/x.conf");
  const Config& config = require_config(result);
  CHECK(config.sync_groups.size() == 1);
  CHECK(has_warning(result, "/x.conf:2: ", "has one member"));
}
