#include "agent/daemon/systemd_notify.hpp"

#include <time.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#if REDVIP_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#else
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#endif

namespace redvip::agent {
namespace {

#if REDVIP_HAVE_SYSTEMD
void send_state(const std::string& state) {
  // Keep NOTIFY_SOCKET in the environment: the daemon notifies again at every reload.
  ::sd_notify(0, state.c_str());
}
#else
// The notify protocol without libsystemd: one datagram to the socket named in NOTIFY_SOCKET
// ('@' means the abstract namespace).
void send_state(const std::string& state) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || (path[0] != '/' && path[0] != '@')) return;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::size_t length = std::strlen(path);
  if (length >= sizeof(address.sun_path)) return;
  std::memcpy(address.sun_path, path, length);
  if (path[0] == '@') address.sun_path[0] = '\0';
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  [[maybe_unused]] auto sent =
      ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&address),
               static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + length));
  ::close(fd);
}
#endif

}  // namespace

void notify_ready() { send_state("READY=1"); }

void notify_reloading() {
  // MONOTONIC_USEC lets systemd >= 253 (Type=notify-reload) match this reload to its request;
  // older versions ignore it.
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const long long usec = static_cast<long long>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
  send_state("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

void notify_stopping() { send_state("STOPPING=1"); }

void notify_watchdog() { send_state("WATCHDOG=1"); }

std::optional<std::chrono::microseconds> watchdog_timeout() {
#if REDVIP_HAVE_SYSTEMD
  std::uint64_t usec = 0;
  if (::sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec);
#else
  // sd_watchdog_enabled(3) without libsystemd: a WATCHDOG_PID of another process (a child that
  // inherited the environment) means the watchdog is not ours.
  const char* usec_text = std::getenv("WATCHDOG_USEC");
  if (usec_text == nullptr) return std::nullopt;
  char* end = nullptr;
  const unsigned long long usec = std::strtoull(usec_text, &end, 10);
  if (end == usec_text || *end != '\0' || usec == 0) return std::nullopt;
  if (const char* pid = std::getenv("WATCHDOG_PID")) {
    if (std::strtoll(pid, nullptr, 10) != static_cast<long long>(::getpid())) return std::nullopt;
  }
  return std::chrono::microseconds(usec);
#endif
}

void notify_status(std::string_view status) {
  // A newline would end the STATUS= assignment and start a bogus one.
  std::string line = "STATUS=";
  for (char c : status) line.push_back(c == '\n' ? ' ' : c);
  send_state(line);
}

}  // namespace redvip::agent
