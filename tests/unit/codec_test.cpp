#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "vrrp/checksum.hpp"
#include "vrrp/codec.hpp"

using namespace redvip::vrrp;

namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes from_hex(const std::string& hex) {
  Bytes out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

struct Captured {
  IpMeta meta;
  Bytes vrrp;
};

// The .hex form written by tests/fixtures/keepalived/capture.sh: source, destination, TTL and
// the VRRP bytes, one distinct packet per line (the master's advert, then its priority 0 one).
std::vector<Captured> load_capture(const std::string& scenario) {
  std::ifstream in(std::string(REDVIP_FIXTURES_DIR) + "/keepalived/" + scenario + ".hex");
  REQUIRE(in);
  std::vector<Captured> packets;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string source, destination, hex;
    unsigned ttl = 0;
    REQUIRE(fields >> source >> destination >> ttl >> hex);
    Captured packet;
    packet.meta.source = ip(source.c_str());
    packet.meta.destination = ip(destination.c_str());
    packet.meta.ttl = static_cast<std::uint8_t>(ttl);
    packet.vrrp = from_hex(hex);
    packets.push_back(packet);
  }
  REQUIRE(packets.size() == 2);
  return packets;
}

// What tests/fixtures/keepalived/keepalived.conf configured for each scenario.
struct Scenario {
  std::string name;
  Version version;
  Family family;
  std::uint8_t vrid;
  std::uint8_t priority;
  Centiseconds interval;
  std::vector<IpAddress> addresses;
  std::optional<std::string> password;
};

const std::vector<Scenario>& scenarios() {
  static const std::vector<Scenario> all = {
      {"v2_pass_ipv4",
       Version::v2,
       Family::ipv4,
       51,
       150,
       Centiseconds(100),
       {ip("198.51.100.51"), ip("198.51.100.52")},
       "secret1"},
      {"v2_noauth_ipv4",
       Version::v2,
       Family::ipv4,
       52,
       120,
       Centiseconds(100),
       {ip("198.51.100.61")},
       std::nullopt},
      {"v3_ipv4",
       Version::v3,
       Family::ipv4,
       53,
       200,
       Centiseconds(50),
       {ip("198.51.100.71"), ip("198.51.100.72"), ip("198.51.100.73")},
       std::nullopt},
      {"v3_ipv6",
       Version::v3,
       Family::ipv6,
       54,
       110,
       Centiseconds(25),
       {ip("fe80::54"), ip("2001:db8::54")},
       std::nullopt},
      {"v3_unicast_ipv4",
       Version::v3,
       Family::ipv4,
       55,
       130,
       Centiseconds(150),
       {ip("198.51.100.81")},
       std::nullopt},
  };
  return all;
}

const Scenario& scenario(const std::string& name) {
  const auto& all = scenarios();
  return *std::find_if(all.begin(), all.end(), [&](const Scenario& s) { return s.name == name; });
}

DecodeOptions options_for(const Scenario& s) {
  DecodeOptions options;
  options.version = s.version;
  options.vrid = s.vrid;
  options.password = s.password;
  return options;
}

// Recomputes the checksum field after a test changed the bytes on purpose, so that decode gets
// past the checksum to the check under test. Follows the convention the packet's version field
// and the options select.
void refresh_checksum(Bytes& bytes, const IpMeta& meta, Ipv4V3Checksum convention) {
  bytes[6] = bytes[7] = 0;
  OnesComplementSum sum;
  if ((bytes[0] >> 4) == 3 &&
      (meta.source.family == Family::ipv6 || convention == Ipv4V3Checksum::with_pseudo_header)) {
    add_pseudo_header(sum, meta.source, meta.destination, kProtocolNumber,
                      static_cast<std::uint32_t>(bytes.size()));
  }
  sum.add(bytes);
  bytes[6] = static_cast<std::uint8_t>(sum.checksum() >> 8);
  bytes[7] = static_cast<std::uint8_t>(sum.checksum());
}

std::string describe(const DecodeResult& result) {
  if (const auto* reason = std::get_if<Reject>(&result)) return std::string(to_string(*reason));
  const auto& a = std::get<Advert>(result);
  std::ostringstream out;
  out << "advert v" << int(a.version) << " vrid " << int(a.vrid) << " prio " << int(a.priority)
      << " interval " << a.interval.count() << "cs, " << a.addresses.size() << " addresses";
  return out.str();
}

std::array<std::uint8_t, 8> padded(const std::string& text) {
  std::array<std::uint8_t, 8> out{};
  std::copy_n(text.begin(), std::min<std::size_t>(text.size(), 8), out.begin());
  return out;
}

IpMeta multicast_v4() { return {ip("192.0.2.1"), ip("224.0.0.18"), 255}; }
IpMeta multicast_v6() { return {ip("fe80::1"), ip("ff02::12"), 255}; }

}  // namespace

SCENARIO("codec: keepalived's adverts decode to the fields it was configured with",
         "[codec][keepalived]") {
  const auto& s = GENERATE(from_range(scenarios()));
  GIVEN("the capture " << s.name) {
    const auto packets = load_capture(s.name);
    WHEN("each packet is decoded with the instance's options") {
      for (std::size_t i = 0; i < packets.size(); ++i) {
        const auto result = decode(packets[i].vrrp, packets[i].meta, options_for(s));
        INFO("packet " << i << ": " << describe(result));
        REQUIRE(std::holds_alternative<Advert>(result));
        const auto& advert = std::get<Advert>(result);
        THEN("packet " << i << " has every field keepalived.conf says") {
          CHECK(advert.version == s.version);
          CHECK(advert.family == s.family);
          CHECK(advert.vrid == s.vrid);
          // The first packet is the master's advert, the second the one it sent on SIGTERM.
          CHECK(int(advert.priority) == (i == 0 ? s.priority : kPriorityRelease));
          CHECK(advert.interval == s.interval);
          CHECK(advert.addresses == s.addresses);
          CHECK(advert.auth_type == (s.password ? AuthType::simple_text : AuthType::none));
          CHECK(advert.auth_data == (s.password ? padded(*s.password) : padded("")));
        }
      }
    }
  }
}

SCENARIO("codec: our encoder reproduces keepalived's bytes exactly, checksum included",
         "[codec][keepalived]") {
  const auto& s = GENERATE(from_range(scenarios()));
  GIVEN("the capture " << s.name) {
    const auto packets = load_capture(s.name);
    for (std::size_t i = 0; i < packets.size(); ++i) {
      const auto& packet = packets[i];
      Advert advert;
      advert.version = s.version;
      advert.family = s.family;
      advert.vrid = s.vrid;
      advert.priority = packet.vrrp[2];
      advert.interval = s.interval;
      advert.addresses = s.addresses;
      if (s.password) {
        advert.auth_type = AuthType::simple_text;
        advert.auth_data = padded(*s.password);
      }
      THEN("encode gives the bytes of packet " << i) {
        CHECK(encode(advert, packet.meta.source, packet.meta.destination) == packet.vrrp);
      }
    }
  }
}

SCENARIO("codec: the IPv4 VRRPv3 checksum convention is selectable", "[codec][checksum]") {
  GIVEN("keepalived's v3 IPv4 adverts, multicast and unicast") {
    for (const char* name : {"v3_ipv4", "v3_unicast_ipv4"}) {
      const auto packet = load_capture(name).front();
      auto options = options_for(scenario(name));
      THEN(name << " verifies only with the pseudo-header (keepalived 2.2.7's convention)") {
        CHECK(std::holds_alternative<Advert>(decode(packet.vrrp, packet.meta, options)));
        options.ipv4_v3_checksum = Ipv4V3Checksum::without_pseudo_header;
        CHECK(decode(packet.vrrp, packet.meta, options) == DecodeResult(Reject::bad_checksum));
      }
    }
  }
  GIVEN("keepalived's unicast advert") {
    auto packet = load_capture("v3_unicast_ipv4").front();
    WHEN("the receiver assumes the multicast group was the destination (pre-1.3.6 style)") {
      packet.meta.destination = ip("224.0.0.18");
      THEN("the checksum fails: the pseudo-header holds the real destination") {
        CHECK(decode(packet.vrrp, packet.meta, options_for(scenario("v3_unicast_ipv4"))) ==
              DecodeResult(Reject::bad_checksum));
      }
    }
  }
  GIVEN("keepalived's v3 IPv6 advert") {
    const auto packet = load_capture("v3_ipv6").front();
    auto options = options_for(scenario("v3_ipv6"));
    options.ipv4_v3_checksum = Ipv4V3Checksum::without_pseudo_header;
    THEN("the IPv4 convention does not apply: IPv6 always uses its pseudo-header") {
      CHECK(std::holds_alternative<Advert>(decode(packet.vrrp, packet.meta, options)));
    }
  }
  GIVEN("a v3 IPv4 advert we encode without the pseudo-header") {
    Advert advert;
    advert.vrid = 9;
    advert.addresses = {ip("198.51.100.9")};
    const auto meta = multicast_v4();
    const auto without =
        encode(advert, meta.source, meta.destination, Ipv4V3Checksum::without_pseudo_header);
    const auto with = encode(advert, meta.source, meta.destination);
    THEN("only the checksum differs, and each decodes only under its own convention") {
      REQUIRE(without.size() == with.size());
      CHECK(std::equal(without.begin() + 8, without.end(), with.begin() + 8));
      CHECK(std::equal(without.begin(), without.begin() + 6, with.begin()));
      CHECK(without != with);
      DecodeOptions options;
      options.ipv4_v3_checksum = Ipv4V3Checksum::without_pseudo_header;
      CHECK(decode(without, meta, options) == DecodeResult(advert));
      CHECK(decode(with, meta, options) == DecodeResult(Reject::bad_checksum));
      options.ipv4_v3_checksum = Ipv4V3Checksum::with_pseudo_header;
      CHECK(decode(with, meta, options) == DecodeResult(advert));
      CHECK(decode(without, meta, options) == DecodeResult(Reject::bad_checksum));
    }
  }
}

SCENARIO("codec: encode then decode gives the same advert", "[codec]") {
  struct Row {
    const char* name;
    Advert advert;
    IpMeta meta;
    DecodeOptions options;
  };
  auto v2 = [](std::vector<IpAddress> addresses, std::int64_t seconds, const char* password) {
    Advert a;
    a.version = Version::v2;
    a.vrid = 1;
    a.priority = 254;
    a.interval = std::chrono::seconds(seconds);
    a.addresses = std::move(addresses);
    if (password) {
      a.auth_type = AuthType::simple_text;
      a.auth_data = padded(password);
    }
    return a;
  };
  auto v3 = [](Family family, std::vector<IpAddress> addresses, std::int64_t cs) {
    Advert a;
    a.family = family;
    a.vrid = 255;
    a.priority = 1;
    a.interval = Centiseconds(cs);
    a.addresses = std::move(addresses);
    return a;
  };
  std::vector<IpAddress> many_v4;
  for (int i = 0; i < 255; ++i)
    many_v4.push_back(IpAddress::v4(10, 0, 0, static_cast<std::uint8_t>(i)));
  std::vector<IpAddress> many_v6(255, ip("2001:db8::ffff"));
  DecodeOptions pass;
  pass.password = "12345678";

  const auto row = GENERATE_COPY(
      Row{"v2 with PASS", v2({ip("192.0.2.10")}, 1, "12345678"), multicast_v4(), pass},
      Row{"v2 without auth, slowest interval",
          v2({ip("192.0.2.10"), ip("192.0.2.11")}, 255, nullptr),
          multicast_v4(),
          {}},
      Row{"v2, 255 addresses", v2(many_v4, 3, nullptr), multicast_v4(), {}},
      Row{"v3 IPv4, fastest interval", v3(Family::ipv4, {ip("192.0.2.10")}, 1), multicast_v4(), {}},
      Row{"v3 IPv4, slowest interval",
          v3(Family::ipv4, {ip("192.0.2.10")}, 4095),
          {ip("192.0.2.1"), ip("192.0.2.2"), 255},
          {}},
      Row{"v3 IPv4, 255 addresses", v3(Family::ipv4, many_v4, 100), multicast_v4(), {}},
      Row{"v3 IPv6", v3(Family::ipv6, {ip("fe80::1"), ip("2001:db8::1")}, 100), multicast_v6(), {}},
      Row{"v3 IPv6, 255 addresses", v3(Family::ipv6, many_v6, 7), multicast_v6(), {}});
  GIVEN(row.name) {
    REQUIRE(can_encode(row.advert));
    const auto bytes = encode(row.advert, row.meta.source, row.meta.destination);
    THEN("decode gives it back") {
      CHECK(decode(bytes, row.meta, row.options) == DecodeResult(row.advert));
    }
  }
}

TEST_CASE("codec: round trip over many pseudo-random adverts", "[codec]") {
  std::mt19937 random(20261125);
  auto pick = [&](int low, int high) {
    return std::uniform_int_distribution<int>(low, high)(random);
  };
  for (int i = 0; i < 2000; ++i) {
    Advert a;
    a.version = pick(0, 1) ? Version::v2 : Version::v3;
    a.family = a.version == Version::v2 || pick(0, 1) ? Family::ipv4 : Family::ipv6;
    a.vrid = static_cast<std::uint8_t>(pick(0, 255));
    a.priority = static_cast<std::uint8_t>(pick(0, 255));
    a.interval =
        a.version == Version::v2 ? Centiseconds(100 * pick(1, 255)) : Centiseconds(pick(1, 4095));
    const int count = pick(1, 20);
    for (int n = 0; n < count; ++n) {
      IpAddress address;
      address.family = a.family;
      for (std::size_t b = 0; b < address.size(); ++b)
        address.bytes[b] = static_cast<std::uint8_t>(pick(0, 255));
      a.addresses.push_back(address);
    }
    DecodeOptions options;
    if (a.version == Version::v2) {
      a.auth_type = pick(0, 1) ? AuthType::simple_text : AuthType::none;
      for (auto& byte : a.auth_data) byte = static_cast<std::uint8_t>(pick(0, 255));
      if (a.auth_type == AuthType::simple_text) {
        options.password = std::string(a.auth_data.begin(), a.auth_data.end());
      }
    }
    const IpMeta meta = a.family == Family::ipv4 ? multicast_v4() : multicast_v6();
    REQUIRE(can_encode(a));
    const auto result = decode(encode(a, meta.source, meta.destination), meta, options);
    INFO("advert " << i << ": " << describe(result));
    REQUIRE(result == DecodeResult(a));
  }
}

SCENARIO("codec: adverts encode cannot represent are flagged and clamped", "[codec]") {
  const auto meta = multicast_v4();
  Advert base;
  base.addresses = {ip("192.0.2.10")};
  REQUIRE(can_encode(base));
  GIVEN("a v2 interval that is not whole seconds") {
    Advert a = base;
    a.version = Version::v2;
    a.interval = Centiseconds(150);
    THEN("it is flagged and rounded up to 2 s on the wire") {
      CHECK_FALSE(can_encode(a));
      CHECK(encode(a, meta.source, meta.destination)[5] == 2);
    }
  }
  GIVEN("v2 intervals out of range") {
    Advert a = base;
    a.version = Version::v2;
    a.interval = Centiseconds(0);
    CHECK_FALSE(can_encode(a));
    CHECK(encode(a, meta.source, meta.destination)[5] == 1);
    a.interval = Centiseconds(256 * 100);
    CHECK_FALSE(can_encode(a));
    CHECK(encode(a, meta.source, meta.destination)[5] == 255);
  }
  GIVEN("v3 intervals out of range") {
    Advert a = base;
    a.interval = Centiseconds(4096);
    CHECK_FALSE(can_encode(a));
    auto bytes = encode(a, meta.source, meta.destination);
    CHECK(((bytes[4] << 8 | bytes[5]) & 0x0fff) == 4095);
    CHECK((bytes[4] & 0xf0) == 0);  // reserved bits stay clear
    a.interval = Centiseconds(0);
    CHECK_FALSE(can_encode(a));
    bytes = encode(a, meta.source, meta.destination);
    CHECK((bytes[4] << 8 | bytes[5]) == 1);
  }
  GIVEN("no addresses, too many, or one of the wrong family") {
    Advert a = base;
    a.addresses.clear();
    CHECK_FALSE(can_encode(a));
    a.addresses.assign(256, ip("192.0.2.10"));
    CHECK_FALSE(can_encode(a));
    CHECK(encode(a, meta.source, meta.destination)[3] == 255);
    CHECK(encode(a, meta.source, meta.destination).size() == 8 + 255 * 4);
    a.addresses = {ip("192.0.2.10"), ip("2001:db8::1")};
    CHECK_FALSE(can_encode(a));
  }
  GIVEN("authentication on v3, AH on v2, v2 over IPv6") {
    Advert a = base;
    a.auth_type = AuthType::simple_text;
    CHECK_FALSE(can_encode(a));
    a.auth_type = AuthType::none;
    a.auth_data[0] = 1;
    CHECK_FALSE(can_encode(a));
    Advert b = base;
    b.version = Version::v2;
    b.auth_type = AuthType::ip_ah;
    CHECK_FALSE(can_encode(b));
    Advert c = base;
    c.version = Version::v2;
    c.family = Family::ipv6;
    c.addresses = {ip("2001:db8::1")};
    CHECK_FALSE(can_encode(c));
  }
}

namespace {

// One row per way a check can fail. Each starts from a keepalived capture that decodes, changes
// one thing and names the reason that must come out. refresh makes the checksum right again
// after the change, so the packet reaches the check under test.
struct RejectRow {
  const char* name;
  const char* scenario;
  std::function<void(Bytes&, IpMeta&, DecodeOptions&)> change;
  bool refresh;
  Reject expected;
};

const std::vector<RejectRow>& reject_rows() {
  static const std::vector<RejectRow> rows = {
      {"empty packet", "v3_ipv4", [](Bytes& b, IpMeta&, DecodeOptions&) { b.clear(); }, false,
       Reject::too_short},
      {"7 bytes", "v3_ipv4", [](Bytes& b, IpMeta&, DecodeOptions&) { b.resize(7); }, false,
       Reject::too_short},
      {"TTL 254", "v2_pass_ipv4", [](Bytes&, IpMeta& m, DecodeOptions&) { m.ttl = 254; }, false,
       Reject::bad_ttl},
      {"hop limit 1", "v3_ipv6", [](Bytes&, IpMeta& m, DecodeOptions&) { m.ttl = 1; }, false,
       Reject::bad_ttl},
      {"TTL checked before the version", "v3_ipv4",
       [](Bytes& b, IpMeta& m, DecodeOptions&) {
         m.ttl = 64;
         b[0] = 0x41;
       },
       false, Reject::bad_ttl},
      {"version 1", "v2_noauth_ipv4", [](Bytes& b, IpMeta&, DecodeOptions&) { b[0] = 0x11; }, true,
       Reject::bad_version},
      {"version 4", "v3_ipv4", [](Bytes& b, IpMeta&, DecodeOptions&) { b[0] = 0x41; }, true,
       Reject::bad_version},
      {"version 0", "v3_ipv6", [](Bytes& b, IpMeta&, DecodeOptions&) { b[0] = 0x01; }, true,
       Reject::bad_version},
      {"v3 advert, v2 expected", "v3_ipv4",
       [](Bytes&, IpMeta&, DecodeOptions& o) { o.version = Version::v2; }, false,
       Reject::version_mismatch},
      {"v2 advert, v3 expected", "v2_pass_ipv4",
       [](Bytes&, IpMeta&, DecodeOptions& o) { o.version = Version::v3; }, false,
       Reject::version_mismatch},
      {"v2 over IPv6", "v3_ipv6",
       [](Bytes& b, IpMeta&, DecodeOptions& o) {
         b[0] = 0x21;
         o.version.reset();
       },
       true, Reject::family_mismatch},
      {"IPv4 source, IPv6 destination", "v3_ipv4",
       [](Bytes&, IpMeta& m, DecodeOptions&) { m.destination = ip("ff02::12"); }, false,
       Reject::family_mismatch},
      {"type 0", "v3_ipv4", [](Bytes& b, IpMeta&, DecodeOptions&) { b[0] = 0x30; }, true,
       Reject::bad_type},
      {"type 2", "v2_pass_ipv4", [](Bytes& b, IpMeta&, DecodeOptions&) { b[0] = 0x22; }, true,
       Reject::bad_type},
      {"type 15", "v3_ipv6", [](Bytes& b, IpMeta&, DecodeOptions&) { b[0] = 0x3f; }, true,
       Reject::bad_type},
      {"count 0", "v3_ipv4",
       [](Bytes& b, IpMeta&, DecodeOptions&) {
         b[3] = 0;
         b.resize(8);
       },
       true, Reject::bad_address_count},
      {"count 0, v2 with auth data", "v2_noauth_ipv4",
       [](Bytes& b, IpMeta&, DecodeOptions&) {
         b[3] = 0;
         b.erase(b.begin() + 8, b.begin() + 12);
       },
       true, Reject::bad_address_count},
      {"count one more than the addresses", "v3_ipv4",
       [](Bytes& b, IpMeta&, DecodeOptions&) { b[3] += 1; }, true, Reject::bad_address_count},
      {"count one fewer than the addresses", "v3_ipv6",
       [](Bytes& b, IpMeta&, DecodeOptions&) { b[3] -= 1; }, true, Reject::bad_address_count},
      {"one byte missing", "v3_unicast_ipv4",
       [](Bytes& b, IpMeta&, DecodeOptions&) { b.pop_back(); }, false, Reject::bad_address_count},
      {"one byte too many", "v3_ipv4", [](Bytes& b, IpMeta&, DecodeOptions&) { b.push_back(0); },
       false, Reject::bad_address_count},
      {"v2 without its 8 auth-data bytes", "v2_noauth_ipv4",
       [](Bytes& b, IpMeta&, DecodeOptions&) { b.erase(b.end() - 8, b.end()); }, true,
       Reject::bad_address_count},
      {"v3 IPv6 read as if IPv4 addresses", "v3_ipv6",
       [](Bytes& b, IpMeta&, DecodeOptions&) { b.resize(8 + 2 * 4); }, true,
       Reject::bad_address_count},
      {"checksum off by one", "v2_pass_ipv4", [](Bytes& b, IpMeta&, DecodeOptions&) { b[7] ^= 1; },
       false, Reject::bad_checksum},
      {"v3 IPv4 pseudo-header with another source", "v3_ipv4",
       [](Bytes&, IpMeta& m, DecodeOptions&) { m.source = ip("192.0.2.99"); }, false,
       Reject::bad_checksum},
      {"v3 IPv6 pseudo-header with another destination", "v3_ipv6",
       [](Bytes&, IpMeta& m, DecodeOptions&) { m.destination = ip("ff02::13"); }, false,
       Reject::bad_checksum},
      {"checksum checked before the VRID", "v3_ipv4",
       [](Bytes& b, IpMeta&, DecodeOptions&) { b[1] = 99; }, false, Reject::bad_checksum},
      {"another VRID", "v3_ipv4", [](Bytes& b, IpMeta&, DecodeOptions&) { b[1] = 54; }, true,
       Reject::vrid_mismatch},
      {"another VRID expected", "v2_pass_ipv4",
       [](Bytes&, IpMeta&, DecodeOptions& o) { o.vrid = 1; }, false, Reject::vrid_mismatch},
      {"v2 advert interval 0", "v2_pass_ipv4", [](Bytes& b, IpMeta&, DecodeOptions&) { b[5] = 0; },
       true, Reject::interval_zero},
      {"v3 max advert interval 0", "v3_ipv6",
       [](Bytes& b, IpMeta&, DecodeOptions&) {
         b[4] = 0;
         b[5] = 0;
       },
       true, Reject::interval_zero},
      {"v3 interval 0 with reserved bits set", "v3_ipv4",
       [](Bytes& b, IpMeta&, DecodeOptions&) {
         b[4] = 0xf0;
         b[5] = 0;
       },
       true, Reject::interval_zero},
      {"PASS advert, no authentication configured", "v2_pass_ipv4",
       [](Bytes&, IpMeta&, DecodeOptions& o) { o.password.reset(); }, false,
       Reject::auth_type_mismatch},
      {"advert without auth, PASS configured", "v2_noauth_ipv4",
       [](Bytes&, IpMeta&, DecodeOptions& o) { o.password = "secret1"; }, false,
       Reject::auth_type_mismatch},
      {"IP AH advert (type 2), PASS configured", "v2_pass_ipv4",
       [](Bytes& b, IpMeta&, DecodeOptions&) { b[4] = 2; }, true, Reject::auth_type_mismatch},
      {"wrong password", "v2_pass_ipv4",
       [](Bytes&, IpMeta&, DecodeOptions& o) { o.password = "secret2"; }, false,
       Reject::auth_mismatch},
      {"password is a prefix", "v2_pass_ipv4",
       [](Bytes&, IpMeta&, DecodeOptions& o) { o.password = "secret"; }, false,
       Reject::auth_mismatch},
      {"password one byte longer", "v2_pass_ipv4",
       [](Bytes&, IpMeta&, DecodeOptions& o) { o.password = "secret12"; }, false,
       Reject::auth_mismatch},
      {"auth data not zero padded", "v2_pass_ipv4",
       [](Bytes& b, IpMeta&, DecodeOptions&) { b.back() = ' '; }, true, Reject::auth_mismatch},
  };
  return rows;
}

}  // namespace

SCENARIO("codec: each check rejects with its own reason", "[codec]") {
  const auto& row = GENERATE(from_range(reject_rows()));
  GIVEN(row.name << " (from " << row.scenario << ")") {
    auto packet = load_capture(row.scenario).front();
    auto options = options_for(scenario(row.scenario));
    REQUIRE(std::holds_alternative<Advert>(decode(packet.vrrp, packet.meta, options)));
    WHEN("the packet or what we expect is changed") {
      row.change(packet.vrrp, packet.meta, options);
      if (row.refresh) refresh_checksum(packet.vrrp, packet.meta, options.ipv4_v3_checksum);
      THEN("decode rejects it with " << to_string(row.expected)) {
        const auto result = decode(packet.vrrp, packet.meta, options);
        INFO("got " << describe(result));
        CHECK(result == DecodeResult(row.expected));
      }
    }
  }
}

TEST_CASE("codec: every rejection reason has a test and a distinct name", "[codec]") {
  std::set<Reject> tested;
  for (const auto& row : reject_rows()) tested.insert(row.expected);
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kRejectCount; ++i) {
    const auto reason = static_cast<Reject>(i);
    INFO("reason " << i << " " << to_string(reason));
    CHECK(tested.count(reason) == 1);
    CHECK(to_string(reason) != "unknown");
    names.insert(to_string(reason));
  }
  CHECK(names.size() == kRejectCount);
  CHECK(to_string(Reject::bad_checksum) == "bad_checksum");
}

SCENARIO("codec: what the RFCs say to ignore is ignored", "[codec]") {
  GIVEN("a v3 advert with the reserved bits before the interval set") {
    auto packet = load_capture("v3_ipv4").front();
    const auto options = options_for(scenario("v3_ipv4"));
    const auto original = decode(packet.vrrp, packet.meta, options);
    packet.vrrp[4] |= 0xf0;
    refresh_checksum(packet.vrrp, packet.meta, options.ipv4_v3_checksum);
    THEN("it decodes to the same advert") {
      REQUIRE(std::holds_alternative<Advert>(original));
      CHECK(decode(packet.vrrp, packet.meta, options) == original);
    }
  }
  GIVEN("a v2 advert without authentication whose auth data is not zero") {
    auto packet = load_capture("v2_noauth_ipv4").front();
    std::fill(packet.vrrp.end() - 8, packet.vrrp.end(), 'x');
    refresh_checksum(packet.vrrp, packet.meta, Ipv4V3Checksum::with_pseudo_header);
    THEN("it decodes, keeping the bytes as they came") {
      const auto result = decode(packet.vrrp, packet.meta, options_for(scenario("v2_noauth_ipv4")));
      REQUIRE(std::holds_alternative<Advert>(result));
      CHECK(std::get<Advert>(result).auth_type == AuthType::none);
      CHECK(std::get<Advert>(result).auth_data == padded("xxxxxxxx"));
    }
  }
  GIVEN("a v3 advert while a v2 password is configured") {
    const auto packet = load_capture("v3_ipv6").front();
    auto options = options_for(scenario("v3_ipv6"));
    options.version.reset();
    options.password = "secret1";
    THEN("v3 has no authentication, so the password does not apply") {
      CHECK(std::holds_alternative<Advert>(decode(packet.vrrp, packet.meta, options)));
    }
  }
  GIVEN("a password longer than 8 characters") {
    auto packet = load_capture("v2_pass_ipv4").front();
    std::copy_n("abcdefgh", 8, packet.vrrp.end() - 8);
    refresh_checksum(packet.vrrp, packet.meta, Ipv4V3Checksum::with_pseudo_header);
    auto options = options_for(scenario("v2_pass_ipv4"));
    options.password = "abcdefghij";
    THEN("only its first 8 characters are compared, as keepalived sends them") {
      CHECK(std::holds_alternative<Advert>(decode(packet.vrrp, packet.meta, options)));
    }
  }
  GIVEN("no expected version or VRID") {
    for (const auto& s : scenarios()) {
      const auto packet = load_capture(s.name).front();
      DecodeOptions options;
      options.password = s.password;
      THEN(s.name << " decodes") {
        CHECK(std::holds_alternative<Advert>(decode(packet.vrrp, packet.meta, options)));
      }
    }
  }
}

namespace {

// The reason the documented check order predicts when byte `position` of a valid packet
// becomes `value`. The first byte holds version and type, the fourth the address count, and
// a change anywhere else can only be caught by the checksum (a one's-complement sum changes
// when any single byte does).
Reject predicted_reason(std::size_t position, std::uint8_t value, const IpMeta& meta,
                        const DecodeOptions& options) {
  if (position == 3) return Reject::bad_address_count;
  if (position != 0) return Reject::bad_checksum;
  const int version = value >> 4;
  if (version != 2 && version != 3) return Reject::bad_version;
  if (options.version && static_cast<int>(*options.version) != version)
    return Reject::version_mismatch;
  if (version == 2 && meta.source.family == Family::ipv6) return Reject::family_mismatch;
  if ((value & 0x0f) != 1) return Reject::bad_type;
  return Reject::bad_address_count;  // v2 and v3 differ by the 8 auth-data bytes
}

}  // namespace

SCENARIO("codec: changing any one byte of a keepalived advert never passes unnoticed",
         "[codec][keepalived]") {
  const auto& s = GENERATE(from_range(scenarios()));
  const bool strict = GENERATE(true, false);
  GIVEN(s.name << (strict ? " with version and VRID expected" : " with only the password")) {
    DecodeOptions options;
    options.password = s.password;
    if (strict) options = options_for(s);
    const auto packets = load_capture(s.name);
    for (std::size_t i = 0; i < packets.size(); ++i) {
      const auto& packet = packets[i];
      const auto original = decode(packet.vrrp, packet.meta, options);
      REQUIRE(std::holds_alternative<Advert>(original));
      std::size_t rejected = 0;
      for (std::size_t position = 0; position < packet.vrrp.size(); ++position) {
        for (int delta = 1; delta < 256; ++delta) {
          Bytes changed = packet.vrrp;
          changed[position] = static_cast<std::uint8_t>(changed[position] + delta);
          const auto result = decode(changed, packet.meta, options);
          if (std::holds_alternative<Advert>(result)) {
            // Allowed by the property, but only as a different packet.
            INFO("byte " << position << " + " << delta << ": " << describe(result));
            CHECK(result != original);
            continue;
          }
          const Reject expected =
              predicted_reason(position, changed[position], packet.meta, options);
          if (std::get<Reject>(result) != expected) {
            FAIL_CHECK("byte " << position << " set to " << int(changed[position]) << ": got "
                               << describe(result) << ", expected " << to_string(expected));
          }
          ++rejected;
        }
      }
      THEN("every change to packet " << i << " was rejected for the predicted reason") {
        CHECK(rejected == packet.vrrp.size() * 255);
      }
    }
  }
}

TEST_CASE("codec: the shared decode leaves version, VRID, interval and password to each instance",
          "[codec]") {
  Advert a;
  a.version = Version::v2;
  a.vrid = 7;
  a.priority = 100;
  a.interval = std::chrono::seconds(1);
  a.addresses = {ip("10.0.0.100")};
  a.auth_type = AuthType::simple_text;
  a.auth_data = password_auth_data("s3cret-and-more");
  CHECK(a.auth_data == password_auth_data("s3cret-a"));  // the first 8 bytes, as keepalived
  const IpMeta meta{ip("10.0.0.1"), ip("224.0.0.18"), kRequiredTtl};
  const auto bytes = encode(a, meta.source, meta.destination);

  // Shared: intact, whoever reads it; the auth type is kept as sent.
  const auto shared = decode_shared(bytes, meta);
  REQUIRE(std::holds_alternative<Advert>(shared));
  CHECK(std::get<Advert>(shared) == a);

  DecodeOptions mine;
  mine.version = Version::v2;
  mine.vrid = 7;
  mine.password = "s3cret-a";
  CHECK_FALSE(check_for_instance(a, mine));
  auto other = mine;
  other.password = "other";
  CHECK(check_for_instance(a, other) == Reject::auth_mismatch);
  other.password.reset();
  CHECK(check_for_instance(a, other) == Reject::auth_type_mismatch);
  other = mine;
  other.vrid = 8;
  CHECK(check_for_instance(a, other) == Reject::vrid_mismatch);
  other = mine;
  other.version = Version::v3;
  CHECK(check_for_instance(a, other) == Reject::version_mismatch);

  // A corrupted packet is rejected by the shared step, before anyone looks at its VRID.
  auto corrupted = bytes;
  corrupted[2] ^= 1;
  CHECK(decode_shared(corrupted, meta) == DecodeResult{Reject::bad_checksum});
  // decode() is both steps.
  CHECK(decode(bytes, meta, mine) == shared);
  CHECK(decode(bytes, meta, other) == DecodeResult{Reject::version_mismatch});
}
