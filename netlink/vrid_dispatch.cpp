#include "netlink/vrid_dispatch.hpp"

namespace redvip::netlink {

bool VridDispatch::claim(std::uint8_t vrid, VridListener& listener) {
  auto& slot = listeners_[vrid];
  if (slot != nullptr) return false;
  slot = &listener;
  return true;
}

void VridDispatch::release(std::uint8_t vrid, const VridListener& listener) {
  auto& slot = listeners_[vrid];
  if (slot == &listener) slot = nullptr;
}

void VridDispatch::packet(const ReceivedPacket& packet) {
  const auto result = vrrp::decode_shared(packet.vrrp, packet.meta, checksum_);
  VridListener* listener = nullptr;
  if (const auto* advert = std::get_if<vrrp::Advert>(&result)) {
    listener = listeners_[advert->vrid];
    if (listener == nullptr) {
      ++unclaimed_;
      return;
    }
  } else {
    listener = listener_of(packet.vrrp);
    if (listener == nullptr) {
      ++rejected_[static_cast<std::size_t>(std::get<vrrp::Reject>(result))];
      return;
    }
  }
  ++listener->received;
  if (listener->handler) listener->handler(result, packet.meta, packet.received_at);
}

void VridDispatch::warm(std::span<const std::uint8_t> vrids) const {
  for (const auto vrid : vrids) {
    if (const auto* listener = listeners_[vrid]) __builtin_prefetch(listener);
  }
  for (const auto vrid : vrids) {
    if (const auto* listener = listeners_[vrid]; listener && listener->warm) listener->warm();
  }
}

void VridDispatch::non_peer(const ReceivedPacket& packet) {
  if (auto* listener = listener_of(packet.vrrp)) {
    ++listener->dropped_non_peer;
  } else {
    ++unclaimed_non_peer_;
  }
}

}  // namespace redvip::netlink
