#pragma once
// Turns the bytes a Redis sends into replies, within bounds. hiredis parses RESP; its reply
// objects are replaced by ours (RedisReply, built in place), so every bound is checked before
// anything is allocated:
// - bytes: one reply (from its first byte to its last) may take at most max_bytes on the wire;
//   a longer one, a bulk string announced longer than that, or a stream that never ends a
//   reply is cut as soon as max_bytes arrived. hiredis buffers an unfinished reply, so this is
//   also the bound on what the reader holds.
// - elements: the arrays of one reply may announce at most max_elements elements in all, checked
//   on each array's header (a "*2147483647" costs nothing); elements are stored as they arrive,
//   never reserved for what a header claims.
// - depth: hiredis 0.14 refuses nesting deeper than 7.
// Past a bound, or on bytes that are not RESP, the reader fails for good with a reason that
// says which bound and what was sent; the connection closes with it. Time is bounded by each
// command's deadline (connection.hpp).
//
// What a reader holds is therefore at most about max_bytes (hiredis's buffer) + max_bytes (the
// reply's strings) + max_elements * sizeof(RedisReply): 4 + 4 + 4.5 MiB with the defaults.
#include <cstddef>
#include <optional>
#include <string>

#include "agent/redis/model/reply.hpp"

struct redisReader;

namespace redvip::agent {

struct ReplyLimits {
  // INFO is a few KiB, the largest reply redvip asks for (an EXEC of a merge batch, COMMAND
  // INFO) far less than this.
  std::size_t max_bytes = 4 * 1024 * 1024;
  std::size_t max_elements = 64 * 1024;
};

class ReplyReader {
 public:
  explicit ReplyReader(ReplyLimits limits = {});
  ~ReplyReader();
  ReplyReader(const ReplyReader&) = delete;
  ReplyReader& operator=(const ReplyReader&) = delete;

  // Adds bytes read from the server. False when the reader failed (now or before). Call next()
  // until it returns nullopt after each feed: it judges the bounds, so the reader holds at most
  // max_bytes plus one feed.
  bool feed(const char* data, std::size_t size);
  // The next complete reply, or nullopt: none complete yet, or failed() (then error() says why).
  std::optional<RedisReply> next();

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  // Bytes of the reply being read (what the reader holds for it).
  std::size_t pending_bytes() const { return pending_bytes_; }

  // The hiredis callbacks (reply_reader.cpp) reach the reader through this.
  struct Building;

 private:
  void fail(std::string why);

  ReplyLimits limits_;
  redisReader* reader_ = nullptr;
  std::size_t pending_bytes_ = 0;  // fed since the current reply began
  std::size_t elements_ = 0;       // announced by the current reply's arrays
  std::string bound_error_;        // set by a callback that refused an object
  std::string error_;
};

}  // namespace redvip::agent
