#pragma once
// Prometheus text exposition over HTTP/1.1 on a configured local address: GET (or HEAD)
// /metrics answers 200; another path 404, another method 405, a request head over
// kMaxMetricsRequestHead bytes 431, anything unparsable 400. Replies never quote the request.
// One request per connection (Connection: close), within the endpoint's limits (listener.hpp).
#include <cstddef>
#include <functional>
#include <string>
#include <system_error>

#include "agent/config/settings.hpp"
#include "agent/control/listener.hpp"
#include "netlink/asio.hpp"

namespace redvip::agent {

// Scrapers send a few hundred bytes of headers.
constexpr std::size_t kMaxMetricsRequestHead = 8192;

class MetricsServer {
 public:
  using Render = std::function<std::string()>;

  MetricsServer(boost::asio::io_context& io, Render render, EndpointLimits limits = {});
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Port 0 picks a free one (see port()).
  std::error_code start(const HostPort& address);
  void stop();
  unsigned short port() const;
  std::size_t open_connections() const { return listener_.open_connections(); }

 private:
  std::shared_ptr<Render> render_;
  Listener<boost::asio::ip::tcp> listener_;
};

}  // namespace redvip::agent
