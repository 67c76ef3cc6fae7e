#include "agent/control/control_server.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <unistd.h>

namespace redvip::agent {
namespace asio = boost::asio;
using local = asio::local::stream_protocol;

namespace {
// A request is one short command line; anything longer is a confused or hostile client.
constexpr std::size_t kMaxRequest = 1024;

struct Session : std::enable_shared_from_this<Session> {
  Session(local::socket s, std::shared_ptr<ControlServer::Handler> h)
      : socket(std::move(s)), handler(std::move(h)) {}

  void start() {
    auto self = shared_from_this();
    asio::async_read_until(socket, asio::dynamic_buffer(request, kMaxRequest), '\n',
                           [self](boost::system::error_code ec, std::size_t n) { self->on_request(ec, n); });
  }

  void on_request(boost::system::error_code ec, std::size_t n) {
    if (ec) {
      if (ec == asio::error::not_found) reply = "error: request too long\n";
      else if (ec != asio::error::eof || request.empty()) return;
      else n = request.size();  // a client that closed its write side without a newline
    }
    if (reply.empty()) {
      std::string line = request.substr(0, n);
      while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
      reply = (*handler)(line);
    }
    auto self = shared_from_this();
    asio::async_write(socket, asio::buffer(reply), [self](boost::system::error_code, std::size_t) {
      boost::system::error_code ignored;
      self->socket.shutdown(local::socket::shutdown_both, ignored);
    });
  }

  local::socket socket;
  std::shared_ptr<ControlServer::Handler> handler;  // outlives the server if a reply is in flight
  std::string request;
  std::string reply;
};
}  // namespace

ControlServer::ControlServer(asio::io_context& io, std::string path, Handler handler)
    : io_(io), path_(std::move(path)), handler_(std::make_shared<Handler>(std::move(handler))), acceptor_(io) {}

ControlServer::~ControlServer() { stop(); }

std::error_code ControlServer::start() {
  // /run/redvip exists under systemd (RuntimeDirectory); a hand-started daemon makes it.
  if (const auto slash = path_.rfind('/'); slash != std::string::npos && slash > 0) {
    const std::string dir = path_.substr(0, slash);
    if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) {
      return std::error_code(errno, std::system_category());
    }
  }
  boost::system::error_code ec;
  // A socket file that nobody answers on is left over from a crash: take it over.
  {
    local::socket probe(io_);
    probe.connect(local::endpoint(path_), ec);
    if (!ec) return std::make_error_code(std::errc::address_in_use);
    ::unlink(path_.c_str());
  }
  acceptor_.open(local(), ec);
  if (!ec) acceptor_.bind(local::endpoint(path_), ec);
  if (!ec) acceptor_.listen(8, ec);
  if (ec) {
    acceptor_.close();
    return ec;
  }
  // Owner and group only: handover and reload change what the node does.
  ::chmod(path_.c_str(), 0660);
  listening_ = true;
  accept_next();
  return {};
}

void ControlServer::stop() {
  if (!listening_) return;
  listening_ = false;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  ::unlink(path_.c_str());
}

void ControlServer::accept_next() {
  acceptor_.async_accept([this](boost::system::error_code ec, local::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !listening_) return;
    } else {
      std::make_shared<Session>(std::move(socket), handler_)->start();
    }
    accept_next();
  });
}

}  // namespace redvip::agent
