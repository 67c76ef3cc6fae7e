#pragma once
// Checks across vrrp_instance blocks, once each block is valid on its own.
#include <vector>

#include "agent/config/settings.hpp"
#include "agent/config/error.hpp"

namespace redvip::agent {

// Adds an error for: two instances with one name; two instances with one VRID on one
// interface and address family (their adverts would be indistinguishable); one virtual
// address in two instances (both would add and remove it).
void validate_config(const Config& config, std::vector<ConfigError>& errors);

}  // namespace redvip::agent
