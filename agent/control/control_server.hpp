#pragma once
// The control socket redvipctl talks to: a UNIX stream socket, one request line in, one reply out.
// Whoever may connect is still not trusted: a request is one line of printable text, at most
// kMaxControlRequest bytes, within the endpoint's deadline; anything else gets a short fixed
// error and never reaches the handler. The path is a socket or absent: redvipd replaces a socket
// nobody answers on (a crashed run's) and never removes anything else.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include <sys/types.h>

#include "agent/control/listener.hpp"
#include "netlink/asio.hpp"

namespace redvip::agent {

constexpr std::size_t kMaxControlRequest = 1024;

enum class ControlSocketError {
  not_a_socket = 1,  // the path exists and is something else: left alone
};
const std::error_category& control_socket_category();
std::error_code make_error_code(ControlSocketError e);

// What `redvipd -t` and start() check before touching the path: it is absent or a socket. Only
// what is certainly wrong is reported (not a socket, a path component that is not a directory);
// a directory this user cannot read is for start() to find out.
std::error_code check_control_socket_path(const std::string& path);

// A request as a reply or a log line may quote it: non-printable bytes as \xNN, at most
// max_chars of it, then "...".
std::string quote_request(std::string_view request, std::size_t max_chars = 64);

class ControlServer {
 public:
  // The handler gets the request line (without the newline) and returns the full reply text.
  using Handler = std::function<std::string(const std::string& request)>;
  // For requests that take a while (a switchover): the handler calls reply(text) once, later,
  // from the io_context. A reply must come within kLongRequestDeadline, or the client is dropped.
  using Reply = std::function<void(std::string text)>;
  using AsyncHandler = std::function<void(const std::string& request, Reply reply)>;
  static constexpr std::chrono::milliseconds kLongRequestDeadline{60000};

  ControlServer(boost::asio::io_context& io, std::string path, Handler handler,
                EndpointLimits limits = {});
  ControlServer(boost::asio::io_context& io, std::string path, AsyncHandler handler,
                EndpointLimits limits = {});
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Refuses a path that is not a socket (ControlSocketError::not_a_socket) and one another
  // daemon answers on (std::errc::address_in_use); replaces a stale socket file.
  std::error_code start();
  // Stops listening and removes the socket file, if it is still the one start() made.
  void stop();
  const std::string& path() const { return path_; }
  std::size_t open_connections() const { return listener_.open_connections(); }

 private:
  std::string path_;
  std::shared_ptr<AsyncHandler> handler_;
  Listener<boost::asio::local::stream_protocol> listener_;
  bool listening_ = false;
  // The socket file start() made: stop() removes that one and nothing else.
  dev_t device_ = 0;
  ino_t inode_ = 0;
};

}  // namespace redvip::agent

template <>
struct std::is_error_code_enum<redvip::agent::ControlSocketError> : std::true_type {};
