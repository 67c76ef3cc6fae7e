#pragma once
// What a Redis master sends a replica after PSYNC, parsed: the PSYNC reply line, the RDB
// payload of a full resync (a bulk with a length, or the diskless "$EOF:<mark>" form), and the
// command stream (RESP arrays of bulk strings). Everything here is hostile input: sizes are
// bounded, every malformed byte is an error with a reason, nothing is trusted to terminate.
// Pure (standard library only): fuzzed by tests/fuzz/replication_stream_fuzz.cpp.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace redvip::agent {

struct StreamLimits {
  std::size_t max_line = 1024;                // a reply or header line
  std::size_t max_args = 1024 * 1024;         // arguments of one command
  std::size_t max_command_bytes = 64u << 20;  // one command as sent (held in memory whole)
};

// --- Lines before the stream -------------------------------------------------------------

enum class LineStatus { need_more, line, too_long };
// Takes one CRLF-terminated line from buf starting at pos (advanced past it). Bare "\n" before
// a line are skipped: a master sends them as keep-alives while it prepares a full resync.
LineStatus take_line(std::string_view buf, std::size_t& pos, std::size_t max,
                     std::string_view& line);

struct PsyncReply {
  enum class Kind { continue_, full_resync, error, invalid };
  Kind kind = Kind::invalid;
  std::string replid;     // +CONTINUE <id> (the master's current id), +FULLRESYNC <id> <offset>
  long long offset = -1;  // +FULLRESYNC: the offset the RDB stands for
  std::string text;       // the line, for messages
};
PsyncReply parse_psync_reply(std::string_view line);

// "$<length>" or "$EOF:<40-byte mark>", the header of a full resync's RDB payload.
struct RdbHeader {
  long long length = -1;  // >= 0 for the length form
  std::string eof_mark;   // the mark that ends the diskless form
};
std::optional<RdbHeader> parse_rdb_header(std::string_view line);

// The RDB payload after its header. The length form ends after exactly `length` bytes (no CRLF
// follows); the diskless form ends with its 40-byte mark, which is not part of the payload.
class RdbPayload {
 public:
  explicit RdbPayload(RdbHeader header);
  // Consumes bytes of `in` up to the payload's end; appends payload bytes to `out`. Returns the
  // count consumed (bytes after the end are left to the caller).
  std::size_t feed(std::string_view in, std::string& out);
  bool done() const { return done_; }
  long long payload_bytes() const { return payload_; }

 private:
  long long remaining_ = -1;  // length form
  std::string mark_;          // diskless form
  std::string held_;          // diskless: the last bytes, which may be the start of the mark
  long long payload_ = 0;
  bool done_ = false;
};

// --- The command stream ------------------------------------------------------------------

enum class StreamCommandKind { data, keepalive, select, multi, exec };

// PING and REPLCONF (GETACK) are the master's own keep-alives, never a client's write; SELECT,
// MULTI and EXEC frame the writes. `db` is set for a SELECT with a valid database number.
StreamCommandKind classify_stream_command(const std::vector<std::string_view>& argv,
                                          int* db = nullptr);

struct StreamCommand {
  std::vector<std::string_view> argv;
  std::string_view raw;  // the command's bytes exactly as sent
};

enum class ParseStatus { need_more, command, error };

// An incremental parser of the stream: feed() what was read, then next() until need_more.
// Resumes where it stopped, so a command arriving in many pieces is scanned once.
class CommandStreamParser {
 public:
  explicit CommandStreamParser(StreamLimits limits = {});
  void feed(std::string_view data);
  // The next complete command; its views stay valid until the next feed() or next().
  ParseStatus next(StreamCommand& out);
  const std::string& error() const { return error_; }
  long long consumed() const { return consumed_; }               // bytes of the commands returned
  std::size_t buffered() const { return buf_.size() - start_; }  // bytes not yet returned

  // Parses one command at `pos` of a complete view, without state (for the scans below).
  struct State {
    std::size_t argc = 0;                                   // 0 until the array header is read
    std::size_t pos = 0;                                    // relative to the command's start
    std::vector<std::pair<std::size_t, std::size_t>> args;  // offset, length (relative)
  };
  static ParseStatus parse(std::string_view cmd, const StreamLimits& limits, State& st,
                           std::string* error);

 private:
  StreamLimits limits_;
  std::string buf_;
  std::size_t start_ = 0;  // the current command's first byte in buf_
  State state_;
  std::string error_;
  long long consumed_ = 0;
};

// The database selected at the end of `bytes`, a stretch of stream that ends on a command
// boundary but may start inside a command (a backlog is trimmed by blocks, not commands).
// Finds the earliest start from which the bytes parse as whole commands ending exactly at the
// end, and returns the last SELECT in that parse. nullopt when no start parses or no SELECT is
// seen. `max_work` bounds the bytes scanned over all tried starts.
struct DbAtEnd {
  bool aligned = false;  // some start parsed to the end
  std::optional<int> db;
};
DbAtEnd find_db_at_end(std::string_view bytes, const StreamLimits& limits, std::size_t max_work);

// RESP encoding of one command (an array of bulk strings), as a replica receives it and as
// `redis-cli --pipe` replays it.
std::string encode_command(const std::vector<std::string_view>& argv);
std::string encode_command(const std::vector<std::string>& argv);

}  // namespace redvip::agent
