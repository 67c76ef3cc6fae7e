#include "agent/daemon/realtime.hpp"

#include <fmt/format.h>
#include <sched.h>
#include <sys/mman.h>

#include <cerrno>

namespace redvip::agent {
namespace {
std::error_code errno_code() { return {errno, std::system_category()}; }
}  // namespace

std::error_code apply_realtime(const GlobalSettings& globals, std::string& report) {
  sched_param param{};
  if (globals.rt_priority) {
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
