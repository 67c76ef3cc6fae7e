#pragma once
// Tells the neighbours that the VIPs moved to us: gratuitous ARP (AF_PACKET) for IPv4 VIPs,
// unsolicited Neighbor Advertisements (ICMPv6 raw socket) for IPv6 VIPs, on keepalived's
// schedule: a burst now, a second burst after a delay, then optional periodic refreshes.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "support/lifetime.hpp"
#include "netlink/arp_packet.hpp"
#include "netlink/asio.hpp"
#include "vrrp/ip_address.hpp"

namespace redvip::netlink {

// keepalived: garp_master_delay, garp_master_repeat, garp_master_refresh,
// garp_master_refresh_repeat, garp_interval / gna_interval.
struct AnnounceSettings {
  std::chrono::milliseconds delay{5000};  // second burst this long after the first; 0 = none
  unsigned repeat = 5;                    // messages per VIP in each of the two bursts
  std::chrono::milliseconds refresh{0};   // then one more burst this often; 0 = never
  unsigned refresh_repeat = 1;            // messages per VIP in a refresh burst
  std::chrono::milliseconds interval{0};  // gap between the rounds of a burst; 0 = back to back
};

class Announcer {
 public:
  Announcer(boost::asio::io_context& io, std::string interface, AnnounceSettings settings);
  ~Announcer();
  Announcer(const Announcer&) = delete;
  Announcer& operator=(const Announcer&) = delete;

  // Replaces any running schedule. mac: what the neighbours should learn; default the
  // interface's own address (right for a VMAC interface too). Errors (no such interface, no
  // permission) are returned and nothing is scheduled.
  std::error_code start(std::vector<vrrp::IpAddress> vips,
                        std::optional<MacAddress> mac = std::nullopt);
  void stop();

  std::uint64_t sent() const { return sent_; }
  std::uint64_t send_errors() const { return send_errors_; }

 private:
  enum class Phase { first, second, refresh };
  std::error_code open_sockets();
  void burst(unsigned rounds_left, Phase phase);
  void after_burst(Phase phase);
  void schedule(std::chrono::milliseconds after, std::function<void()> then);
  void send_round();

  boost::asio::steady_timer timer_;
  std::string interface_;
  AnnounceSettings settings_;
  std::vector<vrrp::IpAddress> vips_;
  MacAddress mac_{};
  unsigned ifindex_ = 0;
  int packet_fd_ = -1;            // AF_PACKET, send only
  int icmp6_fd_ = -1;             // raw ICMPv6, send only (every type filtered on receive)
  std::uint64_t generation_ = 0;  // bumped by start/stop so a stale timer does nothing
  std::uint64_t sent_ = 0;
  std::uint64_t send_errors_ = 0;
  Lifetime lifetime_;
};

}  // namespace redvip::netlink
