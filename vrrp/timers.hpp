#pragma once
// RFC timer arithmetic. Intervals are centiseconds, as the wire carries them; the skew and
// the master-down interval are microseconds, as keepalived keeps them.
//
// Why not whole centiseconds (the RFC 5798 formula in integer arithmetic): at a 1 cs interval
// the skew of every priority below 231 truncates to 0, so master-down is 30 ms instead of
// 36.1 ms at priority 100 (a master 31 ms late was taken over from), and at 10 cs priorities
// 90 and 80 both get 6 cs, so two backups of a three-node group time out in the same
// millisecond instead of the higher one 3.9 ms first. Truncating to whole microseconds keeps
// skew_time monotonic: a higher priority never gets a longer skew than a lower one.
#include <chrono>
#include <cstdint>

#include "vrrp/advert.hpp"

namespace redvip::vrrp {

// Limits of the advertisement interval each version can carry: v2 whole seconds 1..255
// (100..25500 cs, multiples of 100 only), v3 1..4095 cs (a 12-bit field).
Centiseconds min_advert_interval(Version version);
Centiseconds max_advert_interval(Version version);
bool advert_interval_valid(Version version, Centiseconds interval);

// v2 (RFC 3768): (256 - priority) / 256 seconds; the interval does not enter.
// v3 (RFC 5798): ((256 - priority) * master_adver_interval) / 256.
Microseconds skew_time(Version version, std::uint8_t priority, Centiseconds master_adver_interval);

// 3 * interval + skew. v3 passes the interval learned from the master's adverts; v2 its own
// configured interval (a v2 advert with another interval is discarded, RFC 3768 7.1).
Microseconds master_down_interval(Version version, std::uint8_t priority,
                                  Centiseconds master_adver_interval);

// When a master sends its next advert: one interval from `now`, brought forward to the last
// multiple of the interval on the steady clock (since boot), but never sooner than half an
// interval from `now`. Every instance with that interval thus reaches the same grid within two
// adverts and then sends in the same burst, once per interval: the host that receives them wakes
// once for all of them instead of once per instance (at 255 instances most of a backup's CPU).
// Early is harmless: an advert only restarts the backups' master-down timers; never late.
std::chrono::steady_clock::time_point next_advert_time(std::chrono::steady_clock::time_point now,
                                                       Centiseconds interval);

}  // namespace redvip::vrrp
