#pragma once
// Putting virtual IPs on interfaces and taking them off, through rtnetlink (libnl-route).
// Every call is one request and its acknowledgement on a private socket; see nl_socket.hpp for
// why that never stalls the io_context for longer than the kernel takes to add one address.
#include <cstdint>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "netlink/nl_socket.hpp"
#include "vrrp/ip_address.hpp"

namespace redvip::netlink {

struct Vip {
  vrrp::IpAddress address;
  std::uint8_t prefix_len = 32;
  std::string device;
  std::string label;  // IPv4 only (the kernel keeps no labels on IPv6 addresses); empty = none

  friend bool operator==(const Vip&, const Vip&) = default;
};

// "10.0.0.100/24" — the address as `ip addr` prints it.
std::string to_string(const Vip& vip);

enum class VipOperation { add, remove, check };

// What remove_stale() did: the VIPs it found and removed, and those it could not remove.
struct StaleCleanup {
  std::vector<Vip> removed;
  std::vector<std::pair<Vip, std::error_code>> failed;
};

// What an instance does with its VIPs; AddressManager is the kernel's, tests use a fake.
class VipTable {
 public:
  virtual ~VipTable() = default;
  // Adds the VIP. Already present (same address, prefix and device) is success.
  virtual std::error_code add(const Vip& vip) = 0;
  // Removes the VIP. Absent — or its device gone, which takes the address with it — is success.
  virtual std::error_code remove(const Vip& vip) = 0;
  // Whether the VIP (address, prefix length and device) is on its device now. A device that
  // does not exist holds nothing: false without an error. Other failures set `error`.
  virtual bool present(const Vip& vip, std::error_code* error = nullptr) = 0;
};

class AddressManager final : public VipTable {
 public:
  static std::pair<std::unique_ptr<AddressManager>, std::error_code> open();

  // IPv6 VIPs skip duplicate address detection (IFA_F_NODAD): the address is usable at once,
  // not "tentative".
  std::error_code add(const Vip& vip) override;
  std::error_code remove(const Vip& vip) override;
  bool present(const Vip& vip, std::error_code* error = nullptr) override;
  // Every address on `device` (prefix and label filled in), from one dump.
  std::pair<std::vector<Vip>, std::error_code> addresses(const std::string& device);
  // At start: takes off any of `configured` that a crashed run left on its interface.
  StaleCleanup remove_stale(const std::vector<Vip>& configured);

  // Requests whose answer was not already queued when sendmsg() returned (see nl_socket.hpp).
  std::uint64_t request_waits() const { return socket_.waits(); }

  // "cannot add 10.0.0.100/24 to eth0: No such device"
  static std::string describe_error(const Vip& vip, std::error_code error,
                                    VipOperation operation = VipOperation::add);

 private:
  explicit AddressManager(RouteSocket socket) : socket_(std::move(socket)) {}

  RouteSocket socket_;
};

}  // namespace redvip::netlink
