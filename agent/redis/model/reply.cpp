#include "agent/redis/model/reply.hpp"

namespace redvip::agent {
namespace {

class RedisCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "redis"; }
  std::string message(int value) const override {
    switch (static_cast<RedisErrc>(value)) {
      case RedisErrc::refused:
        return "connection refused";
      case RedisErrc::connect_failed:
        return "connection failed";
      case RedisErrc::connect_timeout:
        return "connect timeout";
      case RedisErrc::command_timeout:
        return "command timeout";
      case RedisErrc::connection_lost:
        return "connection lost";
      case RedisErrc::not_connected:
        return "not connected";
      case RedisErrc::protocol_error:
        return "protocol error";
      case RedisErrc::loading:
        return "redis is loading its data set";
      case RedisErrc::auth_failed:
        return "authentication failed";
      case RedisErrc::server_error:
        return "error reply";
      case RedisErrc::unexpected_reply:
        return "unexpected reply";
      case RedisErrc::cancelled:
        return "cancelled";
      case RedisErrc::operation_timeout:
        return "operation timeout";
      case RedisErrc::not_confirmed:
        return "role change not confirmed";
    }
    return "unknown redis error";
  }
};

bool starts_with_word(std::string_view text, std::string_view word) {
  return text.size() >= word.size() && text.substr(0, word.size()) == word &&
         (text.size() == word.size() || text[word.size()] == ' ');
}

}  // namespace

const std::error_category& redis_category() {
  static const RedisCategory category;
  return category;
}

bool redis_replied(std::error_code error) {
  if (!error) return true;
  if (error.category() != redis_category()) return false;
  switch (static_cast<RedisErrc>(error.value())) {
    case RedisErrc::loading:
    case RedisErrc::auth_failed:
    case RedisErrc::server_error:
    case RedisErrc::unexpected_reply:
    case RedisErrc::protocol_error:
      return true;
    case RedisErrc::refused:
    case RedisErrc::connect_failed:
    case RedisErrc::connect_timeout:
    case RedisErrc::command_timeout:
    case RedisErrc::connection_lost:
    case RedisErrc::not_connected:
    case RedisErrc::cancelled:
    case RedisErrc::operation_timeout:
    case RedisErrc::not_confirmed:
      return false;
  }
  return false;
}

RedisErrc classify_server_error(std::string_view text) {
  if (starts_with_word(text, "LOADING")) return RedisErrc::loading;
  if (starts_with_word(text, "NOAUTH") || starts_with_word(text, "WRONGPASS")) {
    return RedisErrc::auth_failed;
  }
  return RedisErrc::server_error;
}

}  // namespace redvip::agent
