// The bounded reply reader: what Redis sends becomes replies, and a reply past a bound (bytes,
// array elements) or bytes that are not RESP fail the reader at once with a reason, without
// allocating what the hostile header announced.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "agent/redis/client/reply_reader.hpp"

using namespace redvip::agent;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<RedisReply> read_all(ReplyReader& reader, const std::string& bytes, std::size_t chunk) {
  std::vector<RedisReply> out;
  for (std::size_t at = 0; at < bytes.size(); at += chunk) {
    reader.feed(bytes.data() + at, std::min(chunk, bytes.size() - at));
    while (auto r = reader.next()) out.push_back(std::move(*r));
    if (reader.failed()) break;
  }
  return out;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("reply reader: every RESP2 type, nested, pipelined, in any chunking", "[redis][reply]") {
  const std::string wire =
      "+OK\r\n-ERR nope\r\n:-42\r\n$5\r\nhello\r\n$-1\r\n*-1\r\n*0\r\n"
      "*3\r\n*2\r\n:1\r\n$1\r\na\r\n+x\r\n*1\r\n*1\r\n:7\r\n";
  for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{7}, wire.size()}) {
    ReplyReader reader;
    const auto replies = read_all(reader, wire, chunk);
    INFO("chunk " << chunk << ": " << reader.error());
    REQUIRE_FALSE(reader.failed());
    REQUIRE(replies.size() == 8);
    CHECK(replies[0].is_status("OK"));
    CHECK((replies[1].is_error() && replies[1].str == "ERR nope"));
    CHECK(replies[2].integer == -42);
    CHECK((replies[3].type == RedisReply::Type::string && replies[3].str == "hello"));
    CHECK(replies[4].is_nil());
    CHECK(replies[5].is_nil());
    CHECK((replies[6].is_array() && replies[6].elements.empty()));
    const RedisReply& nested = replies[7];
    REQUIRE(nested.elements.size() == 3);
    REQUIRE(nested.elements[0].elements.size() == 2);
    CHECK(nested.elements[0].elements[0].integer == 1);
    CHECK(nested.elements[0].elements[1].str == "a");
    CHECK(nested.elements[1].is_status("x"));
    CHECK(nested.elements[2].elements.at(0).elements.at(0).integer == 7);
    CHECK(reader.pending_bytes() == 0);
  }
}

TEST_CASE("reply reader: an array header past the element bound fails at once, allocating nothing",
          "[redis][reply]") {
  ReplyReader reader;
  const auto t0 = Clock::now();
  const std::string wire = "*2147483647\r\n";
  reader.feed(wire.data(), wire.size());
  CHECK_FALSE(reader.next());
  CHECK(Clock::now() - t0 < std::chrono::milliseconds(50));
  REQUIRE(reader.failed());
  CHECK(contains(reader.error(),
                 "an array of 2147483647 elements exceeds the bound of 65536 elements per reply"));
  // Failed for good.
  CHECK_FALSE(reader.feed("+OK\r\n", 5));
  CHECK_FALSE(reader.next());
}

TEST_CASE(
    "reply reader: the element bound counts every array of one reply, and restarts with the next",
    "[redis][reply]") {
  ReplyLimits limits;
  limits.max_elements = 10;
  {
    ReplyReader reader(limits);
    // 2 + 4 + 4 = 10 elements: at the bound; twice, since each reply has its own budget.
    const std::string one = "*2\r\n*4\r\n:1\r\n:2\r\n:3\r\n:4\r\n*4\r\n:1\r\n:2\r\n:3\r\n:4\r\n";
    const auto replies = read_all(reader, one + one, 5);
    CHECK_FALSE(reader.failed());
    CHECK(replies.size() == 2);
  }
  {
    ReplyReader reader(limits);
    read_all(reader, "*2\r\n*5\r\n:1\r\n:2\r\n:3\r\n:4\r\n:5\r\n*4\r\n", 64);
    REQUIRE(reader.failed());
    CHECK(contains(reader.error(), "an array of 4 elements exceeds the bound of 10 elements"));
  }
}

TEST_CASE(
    "reply reader: a bulk string, a line or a stream longer than the byte bound is cut when the "
    "bound is reached",
    "[redis][reply]") {
  ReplyLimits limits;
  limits.max_bytes = 64 * 1024;
  const std::string chunk(4096, 'x');
  SECTION("a 1 GB bulk string") {
    ReplyReader reader(limits);
    const std::string header = "$1000000000\r\n";
    reader.feed(header.data(), header.size());
    CHECK_FALSE(reader.next());
    std::size_t fed = header.size();
    while (!reader.failed() && fed < 10 * limits.max_bytes) {
      reader.feed(chunk.data(), chunk.size());
      fed += chunk.size();
      CHECK_FALSE(reader.next());
      CHECK(reader.pending_bytes() <= limits.max_bytes);
    }
    REQUIRE(reader.failed());
    CHECK(fed <= limits.max_bytes + chunk.size());
    CHECK(contains(reader.error(), "a reply longer than 65536 bytes (the bound per reply)"));
  }
  SECTION("a status line that never ends") {
    ReplyReader reader(limits);
    reader.feed("+", 1);
    while (!reader.failed()) {
      reader.feed(chunk.data(), chunk.size());
      reader.next();
    }
    CHECK(contains(reader.error(), "longer than 65536 bytes"));
  }
  SECTION("an array whose elements never end") {
    ReplyReader reader(limits);
    const std::string header = "*60000\r\n";
    reader.feed(header.data(), header.size());
    const std::string elements = [] {
      std::string s;
      for (int i = 0; i < 400; ++i) s += ":12345678\r\n";
      return s;
    }();
    while (!reader.failed()) {
      reader.feed(elements.data(), elements.size());
      CHECK_FALSE(reader.next());
    }
    CHECK(contains(reader.error(), "longer than 65536 bytes"));
  }
  SECTION("replies of almost the bound each, back to back, are fine") {
    ReplyReader reader(limits);
    const std::string big = "$" + std::to_string(limits.max_bytes - 20) + "\r\n" +
                            std::string(limits.max_bytes - 20, 'y') + "\r\n";
    const auto replies = read_all(reader, big + big + big, 4096);
    CHECK_FALSE(reader.failed());
    CHECK(replies.size() == 3);
  }
}

TEST_CASE(
    "reply reader: bytes that are not RESP, and nesting deeper than hiredis reads, fail with the "
    "reason",
    "[redis][reply]") {
  {
    ReplyReader reader;
    read_all(reader, "?garbage\r\n", 64);
    REQUIRE(reader.failed());
    CHECK(contains(reader.error(), "not RESP: Protocol error"));
  }
  {
    ReplyReader reader;
    read_all(reader, "*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", 64);
    REQUIRE(reader.failed());
    CHECK(contains(reader.error(), "not RESP"));
  }
  {
    ReplyReader reader;
    read_all(reader, ":12x\r\n", 64);
    CHECK(reader.failed());
  }
}
