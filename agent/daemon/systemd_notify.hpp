#pragma once
// Tells systemd (Type=notify) what the daemon is doing. Every call is a no-op when the daemon was
// not started by systemd (no NOTIFY_SOCKET in the environment), so callers never need to check.
#include <chrono>
#include <optional>
#include <string_view>

namespace redvip::agent {

// After the config is loaded, sockets are open and privileges are dropped: `systemctl start`
// returns only now, so a unit ordered after redvip sees a daemon that is really running.
void notify_ready();
// At SIGHUP, before re-reading the config; call notify_ready() when the reload is done.
void notify_reloading();
// At SIGTERM, while releasing the VIP: systemd then waits for the exit instead of assuming a hang.
void notify_stopping();
// One line shown by `systemctl status`, e.g. "2 instances: 1 MASTER, 1 BACKUP".
void notify_status(std::string_view status);
// One ping of the service watchdog (WatchdogSec=); see watchdog.hpp for who sends it.
void notify_watchdog();
// The watchdog timeout systemd set for this process (WATCHDOG_USEC, and WATCHDOG_PID when set
// names this process), or nullopt when there is none.
std::optional<std::chrono::microseconds> watchdog_timeout();

}  // namespace redvip::agent
