#include "agent/daemon/realtime.hpp"

#include <fmt/format.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <optional>
#include <sstream>

namespace redvip::agent {
namespace {
std::error_code errno_code() { return {errno, std::system_category()}; }

// A real-time loop that never blocks would starve the host. The event loop blocks in epoll
// many times a second; one that runs 2 s of CPU without blocking is broken: the kernel sends
// SIGXCPU (soft limit: the process ends, systemd restarts it) and SIGKILL at the hard limit.
constexpr rlim_t kRealtimeCpuWithoutBlockingUs = 2'000'000;
constexpr rlim_t kRealtimeCpuHardUs = 3'000'000;

// On a kernel built with RT_GROUP_SCHED and cgroup v1 (this is what an EPERM means despite a
// big enough RLIMIT_RTPRIO), a process gets real-time CPU only from its cpu cgroup's budget,
// and systemd gives a service's cgroup none. Returns that budget when it can be read.
std::optional<long> cgroup_rt_runtime_us() {
  std::ifstream cgroups("/proc/self/cgroup");
  std::string line;
  while (std::getline(cgroups, line)) {
    // "N:cpu,cpuacct:/system.slice/redvip.service"
    const auto first = line.find(':');
    const auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const auto controllers = line.substr(first + 1, second - first - 1);
    std::stringstream list(controllers);
    bool has_cpu = false;
    for (std::string c; std::getline(list, c, ',');) has_cpu |= c == "cpu";
    if (!has_cpu) continue;
    const auto path = line.substr(second + 1);
    for (const auto& mount : {controllers, std::string("cpu"), std::string("cpu,cpuacct")}) {
      std::ifstream budget("/sys/fs/cgroup/" + mount + path + "/cpu.rt_runtime_us");
      long us = 0;
      if (budget >> us) return us;
    }
  }
  return std::nullopt;
}

std::string sched_hint(int priority, int error) {
  if (error == EPERM) {
    rlimit rtprio{};
    if (::getrlimit(RLIMIT_RTPRIO, &rtprio) == 0 &&
        (rtprio.rlim_cur == RLIM_INFINITY || rtprio.rlim_cur >= rlim_t(priority))) {
      if (const auto budget = cgroup_rt_runtime_us(); budget && *budget <= 0) {
        return "the kernel gives this process's cpu cgroup no real-time budget "
               "(cpu.rt_runtime_us is 0: cgroup v1 with RT_GROUP_SCHED); give it one or run "
               "without vrrp_rt_priority";
      }
    }
  }
  return fmt::format(
      "needs root, CAP_SYS_NICE or an RLIMIT_RTPRIO of at least {}, e.g. "
      "LimitRTPRIO= in the unit",
      priority);
}

// SCHED_RR at `priority` under a CPU-time bound, or back to the normal scheduler.
std::error_code apply_scheduler(const std::optional<int>& priority, std::string& report) {
  sched_param param{};
  if (!priority) {
    if (::sched_getscheduler(0) != SCHED_OTHER) ::sched_setscheduler(0, SCHED_OTHER, &param);
    report = "scheduler normal";
    return {};
  }
  rlimit cap{kRealtimeCpuWithoutBlockingUs, kRealtimeCpuHardUs};
  rlimit now{};
  if (::getrlimit(RLIMIT_RTTIME, &now) == 0 && now.rlim_max != RLIM_INFINITY) {
    cap.rlim_max = std::min(cap.rlim_max, now.rlim_max);
    cap.rlim_cur = std::min(cap.rlim_cur, cap.rlim_max);
  }
  if (::setrlimit(RLIMIT_RTTIME, &cap) != 0) {
    const auto ec = errno_code();
    report = fmt::format("not using SCHED_RR: cannot bound its CPU time (RLIMIT_RTTIME): {}",
                         ec.message());
    return ec;
  }
  param.sched_priority = *priority;
  if (::sched_setscheduler(0, SCHED_RR, &param) != 0) {
    const auto ec = errno_code();
    report = fmt::format("cannot run SCHED_RR at priority {}: {} ({})", *priority, ec.message(),
                         sched_hint(*priority, ec.value()));
    return ec;
  }
  report = fmt::format("scheduler SCHED_RR {}", *priority);
  return {};
}

std::error_code apply_memory_lock(bool lock, std::string& report) {
  if (!lock) {
    ::munlockall();
    report = "memory not locked";
    return {};
  }
  if (::mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
    const auto ec = errno_code();
    report = fmt::format(
        "cannot lock memory (vrrp_no_swap): {} (needs root, CAP_IPC_LOCK or a "
        "large enough RLIMIT_MEMLOCK, e.g. LimitMEMLOCK=infinity in the unit)",
        ec.message());
    return ec;
  }
  report = "memory locked";
  return {};
}
}  // namespace

std::error_code apply_realtime(const GlobalSettings& globals, std::string& report) {
  // Each is applied on its own: a scheduler the kernel refuses does not cost the memory lock.
  std::string sched_report, lock_report;
  const auto sched_error = apply_scheduler(globals.rt_priority, sched_report);
  const auto lock_error = apply_memory_lock(globals.no_swap, lock_report);
  report = fmt::format("{}, {}", sched_report, lock_report);
  return sched_error ? sched_error : lock_error;
}

}  // namespace redvip::agent
