// libFuzzer target: the config parser on arbitrary bytes. Beyond "no crash, no sanitizer
// report", it checks the promises the daemon relies on: a config comes back only without
// errors, every error points at a line of the input, and an accepted config holds only
// values the protocol can carry.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "agent/config/parser.hpp"

using namespace redvip::agent;

namespace {

void require(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // No file access: fuzz input must not read /etc or /dev through include or password_file.
  const LoadResult result = parse_config_text(text, "fuzz.conf", ParseOptions{false});

  require(result.config.has_value() == result.errors.empty());
  int lines = 1;
  for (char c : text) lines += c == '\n';
  for (const ConfigError& e : result.errors) {
    require(e.file == "fuzz.conf");
    require(e.line >= 0 && e.line <= lines);
    require(!e.message.empty());
  }
  if (!result.config) return 0;
  for (const InstanceSettings& s : result.config->instances) {
    require(s.source_line >= 1 && s.source_line <= lines);
    require(s.vrid >= 1 && s.priority >= 1);
    require(!s.interface.empty() && !s.vips.empty() && s.vips.size() <= 255);
    const auto cs = s.advert_interval.count();
    if (s.version == redvip::vrrp::Version::v2)
      require(cs >= 100 && cs <= 25500 && cs % 100 == 0);
    else
      require(cs >= 1 && cs <= 4095);
    for (const VirtualAddress& vip : s.vips) require(vip.address.family == s.family);
    for (const auto& peer : s.unicast_peers) require(peer.family == s.family);
    require(!(s.version == redvip::vrrp::Version::v2 && s.family == redvip::vrrp::Family::ipv6));
    require(!s.auth_password || (s.version == redvip::vrrp::Version::v2 &&
                                 !s.auth_password->empty() && s.auth_password->size() <= 8));
    if (s.redis) {
      require(s.redis->check_interval.count() >= 10 && s.redis->check_interval.count() <= 10000);
      require(s.redis->fall >= 1 && s.redis->rise >= 1);
    }
  }
  return 0;
}
