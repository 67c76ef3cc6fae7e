#include "netlink/nl_socket.hpp"

#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>

#include "netlink/errno_error.hpp"

namespace redvip::netlink {

void NlSockFree::operator()(nl_sock* sock) const noexcept { ::nl_socket_free(sock); }
void NlMsgFree::operator()(nl_msg* msg) const noexcept { ::nlmsg_free(msg); }
void NlAddrPut::operator()(nl_addr* addr) const noexcept { ::nl_addr_put(addr); }

namespace {

class LibnlCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "libnl"; }
  std::string message(int code) const override { return ::nl_geterror(code); }
  std::error_condition default_error_condition(int code) const noexcept override {
    switch (code) {
      case NLE_EXIST:
        return std::errc::file_exists;
      case NLE_NODEV:
        return std::errc::no_such_device;
      case NLE_NOADDR:
        return std::errc::address_not_available;
      case NLE_PERM:
        return std::errc::operation_not_permitted;
      case NLE_INVAL:
        return std::errc::invalid_argument;
      case NLE_NOMEM:
        return std::errc::not_enough_memory;
      case NLE_RANGE:
        return std::errc::result_out_of_range;
      case NLE_BUSY:
        return std::errc::device_or_resource_busy;
      case NLE_AGAIN:
        return std::errc::resource_unavailable_try_again;
      case NLE_OPNOTSUPP:
        return std::errc::operation_not_supported;
      case NLE_AF_NOSUPPORT:
        return std::errc::address_family_not_supported;
      default:
        return {code, *this};
    }
  }
};

std::pair<NlSockPtr, std::error_code> connect_route() {
  NlSockPtr sock(::nl_socket_alloc());
  if (!sock) return {nullptr, std::make_error_code(std::errc::not_enough_memory)};
  if (const int err = ::nl_connect(sock.get(), NETLINK_ROUTE); err < 0) {
    return {nullptr, libnl_error(err)};
  }
  if (const int err = ::nl_socket_set_nonblocking(sock.get()); err < 0) {
    return {nullptr, libnl_error(err)};
  }
  return {std::move(sock), std::error_code{}};
}

}  // namespace

const std::error_category& libnl_category() {
  static const LibnlCategory category;
  return category;
}

std::error_code libnl_error(int nle) { return {nle < 0 ? -nle : nle, libnl_category()}; }

std::pair<RouteSocket, std::error_code> RouteSocket::open_requests() {
  auto [sock, error] = connect_route();
  RouteSocket result;
  if (error) return {std::move(result), error};
  result.sock_ = std::move(sock);
  return {std::move(result), std::error_code{}};
}

std::pair<RouteSocket, std::error_code> RouteSocket::open_events(const std::vector<int>& groups,
                                                                 int buffer_bytes) {
  auto [sock, error] = connect_route();
  RouteSocket result;
  if (error) return {std::move(result), error};
  // Events are not answers to our requests: their sequence numbers mean nothing to us.
  ::nl_socket_disable_seq_check(sock.get());
  for (const int group : groups) {
    if (const int err = ::nl_socket_add_memberships(sock.get(), group, 0); err < 0) {
      return {std::move(result), libnl_error(err)};
    }
  }
  const int fd = ::nl_socket_get_fd(sock.get());
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buffer_bytes, sizeof buffer_bytes) != 0 &&
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes) != 0) {
    return {std::move(result), last_error()};
  }
  result.sock_ = std::move(sock);
  return {std::move(result), std::error_code{}};
}

int RouteSocket::fd() const { return sock_ ? ::nl_socket_get_fd(sock_.get()) : -1; }

std::pair<std::size_t, std::error_code> RouteSocket::receive_one() {
  const int fd_ = fd();
  for (;;) {
    // Peek with MSG_TRUNC to learn the datagram's real size, so nothing is ever cut.
    if (buffer_.size() < 32768) buffer_.resize(32768);
    const ssize_t size =
        ::recv(fd_, buffer_.data(), buffer_.size(), MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
    if (size < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return {0, {}};
      return {0, last_error()};
    }
    if (static_cast<std::size_t>(size) > buffer_.size()) buffer_.resize(size);
    sockaddr_nl peer{};
    iovec iov{buffer_.data(), buffer_.size()};
    msghdr header{};
    header.msg_name = &peer;
    header.msg_namelen = sizeof peer;
    header.msg_iov = &iov;
    header.msg_iovlen = 1;
    const ssize_t got = ::recvmsg(fd_, &header, MSG_DONTWAIT);
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return {0, {}};
      return {0, last_error()};
    }
    // Only the kernel (port 0) speaks for the kernel; drop what other processes send us.
    if (peer.nl_pid != 0 || got == 0) continue;
    return {static_cast<std::size_t>(got), {}};
  }
}

std::error_code RouteSocket::request(nl_msg* msg, const ReplyHandler& on_reply,
                                     std::chrono::milliseconds timeout) {
  if (!sock_) return std::make_error_code(std::errc::bad_file_descriptor);
  ::nl_complete_msg(sock_.get(), msg);  // port, sequence number, NLM_F_REQUEST | NLM_F_ACK
  const nlmsghdr* sent = ::nlmsg_hdr(msg);
  const std::uint32_t seq = sent->nlmsg_seq;
  if (const int err = ::nl_send(sock_.get(), msg); err < 0) return libnl_error(err);

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool waited = false;
  for (;;) {
    auto [size, error] = receive_one();
    if (error) return error;
    if (size == 0) {
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::make_error_code(std::errc::timed_out);
      if (!waited) ++waits_;
      waited = true;
      pollfd waiting{fd(), POLLIN, 0};
      if (::poll(&waiting, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) {
        return last_error();
      }
      continue;
    }
    int left = static_cast<int>(size);
    for (auto* hdr = reinterpret_cast<nlmsghdr*>(buffer_.data()); ::nlmsg_ok(hdr, left);
         hdr = ::nlmsg_next(hdr, &left)) {
      if (hdr->nlmsg_seq != seq) continue;  // a late answer to a request that timed out
      if (hdr->nlmsg_type == NLMSG_ERROR) {
        if (hdr->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) {
          return std::make_error_code(std::errc::bad_message);
        }
        const auto* answer = static_cast<const nlmsgerr*>(::nlmsg_data(hdr));
        if (answer->error == 0) return {};
        return {-answer->error, std::system_category()};
      }
      if (hdr->nlmsg_type == NLMSG_DONE) {
        // A dump that failed half-way says so in the DONE message's payload.
        if (hdr->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
          const int status = *static_cast<const int*>(::nlmsg_data(hdr));
          if (status < 0) return {-status, std::system_category()};
        }
        return {};
      }
      if (hdr->nlmsg_type < NLMSG_MIN_TYPE) continue;
      if (on_reply) on_reply(hdr);
    }
  }
}

std::error_code RouteSocket::drain(const EventHandler& on_event) {
  if (!sock_) return std::make_error_code(std::errc::bad_file_descriptor);
  for (;;) {
    auto [size, error] = receive_one();
    if (error) return error;
    if (size == 0) return {};
    int left = static_cast<int>(size);
    for (auto* hdr = reinterpret_cast<nlmsghdr*>(buffer_.data()); ::nlmsg_ok(hdr, left);
         hdr = ::nlmsg_next(hdr, &left)) {
      if (hdr->nlmsg_type < NLMSG_MIN_TYPE) continue;
      on_event(hdr);
    }
  }
}

}  // namespace redvip::netlink
