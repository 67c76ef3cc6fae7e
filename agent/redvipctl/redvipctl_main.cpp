// redvipctl: asks a running redvipd over its control socket.
#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "netlink/asio.hpp"

namespace {
constexpr const char* kDefaultSocket = "/run/redvip/redvip.sock";

int usage(int code) {
  fmt::print(code ? stderr : stdout,
             "usage: redvipctl [-s SOCKET] COMMAND\n"
             "       redvipctl --version | --help\n"
             "commands:\n"
             "  status [--json]       state of every instance\n"
             "  reload                re-read the config (like SIGHUP)\n"
             "  handover [INSTANCE] [--to ADDRESS]\n"
             "                        on the master: hand its Redis and the VIP to a replica that\n"
             "                        holds every write (ADDRESS: that replica); this node stays\n"
             "                        as a replica\n"
             "default socket: {}\n"
             "exit status: 0 done, 1 redvipd unreachable or answered with an error, 2 usage,\n"
             "             3 handover refused (nothing changed; the reply says why)\n",
             kDefaultSocket);
  return code;
}

// What to do about a socket that cannot be reached: the error alone does not say.
std::string reach_hint(int error, const std::string& path) {
  if (error == ENOENT || error == ECONNREFUSED)
    return "; is redvipd running (systemctl status redvip)? If its control_socket is another "
           "path, pass it with -s";
  if (error == EACCES || error == EPERM)
    return "; the socket is for its owner and group only (ls -l " + path +
           "): run as root or as a member of that group";
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  std::string socket_path = kDefaultSocket;
  std::vector<std::string> words;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") return usage(0);
    if (arg == "--version") {
      fmt::print("redvipctl {}\n", REDVIP_VERSION);
      return 0;
    }
    if (arg == "-s" || arg == "--socket") {
      if (++i >= argc) return usage(2);
      socket_path = argv[i];
    } else {
      words.push_back(arg);
    }
  }
  if (words.empty()) return usage(2);
  const std::string& verb = words[0];
  const bool known =
      (verb == "status" && words.size() <= 2 && (words.size() == 1 || words[1] == "--json")) ||
      (verb == "reload" && words.size() == 1) || verb == "handover";
  if (!known) return usage(2);
  // The daemon checks a handover's words (agent/control/handover_request.hpp); here only what
  // keeps the request one line.
  for (const auto& w : words) {
    if (w.empty() || w.find_first_of(" \r\n") != std::string::npos) return usage(2);
  }

  std::string request;
  for (const auto& w : words) request += (request.empty() ? "" : " ") + w;
  request += '\n';

  boost::asio::io_context io;
  boost::asio::local::stream_protocol::socket socket(io);
  boost::system::error_code ec;
  socket.connect(boost::asio::local::stream_protocol::endpoint(socket_path), ec);
  if (ec) {
    fmt::print(stderr, "redvipctl: cannot reach redvipd at {}: {}{}\n", socket_path, ec.message(),
               reach_hint(ec.value(), socket_path));
    return 1;
  }
  boost::asio::write(socket, boost::asio::buffer(request), ec);
  std::string reply;
  if (!ec) boost::asio::read(socket, boost::asio::dynamic_buffer(reply), ec);
  if (ec && ec != boost::asio::error::eof) {
    fmt::print(stderr, "redvipctl: {}: {}\n", socket_path, ec.message());
    return 1;
  }
  fmt::print("{}", reply);
  if (reply.rfind("refused: ", 0) == 0) return 3;
  if (reply.rfind("error: handover: ", 0) == 0) return 2;  // the daemon found the words malformed
  return reply.rfind("error", 0) == 0 || reply.empty() ? 1 : 0;
}
