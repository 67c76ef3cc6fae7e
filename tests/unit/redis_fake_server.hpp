#pragma once
// A scripted stand-in for redis-server on loopback, for the unit tests of the Redis client:
// FakeRedis answers each command with handler(argv). Shared by redis_*_test.cpp.
#include <hiredis/hiredis.h>

#include <utility>

#include <boost/asio.hpp>
#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace redvip::test {

namespace asio = boost::asio;

// Answers each RESP command with handler(argv): a reply string, or nullopt to hang — like a
// stopped Redis, that connection then answers nothing more (replies are never skipped).
class FakeRedis {
 public:
  using Handler = std::function<std::optional<std::string>(const std::vector<std::string>&)>;

  FakeRedis(asio::io_context& io, Handler handler)
      : io_(io),
        acceptor_(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        handler_(std::move(handler)) {
    accept();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  void drop_clients() {
    for (auto& s : sessions_) {
      boost::system::error_code ignored;
      s->socket.close(ignored);
    }
  }

  // Closes the listening socket: new connections are refused, as when redis-server died.
  void stop_listening() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  }

  std::vector<std::vector<std::string>> received;
  int accepts = 0;
  bool hang_all = false;  // every connection goes silent, like SIGSTOP (new ones included)

 private:
  struct Session {
    explicit Session(asio::io_context& io) : socket(io), reader(redisReaderCreate()) {}
    ~Session() { redisReaderFree(reader); }
    asio::ip::tcp::socket socket;
    redisReader* reader;
    std::array<char, 4096> buf{};
    bool hung = false;
  };

  void accept() {
    auto s = std::make_shared<Session>(io_);
    acceptor_.async_accept(s->socket, [this, s](boost::system::error_code ec) {
      if (ec) return;
      ++accepts;
      sessions_.push_back(s);
      read(s);
      accept();
    });
  }
  void read(std::shared_ptr<Session> s) {
    s->socket.async_read_some(
        asio::buffer(s->buf), [this, s](boost::system::error_code ec, std::size_t n) {
          if (ec) return;
          redisReaderFeed(s->reader, s->buf.data(), n);
          void* raw = nullptr;
          while (redisReaderGetReply(s->reader, &raw) == REDIS_OK && raw != nullptr) {
            auto* r = static_cast<redisReply*>(raw);
            std::vector<std::string> argv;
            for (std::size_t i = 0; i < r->elements; ++i)
              argv.emplace_back(r->element[i]->str, r->element[i]->len);
            freeReplyObject(raw);
            received.push_back(argv);
            if (s->hung || hang_all) {
              s->hung = true;
              continue;
            }
            auto answer = handler_(argv);
            if (!answer) s->hung = true;
            if (answer) {
              auto out = std::make_shared<std::string>(std::move(*answer));
              asio::async_write(s->socket, asio::buffer(*out),
                                [out](boost::system::error_code, std::size_t) {});
            }
          }
          read(s);
        });
  }

  asio::io_context& io_;
  asio::ip::tcp::acceptor acceptor_;
  Handler handler_;
  std::vector<std::shared_ptr<Session>> sessions_;
};

inline std::optional<std::string> ok_for_all(const std::vector<std::string>& argv) {
  if (argv[0] == "PING") return "+PONG\r\n";
  if (argv[0] == "ECHO") return "$" + std::to_string(argv[1].size()) + "\r\n" + argv[1] + "\r\n";
  return "+OK\r\n";
}

inline std::string bulk(const std::string& s) {
  return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}

// Runs the io_context until `done` or the limit; returns done().
inline bool run_until(asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::milliseconds limit = std::chrono::seconds(3)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < end) {
    io.run_for(std::chrono::milliseconds(5));
    if (io.stopped()) io.restart();
  }
  return done();
}

}  // namespace redvip::test
