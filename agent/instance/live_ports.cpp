#include "agent/instance/live_ports.hpp"

#include <fmt/format.h>

#include "agent/instance/derived.hpp"
#include "agent/log/log.hpp"
#include "netlink/announcer.hpp"
#include "netlink/vmac.hpp"

namespace redvip::agent {
namespace {

class ChannelAdverts final : public AdvertPort {
 public:
  explicit ChannelAdverts(std::unique_ptr<netlink::VrrpChannel> channel)
      : channel_(std::move(channel)) {}
  std::error_code send(const vrrp::Advert& advert) override { return channel_->send(advert); }
  const vrrp::IpAddress& source_address() const override { return channel_->source_address(); }
  netlink::SocketCounters counters() const override { return channel_->counters(); }
  void receive_pending() override { channel_->receive_pending(); }

 private:
  std::unique_ptr<netlink::VrrpChannel> channel_;
};

class LiveAnnouncer final : public AnnouncePort {
 public:
  LiveAnnouncer(boost::asio::io_context& io, std::string interface,
                netlink::AnnounceSettings settings)
      : announcer_(io, std::move(interface), settings) {}
  std::error_code start(const std::vector<vrrp::IpAddress>& vips) override {
    return announcer_.start(vips);
  }
  void stop() override { announcer_.stop(); }

 private:
  netlink::Announcer announcer_;
};

netlink::AnnounceSettings announce_settings(const GarpSettings& garp) {
  netlink::AnnounceSettings announce;
  announce.delay = garp.master_delay;
  announce.repeat = garp.master_repeat;
  announce.refresh = garp.master_refresh;
  announce.refresh_repeat = garp.master_refresh_repeat;
  return announce;
}

}  // namespace

std::pair<std::unique_ptr<VrrpInstance>, std::error_code> open_instance(
    const InstanceSettings& settings, const InstanceEnvironment& env, std::string& error) {
  const auto& name = settings.name;
  const auto config = socket_config(settings, env.globals);
  std::function<void()> remove_vmac;
  if (settings.use_vmac) {
    if (auto ec = netlink::create_vmac(settings.interface, settings.vmac_name, settings.vrid,
                                       settings.family)) {
      error = fmt::format("{}: cannot create the VMAC {} on {}: {}", name, settings.vmac_name,
                          settings.interface, ec.message());
      return {nullptr, ec};
    }
    remove_vmac = [name, vmac = settings.vmac_name] {
      if (auto ec = netlink::remove_vmac(vmac)) {
        log(Level::warning, name, "cannot remove {}: {}", vmac, ec.message());
      }
    };
  }
  auto fail = [&](std::error_code ec, std::string why) {
    error = std::move(why);
    if (remove_vmac) remove_vmac();
    return std::pair<std::unique_ptr<VrrpInstance>, std::error_code>{nullptr, ec};
  };

  auto [channel, channel_error] = env.receivers.open(config, settings.vrid);
  if (channel_error) {
    return fail(channel_error,
                fmt::format("{}: cannot open the VRRP socket on {}: {}", name, config.interface,
                            channel_error == std::errc::address_in_use
                                ? fmt::format("VRID {} is taken there", settings.vrid)
                                : channel_error.message()));
  }

  // Any configured VIP on the interface now was left by a run that did not release it.
  const auto cleanup = env.addresses.remove_stale(instance_vips(settings));
  for (const auto& vip : cleanup.removed) {
    log(Level::warning, name, "removed {} from {}: left behind by an earlier run",
        netlink::to_string(vip), vip.device);
  }
  if (!cleanup.failed.empty()) {
    const auto& [vip, ec] = cleanup.failed.front();
    return fail(ec, fmt::format("{}: {}", name,
                                netlink::AddressManager::describe_error(
                                    vip, ec, netlink::VipOperation::remove)));
  }

  auto* raw_channel = channel.get();
  InstancePorts ports;
  ports.adverts = std::make_unique<ChannelAdverts>(std::move(channel));
  ports.vips = &env.addresses;
  ports.announcer = std::make_unique<LiveAnnouncer>(env.io, vip_interface(settings),
                                                    announce_settings(settings.garp));
  ports.timers = std::make_unique<HubTimers>(env.timers);
  ports.on_destroy = std::move(remove_vmac);
  auto instance = std::make_unique<VrrpInstance>(settings, std::move(ports));
  // The channel lives in the instance's ports: the handler never outlives the instance.
  raw_channel->start(
      [target = instance.get()](const vrrp::DecodeResult& result, const vrrp::IpMeta& meta,
                                vrrp::TimePoint received_at) {
        target->on_packet(result, meta, received_at);
      },
      [target = instance.get()] { target->warm(); });
  return {std::move(instance), std::error_code{}};
}

}  // namespace redvip::agent
