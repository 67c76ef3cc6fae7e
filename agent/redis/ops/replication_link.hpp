#pragma once
// A connection that poses as a replica to read a Redis server's replication stream: connect
// (TCP or UNIX socket, AUTH as RedisConnection does), REPLCONF capa eof capa psync2, then
// PSYNC <replid> <offset>. On +CONTINUE the stream follows from that offset: delivered raw up
// to `parse_from`, then as parsed commands, each with the offset of its last byte. On
// +FULLRESYNC the RDB payload follows (length or diskless form), delivered in chunks.
//
// What the server sees: one more replica. It never sends REPLCONF ACK, so its acknowledged
// offset stays 0: WAIT, min-replicas-to-write and redvip's own "a replica caught up" test never
// count it. PSYNC goes alone on the wire: Redis refuses it with replies still pending.
// Everything read is bounded (StreamLimits); the caller holds the deadline and calls close().
// Callbacks run from the io_context; none runs after close().
#include <utility>

#include <boost/asio.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "agent/redis/client/connection.hpp"
#include "agent/redis/model/divergence.hpp"
#include "agent/redis/model/replication_stream.hpp"
#include "agent/redis/ops/operations.hpp"

namespace redvip::agent {

class ReplicationLink : public std::enable_shared_from_this<ReplicationLink> {
 public:
  struct Events {
    // +CONTINUE (the server's current replid) or +FULLRESYNC (replid, offset of the RDB).
    std::function<void(const std::string& replid)> continued;
    std::function<void(const std::string& replid, long long offset)> full_resync;
    // Stream bytes before parse_from, as they come (they may start inside a command).
    std::function<bool(std::string_view bytes)> raw;
    // One command; `last_offset` is the offset of its last byte. Return false to stop reading.
    std::function<bool(const StreamCommand& command, long long last_offset)> command;
    // RDB payload bytes; return false to stop. rdb_end when the payload is complete.
    std::function<bool(std::string_view bytes)> rdb_data;
    std::function<void()> rdb_end;
    // The link failed (connect, auth, PSYNC refused, protocol, limits). Not called after close().
    std::function<void(RedisOpResult)> failed;
  };

  static std::shared_ptr<ReplicationLink> create(boost::asio::io_context& io,
                                                 RedisConnectionOptions server,
                                                 StreamLimits limits = {});
  ~ReplicationLink();
  ReplicationLink(const ReplicationLink&) = delete;
  ReplicationLink& operator=(const ReplicationLink&) = delete;

  // PSYNC from.replid from.offset; bytes at offsets < parse_from come raw (parse_from <=
  // from.offset means none do).
  void start(PsyncStart from, long long parse_from, Events events);
  void close();
  bool closed() const { return state_ == State::closed; }
  // Flow control: while paused nothing more is read (the server's output buffer for us grows,
  // bounded by its client-output-buffer-limit for replicas). Commands already read are still
  // delivered.
  void pause_reading() { paused_ = true; }
  void resume_reading();
  long long stream_bytes() const { return stream_bytes_; }  // after +CONTINUE
  const RedisConnectionOptions& server() const { return server_; }

 private:
  enum class State {
    idle,
    connecting,
    auth,
    name,
    capa,
    psync,
    rdb_header,
    rdb,
    raw,
    stream,
    closed
  };
  using Socket = boost::asio::generic::stream_protocol::socket;

  ReplicationLink(boost::asio::io_context& io, RedisConnectionOptions server, StreamLimits limits);
  void connect_to(const boost::asio::generic::stream_protocol::endpoint& endpoint);
  void send_next_handshake();
  void send(std::string wire, bool secret);
  void read();
  void read_next();
  void process();
  bool process_lines();
  void process_rdb();
  void process_stream();
  void fail(RedisErrc why, std::string text);

  boost::asio::io_context& io_;
  RedisConnectionOptions server_;
  StreamLimits limits_;
  PsyncStart from_;
  long long parse_from_ = 0;
  Events events_;
  State state_ = State::idle;
  std::unique_ptr<Socket> socket_;
  boost::asio::ip::tcp::resolver resolver_;
  std::string out_;
  bool out_secret_ = false;
  std::string in_;  // handshake lines and the RDB header
  std::vector<char> read_buffer_;
  std::unique_ptr<RdbPayload> rdb_;
  CommandStreamParser parser_;
  long long stream_bytes_ = 0;  // bytes of stream after +CONTINUE, raw and parsed
  bool paused_ = false;
  bool reading_ = false;  // an async read is outstanding
};

}  // namespace redvip::agent
