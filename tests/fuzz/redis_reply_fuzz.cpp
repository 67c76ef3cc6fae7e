// Fuzzes what a Redis sends back, the way RedisConnection reads it: the client's ReplyReader
// (hiredis parsing into our bounded reply objects), fed in chunks the input chooses, with small
// bounds so that the input reaches them. Invariants: no crash, no leak, no unbounded work or
// memory; a reply never holds more elements or string bytes than its bounds allow; the reader
// never holds more than the byte bound plus one chunk; a failure is final and has a reason.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "agent/redis/client/reply_reader.hpp"

using namespace redvip::agent;

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

struct Size {
  std::size_t elements = 0;
  std::size_t bytes = 0;
};

Size measure(const RedisReply& r) {
  Size s{r.elements.size(), r.str.size()};
  for (const auto& e : r.elements) {
    const Size inner = measure(e);
    s.elements += inner.elements;
    s.bytes += inner.bytes;
  }
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  // The first byte picks the chunk size (1..64), the second the bounds; the rest is the server's.
  const std::size_t chunk = (data[0] & 63u) + 1;
  ReplyLimits limits;
  limits.max_bytes = 64 + (data[1] & 15u) * 256;
  limits.max_elements = 1 + (data[1] >> 4) * 8;
  const char* in = reinterpret_cast<const char*>(data + 2);
  const std::size_t n = size - 2;

  ReplyReader reader(limits);
  for (std::size_t at = 0; at < n; at += chunk) {
    const std::size_t len = std::min(chunk, n - at);
    if (!reader.feed(in + at, len)) {
      require(reader.failed());
      break;
    }
    while (auto reply = reader.next()) {
      const Size s = measure(*reply);
      require(s.elements <= limits.max_elements);
      require(s.bytes <= limits.max_bytes + chunk);
    }
    if (reader.failed()) {
      require(!reader.error().empty());
      require(!reader.next());
      require(!reader.feed("+OK\r\n", 5));
      break;
    }
    require(reader.pending_bytes() <= limits.max_bytes + chunk);
  }
  return 0;
}
