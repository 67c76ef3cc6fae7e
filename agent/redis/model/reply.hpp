#pragma once
// A Redis reply as an owned value tree, and the error values every Redis operation reports.
// The reply tree is header-only so that pure parsers (and their fuzz targets) need no hiredis.
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace redvip::agent {

struct RedisReply {
  enum class Type { nil, integer, string, status, error, array };

  Type type = Type::nil;
  long long integer = 0;
  std::string str;  // the payload of string, status and error replies
  std::vector<RedisReply> elements;

  bool is_nil() const { return type == Type::nil; }
  bool is_error() const { return type == Type::error; }
  bool is_array() const { return type == Type::array; }
  bool is_integer() const { return type == Type::integer; }
  // Bulk strings and status lines both carry text; callers mostly don't care which.
  bool is_text() const { return type == Type::string || type == Type::status; }
  bool is_status(std::string_view expected) const {
    return type == Type::status && str == expected;
  }

  static RedisReply make_nil() { return {}; }
  static RedisReply make_integer(long long v) {
    RedisReply r;
    r.type = Type::integer;
    r.integer = v;
    return r;
  }
  static RedisReply make_text(Type t, std::string s) {
    RedisReply r;
    r.type = t;
    r.str = std::move(s);
    return r;
  }
  static RedisReply make_array(std::vector<RedisReply> items) {
    RedisReply r;
    r.type = Type::array;
    r.elements = std::move(items);
    return r;
  }
};

// Why a Redis operation did not give the wanted answer. Server error replies are mapped too,
// so callers can branch on LOADING or an authentication failure without parsing text.
enum class RedisErrc {
  refused = 1,        // nothing listens there
  connect_failed,     // any other failure to establish the connection
  connect_timeout,    // TCP connect + AUTH did not finish within the connect timeout
  command_timeout,    // no reply within the command's deadline; the connection was closed
  connection_lost,    // the connection broke (or was closed because another command timed out)
  not_connected,      // waiting to reconnect (backoff) or closed; the command was not sent
  protocol_error,     // the byte stream is not RESP, or a reply came with no command waiting
  loading,            // -LOADING: Redis is loading its data set
  auth_failed,        // -WRONGPASS / -NOAUTH / AUTH refused
  server_error,       // any other error reply (-ERR ..., -READONLY ..., ...)
  unexpected_reply,   // a well-formed reply that is not what the operation expects
  cancelled,          // close() was called while the command waited
  operation_timeout,  // a multi-step role operation ran out of time
  not_confirmed,      // a role change was sent but the confirmation shows another state
};

const std::error_category& redis_category();
inline std::error_code make_error_code(RedisErrc e) {
  return {static_cast<int>(e), redis_category()};
}

// Classifies a server error reply ("LOADING ...", "WRONGPASS ...", "ERR ...").
RedisErrc classify_server_error(std::string_view text);

// Did Redis itself reply? A value or an error reply (LOADING, NOAUTH, ...) and bytes that are
// no RESP all came from it; a refused, broken or never-made connection and a timeout did not.
bool redis_replied(std::error_code error);

struct RedisResult {
  std::error_code error;  // empty when the command got a non-error reply
  std::string message;    // human text for the error: the server's line or what went wrong
  RedisReply reply;       // the reply; also set (type error) for server errors

  bool ok() const { return !error; }

  static RedisResult success(RedisReply r) {
    RedisResult out;
    out.reply = std::move(r);
    return out;
  }
  static RedisResult failure(RedisErrc e, std::string text) {
    RedisResult out;
    out.error = make_error_code(e);
    out.message = std::move(text);
    return out;
  }
  // A reply from the server: errors become error codes, everything else success.
  static RedisResult from_reply(RedisReply r) {
    if (!r.is_error()) return success(std::move(r));
    RedisResult out;
    out.error = make_error_code(classify_server_error(r.str));
    out.message = r.str;
    out.reply = std::move(r);
    return out;
  }
};

}  // namespace redvip::agent

template <>
struct std::is_error_code_enum<redvip::agent::RedisErrc> : std::true_type {};
