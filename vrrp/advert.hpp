#pragma once
// A decoded VRRP advertisement (RFC 3768 v2, RFC 5798/9568 v3), independent of the wire.
#include <array>
#include <chrono>
#include <cstdint>
#include <vector>

#include "vrrp/ip_address.hpp"

namespace redvip::vrrp {

// The wire carries intervals in centiseconds (v3) or whole seconds (v2); we hold centiseconds.
using Centiseconds = std::chrono::duration<std::int64_t, std::centi>;
// The skew and master-down times (timers.hpp): finer than the wire's centiseconds.
using Microseconds = std::chrono::microseconds;

enum class Version : std::uint8_t { v2 = 2, v3 = 3 };
enum class AuthType : std::uint8_t { none = 0, simple_text = 1, ip_ah = 2 };

inline constexpr std::uint8_t kProtocolNumber = 112;
inline constexpr std::uint8_t kRequiredTtl = 255;
inline constexpr std::uint8_t kPriorityOwner = 255;
inline constexpr std::uint8_t kPriorityRelease = 0;

struct Advert {
  Version version = Version::v3;
  Family family = Family::ipv4;
  std::uint8_t vrid = 0;
  std::uint8_t priority = 100;
  Centiseconds interval{100};  // v2: a whole number of seconds on the wire
  std::vector<IpAddress> addresses;
  AuthType auth_type = AuthType::none;      // v2 only
  std::array<std::uint8_t, 8> auth_data{};  // v2 simple text: the password, zero padded

  friend bool operator==(const Advert&, const Advert&) = default;
};

}  // namespace redvip::vrrp
