#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "agent/daemon/systemd_notify.hpp"

// A stand-in for systemd's notify socket: the daemon's messages must arrive as the protocol says.
namespace {

class NotifySocket {
 public:
  NotifySocket() {
    char dir_template[] = "/tmp/redvip-notify-XXXXXX";
    REQUIRE(::mkdtemp(dir_template) != nullptr);
    dir_ = dir_template;
    path_ = dir_ + "/notify";
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof(address.sun_path) - 1);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    ::setenv("NOTIFY_SOCKET", path_.c_str(), 1);
  }
  ~NotifySocket() {
    ::unsetenv("NOTIFY_SOCKET");
    ::close(fd_);
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  // Empty when nothing was sent (the socket is non-blocking and the send is synchronous).
  std::string receive() {
    char buffer[4096];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
  }

 private:
  std::string dir_;
  std::string path_;
  int fd_ = -1;
};

}  // namespace

TEST_CASE("readiness, reload and stop reach the notify socket", "[systemd_notify]") {
  NotifySocket socket;
  redvip::agent::notify_ready();
  CHECK(socket.receive() == "READY=1");
  redvip::agent::notify_reloading();
  const std::string reloading = socket.receive();
  CHECK(reloading.rfind("RELOADING=1\nMONOTONIC_USEC=", 0) == 0);
  CHECK(reloading.size() > std::strlen("RELOADING=1\nMONOTONIC_USEC="));
  redvip::agent::notify_stopping();
  CHECK(socket.receive() == "STOPPING=1");
  CHECK(std::getenv("NOTIFY_SOCKET") != nullptr);  // kept for the next reload
}

TEST_CASE("a status line stays one assignment", "[systemd_notify]") {
  NotifySocket socket;
  redvip::agent::notify_status("VI_1 MASTER\nREADY=1");
  CHECK(socket.receive() == "STATUS=VI_1 MASTER READY=1");
}

TEST_CASE("without NOTIFY_SOCKET nothing is sent", "[systemd_notify]") {
  NotifySocket socket;
  ::unsetenv("NOTIFY_SOCKET");
  redvip::agent::notify_ready();
  redvip::agent::notify_status("x");
  CHECK(socket.receive().empty());
}
