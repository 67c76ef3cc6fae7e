// Drives AddressManager from integration scripts, inside a network namespace:
//   vip_tool add ADDR/PREFIX DEV [LABEL]     exit 1 with the error message on failure
//   vip_tool remove ADDR/PREFIX DEV
//   vip_tool present ADDR/PREFIX DEV          prints "present" (exit 0) or "absent" (exit 3)
//   vip_tool stale DEV ADDR/PREFIX...         remove_stale(); prints "removed ADDR/PREFIX" lines
//   vip_tool stall DEV COUNT BASE_ADDR        adds then removes COUNT VIPs, one per handler,
//                                            on an io_context whose 1 ms timer measures stalls
#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "netlink/address_manager.hpp"

namespace nl = redvip::netlink;
using Clock = std::chrono::steady_clock;

namespace {

bool parse_vip(const std::string& text, const std::string& device, nl::Vip& vip) {
  const auto slash = text.find('/');
  const auto address = redvip::vrrp::IpAddress::parse(text.substr(0, slash));
  if (!address) return false;
  vip.address = *address;
  vip.prefix_len = address->family == redvip::vrrp::Family::ipv4 ? 32 : 128;
  if (slash != std::string::npos)
    vip.prefix_len = static_cast<std::uint8_t>(std::stoi(text.substr(slash + 1)));
  vip.device = device;
  return true;
}

std::chrono::nanoseconds thread_cpu() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

int usage() {
  std::fprintf(stderr,
               "usage: vip_tool add|remove|present ADDR/PREFIX DEV [LABEL] | stale DEV VIP... | "
               "stall DEV COUNT BASE\n");
  return 2;
}

// The n-th address after `base` (IPv4: last two bytes; IPv6: last two bytes).
redvip::vrrp::IpAddress nth(redvip::vrrp::IpAddress base, unsigned n) {
  const std::size_t last = base.size() - 1;
  const unsigned low = base.bytes[last] + n;
  base.bytes[last] = static_cast<std::uint8_t>(low & 0xff);
  base.bytes[last - 1] = static_cast<std::uint8_t>(base.bytes[last - 1] + (low >> 8));
  return base;
}

int stall(nl::AddressManager& manager, const std::string& device, unsigned count,
          const std::string& base_text) {
  nl::Vip base;
  if (!parse_vip(base_text, device, base)) return usage();
  boost::asio::io_context io;
  boost::asio::steady_timer ticker(io);
  Clock::duration worst_lateness{};
  std::vector<Clock::duration> durations;
  std::chrono::nanoseconds worst_cpu{};
  bool done = false;
  int failures = 0;
  const auto tick_period = std::chrono::milliseconds(1);
  std::function<void()> tick = [&] {
    ticker.expires_after(tick_period);
    ticker.async_wait([&, expiry = Clock::now() + tick_period](boost::system::error_code ec) {
      if (ec || done) return;
      worst_lateness = std::max(worst_lateness, Clock::now() - expiry);
      tick();
    });
  };
  tick();
  unsigned step = 0;
  const auto started = Clock::now();
  // One VIP per handler, as the daemon does one action at a time; the timer interleaves.
  std::function<void()> next = [&] {
    if (step == 2 * count) {
      done = true;
      ticker.cancel();
      return;
    }
    nl::Vip vip = base;
    const bool adding = step < count;
    // Removals in reverse: the first IPv4 address of a subnet is the primary, and taking it
    // off first would make the kernel drop all the others with it.
    vip.address = nth(base.address, adding ? step : 2 * count - 1 - step);
    const auto before = Clock::now();
    const auto cpu_before = thread_cpu();
    const auto error = adding ? manager.add(vip) : manager.remove(vip);
    durations.push_back(Clock::now() - before);
    worst_cpu = std::max(worst_cpu, thread_cpu() - cpu_before);
    if (error) {
      ++failures;
      std::fprintf(stderr, "%s\n",
                   nl::AddressManager::describe_error(
                       vip, error, adding ? nl::VipOperation::add : nl::VipOperation::remove)
                       .c_str());
    }
    ++step;
    if (step == count) {
      // Every add must really be there before the removals start.
      auto [found, dump_error] = manager.addresses(device);
      std::printf("after_adds %zu\n", found.size());
    }
    boost::asio::post(io, next);
  };
  boost::asio::post(io, next);
  io.run();
  auto [left, dump_error] = manager.addresses(device);
  std::printf("after_removes %zu\n", left.size());
  const auto total = Clock::now() - started;
  using us = std::chrono::microseconds;
  std::printf("operations: %u adds + %u removes, failures %d\n", count, count, failures);
  std::printf("total_ms %.1f\n", std::chrono::duration<double, std::milli>(total).count());
  std::sort(durations.begin(), durations.end());
  const auto at = [&](double q) {
    const auto index = static_cast<std::size_t>(q * static_cast<double>(durations.size() - 1));
    return static_cast<long long>(std::chrono::duration_cast<us>(durations[index]).count());
  };
  std::printf("operation_us p50 %lld p99 %lld max %lld\n", at(0.5), at(0.99), at(1.0));
  std::printf("longest_operation_us %lld\n", at(1.0));
  // CPU time this thread (user + kernel, sendmsg included) spent in the worst operation: what
  // the operation itself costs, as opposed to waiting for a CPU on a busy machine.
  std::printf("longest_operation_cpu_us %lld\n",
              static_cast<long long>(std::chrono::duration_cast<us>(worst_cpu).count()));
  std::printf("requests_that_waited %llu\n",
              static_cast<unsigned long long>(manager.request_waits()));
  std::printf("longest_stall_us %lld\n",
              static_cast<long long>(std::chrono::duration_cast<us>(worst_lateness).count()));
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage();
  const std::string command = argv[1];
  auto [manager, open_error] = nl::AddressManager::open();
  if (open_error) {
    std::fprintf(stderr, "cannot open netlink socket: %s\n", open_error.message().c_str());
    return 1;
  }
  if (command == "stall" && argc == 5) {
    return stall(*manager, argv[2], static_cast<unsigned>(std::atoi(argv[3])), argv[4]);
  }
  if (command == "stale") {
    std::vector<nl::Vip> configured;
    for (int i = 3; i < argc; ++i) {
      nl::Vip vip;
      if (!parse_vip(argv[i], argv[2], vip)) return usage();
      configured.push_back(vip);
    }
    const auto result = manager->remove_stale(configured);
    for (const auto& vip : result.removed) std::printf("removed %s\n", nl::to_string(vip).c_str());
    for (const auto& [vip, error] : result.failed) {
      std::fprintf(
          stderr, "%s\n",
          nl::AddressManager::describe_error(vip, error, nl::VipOperation::remove).c_str());
    }
    return result.failed.empty() ? 0 : 1;
  }
  if (argc < 4) return usage();
  nl::Vip vip;
  if (!parse_vip(argv[2], argv[3], vip)) return usage();
  if (argc > 4) vip.label = argv[4];
  if (command == "add" || command == "remove") {
    const bool adding = command == "add";
    const auto error = adding ? manager->add(vip) : manager->remove(vip);
    if (error) {
      std::fprintf(stderr, "%s\n",
                   nl::AddressManager::describe_error(
                       vip, error, adding ? nl::VipOperation::add : nl::VipOperation::remove)
                       .c_str());
      return 1;
    }
    return 0;
  }
  if (command == "present") {
    std::error_code error;
    const bool here = manager->present(vip, &error);
    if (error) {
      std::fprintf(stderr, "%s\n",
                   nl::AddressManager::describe_error(vip, error, nl::VipOperation::check).c_str());
      return 1;
    }
    std::printf("%s\n", here ? "present" : "absent");
    return here ? 0 : 3;
  }
  return usage();
}
