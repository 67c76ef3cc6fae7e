#include "agent/control/metrics_server.hpp"

#include <fmt/format.h>

#include <charconv>
#include <memory>

namespace redvip::agent {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
// Scrapers send a few hundred bytes of headers; cap what a client can make us buffer.
constexpr std::size_t kMaxRequestHead = 8192;

struct Exchange : std::enable_shared_from_this<Exchange> {
  Exchange(tcp::socket s, std::shared_ptr<MetricsServer::Render> r)
      : socket(std::move(s)), render(std::move(r)) {}

  void start() {
    auto self = shared_from_this();
    asio::async_read_until(socket, asio::dynamic_buffer(head, kMaxRequestHead), "\r\n\r\n",
                           [self](boost::system::error_code ec, std::size_t) { self->respond(ec); });
  }

  void respond(boost::system::error_code ec) {
    if (ec) return;
    std::string status = "200 OK";
    std::string body;
    if (head.rfind("GET ", 0) != 0) {
      status = "405 Method Not Allowed";
      body = "only GET\n";
    } else {
      body = (*render)();
    }
    reply = fmt::format(
        "HTTP/1.1 {}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\n"
        "Connection: close\r\n\r\n{}",
        status, body.size(), body);
    auto self = shared_from_this();
    asio::async_write(socket, asio::buffer(reply), [self](boost::system::error_code, std::size_t) {
      boost::system::error_code ignored;
      self->socket.shutdown(tcp::socket::shutdown_both, ignored);
    });
  }

  tcp::socket socket;
  std::shared_ptr<MetricsServer::Render> render;
  std::string head;
  std::string reply;
};
}  // namespace

MetricsServer::MetricsServer(asio::io_context& io, Render render)
    : render_(std::make_shared<Render>(std::move(render))), acceptor_(io) {}

MetricsServer::~MetricsServer() { stop(); }

std::error_code MetricsServer::start(const HostPort& address) {
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(address.host.to_string(), ec);
  if (ec) return ec;
  const tcp::endpoint endpoint(ip, address.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(16, ec);
  if (ec) {
    acceptor_.close();
    return ec;
  }
  accept_next();
  return {};
}

void MetricsServer::stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

unsigned short MetricsServer::port() const {
  boost::system::error_code ec;
  const auto endpoint = acceptor_.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

void MetricsServer::accept_next() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) std::make_shared<Exchange>(std::move(socket), render_)->start();
    accept_next();
  });
}

}  // namespace redvip::agent
