#pragma once
// Prometheus text exposition over plain HTTP on a configured local address.
#include "netlink/asio.hpp"

#include <functional>
#include <string>
#include <system_error>

namespace redvip::agent {

class MetricsServer {
 public:
  using Render = std::function<std::string()>;

  MetricsServer(boost::asio::io_context& io, Render render);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // "HOST:PORT" or "[V6]:PORT"; port 0 picks a free one (see port()).
  std::error_code start(const std::string& address);
  void stop();
  unsigned short port() const;

 private:
  void accept_next();

  std::shared_ptr<Render> render_;
  boost::asio::ip::tcp::acceptor acceptor_;
};

// Splits "HOST:PORT" / "[V6]:PORT"; nullopt-like empty host on error.
bool split_host_port(const std::string& text, std::string& host, unsigned short& port);

}  // namespace redvip::agent
