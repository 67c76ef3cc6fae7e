#include <catch2/catch.hpp>

#include <unistd.h>

#include "netlink/asio.hpp"
#include <thread>

#include "agent/control/control_server.hpp"

namespace asio = boost::asio;
using local = asio::local::stream_protocol;
using redvip::agent::ControlServer;

namespace {
std::string temp_socket_path() {
  return "/tmp/redvip-ctl-test-" + std::to_string(::getpid()) + ".sock";
}

// A blocking client on its own thread, like redvipctl.
std::string ask(const std::string& path, const std::string& request) {
  asio::io_context io;
  local::socket s(io);
  s.connect(local::endpoint(path));
  asio::write(s, asio::buffer(request));
  std::string reply;
  boost::system::error_code ec;
  asio::read(s, asio::dynamic_buffer(reply), ec);
  return reply;
}
}  // namespace

TEST_CASE("Control socket answers one request line with the handler's reply", "[control]") {
  asio::io_context io;
  std::vector<std::string> seen;
  ControlServer server(io, temp_socket_path(), [&](const std::string& r) {
    seen.push_back(r);
    return "reply to " + r + "\n";
  });
  REQUIRE_FALSE(server.start());
  std::string first, second;
  std::thread client([&] {
    first = ask(server.path(), "status\n");
    second = ask(server.path(), "handover VI_1\r\n");
    io.stop();
  });
  io.run_for(std::chrono::seconds(5));
  client.join();
  CHECK(first == "reply to status\n");
  CHECK(second == "reply to handover VI_1\n");
  CHECK(seen == std::vector<std::string>{"status", "handover VI_1"});
}

TEST_CASE("Control socket refuses an over-long request without calling the handler", "[control]") {
  asio::io_context io;
  int calls = 0;
  ControlServer server(io, temp_socket_path(), [&](const std::string&) {
    ++calls;
    return std::string("x\n");
  });
  REQUIRE_FALSE(server.start());
  std::string reply;
  std::thread client([&] {
    reply = ask(server.path(), std::string(5000, 'a') + "\n");
    io.stop();
  });
  io.run_for(std::chrono::seconds(5));
  client.join();
  CHECK(reply == "error: request too long\n");
  CHECK(calls == 0);
}

TEST_CASE("Control socket takes over a stale socket file but not a live one", "[control]") {
  const auto path = temp_socket_path();
  asio::io_context io;
  {
    // A socket file nobody listens on, as a crashed daemon leaves behind.
    local::acceptor stale(io, local::endpoint(path));
    stale.close();
  }
  ControlServer first(io, path, [](const std::string&) { return std::string("one\n"); });
  REQUIRE_FALSE(first.start());
  ControlServer second(io, path, [](const std::string&) { return std::string("two\n"); });
  CHECK(second.start() == std::make_error_code(std::errc::address_in_use));
  first.stop();
  CHECK(::access(path.c_str(), F_OK) != 0);
}

TEST_CASE("Control socket creates its missing run directory", "[control]") {
  const std::string dir = "/tmp/redvip-ctl-dir-" + std::to_string(::getpid());
  const std::string path = dir + "/redvip.sock";
  ::rmdir(dir.c_str());
  asio::io_context io;
  ControlServer server(io, path, [](const std::string&) { return std::string("ok\n"); });
  REQUIRE_FALSE(server.start());
  CHECK(::access(path.c_str(), F_OK) == 0);
  server.stop();
  CHECK(::rmdir(dir.c_str()) == 0);
}
