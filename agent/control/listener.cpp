#include "agent/control/listener.hpp"

#include <algorithm>

#include "agent/log/log_limiter.hpp"

namespace redvip::agent {
namespace asio = boost::asio;

template <typename Protocol>
struct Listener<Protocol>::State : std::enable_shared_from_this<State> {
  using Clock = std::chrono::steady_clock;

  State(asio::io_context& io, std::string n, EndpointLimits l, std::string busy, OnAccept on)
      : acceptor(io),
        retry(io),
        name(std::move(n)),
        limits(l),
        busy_reply(std::move(busy)),
        on_accept(std::move(on)) {}

  void accept_next() {
    if (!running) return;
    acceptor.async_accept(
        [self = this->shared_from_this()](boost::system::error_code ec, Socket socket) {
          self->on_accepted(ec, std::move(socket));
        });
  }

  void on_accepted(boost::system::error_code ec, Socket socket) {
    if (!running || ec == asio::error::operation_aborted) return;
    if (ec) {
      // Asio already retries the per-connection errors (ECONNABORTED, EPROTO); what is left is
      // the process or the system out of something, which a retry at once does not fix.
      pause(ec);
      return;
    }
    if (failed_accepts > 0) {
      accept_log.log(Level::notice, "", "recovered",
                     "{}: accepting connections again after {:.1f} s ({} failed accept{})", name,
                     std::chrono::duration<double>(Clock::now() - trouble_since).count(),
                     failed_accepts, failed_accepts == 1 ? "" : "s");
      failed_accepts = 0;
      backoff = {};
    }
    if (open >= limits.max_connections) {
      refuse(std::move(socket));
    } else {
      ++open;
      on_accept(std::move(socket), std::make_shared<Slot>(this->shared_from_this()));
    }
    accept_next();
  }

  void pause(boost::system::error_code ec) {
    if (failed_accepts++ == 0) {
      trouble_since = Clock::now();
      backoff = limits.backoff_min;
      accept_log.log(Level::warning, "", "failing",
                     "{}: cannot accept a connection: {} ({} open here); retrying with back-off",
                     name, ec.message(), open);
    } else {
      backoff = std::min(backoff * 2, limits.backoff_max);
    }
    retry.expires_after(backoff);
    retry.async_wait([self = this->shared_from_this()](boost::system::error_code wait_ec) {
      if (!wait_ec) self->accept_next();
    });
  }

  // Accepted only to be told so and closed: a client waiting in the backlog for a slot would hold
  // a kernel connection and learn nothing.
  void refuse(Socket socket) {
    busy_log.log(Level::warning, "", "busy",
                 "{}: {} connections open, the most it takes: refusing more", name, open);
    boost::system::error_code ignored;
    socket.non_blocking(true, ignored);
    socket.send(asio::buffer(busy_reply), 0, ignored);
    socket.close(ignored);
  }

  struct Slot : ConnectionSlot {
    explicit Slot(std::shared_ptr<State> s) : state(std::move(s)) {}
    ~Slot() override { --state->open; }
    void note_deadline_passed() override {
      state->deadline_log.log(Level::info, "", "deadline",
                              "{}: closed a connection still open after {} ms", state->name,
                              state->limits.deadline.count());
    }
    std::shared_ptr<State> state;
  };

  Acceptor acceptor;
  asio::steady_timer retry;
  std::string name;
  EndpointLimits limits;
  std::string busy_reply;
  OnAccept on_accept;
  bool running = false;
  std::size_t open = 0;
  // The current episode of failing accepts.
  std::uint64_t failed_accepts = 0;
  std::chrono::milliseconds backoff{};
  Clock::time_point trouble_since;
  // A client that keeps the process at its descriptor limit makes an episode every time
  // connections close: one pair of lines a minute says it is still going on.
  LogLimiter accept_log{std::chrono::seconds(60)};
  LogLimiter busy_log{std::chrono::seconds(10)};
  LogLimiter deadline_log{std::chrono::seconds(10)};
};

template <typename Protocol>
Listener<Protocol>::Listener(asio::io_context& io, std::string name, EndpointLimits limits,
                             std::string busy_reply, OnAccept on_accept)
    : state_(std::make_shared<State>(io, std::move(name), limits, std::move(busy_reply),
                                     std::move(on_accept))) {}

template <typename Protocol>
Listener<Protocol>::~Listener() {
  stop();
}

template <typename Protocol>
typename Listener<Protocol>::Acceptor& Listener<Protocol>::acceptor() {
  return state_->acceptor;
}

template <typename Protocol>
const typename Listener<Protocol>::Acceptor& Listener<Protocol>::acceptor() const {
  return state_->acceptor;
}

template <typename Protocol>
void Listener<Protocol>::start() {
  state_->running = true;
  state_->accept_next();
}

template <typename Protocol>
void Listener<Protocol>::stop() {
  state_->running = false;
  boost::system::error_code ignored;
  state_->acceptor.close(ignored);
  state_->retry.cancel();
}

template <typename Protocol>
std::size_t Listener<Protocol>::open_connections() const {
  return state_->open;
}

template <typename Protocol>
const EndpointLimits& Listener<Protocol>::limits() const {
  return state_->limits;
}

template class Listener<asio::ip::tcp>;
template class Listener<asio::local::stream_protocol>;

}  // namespace redvip::agent
