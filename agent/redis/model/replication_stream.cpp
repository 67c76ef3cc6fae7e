#include "agent/redis/model/replication_stream.hpp"

#include <algorithm>
#include <charconv>

namespace redvip::agent {
namespace {

// The diskless RDB mark is CONFIG_RUN_ID_SIZE (40) bytes in Redis.
constexpr std::size_t k_eof_mark_size = 40;
// "*<n>\r\n" and "$<len>\r\n": a sign-less decimal of at most 19 digits.
constexpr std::size_t k_max_digits = 19;

// Canonical decimals only (no sign, no leading zero), as Redis writes them: a parsed command
// then re-encodes to exactly the bytes it came in.
std::optional<long long> parse_count(std::string_view s) {
  if (s.empty() || s.size() > k_max_digits || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool is_replid(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  });
}

std::string byte_text(char c) {
  static const char* hex = "0123456789abcdef";
  const auto u = static_cast<unsigned char>(c);
  return std::string("0x") + hex[u >> 4] + hex[u & 15];
}

void set_error(std::string* error, std::string text) {
  if (error != nullptr) *error = std::move(text);
}

// Reads "<prefix><count>\r\n" at cmd[pos]. need_more until the CRLF is there.
ParseStatus read_header(std::string_view cmd, std::size_t pos, char prefix, long long& value,
                        std::size_t& next, std::string* error) {
  if (pos >= cmd.size()) return ParseStatus::need_more;
  if (cmd[pos] != prefix) {
    set_error(error, std::string("expected '") + prefix + "', got " + byte_text(cmd[pos]));
    return ParseStatus::error;
  }
  // At most k_max_digits digits, then the CR: a longer header is an error, not a wait.
  const std::string_view window = cmd.substr(pos + 1, k_max_digits + 1);
  const auto rel = window.find('\r');
  if (rel == std::string_view::npos) {
    if (window.size() == k_max_digits + 1) {
      set_error(error, std::string("'") + prefix + "' header too long");
      return ParseStatus::error;
    }
    return ParseStatus::need_more;
  }
  const std::size_t cr = pos + 1 + rel;
  if (cr + 1 >= cmd.size()) return ParseStatus::need_more;
  if (cmd[cr + 1] != '\n') {
    set_error(error, "header not terminated by CRLF");
    return ParseStatus::error;
  }
  auto n = parse_count(cmd.substr(pos + 1, cr - pos - 1));
  if (!n) {
    set_error(error, std::string("'") + prefix + "' header is not a count");
    return ParseStatus::error;
  }
  value = *n;
  next = cr + 2;
  return ParseStatus::command;
}

}  // namespace

LineStatus take_line(std::string_view buf, std::size_t& pos, std::size_t max,
                     std::string_view& line) {
  std::size_t p = pos;
  while (p < buf.size() && buf[p] == '\n') ++p;
  const std::size_t nl = buf.find('\n', p);
  if (nl == std::string_view::npos) {
    pos = p;  // the keep-alives are consumed either way
    return buf.size() - p > max ? LineStatus::too_long : LineStatus::need_more;
  }
  std::size_t end = nl;
  if (end > p && buf[end - 1] == '\r') --end;
  if (end - p > max) return LineStatus::too_long;
  line = buf.substr(p, end - p);
  pos = nl + 1;
  return LineStatus::line;
}

PsyncReply parse_psync_reply(std::string_view line) {
  PsyncReply r;
  r.text = std::string(line);
  if (!line.empty() && line.front() == '-') {
    r.kind = PsyncReply::Kind::error;
    return r;
  }
  auto word = [&line]() {
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    const auto sp = line.find(' ');
    std::string_view w = line.substr(0, sp);
    line.remove_prefix(sp == std::string_view::npos ? line.size() : sp);
    return w;
  };
  const std::string_view verb = word();
  if (verb == "+CONTINUE") {
    const std::string_view id = word();
    if (!word().empty() || (!id.empty() && !is_replid(id))) return r;
    r.kind = PsyncReply::Kind::continue_;
    r.replid = std::string(id);
  } else if (verb == "+FULLRESYNC") {
    const std::string_view id = word();
    auto offset = parse_count(word());
    if (!is_replid(id) || !offset || !word().empty()) return r;
    r.kind = PsyncReply::Kind::full_resync;
    r.replid = std::string(id);
    r.offset = *offset;
  }
  return r;
}

std::optional<RdbHeader> parse_rdb_header(std::string_view line) {
  if (line.empty() || line.front() != '$') return std::nullopt;
  line.remove_prefix(1);
  RdbHeader h;
  if (line.substr(0, 4) == "EOF:") {
    if (line.size() != 4 + k_eof_mark_size) return std::nullopt;
    h.eof_mark = std::string(line.substr(4));
    return h;
  }
  auto n = parse_count(line);
  if (!n) return std::nullopt;
  h.length = *n;
  return h;
}

RdbPayload::RdbPayload(RdbHeader header)
    : remaining_(header.length), mark_(std::move(header.eof_mark)) {
  if (mark_.empty() && remaining_ <= 0) done_ = true;
}

std::size_t RdbPayload::feed(std::string_view in, std::string& out) {
  if (done_) return 0;
  if (mark_.empty()) {
    const auto n = static_cast<std::size_t>(
        std::min<long long>(remaining_, static_cast<long long>(in.size())));
    out.append(in.substr(0, n));
    remaining_ -= static_cast<long long>(n);
    payload_ += static_cast<long long>(n);
    done_ = remaining_ == 0;
    return n;
  }
  // Diskless: the payload ends where the mark appears; hold back the last bytes, which may be
  // the start of the mark, until more arrive.
  const std::size_t held_before = held_.size();
  held_.append(in);
  const auto at = held_.find(mark_);
  if (at != std::string::npos) {
    out.append(held_, 0, at);
    payload_ += static_cast<long long>(at);
    done_ = true;
    held_.clear();
    return at + mark_.size() - held_before;
  }
  if (held_.size() > mark_.size()) {
    const std::size_t ready = held_.size() - mark_.size();
    out.append(held_, 0, ready);
    payload_ += static_cast<long long>(ready);
    held_.erase(0, ready);
  }
  return in.size();
}

StreamCommandKind classify_stream_command(const std::vector<std::string_view>& argv, int* db) {
  if (argv.empty()) return StreamCommandKind::data;
  const std::string_view name = argv[0];
  if (iequals(name, "ping") || iequals(name, "replconf")) return StreamCommandKind::keepalive;
  if (iequals(name, "multi") && argv.size() == 1) return StreamCommandKind::multi;
  if (iequals(name, "exec") && argv.size() == 1) return StreamCommandKind::exec;
  if (iequals(name, "select") && argv.size() == 2) {
    auto n = parse_count(argv[1]);
    if (n && *n <= 1'000'000) {
      if (db != nullptr) *db = static_cast<int>(*n);
      return StreamCommandKind::select;
    }
  }
  return StreamCommandKind::data;
}

CommandStreamParser::CommandStreamParser(StreamLimits limits) : limits_(limits) {}

void CommandStreamParser::feed(std::string_view data) {
  if (start_ > 0) {
    buf_.erase(0, start_);
    start_ = 0;
  }
  buf_.append(data);
}

ParseStatus CommandStreamParser::parse(std::string_view cmd, const StreamLimits& limits, State& st,
                                       std::string* error) {
  if (st.argc == 0) {
    long long n = 0;
    std::size_t next = 0;
    const auto s = read_header(cmd, 0, '*', n, next, error);
    if (s != ParseStatus::command) return s;
    if (n < 1 || static_cast<unsigned long long>(n) > limits.max_args) {
      set_error(error, "a command of " + std::to_string(n) + " arguments (limit " +
                           std::to_string(limits.max_args) + ")");
      return ParseStatus::error;
    }
    st.argc = static_cast<std::size_t>(n);
    st.pos = next;
    st.args.clear();
    st.args.reserve(std::min<std::size_t>(st.argc, 64));
  }
  while (st.args.size() < st.argc) {
    long long len = 0;
    std::size_t data = 0;
    const auto s = read_header(cmd, st.pos, '$', len, data, error);
    if (s != ParseStatus::command) return s;
    const auto end =
        static_cast<unsigned long long>(data) + static_cast<unsigned long long>(len) + 2;
    if (end > limits.max_command_bytes) {
      set_error(error,
                "a command larger than " + std::to_string(limits.max_command_bytes) + " bytes");
      return ParseStatus::error;
    }
    if (end > cmd.size()) return ParseStatus::need_more;
    const auto len_sz = static_cast<std::size_t>(len);
    if (cmd[data + len_sz] != '\r' || cmd[data + len_sz + 1] != '\n') {
      set_error(error, "argument not terminated by CRLF");
      return ParseStatus::error;
    }
    st.args.emplace_back(data, len_sz);
    st.pos = static_cast<std::size_t>(end);
  }
  return ParseStatus::command;
}

ParseStatus CommandStreamParser::next(StreamCommand& out) {
  if (!error_.empty()) return ParseStatus::error;
  const std::string_view cmd(buf_.data() + start_, buf_.size() - start_);
  const auto s = parse(cmd, limits_, state_, &error_);
  if (s == ParseStatus::error && error_.empty()) error_ = "malformed command";
  if (s != ParseStatus::command) return s;
  out.argv.clear();
  out.argv.reserve(state_.args.size());
  for (const auto& [off, len] : state_.args) out.argv.push_back(cmd.substr(off, len));
  out.raw = cmd.substr(0, state_.pos);
  start_ += state_.pos;
  consumed_ += static_cast<long long>(state_.pos);
  state_ = State{};
  return ParseStatus::command;
}

DbAtEnd find_db_at_end(std::string_view bytes, const StreamLimits& limits, std::size_t max_work) {
  DbAtEnd result;
  std::size_t work = 0;
  CommandStreamParser::State st;
  std::vector<std::string_view> argv;
  for (std::size_t i = 0; i < bytes.size() && work <= max_work; ++i) {
    if (bytes[i] != '*') continue;
    std::size_t pos = i;
    std::optional<int> db;
    bool ok = true;
    while (pos < bytes.size()) {
      st = {};
      const std::string_view cmd = bytes.substr(pos);
      const auto s = CommandStreamParser::parse(cmd, limits, st, nullptr);
      work += st.pos + 1;
      if (s != ParseStatus::command) {
        ok = false;
        break;
      }
      argv.clear();
      for (const auto& [off, len] : st.args) argv.push_back(cmd.substr(off, len));
      int selected = 0;
      if (classify_stream_command(argv, &selected) == StreamCommandKind::select) db = selected;
      pos += st.pos;
      if (work > max_work) {
        ok = false;
        break;
      }
    }
    if (ok && pos == bytes.size()) {
      result.aligned = true;
      result.db = db;
      return result;
    }
  }
  return result;
}

namespace {
template <typename Args>
std::string encode(const Args& argv) {
  std::string out = "*" + std::to_string(argv.size()) + "\r\n";
  for (const auto& a : argv) {
    out += "$";
    out += std::to_string(a.size());
    out += "\r\n";
    out.append(a.data(), a.size());
    out += "\r\n";
  }
  return out;
}
}  // namespace

std::string encode_command(const std::vector<std::string_view>& argv) { return encode(argv); }
std::string encode_command(const std::vector<std::string>& argv) { return encode(argv); }

}  // namespace redvip::agent
