#pragma once
// The accepting side of a local endpoint (the control socket, metrics), hardened against clients
// that open many connections and never speak:
// - at most max_connections at once: one more is accepted, told busy_reply, and closed, so the
//   backlog never fills with connections that wait for a slot;
// - every connection has a deadline for the whole exchange (request in, reply out);
// - when accept fails for lack of resources (EMFILE, ENFILE, ENOBUFS, ENOMEM), accepting pauses
//   with a growing back-off instead of re-arming at once (the listening socket stays readable,
//   so re-arming at once spins a core); an episode is logged when it starts and when it ends,
//   at most once a minute each.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "netlink/asio.hpp"

namespace redvip::agent {

struct EndpointLimits {
  std::size_t max_connections = 64;
  // The whole exchange; a client that has not sent its request and read the reply by then is
  // dropped.
  std::chrono::milliseconds deadline{5000};
  std::chrono::milliseconds backoff_min{50};
  std::chrono::milliseconds backoff_max{1000};
};

// What a connection holds while it is open: the listener counts connections by these, and the
// connection reports how it ended through it (logged once per interval per endpoint).
class ConnectionSlot {
 public:
  virtual ~ConnectionSlot() = default;
  virtual void note_deadline_passed() = 0;
};

template <typename Protocol>
class Listener {
 public:
  using Socket = typename Protocol::socket;
  using Acceptor = boost::asio::basic_socket_acceptor<Protocol>;
  // Gets each accepted connection with its slot; keeping the slot keeps the connection counted.
  using OnAccept = std::function<void(Socket, std::shared_ptr<ConnectionSlot>)>;

  // name: what the log lines call the endpoint ("control socket /run/redvip/redvip.sock").
  Listener(boost::asio::io_context& io, std::string name, EndpointLimits limits,
           std::string busy_reply, OnAccept on_accept);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Open, bind and listen on it before start().
  Acceptor& acceptor();
  const Acceptor& acceptor() const;
  void start();
  // Closes the listening socket; open connections finish on their own (by their deadline).
  void stop();
  std::size_t open_connections() const;
  const EndpointLimits& limits() const;

 private:
  struct State;
  // Shared with every pending handler and every open connection, so none of them outlives it.
  std::shared_ptr<State> state_;
};

extern template class Listener<boost::asio::ip::tcp>;
extern template class Listener<boost::asio::local::stream_protocol>;

}  // namespace redvip::agent
