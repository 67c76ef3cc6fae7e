// The pure parsers of what a master sends after PSYNC: reply line, RDB payload (both forms),
// the command stream (fed in every split), its bounds, and the database at a stretch's end.
#include <catch2/catch.hpp>

#include "agent/redis/model/replication_stream.hpp"

using namespace redvip::agent;

namespace {

std::vector<std::string> strings(const std::vector<std::string_view>& v) {
  return {v.begin(), v.end()};
}

// Every command of `bytes`, fed `chunk` bytes at a time.
std::vector<std::vector<std::string>> parse_all(std::string_view bytes, std::size_t chunk,
                                                StreamLimits limits = {},
                                                std::string* error = nullptr) {
  CommandStreamParser p(limits);
  std::vector<std::vector<std::string>> out;
  StreamCommand c;
  for (std::size_t i = 0; i < bytes.size(); i += chunk) {
    p.feed(bytes.substr(i, chunk));
    for (;;) {
      const auto s = p.next(c);
      if (s == ParseStatus::command) {
        out.push_back(strings(c.argv));
        continue;
      }
      if (s == ParseStatus::error && error != nullptr) *error = p.error();
      if (s == ParseStatus::error) return out;
      break;
    }
  }
  return out;
}

// Captured from redis-server 7.0.15 after "+CONTINUE <id>\r\n" (PSYNC from offset 1).
const std::string k_stream =
    "*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*3\r\n$3\r\nset\r\n$3\r\nd3b\r\n$1\r\ny\r\n"
    "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nset\r\n$2\r\nb1\r\n$1\r\n1\r\n"
    "*1\r\n$4\r\nping\r\n*1\r\n$4\r\nping\r\n";

}  // namespace

TEST_CASE("replication stream: lines skip the master's newline keep-alives") {
  const std::string buf = "\n\n\n+FULLRESYNC b317973078e4f97a502c9b97a6608a9d7338a8f3 117\r\n$EOF:";
  std::size_t pos = 0;
  std::string_view line;
  REQUIRE(take_line(buf, pos, 1024, line) == LineStatus::line);
  CHECK(line == "+FULLRESYNC b317973078e4f97a502c9b97a6608a9d7338a8f3 117");
  CHECK(take_line(buf, pos, 1024, line) == LineStatus::need_more);
  CHECK(buf.substr(pos) == "$EOF:");
  std::size_t p2 = 0;
  CHECK(take_line(std::string(2000, 'x'), p2, 1024, line) == LineStatus::too_long);
  std::size_t p3 = 0;
  CHECK(take_line(std::string(2000, 'x') + "\r\n", p3, 1024, line) == LineStatus::too_long);
}

TEST_CASE("replication stream: PSYNC replies") {
  auto c = parse_psync_reply("+CONTINUE b317973078e4f97a502c9b97a6608a9d7338a8f3");
  CHECK(c.kind == PsyncReply::Kind::continue_);
  CHECK(c.replid == "b317973078e4f97a502c9b97a6608a9d7338a8f3");
  CHECK(parse_psync_reply("+CONTINUE").kind == PsyncReply::Kind::continue_);
  auto f = parse_psync_reply("+FULLRESYNC b317973078e4f97a502c9b97a6608a9d7338a8f3 117");
  CHECK(f.kind == PsyncReply::Kind::full_resync);
  CHECK(f.offset == 117);
  CHECK(parse_psync_reply("-NOMASTERLINK Can't SYNC while not connected with my master").kind ==
        PsyncReply::Kind::error);
  for (const char* bad : {"+OK", "+FULLRESYNC id", "+FULLRESYNC id -5", "+FULLRESYNC id 5 extra",
                          "+CONTINUE a b", "+CONTINUE bad\x01id", "", "*1"}) {
    INFO(bad);
    CHECK(parse_psync_reply(bad).kind == PsyncReply::Kind::invalid);
  }
}

TEST_CASE(
    "replication stream: RDB headers and payloads, length and diskless forms, in every split") {
  CHECK(parse_rdb_header("$123")->length == 123);
  const std::string mark = "7da07e84d1891dd662a014fc4f4212727acce5b9";
  CHECK(parse_rdb_header("$EOF:" + mark)->eof_mark == mark);
  CHECK(!parse_rdb_header("$EOF:short"));
  CHECK(!parse_rdb_header("$-1"));
  CHECK(!parse_rdb_header("+OK"));
  CHECK(!parse_rdb_header("$99999999999999999999"));

  const std::string rdb =
      "REDIS0010\xfa\tredis-ver\x06"
      "7.0.15 and more bytes, \xff\x17\xf7";
  const std::string after = "*1\r\n$4\r\nping\r\n";
  for (const bool diskless : {false, true}) {
    const std::string wire = diskless ? rdb + mark + after : rdb + after;
    for (std::size_t chunk : {1, 3, 39, 40, 41, 1000}) {
      INFO("diskless " << diskless << " chunk " << chunk);
      RdbHeader h;
      if (diskless) {
        h.eof_mark = mark;
      } else {
        h.length = static_cast<long long>(rdb.size());
      }
      RdbPayload payload(h);
      std::string out;
      std::size_t used = 0;
      while (!payload.done() && used < wire.size()) {
        const auto piece = std::string_view(wire).substr(used, chunk);
        used += payload.feed(piece, out);
      }
      CHECK(payload.done());
      CHECK(out == rdb);
      CHECK(payload.payload_bytes() == static_cast<long long>(rdb.size()));
      CHECK(wire.substr(used) == after);  // the stream after the payload is left alone
    }
  }
}

TEST_CASE(
    "replication stream: commands parse the same in every split; keep-alives and SELECT "
    "classified") {
  for (std::size_t chunk : {1, 2, 7, 64, 4096}) {
    INFO("chunk " << chunk);
    auto cmds = parse_all(k_stream, chunk);
    REQUIRE(cmds.size() == 6);
    CHECK(cmds[1] == std::vector<std::string>{"set", "d3b", "y"});
    CHECK(cmds[5] == std::vector<std::string>{"ping"});
  }
  CommandStreamParser p;
  p.feed(k_stream);
  StreamCommand c;
  std::vector<StreamCommandKind> kinds;
  std::string raw;
  int db = -1;
  while (p.next(c) == ParseStatus::command) {
    int d = -1;
    kinds.push_back(classify_stream_command(c.argv, &d));
    if (d >= 0) db = d;
    raw += std::string(c.raw);
  }
  CHECK(raw == k_stream);  // raw spans cover the stream exactly
  CHECK(p.consumed() == static_cast<long long>(k_stream.size()));
  CHECK(db == 0);
  using K = StreamCommandKind;
  CHECK(kinds ==
        std::vector<K>{K::select, K::data, K::select, K::data, K::keepalive, K::keepalive});
  std::vector<std::string_view> getack{"REPLCONF", "GETACK", "*"};
  CHECK(classify_stream_command(getack) == K::keepalive);
  std::vector<std::string_view> multi{"MULTI"}, exec{"exec"}, bad_select{"SELECT", "x"};
  CHECK(classify_stream_command(multi) == K::multi);
  CHECK(classify_stream_command(exec) == K::exec);
  CHECK(classify_stream_command(bad_select) == K::data);
}

TEST_CASE("replication stream: binary arguments and encoding round-trip") {
  const std::vector<std::string> argv{"SET", std::string("k\0\r\n*1", 6), std::string(70000, 'v'),
                                      ""};
  const std::string wire = encode_command(argv);
  for (std::size_t chunk : {1, 5, 65536}) {
    auto cmds = parse_all(wire, chunk);
    REQUIRE(cmds.size() == 1);
    CHECK(cmds[0] == argv);
  }
}

TEST_CASE("replication stream: malformed and oversized input is an error with a reason") {
  StreamLimits small;
  small.max_args = 4;
  small.max_command_bytes = 100;
  const std::pair<std::string, std::string> cases[] = {
      {"+OK\r\n", "expected '*'"},
      {"*0\r\n", "0 arguments"},
      {"*-1\r\n", "not a count"},
      {"*5\r\n", "5 arguments"},
      {"*1\r\n:1\r\n", "expected '$'"},
      {"*1\r\n$3\r\nabcd\r\n", "not terminated"},
      {"*1\r\n$200\r\n", "larger than 100"},
      {"*1\r\n$3x\r\nabc\r\n", "not a count"},
      {"*1\r\n$03\r\nabc\r\n", "not a count"},
      {"*01\r\n$3\r\nabc\r\n", "not a count"},
      {"*1\r\n$3\rabc\r\n", "CRLF"},
      {"*11111111111111111111111\r\n", "too long"},
      {"*2\r\n$80\r\n" + std::string(80, 'a') + "\r\n$10\r\n", "larger than 100"},
  };
  for (const auto& [input, reason] : cases) {
    for (std::size_t chunk : {1, 1000}) {
      INFO(input << " chunk " << chunk);
      std::string error;
      auto cmds = parse_all(input, chunk, small, &error);
      CHECK(cmds.empty());
      CHECK(error.find(reason) != std::string::npos);
    }
  }
  // A command that never ends is "need more", bounded by the size check above, never a spin.
  CommandStreamParser p(small);
  p.feed("*2\r\n$3\r\nabc\r\n$5\r\nab");
  StreamCommand c;
  CHECK(p.next(c) == ParseStatus::need_more);
  CHECK(p.buffered() == 19);
}

TEST_CASE("replication stream: the database at the end of a stretch that starts inside a command") {
  const StreamLimits limits;
  // From a command boundary: the last SELECT.
  auto r = find_db_at_end(k_stream, limits, 1 << 20);
  CHECK(r.aligned);
  CHECK(r.db == 0);
  // Cut anywhere inside the first commands: still finds the boundary and the SELECT 0.
  const std::size_t select0 = k_stream.find("*2\r\n$6\r\nSELECT\r\n$1\r\n0");
  for (std::size_t cut = 1; cut <= select0; ++cut) {
    INFO("cut " << cut);
    r = find_db_at_end(std::string_view(k_stream).substr(cut), limits, 1 << 20);
    CHECK(r.aligned);
    CHECK(r.db == 0);
  }
  // Past the last SELECT: aligned but no database known.
  const std::size_t after = k_stream.find("*3\r\n$3\r\nset\r\n$2\r\nb1");
  r = find_db_at_end(std::string_view(k_stream).substr(after), limits, 1 << 20);
  CHECK(r.aligned);
  CHECK(!r.db);
  // A value that looks like a command does not fool the scan: its tail does not align.
  const std::string tricky =
      encode_command(std::vector<std::string>{"SET", "k", "*2\r\n$6\r\nSELECT\r\n$1\r\n9\r\n"}) +
      encode_command(std::vector<std::string>{"SELECT", "4"}) +
      encode_command(std::vector<std::string>{"SET", "x", "1"});
  for (std::size_t cut = 0; cut < 20; ++cut) {
    r = find_db_at_end(std::string_view(tricky).substr(cut), limits, 1 << 20);
    CHECK(r.db == 4);
  }
  // Garbage and an exhausted budget: nothing known.
  CHECK(!find_db_at_end("garbage without commands", limits, 1 << 20).aligned);
  CHECK(!find_db_at_end(k_stream, limits, 3).db);
  CHECK(!find_db_at_end("", limits, 100).aligned);
}
