#pragma once
// One asynchronous connection to a Redis server, on the caller's io_context. hiredis is used
// only as the RESP codec (redisFormatCommandArgv, redisReader); all I/O is Asio, so a Redis
// that hangs, refuses or answers slowly never delays anything else on the io_context.
//
// - Commands are pipelined; each has its own deadline. A command that misses its deadline
//   closes the connection (the reply stream can no longer be matched to commands) and every
//   other command in flight fails with connection_lost.
// - Connects lazily on the first command (or start()), with a connect timeout covering TCP
//   connect + AUTH. After a failure it reconnects with exponential backoff (capped); while
//   waiting, commands fail at once with not_connected rather than queueing behind a dead server.
//   After a deadline missed on a working connection it reconnects at once, and commands wait
//   for that connection (a Redis slow once is not treated as a dead one).
// - Every reply is bounded (bytes, array elements: reply_reader.hpp); one past a bound closes the
//   connection with that reason, so nothing a Redis sends blocks the loop or grows memory.
// - AUTH [user] password is sent on every connect. The secret is never logged, and the buffer
//   that carried it is wiped after the write.
// - Callbacks are never invoked from inside command(); they run from the io_context. Destroying
//   the connection drops pending callbacks without calling them.
// <utility> first: Boost 1.74 Asio uses std::exchange without including it (g++ 12).
#include <utility>

#include <boost/asio.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/redis/client/reply_reader.hpp"
#include "agent/redis/model/reply.hpp"

namespace redvip::agent {

struct RedisEndpoint {
  std::string host = "127.0.0.1";  // IP address or name (names resolve asynchronously)
  std::uint16_t port = 6379;
  std::string unix_path;  // when set, a UNIX socket is used and host/port are ignored
  std::string to_string() const;
};

struct RedisConnectionOptions {
  RedisEndpoint endpoint;
  std::string user;      // ACL user; empty means AUTH with the password alone
  std::string password;  // empty: no AUTH
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds reconnect_min{50};
  std::chrono::milliseconds reconnect_max{2000};
  std::string client_name = "redvip";  // CLIENT SETNAME; empty to skip
  std::string log_name;                // instance name in log lines
  ReplyLimits reply_limits;            // a reply past one closes the connection (reply_reader.hpp)
};

class RedisConnection : public std::enable_shared_from_this<RedisConnection> {
 public:
  using Callback = std::function<void(RedisResult)>;
  enum class State { idle, connecting, handshaking, ready, backoff, closed };

  static std::shared_ptr<RedisConnection> create(boost::asio::io_context& io,
                                                 RedisConnectionOptions options);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Starts connecting now (otherwise the first command does).
  void start();
  // Sends one command. `done` gets the reply or an error within `timeout` (plus scheduling).
  void command(std::vector<std::string> argv, std::chrono::milliseconds timeout, Callback done);
  // Closes for good: pending commands fail with cancelled, no reconnect.
  void close();
  // Called (from the io_context) when an established connection is closed or reset by the
  // server — a killed or restarted Redis — as soon as the socket says so, without waiting for
  // a command. Not for timeouts (a hung Redis) nor for failed reconnects.
  void set_lost_handler(std::function<void(const std::string& why)> lost) {
    on_lost_ = std::move(lost);
  }

  State state() const { return state_; }
  bool ready() const { return state_ == State::ready; }
  const std::string& last_error() const { return last_error_; }
  boost::asio::io_context& io() { return io_; }
  const RedisConnectionOptions& options() const { return options_; }
  std::uint64_t connects() const { return connects_; }

 private:
  using Clock = std::chrono::steady_clock;
  using Socket = boost::asio::generic::stream_protocol::socket;
  struct Pending {
    Callback done;
    Clock::time_point deadline;
    std::string name;       // command name only (never arguments), for messages
    bool internal = false;  // AUTH / CLIENT SETNAME of the handshake
  };
  struct Waiting {
    std::string wire;
    Pending pending;
  };

  RedisConnection(boost::asio::io_context& io, RedisConnectionOptions options);

  void connect();
  void connect_to(const boost::asio::generic::stream_protocol::endpoint& endpoint);
  void on_connected();
  void become_ready();
  void fail_connection(RedisErrc why, const std::string& text);
  void schedule_reconnect();
  void send(std::string wire, Pending pending);
  void flush();
  void read();
  void on_reply(RedisReply reply);
  void arm_deadline(Clock::time_point deadline);
  void on_deadline();
  void post_result(Callback done, RedisResult result);
  void wipe_buffers();

  boost::asio::io_context& io_;
  RedisConnectionOptions options_;
  State state_ = State::idle;
  std::uint64_t generation_ = 0;  // bumps on every (re)connect; stale handlers compare it
  std::unique_ptr<Socket> socket_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer connect_timer_;
  boost::asio::steady_timer reconnect_timer_;
  boost::asio::steady_timer deadline_timer_;
  Clock::time_point armed_deadline_ = Clock::time_point::max();
  std::chrono::milliseconds backoff_;
  std::unique_ptr<ReplyReader> reader_;
  std::deque<Pending> in_flight_;  // sent (or in the outbox), in reply order
  std::deque<Waiting> waiting_;    // queued until the handshake finishes
  std::string outbox_;
  std::string writing_;
  bool write_active_ = false;
  bool outbox_has_secret_ = false;
  bool writing_has_secret_ = false;
  std::vector<char> read_buffer_;
  std::string last_error_;
  std::string last_logged_error_;
  std::uint64_t connects_ = 0;
  std::function<void(const std::string&)> on_lost_;
};

}  // namespace redvip::agent
