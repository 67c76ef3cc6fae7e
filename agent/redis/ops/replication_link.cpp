#include "agent/redis/ops/replication_link.hpp"

#include <algorithm>

#include "agent/log/log.hpp"

namespace redvip::agent {
namespace {

namespace asio = boost::asio;
using generic_endpoint = asio::generic::stream_protocol::endpoint;

void wipe(std::string& s) {
  std::fill(s.begin(), s.end(), '\0');
  s.clear();
}

}  // namespace

std::shared_ptr<ReplicationLink> ReplicationLink::create(asio::io_context& io,
                                                         RedisConnectionOptions server,
                                                         StreamLimits limits) {
  return std::shared_ptr<ReplicationLink>(new ReplicationLink(io, std::move(server), limits));
}

ReplicationLink::ReplicationLink(asio::io_context& io, RedisConnectionOptions server,
                                 StreamLimits limits)
    : io_(io),
      server_(std::move(server)),
      limits_(limits),
      resolver_(io),
      read_buffer_(64 * 1024),
      parser_(limits) {
  if (server_.log_name.empty()) server_.log_name = "redis " + server_.endpoint.to_string();
}

ReplicationLink::~ReplicationLink() {
  if (out_secret_) wipe(out_);
  std::fill(server_.password.begin(), server_.password.end(), '\0');
}

void ReplicationLink::start(PsyncStart from, long long parse_from, Events events) {
  if (state_ != State::idle) return;
  from_ = std::move(from);
  parse_from_ = std::max(parse_from, from_.offset);
  events_ = std::move(events);
  state_ = State::connecting;
  const auto& ep = server_.endpoint;
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
  auto self = shared_from_this();
  resolver_.async_resolve(
      ep.host, std::to_string(ep.port),
      [self](boost::system::error_code rec, asio::ip::tcp::resolver::results_type results) {
        if (self->state_ == State::closed) return;
        if (rec || results.empty()) {
          self->fail(RedisErrc::connect_failed,
                     "cannot resolve " + self->server_.endpoint.host + ": " +
                         (rec ? rec.message() : std::string("no address")));
          return;
        }
        self->connect_to(generic_endpoint(results.begin()->endpoint()));
      });
}

void ReplicationLink::connect_to(const generic_endpoint& endpoint) {
  socket_ = std::make_unique<Socket>(io_);
  auto self = shared_from_this();
  socket_->async_connect(endpoint, [self](boost::system::error_code ec) {
    if (self->state_ == State::closed) return;
    if (ec == asio::error::connection_refused) {
      self->fail(RedisErrc::refused, "connection refused");
      return;
    }
    if (ec) {
      self->fail(RedisErrc::connect_failed, "connect failed: " + ec.message());
      return;
    }
    if (self->server_.endpoint.unix_path.empty()) {
      boost::system::error_code ignored;
      self->socket_->set_option(asio::ip::tcp::no_delay(true), ignored);
    }
    self->state_ = State::auth;
    self->read();
    self->send_next_handshake();
  });
}

// One request at a time, each after the previous reply: AUTH, CLIENT SETNAME, REPLCONF, PSYNC.
void ReplicationLink::send_next_handshake() {
  for (;;) {
    switch (state_) {
      case State::auth:
        if (server_.password.empty()) {
          state_ = State::name;
          continue;
        }
        {
          std::vector<std::string> argv{"AUTH"};
          if (!server_.user.empty()) argv.push_back(server_.user);
          argv.push_back(server_.password);
          std::string wire = encode_command(argv);
          wipe(argv.back());
          send(std::move(wire), true);
        }
        return;
      case State::name:
        if (server_.client_name.empty()) {
          state_ = State::capa;
          continue;
        }
        send(encode_command(std::vector<std::string>{"CLIENT", "SETNAME", server_.client_name}),
             false);
        return;
      case State::capa:
        send(encode_command(std::vector<std::string>{"REPLCONF", "capa", "eof", "capa", "psync2"}),
             false);
        return;
      case State::psync:
        send(encode_command(
                 std::vector<std::string>{"PSYNC", from_.replid, std::to_string(from_.offset)}),
             false);
        return;
      default:
        return;
    }
  }
}

void ReplicationLink::send(std::string wire, bool secret) {
  // The previous request is on the wire (its reply came); the AUTH buffer is wiped, not freed.
  if (out_secret_) wipe(out_);
  out_ = std::move(wire);
  out_secret_ = secret;
  auto self = shared_from_this();
  asio::async_write(*socket_, asio::buffer(out_),
                    [self](boost::system::error_code ec, std::size_t) {
                      if (self->out_secret_) wipe(self->out_);
                      self->out_secret_ = false;
                      if (self->state_ == State::closed) return;
                      if (ec)
                        self->fail(RedisErrc::connection_lost, "write failed: " + ec.message());
                    });
}

void ReplicationLink::read_next() {
  if (state_ != State::closed && !paused_ && !reading_) read();
}

void ReplicationLink::resume_reading() {
  paused_ = false;
  read_next();
}

void ReplicationLink::read() {
  reading_ = true;
  auto self = shared_from_this();
  socket_->async_read_some(
      asio::buffer(read_buffer_), [self](boost::system::error_code ec, std::size_t n) {
        self->reading_ = false;
        if (self->state_ == State::closed) return;
        if (ec) {
          self->fail(RedisErrc::connection_lost, ec == asio::error::eof
                                                     ? std::string("server closed the connection")
                                                     : "read failed: " + ec.message());
          return;
        }
        self->in_.append(self->read_buffer_.data(), n);
        self->process();
        self->read_next();
      });
}

void ReplicationLink::process() {
  if (!process_lines()) return;
  if (state_ == State::rdb) process_rdb();
  if (state_ == State::raw || state_ == State::stream) process_stream();
}

// The handshake replies, the PSYNC reply and the RDB header. False when more bytes are needed
// or the link failed.
bool ReplicationLink::process_lines() {
  std::size_t pos = 0;
  for (;;) {
    if (state_ != State::auth && state_ != State::name && state_ != State::capa &&
        state_ != State::psync && state_ != State::rdb_header) {
      in_.erase(0, pos);
      return state_ != State::closed;
    }
    std::string_view line;
    const auto status = take_line(in_, pos, limits_.max_line, line);
    if (status == LineStatus::too_long) {
      fail(RedisErrc::protocol_error,
           "a reply line longer than " + std::to_string(limits_.max_line) + " bytes");
      return false;
    }
    if (status == LineStatus::need_more) {
      in_.erase(0, pos);
      return false;
    }
    const auto refused = [&](RedisErrc fallback, const std::string& what) {
      const RedisErrc e =
          line.empty() || line.front() != '-' ? RedisErrc::unexpected_reply : fallback;
      const RedisErrc why =
          e == RedisErrc::unexpected_reply ? e : classify_server_error(line.substr(1));
      fail(why == RedisErrc::server_error ? fallback : why,
           what + ": " + std::string(line.substr(0, 200)));
    };
    switch (state_) {
      case State::auth:
        if (line != "+OK") {
          refused(RedisErrc::auth_failed, "authentication failed");
          return false;
        }
        state_ = State::name;
        send_next_handshake();
        break;
      case State::name:
        // Only a label for CLIENT LIST; an ACL user may lack the right to set it.
        if (line != "+OK")
          log(Level::debug, server_.log_name, "CLIENT SETNAME: {}", line.substr(0, 200));
        state_ = State::capa;
        send_next_handshake();
        break;
      case State::capa:
        if (line != "+OK") {
          refused(RedisErrc::server_error, "REPLCONF capa");
          return false;
        }
        state_ = State::psync;
        send_next_handshake();
        break;
      case State::psync: {
        const auto reply = parse_psync_reply(line);
        if (reply.kind == PsyncReply::Kind::error) {
          refused(RedisErrc::server_error, "PSYNC refused");
          return false;
        }
        if (reply.kind == PsyncReply::Kind::invalid) {
          fail(RedisErrc::protocol_error, "PSYNC: unexpected reply: " + reply.text.substr(0, 200));
          return false;
        }
        if (reply.kind == PsyncReply::Kind::full_resync) {
          state_ = State::rdb_header;
          if (events_.full_resync) events_.full_resync(reply.replid, reply.offset);
        } else {
          state_ = parse_from_ > from_.offset ? State::raw : State::stream;
          if (events_.continued) events_.continued(reply.replid);
        }
        if (state_ == State::closed) return false;
        break;
      }
      case State::rdb_header: {
        auto header = parse_rdb_header(line);
        if (!header) {
          fail(RedisErrc::protocol_error,
               "full resync: not an RDB header: " + std::string(line.substr(0, 60)));
          return false;
        }
        rdb_ = std::make_unique<RdbPayload>(std::move(*header));
        state_ = State::rdb;
        break;
      }
      default:
        break;
    }
  }
}

void ReplicationLink::process_rdb() {
  std::string out;
  const std::size_t used = rdb_->feed(in_, out);
  in_.erase(0, used);
  if (!out.empty() && events_.rdb_data && !events_.rdb_data(out)) {
    close();
    return;
  }
  if (state_ == State::closed) return;
  if (rdb_->done()) {
    in_.clear();  // the stream after the RDB is not read: the caller wanted the RDB
    if (events_.rdb_end) events_.rdb_end();
    close();
  }
}

void ReplicationLink::process_stream() {
  if (state_ == State::raw) {
    const long long raw_left = parse_from_ - (from_.offset + stream_bytes_);
    const auto n =
        static_cast<std::size_t>(std::min<long long>(raw_left, static_cast<long long>(in_.size())));
    if (n > 0) {
      stream_bytes_ += static_cast<long long>(n);
      if (events_.raw && !events_.raw(std::string_view(in_).substr(0, n))) {
        close();
        return;
      }
      if (state_ == State::closed) return;
      in_.erase(0, n);
    }
    if (from_.offset + stream_bytes_ < parse_from_) return;
    state_ = State::stream;
  }
  if (in_.empty()) return;
  stream_bytes_ += static_cast<long long>(in_.size());
  parser_.feed(in_);
  in_.clear();
  StreamCommand cmd;
  for (;;) {
    const long long before = parser_.consumed();
    const auto s = parser_.next(cmd);
    if (s == ParseStatus::need_more) break;
    if (s == ParseStatus::error) {
      fail(RedisErrc::protocol_error, "replication stream at offset " +
                                          std::to_string(parse_from_ + before) + ": " +
                                          parser_.error());
      return;
    }
    const long long last = parse_from_ + parser_.consumed() - 1;
    if (events_.command && !events_.command(cmd, last)) {
      close();
      return;
    }
    if (state_ == State::closed) return;
  }
}

void ReplicationLink::fail(RedisErrc why, std::string text) {
  if (state_ == State::closed) return;
  auto failed = std::move(events_.failed);
  close();
  if (failed) failed(RedisOpResult{make_error_code(why), std::move(text)});
}

void ReplicationLink::close() {
  if (state_ == State::closed) return;
  state_ = State::closed;
  resolver_.cancel();
  if (socket_) {
    boost::system::error_code ignored;
    socket_->close(ignored);
  }
  in_.clear();
  // The callbacks may hold their owner, which holds us: drop them, but not from inside one of
  // them (close() is called from callbacks).
  auto self = shared_from_this();
  asio::post(io_, [self] { self->events_ = {}; });
}

}  // namespace redvip::agent
