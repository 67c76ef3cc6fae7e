// Fuzzes the INFO and ROLE parsers: any bytes must parse or be refused, never crash, and the
// parsed values must keep their invariants (ports in range, key counts never negative).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent/redis/model/decisions.hpp"
#include "agent/redis/model/replication_info.hpp"
#include "agent/redis/model/stream_db.hpp"

using redvip::agent::RedisReply;

namespace {

// Builds a small reply tree from the bytes, so ROLE parsing sees every shape of reply.
RedisReply build(std::string_view& in, int depth) {
  if (in.empty()) return RedisReply::make_nil();
  const auto tag = static_cast<unsigned char>(in.front());
  in.remove_prefix(1);
  const std::size_t len = std::min<std::size_t>(in.size(), tag >> 3);
  switch (tag & 7) {
    case 0:
      return RedisReply::make_nil();
    case 1: {
      long long v = 0;
      for (std::size_t i = 0; i < len; ++i) v = v * 256 + static_cast<unsigned char>(in[i]);
      in.remove_prefix(len);
      return RedisReply::make_integer(tag & 0x80 ? -v : v);
    }
    case 2:
    case 3:
    case 4: {
      auto type = (tag & 7) == 2   ? RedisReply::Type::string
                  : (tag & 7) == 3 ? RedisReply::Type::status
                                   : RedisReply::Type::error;
      RedisReply r = RedisReply::make_text(type, std::string(in.substr(0, len)));
      in.remove_prefix(len);
      return r;
    }
    default: {
      std::vector<RedisReply> items;
      if (depth < 4) {
        for (std::size_t i = 0; i < (tag >> 3) % 6 && !in.empty(); ++i)
          items.push_back(build(in, depth + 1));
      }
      return RedisReply::make_array(std::move(items));
    }
  }
}

void check(const redvip::agent::ReplicationInfo& info) {
  if (info.master_port < 0 || info.master_port > 65535) std::abort();
  if (info.total_keys < -1) std::abort();
  for (const auto& r : info.replicas) {
    if (r.port < 0 || r.port > 65535) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto info = redvip::agent::parse_info(text)) {
    check(*info);
    // The decisions taken on a parsed INFO must hold for any of them, never crash.
    namespace a = redvip::agent;
    (void)a::judge_sync_completed(*info, "127.0.0.1", 6379, "abc");
    (void)a::restarted("abc", *info, true);
    (void)a::judge_check(a::PromotionGate{true, "abc", ""}, *info, true, std::string("127.0.0.1"),
                         6379, false);
    (void)a::close_enough_to_pause(*info, "127.0.0.1", info->master_repl_offset, 0);
    (void)a::caught_up(*info, "127.0.0.1", info->master_repl_offset);
    (void)a::has_every_write(*info, info->master_repl_offset);
    if (auto mark = a::judge_stream_db_mark(*info, text)) {
      if (mark->db < 0 || mark->offset <= 0) std::abort();
    }
  }
  if (auto db = redvip::agent::master_link_db(text); db && *db < 0) std::abort();
  std::string_view in = text;
  const RedisReply reply = build(in, 0);
  redvip::agent::ReplicationInfo role;
  if (redvip::agent::merge_role_reply(reply, role)) check(role);
  return 0;
}
