#include "agent/control/control_server.hpp"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace redvip::agent {
namespace asio = boost::asio;
using local = asio::local::stream_protocol;

namespace {
// Room for a few clients connecting at the same moment; more wait in their connect().
constexpr int kBacklog = 64;

class ControlSocketCategory : public std::error_category {
 public:
  const char* name() const noexcept override { return "control socket"; }
  std::string message(int e) const override {
    switch (static_cast<ControlSocketError>(e)) {
      case ControlSocketError::not_a_socket:
        return "the path exists and is not a socket (redvipd removes only a socket left by a "
               "crashed run)";
    }
    return "unknown control socket error";
  }
};

bool printable(std::string_view text) {
  for (const unsigned char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

// Connects without blocking: 0 when a daemon answers (or its backlog is full: EAGAIN), else the
// errno (ECONNREFUSED: nobody listens on that file; ENOENT: no file).
int probe(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path)) return ENAMETOOLONG;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  int result =
      ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0 ? 0 : errno;
  if (result == EAGAIN) result = 0;
  ::close(fd);
  return result;
}

bool is_socket(const std::string& path, struct stat& st) {
  return ::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

struct Session : std::enable_shared_from_this<Session> {
  Session(local::socket s, std::shared_ptr<ControlServer::AsyncHandler> h,
          std::shared_ptr<ConnectionSlot> sl, std::chrono::milliseconds d)
      : socket(std::move(s)),
        handler(std::move(h)),
        slot(std::move(sl)),
        deadline(socket.get_executor()),
        limit(d) {}

  void start() {
    arm_deadline(limit);
    auto self = shared_from_this();
    asio::async_read_until(
        socket, asio::dynamic_buffer(request, kMaxControlRequest), '\n',
        [self](boost::system::error_code ec, std::size_t n) { self->on_request(ec, n); });
  }

  void on_request(boost::system::error_code ec, std::size_t n) {
    if (ec) {
      if (ec == asio::error::not_found) {
        reply = fmt::format("error: request longer than {} bytes\n", kMaxControlRequest);
      } else if (ec == asio::error::eof && !request.empty()) {
        n = request.size();  // a client that closed its write side without a newline
      } else {
        close();
        return;
      }
    }
    std::string line = request.substr(0, n);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (reply.empty() && !printable(line))
      reply = "error: the request is not a line of printable text\n";
    if (!reply.empty()) {
      write_reply();
      return;
    }
    // The handler may answer later (a switchover): the client waits that long, no longer.
    arm_deadline(ControlServer::kLongRequestDeadline);
    auto self = shared_from_this();
    (*handler)(line, [self](std::string text) {
      if (self->replied) return;
      self->replied = true;
      self->reply = std::move(text);
      if (self->reply.empty()) self->reply = "error: empty reply\n";
      self->write_reply();
    });
  }

  void write_reply() {
    replied = true;
    arm_deadline(limit);
    auto self = shared_from_this();
    asio::async_write(socket, asio::buffer(reply),
                      [self](boost::system::error_code, std::size_t) { self->close(); });
  }

  void arm_deadline(std::chrono::milliseconds after) {
    auto self = shared_from_this();
    deadline.expires_after(after);
    deadline.async_wait([self](boost::system::error_code ec) {
      if (ec) return;
      self->slot->note_deadline_passed();
      self->close();
    });
  }

  void close() {
    boost::system::error_code ignored;
    deadline.cancel();
    socket.shutdown(local::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  local::socket socket;
  std::shared_ptr<ControlServer::AsyncHandler>
      handler;  // outlives the server if a reply is in flight
  std::shared_ptr<ConnectionSlot> slot;
  asio::steady_timer deadline;
  std::chrono::milliseconds limit;
  std::string request;
  std::string reply;
  bool replied = false;
};
}  // namespace

const std::error_category& control_socket_category() {
  static const ControlSocketCategory category;
  return category;
}

std::error_code make_error_code(ControlSocketError e) {
  return {static_cast<int>(e), control_socket_category()};
}

std::error_code check_control_socket_path(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return errno == ENOTDIR ? std::error_code(ENOTDIR, std::system_category()) : std::error_code();
  }
  return S_ISSOCK(st.st_mode) ? std::error_code()
                              : make_error_code(ControlSocketError::not_a_socket);
}

std::string quote_request(std::string_view request, std::size_t max_chars) {
  std::string out = "\"";
  std::size_t shown = 0;
  for (const unsigned char c : request) {
    if (shown == max_chars) {
      out += "...";
      break;
    }
    if (c == '"' || c == '\\')
      out += fmt::format("\\{}", static_cast<char>(c));
    else if (c >= 0x20 && c <= 0x7e)
      out.push_back(static_cast<char>(c));
    else
      out += fmt::format("\\x{:02x}", c);
    ++shown;
  }
  return out + "\"";
}

ControlServer::ControlServer(asio::io_context& io, std::string path, Handler handler,
                             EndpointLimits limits)
    : ControlServer(
          io, std::move(path),
          AsyncHandler([handler = std::move(handler)](const std::string& request, Reply reply) {
            reply(handler(request));
          }),
          limits) {}

ControlServer::ControlServer(asio::io_context& io, std::string path, AsyncHandler handler,
                             EndpointLimits limits)
    : path_(std::move(path)),
      handler_(std::make_shared<AsyncHandler>(std::move(handler))),
      listener_(io, "control socket " + path_, limits, "error: too many connections\n",
                [handler = handler_, deadline = limits.deadline](
                    local::socket socket, std::shared_ptr<ConnectionSlot> slot) {
                  std::make_shared<Session>(std::move(socket), handler, std::move(slot), deadline)
                      ->start();
                }) {}

ControlServer::~ControlServer() { stop(); }

std::error_code ControlServer::start() {
  if (auto ec = check_control_socket_path(path_)) return ec;
  // /run/redvip exists under systemd (RuntimeDirectory); a hand-started daemon makes it.
  if (const auto slash = path_.rfind('/'); slash != std::string::npos && slash > 0) {
    const std::string dir = path_.substr(0, slash);
    if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) {
      return std::error_code(errno, std::system_category());
    }
  }
  // A socket file that nobody answers on is left over from a crash: take it over. Connecting to
  // a file that is not a socket is refused too, so look before removing anything.
  switch (probe(path_)) {
    case 0:
      return std::make_error_code(std::errc::address_in_use);
    case ECONNREFUSED: {
      struct stat st {};
      if (!is_socket(path_, st)) return make_error_code(ControlSocketError::not_a_socket);
      ::unlink(path_.c_str());
      break;
    }
    default:
      break;  // nothing there, or something bind() reports better
  }
  auto& acceptor = listener_.acceptor();
  boost::system::error_code ec;
  acceptor.open(local(), ec);
  if (!ec) acceptor.bind(local::endpoint(path_), ec);
  if (!ec) acceptor.listen(kBacklog, ec);
  if (ec) {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    return ec;
  }
  // Owner and group only: reload changes what the node does.
  ::chmod(path_.c_str(), 0660);
  struct stat st {};
  if (is_socket(path_, st)) {
    device_ = st.st_dev;
    inode_ = st.st_ino;
  }
  listening_ = true;
  listener_.start();
  return {};
}

void ControlServer::stop() {
  if (!listening_) return;
  listening_ = false;
  listener_.stop();
  struct stat st {};
  if (is_socket(path_, st) && st.st_dev == device_ && st.st_ino == inode_) ::unlink(path_.c_str());
}

}  // namespace redvip::agent
