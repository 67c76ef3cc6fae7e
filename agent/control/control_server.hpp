#pragma once
// The control socket redvipctl talks to: a UNIX stream socket, one request line in, one reply out.
#include "netlink/asio.hpp"

#include <functional>
#include <memory>
#include <string>
#include <system_error>

namespace redvip::agent {

class ControlServer {
 public:
  // The handler gets the request line (without the newline) and returns the full reply text.
  using Handler = std::function<std::string(const std::string& request)>;

  ControlServer(boost::asio::io_context& io, std::string path, Handler handler);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Replaces a stale socket file left by a crashed run; refuses if another daemon answers on it.
  std::error_code start();
  void stop();
  const std::string& path() const { return path_; }

 private:
  void accept_next();

  boost::asio::io_context& io_;
  std::string path_;
  std::shared_ptr<Handler> handler_;
  boost::asio::local::stream_protocol::acceptor acceptor_;
  bool listening_ = false;
};

}  // namespace redvip::agent
