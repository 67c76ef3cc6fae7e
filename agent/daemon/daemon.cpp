#include "agent/daemon/daemon.hpp"

#include <algorithm>
#include <csignal>
#include <variant>

#include "agent/config/parser.hpp"
#include "agent/config/values.hpp"
#include "agent/daemon/realtime.hpp"
#include "agent/daemon/reload_plan.hpp"
#include "agent/log/log.hpp"
#include "agent/daemon/systemd_notify.hpp"

namespace redvip::agent {
namespace asio = boost::asio;

Daemon::Daemon(asio::io_context& io, std::string config_path)
    : io_(io), config_path_(std::move(config_path)), signals_(io) {}

Daemon::~Daemon() {
  // An instance going away never calls into a group that went first.
  for (auto& [name, instance] : instances_)
    if (instance) instance->set_sync_listener(nullptr);
}

bool Daemon::start(Config config, std::string& error) {
  config_ = std::move(config);
  apply_scheduling();
  auto [addresses, ec] = netlink::AddressManager::open();
  if (ec) {
    error = fmt::format("cannot open a netlink socket for addresses: {}", ec.message());
    return false;
  }
  addresses_ = std::move(addresses);
  receivers_ = std::make_unique<netlink::VrrpReceivers>(io_);
  timer_hub_ = std::make_unique<TimerHub>(io_);
  // A backup that hears adverts is awake anyway: its stall canary need not wake it too.
  receivers_->on_read([hub = timer_hub_.get()] { hub->awake(); });
  if (!scripts_) scripts_ = std::make_unique<ScriptRunner>(io_);
  links_ = std::make_unique<netlink::LinkMonitor>(
      io_,
      [this](const netlink::LinkEvent& e) {
        for (auto& [name, instance] : instances_) instance->on_link(e);
        for (auto& [name, tracker] : trackers_) tracker->on_link(e.name, e.up);
      },
      [this](const netlink::AddressEvent& e) {
        for (auto& [name, instance] : instances_) instance->on_address(e);
      });
  // Address events the kernel dropped: each master re-checks its VIPs.
  links_->set_resync_handler([this] {
    for (auto& [name, instance] : instances_) instance->recheck_vips();
  });
  if (auto lec = links_->start()) {
    error = fmt::format("cannot watch links through netlink: {}", lec.message());
    return false;
  }
  if (start_endpoints(error)) return false;
  for (const auto& settings : config_.instances) {
    if (start_instance(settings, error)) {
      trackers_.clear();
      controllers_.clear();  // first: a controller refers to its instance
      instances_.clear();
      return false;
    }
  }
  rebuild_sync_groups();
  watch_signals();
  start_watchdog();
  return true;
}

void Daemon::start_watchdog() {
  const auto timeout = watchdog_timeout();
  if (!timeout) return;
  const auto interval = *watchdog_ping_interval(*timeout);
  watchdog_ = std::make_unique<Watchdog>(io_, interval, [] { notify_watchdog(); });
  watchdog_->start();
  log(Level::info, "", "systemd watchdog: {} ms, pinged every {} ms from the event loop",
      timeout->count() / 1000, interval.count() / 1000);
}

std::error_code Daemon::start_endpoints(std::string& error) {
  control_ = std::make_unique<ControlServer>(
      io_, config_.redvip.control_socket,
      ControlServer::AsyncHandler([this](const std::string& r, ControlServer::Reply reply) {
        control(r, std::move(reply));
      }));
  if (auto ec = control_->start()) {
    error = fmt::format(
        "cannot listen on the control socket {}: {}", config_.redvip.control_socket,
        ec == std::errc::address_in_use ? "another redvipd is running there" : ec.message());
    return ec;
  }
  metrics_.reset();
  if (config_.redvip.metrics_address) {
    const auto& address = *config_.redvip.metrics_address;
    metrics_ = std::make_unique<MetricsServer>(
        io_, [this] { return render_prometheus(views(), receivers_->counters()); });
    if (auto ec = metrics_->start(address)) {
      error = fmt::format("cannot serve metrics on {}: {}", to_string(address), ec.message());
      return ec;
    }
  }
  return {};
}

void Daemon::feed_initial_links(VrrpInstance& instance) {
  std::vector<std::string> names{instance.settings().interface};
  for (const auto& t : instance.settings().track_interfaces) names.push_back(t.name);
  for (const auto& name : names) {
    if (auto up = links_->link_up(name)) instance.on_link(netlink::LinkEvent{0, name, *up});
  }
}

std::error_code Daemon::start_instance(const InstanceSettings& settings, std::string& error) {
  auto [instance, ec] =
      open_instance(settings, {io_, config_.globals, *addresses_, *receivers_, *timer_hub_}, error);
  if (ec) return ec;
  feed_initial_links(*instance);
  std::unique_ptr<RedisRoleController> controller;
  if (settings.redis) {
    // Started first: the instance must begin ineligible until Redis is checked and synced.
    controller = std::make_unique<RedisRoleController>(io_, settings, *instance);
    instance->set_hooks(controller.get());
    controller->start();
  }
  attach_scripts(settings, *instance);
  join_sync_group(settings, *instance);
  instance->start();
  if (controller) controllers_[settings.name] = std::move(controller);
  instances_[settings.name] = std::move(instance);
  return {};
}

void Daemon::stop_instance(const std::string& name, std::function<void()> done) {
  auto it = instances_.find(name);
  if (it == instances_.end()) {
    done();
    return;
  }
  if (switching_.count(name)) {
    // A redvipctl handover is under way (about handover_timeout at most, plus its role changes):
    // the stop begins once it ended, from whatever role it left (a backup stops plainly, a
    // master that refused hands over again, as any stop does).
    log(Level::notice, name, "stop waits for the handover under way");
    after_switchover_[name].push_back(
        [this, name, done = std::move(done)]() mutable { stop_instance(name, std::move(done)); });
    return;
  }
  // Already on its way out (a reload or a shutdown while a master hands over): wait for the
  // stop under way instead of starting a second one.
  auto [waiting, first] = stopping_.try_emplace(name);
  waiting->second.push_back(std::move(done));
  if (!first) return;
  auto finish = [this, name] {
    // Destroy outside the instance's own call stack.
    asio::post(io_, [this, name] {
      trackers_.erase(name);
      controllers_.erase(name);
      std::uint8_t priority = 0;
      if (auto gone = instances_.find(name); gone != instances_.end())
        priority = gone->second->status().priority;
      instances_.erase(name);
      instance_stopped(name, priority);
      switching_.erase(name);  // a handover under way ended with its controller
      auto waiters = std::move(stopping_[name]);
      stopping_.erase(name);
      for (auto& w : waiters) w();
    });
  };
  auto controller = controllers_.find(name);
  VrrpInstance* instance = it->second.get();
  if (controller != controllers_.end() && instance->state() == vrrp::State::master) {
    // A planned stop of a Redis master: no acknowledged write may be lost.
    controller->second->handover(
        [instance](std::function<void()> released) { instance->stop(std::move(released)); },
        std::move(finish));
    return;
  }
  instance->stop(std::move(finish));
}

void Daemon::watch_signals() {
  if (!signals_added_) {
    signals_.add(SIGTERM);
    signals_.add(SIGINT);
    signals_.add(SIGHUP);
    signals_added_ = true;
  }
  signals_.async_wait([this](boost::system::error_code ec, int signal) {
    if (ec) return;
    if (signal == SIGHUP) {
      log(Level::notice, "", "SIGHUP: reloading {}", config_path_);
      notify_reloading();
      reload();
      notify_ready();
      watch_signals();
      return;
    }
    if (shutting_down_) {
      log(Level::warning, "", "second {}: exiting now", signal == SIGINT ? "SIGINT" : "SIGTERM");
      trackers_.clear();
      controllers_.clear();
      for (auto& [name, instance] : instances_) instance.reset();
      io_.stop();
      return;
    }
    shutdown(signal == SIGINT ? "SIGINT" : "SIGTERM");
    watch_signals();
  });
}

void Daemon::shutdown(const std::string& why) {
  if (shutting_down_) return;
  shutting_down_ = true;
  notify_stopping();
  log(Level::notice, "", "{}: releasing every instance", why);
  // The groups look no more (their members are on their way out); their notify_stop runs.
  for (auto& [name, running] : sync_groups_)
    if (*running.notifier) (*running.notifier)->notify(NotifyState::stop, 0);
  auto remaining = std::make_shared<std::size_t>(instances_.size());
  auto finish = [this] {
    if (control_) control_->stop();
    if (metrics_) metrics_->stop();
    signals_.cancel();
    if (watchdog_) watchdog_->stop();
    links_.reset();
    // notify_stop and what else is queued run first (each killed at its timeout).
    wait_for_scripts([this] {
      log(Level::notice, "", "stopped");
      io_.stop();
    });
  };
  if (*remaining == 0) {
    finish();
    return;
  }
  std::vector<std::string> names;
  for (const auto& [name, instance] : instances_) names.push_back(name);
  for (const auto& name : names) {
    stop_instance(name, [remaining, finish] {
      if (--*remaining == 0) finish();
    });
  }
}

std::string Daemon::reload() {
  if (shutting_down_) return "error: shutting down\n";
  auto loaded = load_config_file(config_path_);
  for (const auto& w : loaded.warnings) log(Level::warning, "", "{}", w);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) log(Level::error, "", "{}", e.to_string());
    log(Level::error, "", "reload refused: the running configuration stays");
    std::string reply = "error: reload refused\n";
    for (const auto& e : loaded.errors) reply += e.to_string() + "\n";
    return reply;
  }
  const ReloadPlan plan = plan_reload(config_, *loaded.config);
  const bool scheduling_changed =
      config_.globals.rt_priority != loaded.config->globals.rt_priority ||
      config_.globals.no_swap != loaded.config->globals.no_swap;
  // From here on config_ is the configuration every (re)start reads, by name, when it runs:
  // a restart that completes after a later reload starts what that reload asked for.
  config_ = std::move(*loaded.config);
  if (scheduling_changed) apply_scheduling();
  if (plan.endpoints_changed) {
    std::string error;
    if (control_) control_->stop();
    if (start_endpoints(error)) log(Level::error, "", "{}", error);
  }
  for (const auto& name : plan.removed) {
    log(Level::notice, name, "removed from the configuration: releasing");
    stop_instance(name, [] {});
  }
  for (const auto& name : plan.restarted) {
    log(Level::notice, name, "configuration changed: restarting the instance");
    stop_instance(name, [this, name] { start_configured(name); });
  }
  for (const auto& name : plan.added) start_configured(name);
  rebuild_sync_groups();
  log(Level::notice, "", "reloaded: {}", plan.summary());
  return fmt::format("reloaded: {}\n", plan.summary());
}

// Like keepalived, a scheduling request the process may not grant is a warning, not a reason
// to stay down: the daemon works without it, only with less margin on a loaded host.
void Daemon::apply_scheduling() {
  std::string report;
  if (apply_realtime(config_.globals, report)) {
    log(Level::warning, "", "{}", report);
  } else if (config_.globals.rt_priority || config_.globals.no_swap) {
    log(Level::info, "", "{}", report);
  }
}

void Daemon::start_configured(const std::string& name) {
  if (shutting_down_ || instances_.count(name)) return;
  const auto it = std::find_if(config_.instances.begin(), config_.instances.end(),
                               [&](const InstanceSettings& s) { return s.name == name; });
  if (it == config_.instances.end()) return;  // removed by a later reload
  std::string error;
  if (start_instance(*it, error)) log(Level::error, name, "{}", error);
}

std::vector<InstanceView> Daemon::views() const {
  std::vector<InstanceView> out;
  for (const auto& [name, instance] : instances_) {
    InstanceView v;
    v.vrrp = instance->status();
    if (auto c = controllers_.find(name); c != controllers_.end()) v.redis = c->second->view();
    out.push_back(std::move(v));
  }
  return out;
}

void Daemon::control(const std::string& request, ControlServer::Reply reply) {
  if (request == "status") return reply(render_text(views()));
  if (request == "status --json") return reply(render_json(views(), receivers_->counters()));
  if (request == "reload") return reply(reload());
  if (is_handover_request(request)) {
    auto parsed = parse_handover_request(request);
    if (auto* why = std::get_if<std::string>(&parsed))
      return reply(fmt::format("error: handover: {}\n", *why));
    return handover(std::get<HandoverRequest>(parsed), std::move(reply));
  }
  reply(fmt::format("error: unknown command {}\n", quote_request(request)));
}

// redvipctl handover: the checks that need the running instances, then the role controller's
// switchover; its release hands the instance over to the successor (Backup, following it).
void Daemon::handover(const HandoverRequest& request, ControlServer::Reply reply) {
  const auto refuse = [&](const std::string& why) {
    reply(fmt::format("{}{}\n", kRefusedPrefix, why));
  };
  if (shutting_down_) return refuse("redvipd is shutting down");
  std::string name;
  if (request.instance) {
    name = *request.instance;
    if (!instances_.count(name))
      return reply(fmt::format("error: no instance {}\n", quote_request(name)));
  } else {
    std::vector<std::string> with_redis;
    for (const auto& [n, c] : controllers_) with_redis.push_back(n);
    if (with_redis.size() != 1) {
      return reply(fmt::format("error: name the instance to hand over ({} have a redis block)\n",
                               with_redis.size()));
    }
    name = with_redis.front();
  }
  const auto controller = controllers_.find(name);
  if (controller == controllers_.end()) return refuse(name + " has no redis block");
  VrrpInstance& instance = *instances_.at(name);
  if (instance.state() != vrrp::State::master) {
    return refuse(fmt::format("{} is {}, not master: hand over on the node that holds the VIP",
                              name, vrrp::to_string(instance.state())));
  }
  if (stopping_.count(name)) return refuse(name + " is stopping");
  if (!switching_.insert(name).second) return refuse(name + ": a handover is already under way");
  log(Level::notice, name, "handover requested{}",
      request.to ? " to " + request.to->to_string() : "");
  std::optional<std::string> to;
  if (request.to) to = request.to->to_string();
  controller->second->switchover(
      to,
      [this, name](const std::optional<vrrp::IpAddress>& successor,
                   std::function<void()> released) {
        const auto it = instances_.find(name);
        if (it != instances_.end() && successor) it->second->hand_over(*successor);
        released();
      },
      [this, name, reply = std::move(reply)](RedisRoleController::SwitchoverResult result) {
        if (result.ok) {
          log(Level::notice, name, "handover: {}", result.message);
          reply(fmt::format("{}: {}\n", name, result.message));
        } else {
          reply(fmt::format("{}{}: {}\n", kRefusedPrefix, name, result.message));
        }
        switchover_ended(name);
      });
}

void Daemon::switchover_ended(const std::string& name) {
  switching_.erase(name);
  auto waiting = after_switchover_.extract(name);
  if (waiting.empty()) return;
  // Outside the controller's callback: a stop may destroy it.
  asio::post(io_, [stops = std::move(waiting.mapped())] {
    for (const auto& stop : stops) stop();
  });
}

}  // namespace redvip::agent
