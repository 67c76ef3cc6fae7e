#pragma once
// Looking up interfaces by name, with errors that name the interface.
#include <string>
#include <system_error>

namespace redvip::netlink {

// The kernel's index of an interface, or an error naming it.
struct InterfaceIndex {
  unsigned index = 0;
  std::error_code error;
};
InterfaceIndex interface_index(const std::string& name);

}  // namespace redvip::netlink
