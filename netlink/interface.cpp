#include "netlink/interface.hpp"

#include <net/if.h>

#include <cerrno>

#include "netlink/errno_error.hpp"

namespace redvip::netlink {

InterfaceIndex interface_index(const std::string& name) {
  if (name.empty() || name.size() >= IF_NAMESIZE) {
    return {0, std::make_error_code(std::errc::invalid_argument)};
  }
  const unsigned index = ::if_nametoindex(name.c_str());
  if (index == 0) return {0, last_error()};
  return {index, {}};
}

}  // namespace redvip::netlink
