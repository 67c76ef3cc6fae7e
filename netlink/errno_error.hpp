#pragma once
// errno of the system call that just failed, as a std::error_code.
#include <cerrno>
#include <system_error>

namespace redvip::netlink {

inline std::error_code last_error() { return {errno, std::system_category()}; }

}  // namespace redvip::netlink
