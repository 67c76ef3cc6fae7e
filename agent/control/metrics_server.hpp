#pragma once
// Prometheus text exposition over plain HTTP on a configured local address.
#include "agent/config/settings.hpp"
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

  // Port 0 picks a free one (see port()).
  std::error_code start(const HostPort& address);
  void stop();
  unsigned short port() const;

 private:
  void accept_next();

  std::shared_ptr<Render> render_;
  boost::asio::ip::tcp::acceptor acceptor_;
};

}  // namespace redvip::agent
