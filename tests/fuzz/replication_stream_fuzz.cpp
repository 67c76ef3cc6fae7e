// Fuzzes what a master sends after PSYNC, the way ReplicationLink reads it: the reply line
// (with newline keep-alives), an RDB header and payload in both forms, and the command stream,
// each fed in chunks the input chooses. Invariants: no crash, no unbounded work, every command
// the parser returns re-encodes to exactly its raw bytes, the bytes consumed match the raw
// spans, nothing is returned past an error, an RDB payload never exceeds its declared length.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "agent/redis/model/replication_stream.hpp"

using namespace redvip::agent;

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

// The first byte picks the chunk size (1..64) and the limits; the rest is the server's bytes.
void stream(std::string_view in, std::size_t chunk, const StreamLimits& limits) {
  CommandStreamParser p(limits);
  StreamCommand c;
  long long raw_total = 0;
  bool failed = false;
  for (std::size_t at = 0; at < in.size() && !failed; at += chunk) {
    p.feed(in.substr(at, chunk));
    for (;;) {
      const auto s = p.next(c);
      if (s == ParseStatus::need_more) break;
      if (s == ParseStatus::error) {
        require(!p.error().empty());
        require(p.next(c) == ParseStatus::error);  // an error is final
        failed = true;
        break;
      }
      require(!c.argv.empty() && c.argv.size() <= limits.max_args);
      require(c.raw.size() <= limits.max_command_bytes);
      require(encode_command(c.argv) == c.raw);
      raw_total += static_cast<long long>(c.raw.size());
      require(p.consumed() == raw_total);
      int db = -1;
      if (classify_stream_command(c.argv, &db) == StreamCommandKind::select) require(db >= 0);
    }
  }
  (void)find_db_at_end(in, limits, 64 * (in.size() + 1));
}

void handshake(std::string_view in, std::size_t chunk) {
  std::string buf;
  std::size_t pos = 0;
  for (std::size_t at = 0; at < in.size(); at += chunk) {
    buf.append(in.substr(at, chunk));
    std::string_view line;
    const auto s = take_line(buf, pos, 256, line);
    if (s == LineStatus::too_long) return;
    if (s == LineStatus::need_more) continue;
    require(line.size() <= 256);
    const auto reply = parse_psync_reply(line);
    if (reply.kind == PsyncReply::Kind::full_resync)
      require(reply.offset >= 0 && !reply.replid.empty());
    auto header = parse_rdb_header(line);
    if (!header) continue;
    const long long declared = header->length;
    RdbPayload payload(std::move(*header));
    std::string out;
    std::string_view rest = std::string_view(buf).substr(pos);
    while (!rest.empty() && !payload.done()) {
      const std::size_t used = payload.feed(rest.substr(0, chunk), out);
      require(used <= std::min(chunk, rest.size()));
      if (used == 0 && !payload.done()) break;
      rest.remove_prefix(used);
    }
    require(static_cast<long long>(out.size()) == payload.payload_bytes());
    if (declared >= 0) require(payload.payload_bytes() <= declared);
    return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto knob = static_cast<unsigned char>(data[0]);
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t chunk = 1 + (knob & 63);
  StreamLimits limits;
  if (knob & 64) {
    limits.max_args = 8;
    limits.max_command_bytes = 256;
  }
  if (knob & 128) {
    handshake(in, chunk);
  } else {
    stream(in, chunk, limits);
  }
  return 0;
}
