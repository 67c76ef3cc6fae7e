#include "agent/redis/model/peer_loss.hpp"

#include <algorithm>

#include "agent/redis/model/reply.hpp"

namespace redvip::agent {
using std::chrono::milliseconds;

milliseconds peer_loss_window(std::optional<milliseconds> fixed, milliseconds advert_interval,
                              milliseconds check_interval, milliseconds check_timeout) {
  if (fixed) return *fixed;
  return 4 * advert_interval + check_interval + check_timeout + milliseconds(100);
}

bool peer_answered(std::error_code error, bool new_connection) {
  return redis_replied(error) || error == RedisErrc::refused ||
         (new_connection && error == RedisErrc::connection_lost);
}

std::string_view to_string(PeerLossEvent e) {
  switch (e) {
    case PeerLossEvent::none:
      return "none";
    case PeerLossEvent::lost:
      return "lost";
    case PeerLossEvent::back:
      return "back";
    case PeerLossEvent::gave_up:
      return "gave_up";
  }
  return "?";
}

PeerLossStep peer_loss_step(const PeerSight& sight, bool answered, PeerLossClock::time_point now,
                            milliseconds window, milliseconds renew) {
  PeerLossStep out;
  out.sight = sight;
  if (answered) {
    out.sight.answered = now;
    out.sight.holding = false;
    if (!sight.steady_since) out.sight.steady_since = now;
    out.event = sight.holding ? PeerLossEvent::back : PeerLossEvent::none;
    return out;
  }
  out.sight.steady_since.reset();
  if (!sight.answered) return out;
  const auto end = *sight.answered + window;
  if (now >= end) {
    out.sight.holding = false;
    out.event = sight.holding ? PeerLossEvent::gave_up : PeerLossEvent::none;
    return out;
  }
  if (!sight.holding && sight.held_before &&
      (!sight.steady_since || *sight.answered - *sight.steady_since < window)) {
    return out;  // flapping: not steady for a window since its last hold
  }
  out.sight.holding = true;
  out.sight.held_before = true;
  out.event = sight.holding ? PeerLossEvent::none : PeerLossEvent::lost;
  out.hold = std::min(renew, std::chrono::ceil<milliseconds>(end - now));
  return out;
}

}  // namespace redvip::agent
