#pragma once
// `handover [INSTANCE] [--to ADDRESS]` on the control socket: the words checked before anything
// is looked up. The request comes from a local user: anything malformed is a usage error with a
// reason, never a guess.
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "vrrp/ip_address.hpp"

namespace redvip::agent {

struct HandoverRequest {
  std::optional<std::string> instance;  // nullopt: the only instance with a redis block
  std::optional<vrrp::IpAddress> to;    // nullopt: any replica that catches up first
  friend bool operator==(const HandoverRequest&, const HandoverRequest&) = default;
};

// Whether `line` is a handover request at all (its first word).
bool is_handover_request(std::string_view line);
// The request, or why it is malformed.
std::variant<HandoverRequest, std::string> parse_handover_request(std::string_view line);

// How a refused handover starts its reply: redvipctl exits 3 on it (1 is for errors).
inline constexpr std::string_view kRefusedPrefix = "refused: ";

}  // namespace redvip::agent
