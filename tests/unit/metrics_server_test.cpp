#include <catch2/catch.hpp>

#include "netlink/asio.hpp"
#include <thread>

#include "agent/control/metrics_server.hpp"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using redvip::agent::MetricsServer;

namespace {
std::string http(unsigned short port, const std::string& request) {
  asio::io_context io;
  tcp::socket s(io);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  asio::write(s, asio::buffer(request));
  std::string reply;
  boost::system::error_code ec;
  asio::read(s, asio::dynamic_buffer(reply), ec);
  return reply;
}
}  // namespace

TEST_CASE("Metrics are served as Prometheus text on GET", "[metrics]") {
  asio::io_context io;
  int renders = 0;
  MetricsServer server(io, [&] {
    ++renders;
    return std::string("redvip_up 1\n");
  });
  REQUIRE_FALSE(server.start({redvip::vrrp::IpAddress::v4(127, 0, 0, 1), 0}));
  REQUIRE(server.port() != 0);
  std::string got, refused;
  std::thread client([&] {
    got = http(server.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    refused = http(server.port(), "POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    io.stop();
  });
  io.run_for(std::chrono::seconds(5));
  client.join();
  CHECK(got.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(got.find("Content-Length: 12\r\n") != std::string::npos);
  CHECK(got.substr(got.size() - 12) == "redvip_up 1\n");
  CHECK(refused.rfind("HTTP/1.1 405", 0) == 0);
  CHECK(renders == 1);
}

