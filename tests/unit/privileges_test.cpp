#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>

#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>

#include "agent/daemon/privileges.hpp"

// Each case runs in a forked child, because dropping capabilities cannot be undone; the child
// reports drop_privileges()'s result and its /proc/self/status lines through a pipe.
namespace {

constexpr std::uint64_t kNetAdminNetRaw = (1ULL << CAP_NET_ADMIN) | (1ULL << CAP_NET_RAW);

struct ChildResult {
  int error = -1;
  std::string report;
  std::map<std::string, std::string> status;  // "CapEff" -> "0000000000003000", ...

  std::uint64_t mask(const std::string& key) const {
    auto it = status.find(key);
    return it == status.end() ? ~0ULL : std::stoull(it->second, nullptr, 16);
  }
  // "Uid:\t0\t0\t0\t0" -> the real uid.
  std::string first_field(const std::string& key) const {
    auto it = status.find(key);
    if (it == status.end()) return "?";
    std::istringstream fields(it->second);
    std::string first;
    fields >> first;
    return first;
  }
};

// `prepare` shapes the child's privileges first (as systemd would) and returns false on failure.
ChildResult run_in_child(const std::string& user, const std::function<bool()>& prepare) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    std::string out;
    if (!prepare()) {
      out = "error 9999\nreport prepare failed\n";
    } else {
      std::string report;
      const auto error = redvip::agent::drop_privileges(user, report);
      out = "error " + std::to_string(error.value()) + "\nreport " + report + "\n";
      std::ifstream status("/proc/self/status");
      for (std::string line; std::getline(status, line);) out += line + "\n";
    }
    [[maybe_unused]] auto written = ::write(fds[1], out.data(), out.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) text.append(buffer, n);
  ::close(fds[0]);
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);

  ChildResult result;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("error ", 0) == 0) {
      result.error = std::stoi(line.substr(6));
    } else if (line.rfind("report ", 0) == 0) {
      result.report = line.substr(7);
    } else if (auto colon = line.find(':'); colon != std::string::npos) {
      auto value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      result.status[line.substr(0, colon)] = value;
    }
  }
  return result;
}

bool set_capabilities(std::uint64_t effective, std::uint64_t permitted, std::uint64_t inheritable) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  data[0] = {static_cast<std::uint32_t>(effective), static_cast<std::uint32_t>(permitted),
             static_cast<std::uint32_t>(inheritable)};
  data[1] = {static_cast<std::uint32_t>(effective >> 32),
             static_cast<std::uint32_t>(permitted >> 32),
             static_cast<std::uint32_t>(inheritable >> 32)};
  return ::syscall(SYS_capset, &header, data) == 0;
}

std::uint64_t full_bounding_set() {
  std::uint64_t set = 0;
  for (int cap = 0; cap < 64 && ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; ++cap) {
    if (::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1) set |= 1ULL << cap;
  }
  return set;
}

// Catch2 v2 has no SKIP: a test that cannot run here ends the process with 77, which CTest
// (one process per test case) reports as skipped. Run the binary by hand as non-root with
// "~[root]".
void require_root() {
  if (::geteuid() == 0) return;
  std::fprintf(stderr, "SKIPPED: %s needs root (scripts/test runs as root)\n",
               Catch::getResultCapture().getCurrentTestName().c_str());
  std::exit(77);
}

const passwd* nobody() { return ::getpwnam("nobody"); }

}  // namespace

TEST_CASE("root without a user keeps only NET_ADMIN and NET_RAW in every set",
          "[privileges][root]") {
  require_root();
  REQUIRE(full_bounding_set() != kNetAdminNetRaw);  // there is something to drop
  auto child = run_in_child("", [] { return true; });
  INFO(child.report);
  CHECK(child.error == 0);
  CHECK(child.mask("CapEff") == kNetAdminNetRaw);
  CHECK(child.mask("CapPrm") == kNetAdminNetRaw);
  CHECK(child.mask("CapBnd") == kNetAdminNetRaw);
  CHECK(child.mask("CapInh") == 0);
  CHECK(child.mask("CapAmb") == 0);
  CHECK(child.first_field("NoNewPrivs") == "1");
  CHECK(child.first_field("Uid") == "0");
}

TEST_CASE("root switches to an existing user and keeps the two capabilities",
          "[privileges][root]") {
  require_root();
  const passwd* user = nobody();
  REQUIRE(user != nullptr);
  auto child = run_in_child("nobody", [] { return true; });
  INFO(child.report);
  CHECK(child.error == 0);
  CHECK(child.first_field("Uid") == std::to_string(user->pw_uid));
  CHECK(child.first_field("Gid") == std::to_string(user->pw_gid));
  CHECK(child.first_field("Groups").empty());
  CHECK(child.mask("CapEff") == kNetAdminNetRaw);
  CHECK(child.mask("CapPrm") == kNetAdminNetRaw);
  CHECK(child.mask("CapBnd") == kNetAdminNetRaw);
  CHECK(child.report.find("nobody") != std::string::npos);
}

TEST_CASE("a missing user is reported and the capabilities are still dropped",
          "[privileges][root]") {
  require_root();
  auto child = run_in_child("redvip-no-such-user", [] { return true; });
  CHECK(child.error == 0);
  CHECK(child.report.find("redvip-no-such-user does not exist") != std::string::npos);
  CHECK(child.first_field("Uid") == "0");
  CHECK(child.mask("CapEff") == kNetAdminNetRaw);
  CHECK(child.mask("CapBnd") == kNetAdminNetRaw);
}

TEST_CASE("under the systemd unit's limits it only checks", "[privileges][root]") {
  require_root();
  const passwd* user = nobody();
  REQUIRE(user != nullptr);
  const uid_t uid = user->pw_uid;
  const gid_t gid = user->pw_gid;
  // What User=, CapabilityBoundingSet= and AmbientCapabilities= leave behind.
  auto child = run_in_child("redvip", [uid, gid] {
    for (int cap = 0; cap < 64; ++cap) {
      if ((kNetAdminNetRaw & (1ULL << cap)) == 0 && ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1 &&
          ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
        return false;
      }
    }
    if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0 || ::setgroups(0, nullptr) != 0 ||
        ::setresgid(gid, gid, gid) != 0 || ::setresuid(uid, uid, uid) != 0) {
      return false;
    }
    if (!set_capabilities(kNetAdminNetRaw, kNetAdminNetRaw, kNetAdminNetRaw)) return false;
    return ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_ADMIN, 0, 0) == 0 &&
           ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0) == 0;
  });
  INFO(child.report);
  CHECK(child.error == 0);
  CHECK(child.first_field("Uid") == std::to_string(uid));  // not root, so no switch attempted
  CHECK(child.mask("CapEff") == kNetAdminNetRaw);
  CHECK(child.mask("CapPrm") == kNetAdminNetRaw);
  CHECK(child.mask("CapBnd") == kNetAdminNetRaw);
  CHECK(child.mask("CapAmb") == 0);
  CHECK(child.mask("CapInh") == 0);
}

TEST_CASE("a missing needed capability is an error naming what is left", "[privileges][root]") {
  require_root();
  auto child = run_in_child("", [] {
    const std::uint64_t all_but_raw = full_bounding_set() & ~(1ULL << CAP_NET_RAW);
    return set_capabilities(all_but_raw, all_but_raw, 0);
  });
  CHECK(child.error == EPERM);
  CHECK(child.report.find("needs CAP_NET_ADMIN and CAP_NET_RAW but has CAP_NET_ADMIN") !=
        std::string::npos);
}
