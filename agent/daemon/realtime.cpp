#include "agent/daemon/realtime.hpp"

#include <fmt/format.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>

namespace redvip::agent {
namespace {
std::error_code errno_code() { return {errno, std::system_category()}; }

// A real-time loop that never blocks would starve the host. The event loop blocks in epoll
// many times a second; one that runs 2 s of CPU without blocking is broken: the kernel sends
// SIGXCPU (soft limit: the process ends, systemd restarts it) and SIGKILL at the hard limit.
constexpr rlim_t kRealtimeCpuWithoutBlockingUs = 2'000'000;
constexpr rlim_t kRealtimeCpuHardUs = 3'000'000;
}  // namespace

std::error_code apply_realtime(const GlobalSettings& globals, std::string& report) {
  sched_param param{};
  if (globals.rt_priority) {
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
    param.sched_priority = *globals.rt_priority;
    if (::sched_setscheduler(0, SCHED_RR, &param) != 0) {
      const auto ec = errno_code();
      report = fmt::format("cannot run SCHED_RR at priority {}: {} (needs root, CAP_SYS_NICE or "
                           "an RLIMIT_RTPRIO of at least {}, e.g. LimitRTPRIO= in the unit)",
                           *globals.rt_priority, ec.message(), *globals.rt_priority);
      return ec;
    }
  } else if (::sched_getscheduler(0) != SCHED_OTHER) {
    ::sched_setscheduler(0, SCHED_OTHER, &param);
  }
  if (globals.no_swap) {
    if (::mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
      const auto ec = errno_code();
      report = fmt::format("cannot lock memory (vrrp_no_swap): {} (needs root, CAP_IPC_LOCK or a "
                           "large enough RLIMIT_MEMLOCK, e.g. LimitMEMLOCK=infinity in the unit)",
                           ec.message());
      return ec;
    }
  } else {
    ::munlockall();
  }
  report = fmt::format("scheduler {}, memory {}",
                       globals.rt_priority ? fmt::format("SCHED_RR {}", *globals.rt_priority)
                                           : std::string("normal"),
                       globals.no_swap ? "locked" : "not locked");
  return {};
}

}  // namespace redvip::agent
