#include "agent/instance/vrrp_instance.hpp"

#include <fmt/format.h>

#include "agent/log/log.hpp"
#include "netlink/vmac.hpp"
#include "vrrp/timers.hpp"

namespace redvip::agent {
namespace asio = boost::asio;

namespace {
// After a failed promotion the node stays out of the election this long, then tries again.
constexpr auto kPromotionRetry = std::chrono::seconds(1);

std::size_t timer_slot(vrrp::TimerKind kind) { return static_cast<std::size_t>(kind); }
}  // namespace

VrrpInstance::VrrpInstance(asio::io_context& io, InstanceSettings settings,
                           const GlobalSettings& globals, netlink::AddressManager& addresses)
    : io_(io), settings_(std::move(settings)), globals_(globals), addresses_(addresses) {
  for (auto& t : timers_) t = std::make_unique<Timer>(io_);
}

VrrpInstance::~VrrpInstance() {
  *alive_ = false;
  for (auto& t : timers_) t->timer.cancel();
  if (socket_) socket_->stop();
  if (announcer_) announcer_->stop();
  if (vmac_created_) {
    if (auto ec = netlink::remove_vmac(settings_.vmac_name)) {
      log(Level::warning, settings_.name, "cannot remove {}: {}", settings_.vmac_name, ec.message());
    }
  }
}

std::string VrrpInstance::socket_interface() const {
  return settings_.use_vmac ? settings_.vmac_name : settings_.interface;
}

std::string VrrpInstance::vip_device(const VirtualAddress& vip) const {
  if (!vip.dev.empty()) return vip.dev;
  return socket_interface();
}

std::vector<netlink::Vip> VrrpInstance::vips() const {
  std::vector<netlink::Vip> out;
  for (const auto& v : settings_.vips) {
    out.push_back(netlink::Vip{v.address, v.prefix, vip_device(v), v.label});
  }
  return out;
}

std::error_code VrrpInstance::start(std::string& error) {
  const auto& name = settings_.name;
  netlink::VrrpSocketConfig socket_config;
  socket_config.family = settings_.family;
  // Adverts go out on the parent; the VMAC carries the VIPs and the announcements, so
  // neighbours learn the virtual MAC (keepalived also sends its adverts from the VMAC).
  socket_config.interface = settings_.interface;
  socket_config.source = settings_.unicast_src;
  socket_config.unicast_peers = settings_.unicast_peers;
  socket_config.multicast_group =
      settings_.family == vrrp::Family::ipv4 ? globals_.mcast_group4 : globals_.mcast_group6;
  if (settings_.use_vmac) {
    if (auto ec = netlink::create_vmac(settings_.interface, settings_.vmac_name, settings_.vrid,
                                       settings_.family)) {
      error = fmt::format("{}: cannot create the VMAC {} on {}: {}", name, settings_.vmac_name,
                          settings_.interface, ec.message());
      return ec;
    }
    vmac_created_ = true;
  }
  socket_ = std::make_unique<netlink::VrrpSocket>(io_, socket_config);
  if (auto ec = socket_->open()) {
    error = fmt::format("{}: cannot open the VRRP socket on {}: {}", name, socket_config.interface,
                        ec.message());
    return ec;
  }

  // Any configured VIP on the interface now was left by a run that did not release it.
  const auto cleanup = addresses_.remove_stale(vips());
  for (const auto& vip : cleanup.removed) {
    log(Level::warning, name, "removed {} from {}: left behind by an earlier run",
        netlink::to_string(vip), vip.device);
  }
  if (!cleanup.failed.empty()) {
    const auto& [vip, ec] = cleanup.failed.front();
    error = fmt::format("{}: {}", name,
                        netlink::AddressManager::describe_error(vip, ec, netlink::VipOperation::remove));
    return ec;
  }

  netlink::AnnounceSettings announce;
  announce.delay = settings_.garp.master_delay;
  announce.repeat = settings_.garp.master_repeat;
  announce.refresh = settings_.garp.master_refresh;
  announce.refresh_repeat = settings_.garp.master_refresh_repeat;
  announcer_ = std::make_unique<netlink::Announcer>(io_, socket_interface(), announce);

  decode_options_.version = settings_.version;
  decode_options_.vrid = settings_.vrid;
  decode_options_.password = settings_.auth_password;

  vrrp::InstanceConfig fsm;
  fsm.version = settings_.version;
  fsm.family = settings_.family;
  fsm.vrid = settings_.vrid;
  fsm.priority = settings_.priority;
  fsm.advert_interval = settings_.advert_interval;
  fsm.preempt = settings_.preempt;
  fsm.preempt_delay = settings_.preempt_delay;
  fsm.start_as_master = settings_.initial_state == InitialState::master;
  fsm.primary_address = socket_->source_address();
  machine_.emplace(fsm);

  socket_->start([this](const netlink::ReceivedPacket& p) { on_packet(p); });
  log(Level::info, name, "started: vrid {} priority {} on {} from {} ({}, advert every {} ms)",
      settings_.vrid, settings_.priority, socket_interface(),
      socket_->source_address().to_string(),
      settings_.version == vrrp::Version::v2 ? "VRRPv2" : "VRRPv3",
      std::chrono::duration_cast<std::chrono::milliseconds>(settings_.advert_interval).count());
  feed(vrrp::Startup{});
  if (!eligibility_.eligible()) {
    feed(vrrp::EligibilityChanged{false, eligibility_.summary()});
  }
  return {};
}

void VrrpInstance::stop(std::function<void()> done) {
  if (!machine_) {
    if (done) done();
    return;
  }
  stopping_ = true;
  stop_done_ = std::move(done);
  feed(vrrp::Shutdown{});
}

vrrp::State VrrpInstance::state() const {
  return machine_ ? machine_->state() : vrrp::State::initialize;
}

void VrrpInstance::set_blocked(const std::string& cause, bool blocking, const std::string& detail) {
  const auto changed = eligibility_.set(cause, blocking, detail);
  if (!changed || !machine_ || stopping_) return;
  feed(vrrp::EligibilityChanged{*changed, *changed ? cause + " recovered" : eligibility_.summary()});
}

void VrrpInstance::on_link(const netlink::LinkEvent& event) {
  const bool primary = event.name == settings_.interface || event.name == socket_interface();
  const bool tracked = std::find(settings_.track_interfaces.begin(),
                                 settings_.track_interfaces.end(),
                                 event.name) != settings_.track_interfaces.end();
  if (!tracked && !(primary && !settings_.dont_track_primary)) return;
  const auto cause = fmt::format("link {}", event.name);
  if (!event.up) log(Level::warning, settings_.name, "{} is down", event.name);
  else if (eligibility_.causes().count(cause)) log(Level::info, settings_.name, "{} is up", event.name);
  set_blocked(cause, !event.up, "down");
}

void VrrpInstance::on_address(const netlink::AddressEvent& event) {
  if (event.added || !vips_held_) return;
  for (const auto& vip : vips()) {
    if (vip.address != event.address) continue;
    // Someone removed a VIP we hold as master: clients would lose it, so put it back.
    log(Level::warning, settings_.name, "{} was removed from {} by someone else; adding it back",
        vip.address.to_string(), vip.device);
    if (auto ec = addresses_.add(vip)) {
      ++counters_.vip_errors;
      log(Level::error, settings_.name, "{}", addresses_.describe_error(vip, ec));
    }
  }
}

void VrrpInstance::on_packet(const netlink::ReceivedPacket& packet) {
  if (stopping_ || !machine_) return;
  auto result = vrrp::decode(packet.vrrp, packet.meta, decode_options_);
  if (const auto* reject = std::get_if<vrrp::Reject>(&result)) {
    // VRRP shares one multicast group: other routers' VRIDs are normal traffic, not errors.
    ++counters_.rejected[static_cast<std::size_t>(*reject)];
    if (*reject != vrrp::Reject::vrid_mismatch) {
      log(Level::debug, settings_.name, "dropped advert from {}: {}",
          packet.meta.source.to_string(), vrrp::to_string(*reject));
    }
    return;
  }
  const auto& advert = std::get<vrrp::Advert>(result);
  ++counters_.adverts_received;
  last_heard_ = packet.meta.source;
  last_heard_at_ = vrrp::Clock::now();
  feed(vrrp::AdvertReceived{packet.meta.source, advert.priority, advert.interval});
  // Only a master advertises with a non-zero priority: while we are not master (backup, or
  // held in Fault until our Redis has synced) our Redis must replicate from it.
  if (hooks_ && advert.priority != vrrp::kPriorityRelease && machine_->state() != vrrp::State::master) {
    const auto followed = machine_->master();
    if (machine_->state() != vrrp::State::backup || !followed || *followed == packet.meta.source) {
      hooks_->master_seen(packet.meta.source);
    }
  }
}

void VrrpInstance::feed(const vrrp::Event& event) {
  enqueue(machine_->handle(event, vrrp::Clock::now()));
}

void VrrpInstance::enqueue(std::vector<vrrp::Action> actions) {
  for (auto& a : actions) queue_.push_back(std::move(a));
  run_queue();
}

void VrrpInstance::run_queue() {
  while (!waiting_ && !queue_.empty()) {
    const auto action = std::move(queue_.front());
    queue_.pop_front();
    if (!execute(action)) return;
  }
  if (!waiting_ && queue_.empty() && stopping_ && stop_done_) {
    auto done = std::move(stop_done_);
    stop_done_ = nullptr;
    done();
  }
}

bool VrrpInstance::execute(const vrrp::Action& action) {
  const auto& name = settings_.name;
  if (const auto* send = std::get_if<vrrp::SendAdvert>(&action)) {
    send_advert(send->priority);
  } else if (const auto* arm = std::get_if<vrrp::ArmTimer>(&action)) {
    arm_timer(arm->timer, arm->deadline);
  } else if (const auto* cancel = std::get_if<vrrp::CancelTimer>(&action)) {
    cancel_timer(cancel->timer);
  } else if (std::holds_alternative<vrrp::TakeVips>(action)) {
    if (!hooks_) {
      take_vips();
      return true;
    }
    // The service behind the VIP must be writable before the VIP points at it.
    waiting_ = true;
    std::weak_ptr<bool> alive = alive_;
    std::optional<vrrp::IpAddress> live_master;
    // Heard within two intervals: the previous master is up (it released or is being preempted).
    if (last_heard_ && vrrp::Clock::now() - last_heard_at_ < 2 * settings_.advert_interval) {
      live_master = last_heard_;
    }
    hooks_->promote(live_master, [this, alive](bool ok, const std::string& why) {
      if (alive.expired()) return;
      waiting_ = false;
      if (ok) {
        take_vips();
      } else {
        log(Level::error, settings_.name, "not taking the VIP: {}", why);
        // Drop the rest of the master entry (announce, adverts); the fault path releases.
        queue_.clear();
        set_blocked("promotion", true, why);
        auto retry = std::make_shared<asio::steady_timer>(io_, kPromotionRetry);
        retry->async_wait([this, alive, retry](boost::system::error_code ec) {
          if (!ec && !alive.expired()) set_blocked("promotion", false);
        });
      }
      run_queue();
    });
    return false;
  } else if (std::holds_alternative<vrrp::ReleaseVips>(action)) {
    release_vips();
    // The machine follows the better master it yielded to; after a shutdown or fault, none.
    if (hooks_) hooks_->demoted(machine_->master());
  } else if (std::holds_alternative<vrrp::Announce>(action)) {
    std::vector<vrrp::IpAddress> addresses;
    for (const auto& v : settings_.vips) addresses.push_back(v.address);
    if (vips_held_) {
      if (auto ec = announcer_->start(addresses)) {
        log(Level::warning, name, "cannot announce the VIPs on {}: {}", socket_interface(),
            ec.message());
      }
    }
  } else if (const auto* t = std::get_if<vrrp::Transition>(&action)) {
    ++counters_.transitions;
    last_reason_ = t->reason;
    log(Level::notice, name, "{} -> {}: {}", vrrp::to_string(t->from), vrrp::to_string(t->to),
        t->reason);
    if (t->to == vrrp::State::master) {
      ++counters_.became_master;
      master_ = socket_->source_address();
    } else if (t->from == vrrp::State::master) {
      announcer_->stop();
      if (master_ == socket_->source_address()) master_.reset();
    }
  } else if (const auto* changed = std::get_if<vrrp::MasterChanged>(&action)) {
    if (changed->master && changed->master != master_) {
      log(Level::info, name, "following master {}", changed->master->to_string());
    }
    if (changed->master) master_ = changed->master;
  } else if (const auto* drop = std::get_if<vrrp::DropAdvert>(&action)) {
    ++counters_.dropped[static_cast<std::size_t>(drop->reason)];
    if (drop->reason == vrrp::DropReason::interval_mismatch) {
      log(Level::warning, name, "advert interval differs from ours (VRRPv2 needs equal intervals)");
    }
  }
  return true;
}

void VrrpInstance::arm_timer(vrrp::TimerKind kind, vrrp::TimePoint deadline) {
  auto& t = *timers_[timer_slot(kind)];
  const auto generation = ++t.generation;
  t.timer.expires_at(deadline);
  std::weak_ptr<bool> alive = alive_;
  t.timer.async_wait([this, alive, kind, generation](boost::system::error_code ec) {
    if (ec || alive.expired()) return;
    if (timers_[timer_slot(kind)]->generation != generation) return;
    log(Level::debug, settings_.name, "{} timer fired", vrrp::to_string(kind));
    feed(vrrp::TimerFired{kind});
  });
}

void VrrpInstance::cancel_timer(vrrp::TimerKind kind) {
  auto& t = *timers_[timer_slot(kind)];
  ++t.generation;
  t.timer.cancel();
}

void VrrpInstance::take_vips() {
  for (const auto& vip : vips()) {
    if (auto ec = addresses_.add(vip)) {
      ++counters_.vip_errors;
      log(Level::error, settings_.name, "{}", addresses_.describe_error(vip, ec));
    }
  }
  vips_held_ = true;
  log(Level::info, settings_.name, "VIPs added");
}

void VrrpInstance::release_vips() {
  announcer_->stop();
  for (const auto& vip : vips()) {
    if (auto ec = addresses_.remove(vip)) {
      ++counters_.vip_errors;
      log(Level::error, settings_.name, "{}",
          netlink::AddressManager::describe_error(vip, ec, netlink::VipOperation::remove));
    }
  }
  if (vips_held_) log(Level::info, settings_.name, "VIPs removed");
  vips_held_ = false;
}

void VrrpInstance::send_advert(std::uint8_t priority) {
  vrrp::Advert advert;
  advert.version = settings_.version;
  advert.family = settings_.family;
  advert.vrid = settings_.vrid;
  advert.priority = priority;
  advert.interval = settings_.advert_interval;
  for (const auto& v : settings_.vips) advert.addresses.push_back(v.address);
  if (settings_.auth_password) {
    advert.auth_type = vrrp::AuthType::simple_text;
    const auto& pw = *settings_.auth_password;
    std::copy_n(pw.begin(), std::min(pw.size(), advert.auth_data.size()), advert.auth_data.begin());
  }
  if (auto ec = socket_->send(advert)) {
    log(Level::warning, settings_.name, "advert not sent: {}", ec.message());
    return;
  }
  ++counters_.adverts_sent;
}

const vrrp::IpAddress* VrrpInstance::source_address() const {
  return socket_ ? &socket_->source_address() : nullptr;
}

InstanceStatus VrrpInstance::status() const {
  InstanceStatus s;
  s.name = settings_.name;
  s.state = state();
  s.priority = machine_ ? machine_->effective_priority() : settings_.priority;
  s.master = master_;
  s.not_eligible_because = eligibility_.summary();
  s.last_transition_reason = last_reason_;
  s.counters = counters_;
  if (socket_) s.socket = socket_->counters();
  return s;
}

}  // namespace redvip::agent
