#include "agent/control/metrics_server.hpp"

#include "netlink/asio.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <memory>

namespace redvip::agent {
namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {
constexpr int kBacklog = 64;
// After an error reply, what the client was still sending is read and dropped, up to this much,
// so that closing does not reset the connection before the client has read the reply.
constexpr std::size_t kMaxDrain = 16 * 1024 * 1024;
constexpr const char* kExpositionType = "text/plain; version=0.0.4; charset=utf-8";

struct Exchange : std::enable_shared_from_this<Exchange> {
  Exchange(tcp::socket s, std::shared_ptr<MetricsServer::Render> r,
           std::shared_ptr<ConnectionSlot> sl, std::chrono::milliseconds d)
      : socket(std::move(s)),
        render(std::move(r)),
        slot(std::move(sl)),
        deadline(socket.get_executor()),
        limit(d),
        buffer(2 * kMaxMetricsRequestHead) {}

  void start() {
    auto self = shared_from_this();
    deadline.expires_after(limit);
    deadline.async_wait([self](boost::system::error_code ec) {
      if (ec) return;
      self->slot->note_deadline_passed();
      self->close();
    });
    parser.header_limit(static_cast<std::uint32_t>(kMaxMetricsRequestHead));
    http::async_read_header(
        socket, buffer, parser,
        [self](boost::system::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(boost::system::error_code ec) {
    if (ec == http::error::header_limit) {
      reply(http::status::request_header_fields_too_large, "request header fields too large\n");
    } else if (ec && (!parser.got_some() || ec == asio::error::operation_aborted)) {
      close();  // closed or timed out before saying anything
    } else if (ec) {
      reply(http::status::bad_request, "bad request\n");
    } else {
      route(parser.get());
    }
  }

  void route(const http::request<http::empty_body>& request) {
    const bool head = request.method() == http::verb::head;
    if (request.method() != http::verb::get && !head) {
      reply(http::status::method_not_allowed, "only GET\n");
      return;
    }
    const auto target = request.target();
    if (target.substr(0, target.find('?')) != "/metrics") {
      reply(http::status::not_found, "not found: metrics are at /metrics\n");
      return;
    }
    reply(http::status::ok, (*render)(), head);
  }

  void reply(http::status status, std::string body, bool head = false) {
    response.result(status);
    response.version(11);
    response.keep_alive(false);
    response.set(http::field::content_type,
                 status == http::status::ok ? kExpositionType : "text/plain; charset=utf-8");
    if (status == http::status::method_not_allowed) response.set(http::field::allow, "GET, HEAD");
    response.content_length(body.size());
    if (!head) response.body() = std::move(body);
    auto self = shared_from_this();
    http::async_write(socket, response, [self](boost::system::error_code ec, std::size_t) {
      if (ec) {
        self->close();
        return;
      }
      boost::system::error_code ignored;
      self->socket.shutdown(tcp::socket::shutdown_send, ignored);
      self->drain();
    });
  }

  // Until the client closes its side, the deadline passes, or kMaxDrain bytes.
  void drain() {
    auto self = shared_from_this();
    socket.async_read_some(asio::buffer(scratch),
                           [self](boost::system::error_code ec, std::size_t n) {
                             self->drained += n;
                             if (ec || self->drained >= kMaxDrain) {
                               self->close();
                               return;
                             }
                             self->drain();
                           });
  }

  void close() {
    boost::system::error_code ignored;
    deadline.cancel();
    socket.close(ignored);
  }

  tcp::socket socket;
  std::shared_ptr<MetricsServer::Render> render;
  std::shared_ptr<ConnectionSlot> slot;
  asio::steady_timer deadline;
  std::chrono::milliseconds limit;
  boost::beast::flat_buffer buffer;
  http::request_parser<http::empty_body> parser;
  http::response<http::string_body> response;
  std::array<char, 4096> scratch{};
  std::size_t drained = 0;
};
}  // namespace

MetricsServer::MetricsServer(asio::io_context& io, Render render, EndpointLimits limits)
    : render_(std::make_shared<Render>(std::move(render))),
      listener_(
          io, "metrics", limits,
          "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
          [render = render_, deadline = limits.deadline](tcp::socket socket,
                                                         std::shared_ptr<ConnectionSlot> slot) {
            std::make_shared<Exchange>(std::move(socket), render, std::move(slot), deadline)
                ->start();
          }) {}

MetricsServer::~MetricsServer() { stop(); }

std::error_code MetricsServer::start(const HostPort& address) {
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(address.host.to_string(), ec);
  if (ec) return ec;
  const tcp::endpoint endpoint(ip, address.port);
  auto& acceptor = listener_.acceptor();
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(kBacklog, ec);
  if (ec) {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    return ec;
  }
  listener_.start();
  return {};
}

void MetricsServer::stop() { listener_.stop(); }

unsigned short MetricsServer::port() const {
  boost::system::error_code ec;
  const auto endpoint = listener_.acceptor().local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

}  // namespace redvip::agent
