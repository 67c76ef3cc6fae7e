#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "agent/control/control_server.hpp"
#include "netlink/asio.hpp"

namespace asio = boost::asio;
using local = asio::local::stream_protocol;
using redvip::agent::check_control_socket_path;
using redvip::agent::ControlServer;
using redvip::agent::ControlSocketError;
using redvip::agent::EndpointLimits;
using redvip::agent::quote_request;
using namespace std::chrono_literals;

namespace {
std::string temp_socket_path() {
  return "/tmp/redvip-ctl-test-" + std::to_string(::getpid()) + ".sock";
}

// A blocking client on its own thread, like redvipctl.
std::string ask(const std::string& path, const std::string& request) {
  asio::io_context io;
  local::socket s(io);
  s.connect(local::endpoint(path));
  boost::system::error_code ec;
  asio::write(s, asio::buffer(request), ec);
  std::string reply;
  asio::read(s, asio::dynamic_buffer(reply), ec);
  return reply;
}

// Runs the server's io_context while the client runs on a thread; stops when the client is done.
template <typename Client>
void with_client(asio::io_context& io, Client client) {
  std::thread t([&] {
    client();
    asio::post(io, [&] { io.stop(); });
  });
  io.run_for(10s);
  t.join();
  io.restart();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
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
  with_client(io, [&] {
    first = ask(server.path(), "status\n");
    second = ask(server.path(), "handover VI_1\r\n");
  });
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
  with_client(io, [&] { reply = ask(server.path(), std::string(5000, 'a') + "\n"); });
  CHECK(reply == "error: request longer than 1024 bytes\n");
  CHECK(calls == 0);
}

TEST_CASE("Control socket refuses binary requests with a fixed reply, echoing nothing",
          "[control]") {
  asio::io_context io;
  int calls = 0;
  ControlServer server(io, temp_socket_path(), [&](const std::string&) {
    ++calls;
    return std::string("x\n");
  });
  REQUIRE_FALSE(server.start());
  std::string with_nul, with_escape, high_bytes;
  with_client(io, [&] {
    with_nul = ask(server.path(), std::string("stat\0us\n", 8));
    with_escape = ask(server.path(), "status \x1b[2J\n");
    high_bytes = ask(server.path(), "status \xff\xfe\n");
  });
  const std::string refusal = "error: the request is not a line of printable text\n";
  CHECK(with_nul == refusal);
  CHECK(with_escape == refusal);
  CHECK(high_bytes == refusal);
  CHECK(calls == 0);
}

TEST_CASE("Requests are quoted printable and bounded", "[control]") {
  CHECK(quote_request("bogus") == "\"bogus\"");
  CHECK(quote_request("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(quote_request(std::string("a\0\x1b\xff", 4)) == "\"a\\x00\\x1b\\xff\"");
  const auto long_one = quote_request(std::string(5000, 'x'));
  CHECK(long_one == "\"" + std::string(64, 'x') + "...\"");
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

TEST_CASE("Control socket is owner and group only", "[control]") {
  asio::io_context io;
  ControlServer server(io, temp_socket_path(),
                       [](const std::string&) { return std::string("ok\n"); });
  REQUIRE_FALSE(server.start());
  struct stat st {};
  REQUIRE(::stat(server.path().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0660);
}

TEST_CASE("Control socket path that is a regular file: refused, and the file is left alone",
          "[control]") {
  const auto path = temp_socket_path();
  {
    std::ofstream f(path);
    f << "precious\n";
  }
  CHECK(check_control_socket_path(path) == ControlSocketError::not_a_socket);
  asio::io_context io;
  ControlServer server(io, path, [](const std::string&) { return std::string("ok\n"); });
  const auto ec = server.start();
  CHECK(ec == ControlSocketError::not_a_socket);
  CHECK_THAT(ec.message(), Catch::Contains("not a socket"));
  CHECK(read_file(path) == "precious\n");
  server.stop();
  CHECK(read_file(path) == "precious\n");
  ::unlink(path.c_str());
}

TEST_CASE("Control socket path checks: absent or a socket is fine, a file in the way is not",
          "[control]") {
  const auto path = temp_socket_path();
  ::unlink(path.c_str());
  CHECK_FALSE(check_control_socket_path(path));
  asio::io_context io;
  {
    local::acceptor stale(io, local::endpoint(path));
    CHECK_FALSE(check_control_socket_path(path));
  }
  ::unlink(path.c_str());
  ::mkdir(path.c_str(), 0700);
  CHECK(check_control_socket_path(path) == ControlSocketError::not_a_socket);
  ::rmdir(path.c_str());
  CHECK(check_control_socket_path("/etc/passwd/redvip.sock") == std::errc::not_a_directory);
}

TEST_CASE("Control socket stop removes only the socket it made", "[control]") {
  const auto path = temp_socket_path();
  asio::io_context io;
  ControlServer server(io, path, [](const std::string&) { return std::string("ok\n"); });
  REQUIRE_FALSE(server.start());
  // Someone replaced it while the daemon ran.
  ::unlink(path.c_str());
  {
    std::ofstream f(path);
    f << "mine\n";
  }
  server.stop();
  CHECK(read_file(path) == "mine\n");
  ::unlink(path.c_str());
}

TEST_CASE("Control socket creates its missing run directory", "[control]") {
  const std::string dir = "/tmp/redvip-ctl-dir-" + std::to_string(::getpid());
  const std::string path = dir + "/redvip.sock";
  ::rmdir(dir.c_str());
  asio::io_context io;
  ControlServer server(io, path, [](const std::string&) { return std::string("ok\n"); });
  REQUIRE_FALSE(server.start());
  CHECK(::access(path.c_str(), F_OK) == 0);
  struct stat st {};
  REQUIRE(::stat(dir.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == (0750 & ~[] {
          const auto m = ::umask(0);
          ::umask(m);
          return m;
        }()));
  server.stop();
  CHECK(::rmdir(dir.c_str()) == 0);
}

TEST_CASE("Control socket closes a connection that says nothing by its deadline", "[control]") {
  asio::io_context io;
  EndpointLimits limits;
  limits.deadline = 200ms;
  ControlServer server(
      io, temp_socket_path(), [](const std::string&) { return std::string("ok\n"); }, limits);
  REQUIRE_FALSE(server.start());
  std::string reply = "unset";
  std::chrono::steady_clock::duration took{};
  with_client(io, [&] {
    asio::io_context cio;
    local::socket s(cio);
    s.connect(local::endpoint(server.path()));
    const auto start = std::chrono::steady_clock::now();
    reply.clear();
    boost::system::error_code ec;
    asio::read(s, asio::dynamic_buffer(reply), ec);  // until the server closes
    took = std::chrono::steady_clock::now() - start;
  });
  CHECK(reply.empty());
  CHECK(took >= 150ms);
  CHECK(took < 3s);
  io.run_for(100ms);  // the cancelled read completes, the session lets its slot go
  CHECK(server.open_connections() == 0);
}

TEST_CASE("Control socket takes a bounded number of connections and says so to the next",
          "[control]") {
  asio::io_context io;
  EndpointLimits limits;
  limits.max_connections = 2;
  limits.deadline = 300ms;
  ControlServer server(
      io, temp_socket_path(), [](const std::string&) { return std::string("ok\n"); }, limits);
  REQUIRE_FALSE(server.start());
  std::string busy, later;
  std::size_t open_while_idle = 0;
  with_client(io, [&] {
    asio::io_context cio;
    local::socket idle1(cio), idle2(cio);
    idle1.connect(local::endpoint(server.path()));
    idle2.connect(local::endpoint(server.path()));
    std::this_thread::sleep_for(50ms);
    busy = ask(server.path(), "status\n");
    std::promise<std::size_t> open;
    asio::post(io, [&] { open.set_value(server.open_connections()); });
    open_while_idle = open.get_future().get();
    std::this_thread::sleep_for(400ms);  // the idle ones reach their deadline
    later = ask(server.path(), "status\n");
  });
  CHECK(busy == "error: too many connections\n");
  CHECK(open_while_idle == 2);
  CHECK(later == "ok\n");
}

namespace {
// Non-blocking UNIX connect: the kernel queues it in the backlog whether or not we accept it.
int connect_unix(const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof(a.sun_path) - 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

int lowest_free_fd() {
  const int fd = ::dup(0);
  ::close(fd);
  return fd;
}

// Restores what a test changed in the process (the descriptor limit, stderr) however it ends.
struct DescriptorLimit {
  rlimit original{};
  DescriptorLimit() { ::getrlimit(RLIMIT_NOFILE, &original); }
  ~DescriptorLimit() { ::setrlimit(RLIMIT_NOFILE, &original); }
  void tighten_to(rlim_t count) {
    rlimit tight = original;
    tight.rlim_cur = count;
    ::setrlimit(RLIMIT_NOFILE, &tight);
  }
  void restore() { ::setrlimit(RLIMIT_NOFILE, &original); }
};
struct StderrTo {
  int saved;
  explicit StderrTo(const std::string& path) : saved(::dup(STDERR_FILENO)) {
    const int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0600);
    ::dup2(fd, STDERR_FILENO);
    ::close(fd);
  }
  ~StderrTo() {
    ::dup2(saved, STDERR_FILENO);
    ::close(saved);
  }
};
}  // namespace

TEST_CASE("Control socket out of descriptors: backs off instead of spinning, logs once, recovers",
          "[control]") {
#if defined(__SANITIZE_ADDRESS__)
  // Catch2 v2 has no SKIP: exit 77, which CTest reports as skipped. UBSan checks a polymorphic
  // type the first time it meets it by writing the object to a pipe; with no descriptor left it
  // cannot, and reports every such call (fmt's buffer, shared_ptr's control block) as invalid.
  // The default build runs this test.
  std::fprintf(stderr, "SKIPPED: %s exhausts descriptors, which UBSan's own checks need\n",
               Catch::getResultCapture().getCurrentTestName().c_str());
  std::exit(77);
#endif
  // In this process, with the limit and stderr restored however it ends.
  const auto path = temp_socket_path();
  const auto log_path = "/tmp/redvip-ctl-emfile-" + std::to_string(::getpid()) + ".log";
  double used = 0;
  bool answered = false;
  {
    StderrTo log_file(log_path);
    DescriptorLimit limit;
    asio::io_context io;
    EndpointLimits limits;
    limits.deadline = 300ms;
    limits.backoff_min = 20ms;
    limits.backoff_max = 100ms;
    ControlServer server(
        io, path, [](const std::string&) { return std::string("ok\n"); }, limits);
    REQUIRE_FALSE(server.start());
    std::vector<int> clients;
    for (int i = 0; i < 30; ++i) {
      const int fd = connect_unix(path);
      REQUIRE(fd >= 0);
      clients.push_back(fd);
    }
    // Room for two accepted connections, then EMFILE: the 28 others wait in the backlog and keep
    // the listening socket readable.
    limit.tighten_to(static_cast<rlim_t>(lowest_free_fd() + 2));
    const double before = cpu_seconds();
    io.run_for(1500ms);
    used = cpu_seconds() - before;
    for (const int fd : clients) ::close(fd);
    limit.restore();
    io.run_for(300ms);  // the closed clients still queued are accepted and dropped
    // A request now is served.
    const int fd = connect_unix(path);
    const bool sent = fd >= 0 && ::write(fd, "status\n", 7) == 7;
    io.run_for(300ms);
    char reply[16] = {};
    answered = sent && ::read(fd, reply, sizeof(reply)) == 3 && std::string(reply) == "ok\n";
    if (fd >= 0) ::close(fd);
    server.stop();
  }
  const std::string log = read_file(log_path);
  ::unlink(log_path.c_str());
  INFO("log:\n" << log);
  int cannot_accept = 0;
  for (std::size_t at = 0;
       (at = log.find("cannot accept a connection: Too many open files", at)) != std::string::npos;
       ++at)
    ++cannot_accept;
  CHECK(cannot_accept == 1);  // exhausted, and said so once
  CHECK(used < 0.5);          // a spinning loop burns all of the 1.5 s
  CHECK(answered);
}

TEST_CASE("Control socket waits for a handler that answers later (a switchover)", "[control]") {
  asio::io_context io;
  asio::steady_timer later(io);
  ControlServer server(
      io, temp_socket_path(),
      ControlServer::AsyncHandler([&](const std::string& r, ControlServer::Reply reply) {
        later.expires_after(50ms);
        later.async_wait([r, reply](boost::system::error_code) { reply("done: " + r + "\n"); });
      }));
  REQUIRE_FALSE(server.start());
  std::string reply;
  with_client(io, [&] { reply = ask(server.path(), "handover VI_1\n"); });
  CHECK(reply == "done: handover VI_1\n");
}
