#pragma once
// RFC timer arithmetic, in centiseconds as the wire carries it.
#include <cstdint>

#include "vrrp/advert.hpp"

namespace redvip::vrrp {

// Limits of the advertisement interval each version can carry.
Centiseconds min_advert_interval(Version version);
Centiseconds max_advert_interval(Version version);
bool advert_interval_valid(Version version, Centiseconds interval);

// v2 (RFC 3768): (256 - priority) / 256 seconds.
// v3 (RFC 5798): ((256 - priority) * master_adver_interval) / 256 centiseconds.
Centiseconds skew_time(Version version, std::uint8_t priority, Centiseconds master_adver_interval);

// 3 * interval + skew; v3 uses the interval learned from the master.
Centiseconds master_down_interval(Version version, std::uint8_t priority,
                                  Centiseconds master_adver_interval);

}  // namespace redvip::vrrp
