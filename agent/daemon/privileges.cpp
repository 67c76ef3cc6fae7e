#include "agent/daemon/privileges.hpp"

#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <vector>

#include <fmt/format.h>

// capget/capset directly: three 64-bit masks are all we need, and the same code then works with
// or without libcap.
namespace redvip::agent {
namespace {

constexpr std::uint64_t bit(int cap) { return std::uint64_t{1} << cap; }
constexpr std::uint64_t kKept = bit(CAP_NET_ADMIN) | bit(CAP_NET_RAW);

struct CapabilitySets {
  std::uint64_t effective = 0;
  std::uint64_t permitted = 0;
  std::uint64_t inheritable = 0;
};

std::error_code last_error() { return {errno, std::system_category()}; }

std::error_code read_sets(CapabilitySets& sets) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
  if (::syscall(SYS_capget, &header, data) != 0) return last_error();
  auto join = [](std::uint32_t low, std::uint32_t high) {
    return std::uint64_t{low} | (std::uint64_t{high} << 32);
  };
  sets.effective = join(data[0].effective, data[1].effective);
  sets.permitted = join(data[0].permitted, data[1].permitted);
  sets.inheritable = join(data[0].inheritable, data[1].inheritable);
  return {};
}

std::error_code write_sets(const CapabilitySets& sets) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
  data[0] = {static_cast<std::uint32_t>(sets.effective), static_cast<std::uint32_t>(sets.permitted),
             static_cast<std::uint32_t>(sets.inheritable)};
  data[1] = {static_cast<std::uint32_t>(sets.effective >> 32),
             static_cast<std::uint32_t>(sets.permitted >> 32),
             static_cast<std::uint32_t>(sets.inheritable >> 32)};
  if (::syscall(SYS_capset, &header, data) != 0) return last_error();
  return {};
}

// The kernel answers EINVAL past its last capability, so this needs no /proc.
std::uint64_t read_bounding_set() {
  std::uint64_t set = 0;
  for (int cap = 0; cap < 64; ++cap) {
    const int in_set = ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (in_set < 0) break;
    if (in_set == 1) set |= bit(cap);
  }
  return set;
}

std::string names(std::uint64_t set) {
  std::string out;
  for (int cap = 0; cap < 64; ++cap) {
    if ((set & bit(cap)) == 0) continue;
    if (!out.empty()) out += ' ';
    if (cap == CAP_NET_ADMIN) {
      out += "CAP_NET_ADMIN";
    } else if (cap == CAP_NET_RAW) {
      out += "CAP_NET_RAW";
    } else {
      out += fmt::format("cap#{}", cap);
    }
  }
  return out.empty() ? "none" : out;
}

std::error_code fail(std::string& report, std::string_view step, std::error_code error) {
  report = fmt::format("dropping privileges: {}: {}", step, error.message());
  return error;
}

// Switches every uid and gid; PR_SET_KEEPCAPS makes the kernel keep the permitted set (the
// effective set is always cleared by the switch and is set again by the caller).
std::error_code switch_user(const passwd& user, std::string& report) {
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
    return fail(report, "PR_SET_KEEPCAPS", last_error());
  if (::setgroups(0, nullptr) != 0) return fail(report, "setgroups", last_error());
  if (::setresgid(user.pw_gid, user.pw_gid, user.pw_gid) != 0) {
    return fail(report, "setresgid", last_error());
  }
  if (::setresuid(user.pw_uid, user.pw_uid, user.pw_uid) != 0) {
    return fail(report, "setresuid", last_error());
  }
  if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0)
    return fail(report, "PR_SET_KEEPCAPS", last_error());
  return {};
}

}  // namespace

std::error_code drop_privileges(std::string_view switch_to_user, std::string& report) {
  CapabilitySets sets;
  if (auto error = read_sets(sets)) return fail(report, "capget", error);
  if ((sets.permitted & kKept) != kKept) {
    report = fmt::format(
        "redvipd needs CAP_NET_ADMIN and CAP_NET_RAW but has {} (start it as root or with "
        "AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW)",
        names(sets.permitted & kKept));
    return std::make_error_code(std::errc::operation_not_permitted);
  }

  std::string notes;
  // The bounding set first: dropping from it needs CAP_SETPCAP, which the rest gives up.
  const std::uint64_t extra_bounding = read_bounding_set() & ~kKept;
  if (extra_bounding != 0) {
    if ((sets.permitted & bit(CAP_SETPCAP)) != 0) {
      if ((sets.effective & bit(CAP_SETPCAP)) == 0) {
        sets.effective |= bit(CAP_SETPCAP);
        if (auto error = write_sets(sets)) return fail(report, "raising CAP_SETPCAP", error);
      }
      for (int cap = 0; cap < 64; ++cap) {
        if ((extra_bounding & bit(cap)) != 0 && ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
          return fail(report, fmt::format("PR_CAPBSET_DROP {}", cap), last_error());
        }
      }
    } else {
      // Harmless with no_new_privs (file capabilities are never granted), but worth a word.
      notes += "; bounding set left as is (no CAP_SETPCAP)";
    }
  }

  std::string user_text = fmt::format("uid {}", ::geteuid());
  if (!switch_to_user.empty() && ::geteuid() == 0) {
    const std::string name(switch_to_user);
    passwd entry{};
    passwd* found = nullptr;
    std::vector<char> buffer(16384);
    const int lookup = ::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (found == nullptr) {
      notes += fmt::format("; user {} {}, staying uid 0", name,
                           lookup == 0 ? "does not exist" : "lookup failed");
    } else {
      if (auto error = switch_user(entry, report)) return error;
      user_text = fmt::format("uid {} ({})", entry.pw_uid, name);
    }
  }

  // Nothing redvipd executes needs capabilities, so inheritable and ambient stay empty.
  if (auto error = write_sets({kKept, kKept, 0})) return fail(report, "capset", error);
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return fail(report, "clearing ambient capabilities", last_error());
  }
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return fail(report, "PR_SET_NO_NEW_PRIVS", last_error());
  }

  // Check what the kernel now says rather than trusting the steps above.
  CapabilitySets now;
  if (auto error = read_sets(now)) return fail(report, "capget", error);
  if (now.effective != kKept || now.permitted != kKept || now.inheritable != 0) {
    report = fmt::format("dropping privileges: still have effective {}, permitted {}",
                         names(now.effective), names(now.permitted));
    return std::make_error_code(std::errc::operation_not_permitted);
  }
  report = fmt::format("running as {} with {} only{}", user_text, names(kKept), notes);
  return {};
}

}  // namespace redvip::agent
