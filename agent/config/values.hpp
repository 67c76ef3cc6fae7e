#pragma once
// Checked conversions of config words into values. No exceptions, no locale, no floating
// point: "0.1" seconds must become exactly 10 centiseconds.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/settings.hpp"
#include "vrrp/ip_address.hpp"

namespace redvip::agent {

// A plain decimal integer within [min, max]; nullopt for anything else (signs, spaces, hex).
std::optional<std::uint64_t> parse_unsigned(std::string_view text, std::uint64_t min,
                                            std::uint64_t max);

enum class FixedError { none, not_a_number, too_many_decimals, too_large };
struct FixedResult {
  std::int64_t scaled = 0;  // the value times 10^decimals
  FixedError error = FixedError::none;
};
// "12", "0.5", "40.95" with at most `decimals` digits after the point, scaled to an integer.
FixedResult parse_fixed(std::string_view text, int decimals);

struct PrefixedAddress {
  vrrp::IpAddress address;
  std::uint8_t prefix = 0;
  bool prefix_given = false;
};
// "ADDR" or "ADDR/PREFIX"; the prefix must fit the family (1..32 or 1..128).
std::optional<PrefixedAddress> parse_prefixed_address(std::string_view text);

// "IPv4:PORT" or "[IPv6]:PORT", port 1..65535.
std::optional<HostPort> parse_host_port(std::string_view text);
// The inverse: "192.0.2.1:9650", "[2001:db8::1]:9650".
std::string to_string(const HostPort& address);

// A script's command line split into words as keepalived does (no shell): blanks separate
// words, single or double quotes keep one together, a backslash takes the next character.
// nullopt when a quote is not closed or there is no word.
std::optional<std::vector<std::string>> split_command_line(std::string_view text);

// What the kernel accepts as an interface name: 1..15 bytes, no '/', ':' or whitespace,
// not "." or "..".
bool valid_interface_name(std::string_view name);

}  // namespace redvip::agent
