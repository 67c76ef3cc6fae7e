#include "netlink/vrrp_receiver.hpp"

#include <algorithm>

namespace redvip::netlink {

// The socket of one path and the table of its channels, indexed by VRID.
class ReceivePath {
 public:
  ReceivePath(boost::asio::io_context& io, VrrpSocketConfig config,
              vrrp::Ipv4V3Checksum ipv4_v3_checksum, std::function<void()> awake)
      : socket_(io, std::move(config)),
        checksum_(ipv4_v3_checksum),
        dispatch_(ipv4_v3_checksum),
        awake_(std::move(awake)) {}

  std::error_code open() {
    if (auto error = socket_.open()) return error;
    socket_.set_batch_window(kBatchWindow);
    // Reading packets shows the process runs (awake_), and the batch's instances warm up.
    socket_.set_before_batch([this](std::span<const std::uint8_t> vrids) {
      if (awake_) awake_();
      dispatch_.warm(vrids);
    });
    socket_.start([this](const ReceivedPacket& packet) { dispatch_.packet(packet); },
                  [this](const ReceivedPacket& packet) { dispatch_.non_peer(packet); });
    return {};
  }

  bool claim(VrrpChannel& channel) { return dispatch_.claim(channel.vrid(), channel.listener_); }
  void release(const VrrpChannel& channel) { dispatch_.release(channel.vrid(), channel.listener_); }

  VrrpSocket& socket() { return socket_; }
  vrrp::Ipv4V3Checksum checksum() const { return checksum_; }

  // Adds this path's share to `sum`.
  void add_counters(ReceiverCounters& sum) const {
    const auto& s = socket_.counters();
    ++sum.paths;
    sum.unclaimed += dispatch_.unclaimed();
    for (std::size_t i = 0; i < sum.rejected.size(); ++i)
      sum.rejected[i] += dispatch_.rejected()[i];
    sum.dropped_non_peer += dispatch_.unclaimed_non_peer();
    sum.dropped_short_ip += s.dropped_short_ip;
    sum.dropped_oversized += s.dropped_oversized;
    sum.receive_errors += s.receive_errors;
  }

 private:
  VrrpSocket socket_;
  vrrp::Ipv4V3Checksum checksum_;
  VridDispatch dispatch_;
  std::function<void()> awake_;
};

VrrpChannel::VrrpChannel(std::shared_ptr<ReceivePath> path, std::uint8_t vrid)
    : path_(std::move(path)), vrid_(vrid) {}

VrrpChannel::~VrrpChannel() {
  if (path_) path_->release(*this);
}

std::error_code VrrpChannel::send(const vrrp::Advert& advert) {
  const auto& socket = path_->socket().counters();
  const auto sent = socket.sent;
  const auto errors = socket.send_errors;
  auto error = path_->socket().send(advert, path_->checksum());
  sent_.sent += socket.sent - sent;
  sent_.send_errors += socket.send_errors - errors;
  return error;
}

void VrrpChannel::receive_pending() { path_->socket().receive_now(); }

SocketCounters VrrpChannel::counters() const {
  SocketCounters out = sent_;
  out.received = listener_.received;
  out.dropped_non_peer = listener_.dropped_non_peer;
  return out;
}

const vrrp::IpAddress& VrrpChannel::source_address() const {
  return path_->socket().source_address();
}

VrrpReceivers::Key VrrpReceivers::key_of(const VrrpSocketConfig& config,
                                         vrrp::Ipv4V3Checksum ipv4_v3_checksum) {
  auto peers = config.unicast_peers;
  std::sort(peers.begin(), peers.end());
  peers.erase(std::unique(peers.begin(), peers.end()), peers.end());
  return {config.family,
          config.interface,
          config.source,
          std::move(peers),
          config.multicast_group.value_or(default_multicast_group(config.family)),
          ipv4_v3_checksum};
}

std::pair<std::unique_ptr<VrrpChannel>, std::error_code> VrrpReceivers::open(
    const VrrpSocketConfig& config, std::uint8_t vrid, vrrp::Ipv4V3Checksum ipv4_v3_checksum) {
  const auto key = key_of(config, ipv4_v3_checksum);
  std::shared_ptr<ReceivePath> path;
  if (auto it = paths_.find(key); it != paths_.end()) path = it->second.lock();
  if (!path) {
    path = std::make_shared<ReceivePath>(io_, config, ipv4_v3_checksum, awake_);
    if (auto error = path->open()) return {nullptr, error};
    paths_[key] = path;
  }
  std::unique_ptr<VrrpChannel> channel(new VrrpChannel(path, vrid));
  if (!path->claim(*channel)) {
    channel->path_.reset();  // not ours to release
    return {nullptr, std::make_error_code(std::errc::address_in_use)};
  }
  // Forget paths whose last channel went.
  std::erase_if(paths_, [](const auto& entry) { return entry.second.expired(); });
  return {std::move(channel), std::error_code{}};
}

ReceiverCounters VrrpReceivers::counters() const {
  ReceiverCounters sum;
  for (const auto& [key, weak] : paths_) {
    if (auto path = weak.lock()) path->add_counters(sum);
  }
  return sum;
}

}  // namespace redvip::netlink
