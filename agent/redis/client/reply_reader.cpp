#include "agent/redis/client/reply_reader.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <memory>

#include <fmt/format.h>

namespace redvip::agent {

// hiredis calls these while ReplyReader::next() runs: the reader being filled is `current`
// (one thread, one io_context; next() sets and clears it).
struct ReplyReader::Building {
  static thread_local ReplyReader* current;

  // Where a new object goes: into its parent array (appended: hiredis builds elements in order,
  // and only the newest element of each level is still being filled, so earlier addresses may
  // move), or a new root that hiredis hands back from redisReaderGetReply.
  static void* place(const redisReadTask* task, RedisReply value) {
    if (task->parent != nullptr) {
      auto* parent = static_cast<RedisReply*>(task->parent->obj);
      parent->elements.push_back(std::move(value));
      return &parent->elements.back();
    }
    return new RedisReply(std::move(value));
  }

  static void* string(const redisReadTask* task, char* data, size_t size) {
    RedisReply::Type type = RedisReply::Type::string;
    if (task->type == REDIS_REPLY_STATUS) type = RedisReply::Type::status;
    if (task->type == REDIS_REPLY_ERROR) type = RedisReply::Type::error;
    return place(task, RedisReply::make_text(type, std::string(data, size)));
  }

  static void* array(const redisReadTask* task, int count) {
    ReplyReader& r = *current;
    if (count < 0 || static_cast<std::size_t>(count) > r.limits_.max_elements - r.elements_) {
      r.bound_error_ =
          fmt::format("an array of {} elements exceeds the bound of {} elements per reply", count,
                      r.limits_.max_elements);
      return nullptr;
    }
    r.elements_ += static_cast<std::size_t>(count);
    RedisReply value = RedisReply::make_array({});
    value.elements.reserve(std::min(count, 16));
    return place(task, std::move(value));
  }

  static void* integer(const redisReadTask* task, long long value) {
    return place(task, RedisReply::make_integer(value));
  }

  static void* nil(const redisReadTask* task) { return place(task, RedisReply::make_nil()); }

  // Only ever called on a root (hiredis frees r->reply on errors and in redisReaderFree).
  static void free_root(void* reply) { delete static_cast<RedisReply*>(reply); }
};

thread_local ReplyReader* ReplyReader::Building::current = nullptr;

namespace {

redisReplyObjectFunctions kFunctions = {
    &ReplyReader::Building::string, &ReplyReader::Building::array, &ReplyReader::Building::integer,
    &ReplyReader::Building::nil, &ReplyReader::Building::free_root};

}  // namespace

ReplyReader::ReplyReader(ReplyLimits limits)
    : limits_(limits), reader_(redisReaderCreateWithFunctions(&kFunctions)) {
  if (reader_ == nullptr) error_ = "out of memory creating the reply reader";
}

ReplyReader::~ReplyReader() {
  if (reader_ != nullptr) redisReaderFree(reader_);
}

void ReplyReader::fail(std::string why) {
  error_ = std::move(why);
  // What it buffered goes at once, not when the connection object does.
  if (reader_ != nullptr) redisReaderFree(reader_);
  reader_ = nullptr;
  pending_bytes_ = 0;
}

bool ReplyReader::feed(const char* data, std::size_t size) {
  if (failed()) return false;
  pending_bytes_ += size;
  if (redisReaderFeed(reader_, data, size) != REDIS_OK) {
    fail("out of memory buffering a reply");
    return false;
  }
  return true;
}

std::optional<RedisReply> ReplyReader::next() {
  if (failed()) return std::nullopt;
  void* raw = nullptr;
  Building::current = this;
  const int rc = redisReaderGetReply(reader_, &raw);
  Building::current = nullptr;
  if (rc != REDIS_OK) {
    fail(bound_error_.empty() ? std::string("not RESP: ") + reader_->errstr : bound_error_);
    return std::nullopt;
  }
  if (raw == nullptr) {
    // Nothing complete: all that is buffered belongs to the reply being read.
    if (pending_bytes_ > limits_.max_bytes) {
      fail(fmt::format("a reply longer than {} bytes (the bound per reply)", limits_.max_bytes));
    }
    return std::nullopt;
  }
  std::unique_ptr<RedisReply> reply(static_cast<RedisReply*>(raw));
  // The bytes still buffered belong to the replies after this one.
  pending_bytes_ = reader_->len - reader_->pos;
  elements_ = 0;
  return std::move(*reply);
}

}  // namespace redvip::agent
