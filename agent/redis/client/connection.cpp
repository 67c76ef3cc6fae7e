#include "agent/redis/client/connection.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <cstdlib>

#include "agent/log/log.hpp"
#include "agent/log/log_limiter.hpp"

namespace redvip::agent {
namespace {

namespace asio = boost::asio;
using generic_endpoint = asio::generic::stream_protocol::endpoint;

// Formats with hiredis into an owned string. Returns false when hiredis refuses.
bool format_command(const std::vector<std::string>& argv, std::string& wire) {
  std::vector<const char*> ptrs;
  std::vector<std::size_t> lens;
  ptrs.reserve(argv.size());
  lens.reserve(argv.size());
  for (const auto& a : argv) {
    ptrs.push_back(a.data());
    lens.push_back(a.size());
  }
  char* cmd = nullptr;
  const int n =
      redisFormatCommandArgv(&cmd, static_cast<int>(argv.size()), ptrs.data(), lens.data());
  if (n < 0 || cmd == nullptr) return false;
  wire.assign(cmd, static_cast<std::size_t>(n));
  redisFreeCommand(cmd);
  return true;
}

void wipe(std::string& s) {
  std::fill(s.begin(), s.end(), '\0');
  s.clear();
}

std::string ms_text(std::chrono::milliseconds ms) { return std::to_string(ms.count()) + " ms"; }

// A peer's connection lives for one question and a Redis may fail the same way on every check:
// one line per instance, server and failure per 10 s, across connections (one io_context).
LogLimiter& failure_log() {
  static LogLimiter limiter{std::chrono::seconds(10), 256};
  return limiter;
}

}  // namespace

std::string RedisEndpoint::to_string() const {
  if (!unix_path.empty()) return "unix:" + unix_path;
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

std::shared_ptr<RedisConnection> RedisConnection::create(asio::io_context& io,
                                                         RedisConnectionOptions options) {
  return std::shared_ptr<RedisConnection>(new RedisConnection(io, std::move(options)));
}

RedisConnection::RedisConnection(asio::io_context& io, RedisConnectionOptions options)
    : io_(io),
      options_(std::move(options)),
      resolver_(io),
      connect_timer_(io),
      reconnect_timer_(io),
      deadline_timer_(io),
      backoff_(options_.reconnect_min),
      read_buffer_(16 * 1024) {
  if (options_.log_name.empty()) options_.log_name = "redis " + options_.endpoint.to_string();
}

RedisConnection::~RedisConnection() {
  // Handlers hold weak pointers and return early; pending callbacks are dropped uncalled.
  if (socket_) {
    boost::system::error_code ignored;
    socket_->close(ignored);
  }
  wipe_buffers();
  std::string& pw = options_.password;
  std::fill(pw.begin(), pw.end(), '\0');
}

void RedisConnection::start() {
  if (state_ == State::idle) connect();
}

void RedisConnection::command(std::vector<std::string> argv, std::chrono::milliseconds timeout,
                              Callback done) {
  if (argv.empty()) {
    post_result(std::move(done), RedisResult::failure(RedisErrc::protocol_error, "empty command"));
    return;
  }
  if (state_ == State::closed) {
    post_result(std::move(done),
                RedisResult::failure(RedisErrc::not_connected, "connection closed"));
    return;
  }
  if (state_ == State::backoff) {
    post_result(std::move(done), RedisResult::failure(RedisErrc::not_connected,
                                                      "not connected (" + last_error_ + ")"));
    return;
  }
  std::string wire;
  if (!format_command(argv, wire)) {
    post_result(std::move(done),
                RedisResult::failure(RedisErrc::protocol_error, "cannot format command"));
    return;
  }
  Pending pending{std::move(done), Clock::now() + timeout, argv.front(), false};
  if (state_ == State::idle) connect();
  if (state_ == State::ready) {
    send(std::move(wire), std::move(pending));
    return;
  }
  arm_deadline(pending.deadline);
  waiting_.push_back(Waiting{std::move(wire), std::move(pending)});
}

void RedisConnection::close() {
  if (state_ == State::closed) return;
  state_ = State::closed;
  ++generation_;
  if (socket_) {
    boost::system::error_code ignored;
    socket_->close(ignored);
  }
  resolver_.cancel();
  connect_timer_.cancel();
  reconnect_timer_.cancel();
  deadline_timer_.cancel();
  armed_deadline_ = Clock::time_point::max();
  reader_.reset();
  write_active_ = false;
  wipe_buffers();
  for (auto& p : in_flight_) {
    if (!p.internal)
      post_result(std::move(p.done),
                  RedisResult::failure(RedisErrc::cancelled, "connection closed"));
  }
  for (auto& w : waiting_) {
    post_result(std::move(w.pending.done),
                RedisResult::failure(RedisErrc::cancelled, "connection closed"));
  }
  in_flight_.clear();
  waiting_.clear();
}

void RedisConnection::connect() {
  state_ = State::connecting;
  const auto gen = ++generation_;
  std::weak_ptr<RedisConnection> weak = weak_from_this();
  connect_timer_.expires_after(options_.connect_timeout);
  connect_timer_.async_wait([weak, gen](boost::system::error_code ec) {
    auto self = weak.lock();
    if (!self || ec || gen != self->generation_) return;
    if (self->state_ == State::connecting || self->state_ == State::handshaking) {
      self->fail_connection(RedisErrc::connect_timeout,
                            "no connection within " + ms_text(self->options_.connect_timeout));
    }
  });
  const auto& ep = options_.endpoint;
  if (!ep.unix_path.empty()) {
    connect_to(generic_endpoint(asio::local::stream_protocol::endpoint(ep.unix_path)));
    return;
  }
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(ep.host, ec);
  if (!ec) {
    connect_to(generic_endpoint(asio::ip::tcp::endpoint(address, ep.port)));
    return;
  }
  // A host name: the resolver runs getaddrinfo off the io_context thread.
  resolver_.async_resolve(
      ep.host, std::to_string(ep.port),
      [weak, gen](boost::system::error_code rec, asio::ip::tcp::resolver::results_type results) {
        auto self = weak.lock();
        if (!self || gen != self->generation_) return;
        if (rec || results.empty()) {
          self->fail_connection(RedisErrc::connect_failed,
                                "cannot resolve " + self->options_.endpoint.host + ": " +
                                    (rec ? rec.message() : std::string("no address")));
          return;
        }
        self->connect_to(generic_endpoint(results.begin()->endpoint()));
      });
}

void RedisConnection::connect_to(const generic_endpoint& endpoint) {
  const auto gen = generation_;
  socket_ = std::make_unique<Socket>(io_);
  std::weak_ptr<RedisConnection> weak = weak_from_this();
  socket_->async_connect(endpoint, [weak, gen](boost::system::error_code ec) {
    auto self = weak.lock();
    if (!self || gen != self->generation_) return;
    if (ec == asio::error::connection_refused) {
      self->fail_connection(RedisErrc::refused, "connection refused");
    } else if (ec) {
      self->fail_connection(RedisErrc::connect_failed, "connect failed: " + ec.message());
    } else {
      self->on_connected();
    }
  });
}

void RedisConnection::on_connected() {
  if (options_.endpoint.unix_path.empty()) {
    boost::system::error_code ignored;
    socket_->set_option(asio::ip::tcp::no_delay(true), ignored);
  }
  state_ = State::handshaking;
  reader_ = std::make_unique<ReplyReader>(options_.reply_limits);
  read();
  int handshake_left = 0;
  auto handshake_step = std::make_shared<int>(0);
  const auto gen = generation_;
  auto step_done = [this, handshake_step, gen] {
    if (gen != generation_) return;
    if (--*handshake_step == 0) become_ready();
  };
  if (!options_.password.empty()) {
    std::vector<std::string> argv{"AUTH"};
    if (!options_.user.empty()) argv.push_back(options_.user);
    argv.push_back(options_.password);
    std::string wire;
    const bool formatted = format_command(argv, wire);
    std::fill(argv.back().begin(), argv.back().end(), '\0');
    if (!formatted) {
      fail_connection(RedisErrc::auth_failed, "cannot format AUTH");
      return;
    }
    ++handshake_left;
    outbox_has_secret_ = true;
    send(std::move(wire), Pending{[this, step_done, gen](RedisResult r) {
                                    if (gen != generation_) return;
                                    if (!r.ok()) {
                                      fail_connection(RedisErrc::auth_failed,
                                                      "authentication failed: " + r.message);
                                      return;
                                    }
                                    step_done();
                                  },
                                  Clock::time_point::max(), "AUTH", true});
  }
  if (!options_.client_name.empty()) {
    std::string wire;
    if (format_command({"CLIENT", "SETNAME", options_.client_name}, wire)) {
      ++handshake_left;
      send(std::move(wire), Pending{[this, step_done, gen](RedisResult r) {
                                      if (gen != generation_) return;
                                      // Only a label for CLIENT LIST; an ACL user may lack
                                      // the right to set it, which must not stop us.
                                      if (!r.ok()) {
                                        log(Level::debug, options_.log_name, "CLIENT SETNAME: {}",
                                            r.message);
                                      }
                                      step_done();
                                    },
                                    Clock::time_point::max(), "CLIENT", true});
    }
  }
  *handshake_step = handshake_left;
  if (handshake_left == 0) become_ready();
}

void RedisConnection::become_ready() {
  state_ = State::ready;
  connect_timer_.cancel();
  backoff_ = options_.reconnect_min;
  ++connects_;
  // A reconnect after an error is news; a first connect is not (peers are asked over one-shot
  // connections, e.g. every second during a cold start).
  if (!last_logged_error_.empty()) {
    log(Level::notice, options_.log_name, "connected again to redis {}",
        options_.endpoint.to_string());
  } else {
    log(Level::debug, options_.log_name, "connected to redis {}", options_.endpoint.to_string());
  }
  last_logged_error_.clear();
  last_error_.clear();
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& w : waiting) send(std::move(w.wire), std::move(w.pending));
}

void RedisConnection::fail_connection(RedisErrc why, const std::string& text) {
  if (state_ == State::closed) return;
  const bool lost = state_ == State::ready && why == RedisErrc::connection_lost;
  // A reply that missed its deadline on a working connection: try again at once (below).
  const bool stalled = state_ == State::ready && why == RedisErrc::command_timeout;
  ++generation_;
  if (socket_) {
    boost::system::error_code ignored;
    socket_->close(ignored);
  }
  connect_timer_.cancel();
  reader_.reset();
  write_active_ = false;
  wipe_buffers();
  last_error_ = text;
  if (text != last_logged_error_) {
    const std::string server = options_.endpoint.to_string();
    failure_log().log(Level::warning, options_.log_name,
                      options_.log_name + " " + server + " " + text,
                      "redis {}: {}; reconnecting {}", server, text,
                      stalled ? std::string("at once") : "in " + ms_text(backoff_));
    last_logged_error_ = text;
  }
  auto in_flight = std::move(in_flight_);
  auto waiting = std::move(waiting_);
  in_flight_.clear();
  waiting_.clear();
  if (stalled) {
    // A Redis that was slow once is asked again at once, so commands sent now wait for the new
    // connection (up to their deadlines) instead of failing: a stall of one command timeout
    // costs one failed health check, not that one and the next. Each round costs at least a
    // timeout, so this cannot spin; a refused or failed attempt then backs off as usual.
    connect();
  } else {
    state_ = State::backoff;
    schedule_reconnect();
  }

  // Callbacks last: they may call back into this object (which is kept alive by the handler
  // that called us).
  const auto now = Clock::now();
  auto fail = [&](Pending& p) {
    if (p.internal || !p.done) return;
    RedisResult r;
    if (why == RedisErrc::command_timeout && p.deadline <= now) {
      r = RedisResult::failure(RedisErrc::command_timeout,
                               p.name + ": no reply before its deadline");
    } else if (why == RedisErrc::command_timeout) {
      r = RedisResult::failure(RedisErrc::connection_lost, "connection closed: " + text);
    } else {
      r = RedisResult::failure(why, text);
    }
    p.done(std::move(r));
  };
  for (auto& p : in_flight) fail(p);
  for (auto& w : waiting) fail(w.pending);
  if (lost && on_lost_) {
    // Posted: the handler may act on the whole instance, not from inside this one's handlers.
    asio::post(io_, [weak = weak_from_this(), text] {
      auto self = weak.lock();
      if (self && self->state_ != State::closed && self->on_lost_) self->on_lost_(text);
    });
  }
}

void RedisConnection::schedule_reconnect() {
  const auto gen = generation_;
  std::weak_ptr<RedisConnection> weak = weak_from_this();
  reconnect_timer_.expires_after(backoff_);
  backoff_ = std::min(backoff_ * 2, options_.reconnect_max);
  reconnect_timer_.async_wait([weak, gen](boost::system::error_code ec) {
    auto self = weak.lock();
    if (!self || ec || gen != self->generation_ || self->state_ != State::backoff) return;
    self->connect();
  });
}

void RedisConnection::send(std::string wire, Pending pending) {
  outbox_.append(wire);
  wipe(wire);
  if (!pending.internal) arm_deadline(pending.deadline);
  in_flight_.push_back(std::move(pending));
  flush();
}

void RedisConnection::flush() {
  if (write_active_ || outbox_.empty() || !socket_) return;
  writing_.swap(outbox_);
  writing_has_secret_ = outbox_has_secret_;
  outbox_has_secret_ = false;
  write_active_ = true;
  const auto gen = generation_;
  std::weak_ptr<RedisConnection> weak = weak_from_this();
  asio::async_write(
      *socket_, asio::buffer(writing_), [weak, gen](boost::system::error_code ec, std::size_t) {
        auto self = weak.lock();
        if (!self || gen != self->generation_) return;
        self->write_active_ = false;
        if (self->writing_has_secret_) wipe(self->writing_);
        self->writing_has_secret_ = false;
        self->writing_.clear();
        if (ec) {
          self->fail_connection(RedisErrc::connection_lost, "write failed: " + ec.message());
          return;
        }
        self->flush();
      });
}

void RedisConnection::read() {
  const auto gen = generation_;
  std::weak_ptr<RedisConnection> weak = weak_from_this();
  socket_->async_read_some(
      asio::buffer(read_buffer_), [weak, gen](boost::system::error_code ec, std::size_t n) {
        auto self = weak.lock();
        if (!self || gen != self->generation_) return;
        if (ec) {
          self->fail_connection(RedisErrc::connection_lost,
                                ec == asio::error::eof ? std::string("server closed the connection")
                                                       : "read failed: " + ec.message());
          return;
        }
        ReplyReader& reader = *self->reader_;
        reader.feed(self->read_buffer_.data(), n);
        while (auto reply = reader.next()) {
          self->on_reply(std::move(*reply));
          if (gen != self->generation_) return;  // the callback closed or broke the connection
        }
        if (reader.failed()) {
          self->fail_connection(RedisErrc::protocol_error, "reply refused: " + reader.error());
          return;
        }
        self->read();
      });
}

void RedisConnection::on_reply(RedisReply reply) {
  if (in_flight_.empty()) {
    fail_connection(RedisErrc::protocol_error, "protocol error: reply with no command waiting");
    return;
  }
  Pending p = std::move(in_flight_.front());
  in_flight_.pop_front();
  if (p.done) p.done(RedisResult::from_reply(std::move(reply)));
}

void RedisConnection::arm_deadline(Clock::time_point deadline) {
  if (deadline >= armed_deadline_) return;
  armed_deadline_ = deadline;
  deadline_timer_.expires_at(deadline);
  std::weak_ptr<RedisConnection> weak = weak_from_this();
  deadline_timer_.async_wait([weak](boost::system::error_code ec) {
    auto self = weak.lock();
    if (!self || ec) return;
    self->armed_deadline_ = Clock::time_point::max();
    self->on_deadline();
  });
}

void RedisConnection::on_deadline() {
  const auto now = Clock::now();
  for (const auto& p : in_flight_) {
    if (!p.internal && p.deadline <= now) {
      fail_connection(RedisErrc::command_timeout, p.name + " timed out");
      return;
    }
  }
  // Commands still waiting for the handshake fail alone; the connect timeout judges the
  // connection itself.
  std::vector<Callback> expired;
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (it->pending.deadline <= now) {
      expired.push_back(std::move(it->pending.done));
      it = waiting_.erase(it);
    } else {
      ++it;
    }
  }
  auto next = Clock::time_point::max();
  for (const auto& p : in_flight_) {
    if (!p.internal) next = std::min(next, p.deadline);
  }
  for (const auto& w : waiting_) next = std::min(next, w.pending.deadline);
  if (next != Clock::time_point::max()) arm_deadline(next);
  for (auto& done : expired) {
    if (done) done(RedisResult::failure(RedisErrc::command_timeout, "not sent: still connecting"));
  }
}

void RedisConnection::post_result(Callback done, RedisResult result) {
  if (!done) return;
  asio::post(io_, [done = std::move(done), result = std::move(result)]() mutable {
    done(std::move(result));
  });
}

void RedisConnection::wipe_buffers() {
  if (outbox_has_secret_) wipe(outbox_);
  if (writing_has_secret_) wipe(writing_);
  outbox_.clear();
  writing_.clear();
  outbox_has_secret_ = false;
  writing_has_secret_ = false;
}

}  // namespace redvip::agent
