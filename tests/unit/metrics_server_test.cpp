#include <catch2/catch.hpp>

#include <future>
#include <thread>

#include "agent/control/metrics_server.hpp"
#include "netlink/asio.hpp"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using redvip::agent::EndpointLimits;
using redvip::agent::MetricsServer;
using namespace std::chrono_literals;

namespace {
tcp::endpoint at(unsigned short port) {
  return tcp::endpoint(asio::ip::make_address("127.0.0.1"), port);
}

std::string http(unsigned short port, const std::string& request) {
  asio::io_context io;
  tcp::socket s(io);
  s.connect(at(port));
  boost::system::error_code ec;
  asio::write(s, asio::buffer(request), ec);
  std::string reply;
  asio::read(s, asio::dynamic_buffer(reply), ec);
  return reply;
}

std::string status_line(const std::string& reply) { return reply.substr(0, reply.find("\r\n")); }
std::string body_of(const std::string& reply) {
  const auto end = reply.find("\r\n\r\n");
  return end == std::string::npos ? "" : reply.substr(end + 4);
}

// A metrics server on a free port of 127.0.0.1, its io_context run while the client runs on a
// thread.
struct Fixture {
  explicit Fixture(EndpointLimits limits = {})
      : server(
            io,
            [this] {
              ++renders;
              return std::string("redvip_up 1\n");
            },
            limits) {
    REQUIRE_FALSE(server.start({redvip::vrrp::IpAddress::v4(127, 0, 0, 1), 0}));
    REQUIRE(server.port() != 0);
  }
  template <typename Client>
  void run(Client client) {
    std::thread t([&] {
      client();
      asio::post(io, [&] { io.stop(); });
    });
    io.run_for(20s);
    t.join();
    io.restart();
  }
  std::size_t open_connections() {
    std::promise<std::size_t> open;
    asio::post(io, [&] { open.set_value(server.open_connections()); });
    return open.get_future().get();
  }

  asio::io_context io;
  int renders = 0;
  MetricsServer server;
};
}  // namespace

TEST_CASE("Metrics are served as Prometheus text on GET /metrics", "[metrics]") {
  Fixture f;
  std::string got, with_query, head;
  f.run([&] {
    got = http(f.server.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    with_query = http(f.server.port(), "GET /metrics?name[]=x HTTP/1.0\r\n\r\n");
    head = http(f.server.port(), "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  });
  CHECK(status_line(got) == "HTTP/1.1 200 OK");
  CHECK(got.find("Content-Length: 12\r\n") != std::string::npos);
  CHECK(got.find("Content-Type: text/plain; version=0.0.4") != std::string::npos);
  CHECK(body_of(got) == "redvip_up 1\n");
  CHECK(status_line(with_query) == "HTTP/1.1 200 OK");
  CHECK(status_line(head) == "HTTP/1.1 200 OK");
  CHECK(head.find("Content-Length: 12\r\n") != std::string::npos);
  CHECK(body_of(head).empty());
  CHECK(f.renders == 3);
}

TEST_CASE("Metrics: another path is 404, another method 405, nothing rendered", "[metrics]") {
  Fixture f;
  std::string root, other, post, del;
  f.run([&] {
    root = http(f.server.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    other = http(f.server.port(), "GET /metricsx HTTP/1.1\r\nHost: x\r\n\r\n");
    post =
        http(f.server.port(), "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
    del = http(f.server.port(), "DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  });
  CHECK(status_line(root) == "HTTP/1.1 404 Not Found");
  CHECK(status_line(other) == "HTTP/1.1 404 Not Found");
  CHECK(body_of(other).find("metricsx") == std::string::npos);  // the request is not quoted
  CHECK(status_line(post) == "HTTP/1.1 405 Method Not Allowed");
  CHECK(post.find("Allow: GET, HEAD\r\n") != std::string::npos);
  CHECK(status_line(del) == "HTTP/1.1 405 Method Not Allowed");
  CHECK(f.renders == 0);
}

TEST_CASE("Metrics: an oversized request head is answered 431, even a 10 MB one", "[metrics]") {
  Fixture f;
  std::string big_header, long_target;
  f.run([&] {
    big_header = http(f.server.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " +
                                           std::string(10 * 1024 * 1024, 'a') + "\r\n\r\n");
    long_target = http(f.server.port(), "GET /" + std::string(20000, 'm') + " HTTP/1.1\r\n\r\n");
  });
  CHECK(status_line(big_header) == "HTTP/1.1 431 Request Header Fields Too Large");
  CHECK(status_line(long_target) == "HTTP/1.1 431 Request Header Fields Too Large");
  CHECK(long_target.size() < 300);  // nothing of the request echoed
  CHECK(f.renders == 0);
}

TEST_CASE("Metrics: garbage is a 400 that echoes none of it", "[metrics]") {
  Fixture f;
  std::string binary, no_version;
  f.run([&] {
    binary = http(f.server.port(), std::string("\x01\x02\xff\x00 binary junk\r\n\r\n", 19));
    no_version = http(f.server.port(), "GET /metrics\r\n\r\n");
  });
  CHECK(status_line(binary) == "HTTP/1.1 400 Bad Request");
  CHECK(binary.find("junk") == std::string::npos);
  CHECK(status_line(no_version) == "HTTP/1.1 400 Bad Request");
}

TEST_CASE("Metrics: a connection that says nothing is closed at its deadline", "[metrics]") {
  EndpointLimits limits;
  limits.deadline = 200ms;
  Fixture f(limits);
  std::string reply = "unset", half_reply = "unset";
  std::chrono::steady_clock::duration took{};
  f.run([&] {
    asio::io_context cio;
    tcp::socket idle(cio), half(cio);
    idle.connect(at(f.server.port()));
    half.connect(at(f.server.port()));
    asio::write(half, asio::buffer(std::string("GET /metrics HTTP/1.1\r\nHost:")));
    const auto start = std::chrono::steady_clock::now();
    boost::system::error_code ec;
    reply.clear();
    asio::read(idle, asio::dynamic_buffer(reply), ec);
    took = std::chrono::steady_clock::now() - start;
    half_reply.clear();
    asio::read(half, asio::dynamic_buffer(half_reply), ec);
  });
  CHECK(reply.empty());
  CHECK(half_reply.empty());  // a slow head is not answered after the deadline
  CHECK(took >= 150ms);
  CHECK(took < 3s);
  f.io.run_for(100ms);  // the cancelled reads complete, the exchanges let their slots go
  CHECK(f.server.open_connections() == 0);
}

TEST_CASE("Metrics: a bounded number of connections; the next is told 503", "[metrics]") {
  EndpointLimits limits;
  limits.max_connections = 2;
  limits.deadline = 300ms;
  Fixture f(limits);
  std::string busy, later;
  std::size_t open_while_idle = 0;
  f.run([&] {
    asio::io_context cio;
    tcp::socket idle1(cio), idle2(cio);
    idle1.connect(at(f.server.port()));
    idle2.connect(at(f.server.port()));
    std::this_thread::sleep_for(50ms);
    busy = http(f.server.port(), "GET /metrics HTTP/1.1\r\n\r\n");
    open_while_idle = f.open_connections();
    std::this_thread::sleep_for(400ms);
    later = http(f.server.port(), "GET /metrics HTTP/1.1\r\n\r\n");
  });
  CHECK(status_line(busy) == "HTTP/1.1 503 Service Unavailable");
  CHECK(open_while_idle == 2);
  CHECK(status_line(later) == "HTTP/1.1 200 OK");
}
