#pragma once
// RFC timer arithmetic, in centiseconds as the wire carries it.
//
// Rounding: every division truncates towards zero to whole centiseconds, as the RFC 5798
// formula does in integer arithmetic (and as FRRouting's vrrp_recalculate_timers does).
// Example: v2 priority 100 gives (256-100)/256 s = 60.9375 cs -> 60 cs; v3 priority 255 with
// a 100 cs interval gives 100/256 cs -> 0 cs. keepalived keeps microseconds instead; the
// difference is below one centisecond. Truncation keeps skew_time monotonic: a higher
// priority never gets a longer skew than a lower one, so it never times out later.
#include <cstdint>

#include "vrrp/advert.hpp"

namespace redvip::vrrp {

// Limits of the advertisement interval each version can carry: v2 whole seconds 1..255
// (100..25500 cs, multiples of 100 only), v3 1..4095 cs (a 12-bit field).
Centiseconds min_advert_interval(Version version);
Centiseconds max_advert_interval(Version version);
bool advert_interval_valid(Version version, Centiseconds interval);

// v2 (RFC 3768): (256 - priority) / 256 seconds; the interval does not enter.
// v3 (RFC 5798): ((256 - priority) * master_adver_interval) / 256 centiseconds.
Centiseconds skew_time(Version version, std::uint8_t priority, Centiseconds master_adver_interval);

// 3 * interval + skew. v3 passes the interval learned from the master's adverts; v2 its own
// configured interval (a v2 advert with another interval is discarded, RFC 3768 7.1).
Centiseconds master_down_interval(Version version, std::uint8_t priority,
                                  Centiseconds master_adver_interval);

}  // namespace redvip::vrrp
