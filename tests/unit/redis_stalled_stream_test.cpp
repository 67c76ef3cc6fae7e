// A replica whose master link looks up but carries nothing (redis/model/stalled_stream.hpp):
// when is the stream restarted, and when is it left to Redis.
#include "agent/redis/model/stalled_stream.hpp"

#include <catch2/catch.hpp>

using namespace redvip::agent;

namespace {

ReplicationInfo ours(long long offset, bool link_up = true, const std::string& host = "10.0.0.1",
                     const std::string& replid = "h1") {
  ReplicationInfo i;
  i.role = RedisRole::replica;
  i.master_host = host;
  i.master_port = 6379;
  i.master_link_up = link_up;
  i.slave_repl_offset = offset;
  i.master_repl_offset = offset;
  i.master_replid = replid;
  return i;
}

// A master at `offset` whose backlog holds [first, offset].
ReplicationInfo master(long long offset, long long first = 1) {
  ReplicationInfo i;
  i.role = RedisRole::master;
  i.master_replid = "h1";
  i.master_repl_offset = offset;
  i.repl_backlog_active = true;
  i.repl_backlog_first_byte_offset = first;
  i.repl_backlog_histlen = offset - first + 1;
  return i;
}

}  // namespace

TEST_CASE("stalled stream: restarted only when behind, not moving, and continuable",
          "[redis][stalled_stream]") {
  using V = StreamVerdict;
  auto continued = master(9000);
  continued.master_replid = "h2";  // promoted since: h1 continued up to 8000
  continued.master_replid2 = "h1";
  continued.second_repl_offset = 8000;
  auto not_master = master(9000);
  not_master.role = RedisRole::replica;
  struct Row {
    const char* what;
    ReplicationInfo before;
    std::optional<ReplicationInfo> master;
    ReplicationInfo after;
    V verdict;
    long long behind;
  };
  const Row rows[] = {
      {"at the master's offset", ours(5000), master(5000), ours(5000), V::flowing, 0},
      {"past it (ours read after theirs)", ours(5000), master(4900), ours(5100), V::flowing, 0},
      {"behind but moving: a stream that flows", ours(5000), master(9000), ours(6000), V::flowing,
       3000},
      {"behind, not moving: the master's retransmission waits", ours(5000), master(9000),
       ours(5000), V::stalled, 4000},
      {"one byte behind, not moving", ours(8999), master(9000), ours(8999), V::stalled, 1},
      {"the backlog starts at the byte we need", ours(5000), master(9000, 5001), ours(5000),
       V::stalled, 4000},
      {"the backlog starts past it: a restart would cost a full sync", ours(5000),
       master(9000, 5002), ours(5000), V::stalled_beyond_backlog, 4000},
      {"the master continued our history: PSYNC continues", ours(7000), continued, ours(7000),
       V::stalled, 2000},
      {"our offset past where the master forked it", ours(8500), continued, ours(8500),
       V::stalled_beyond_backlog, 500},
      {"another history altogether", ours(5000, true, "10.0.0.1", "h9"), master(9000),
       ours(5000, true, "10.0.0.1", "h9"), V::stalled_beyond_backlog, 4000},
      {"link down: Redis reconnects by itself", ours(5000, false), master(9000), ours(5000, false),
       V::not_streaming, -1},
      {"the link went down meanwhile", ours(5000), master(9000), ours(5000, false),
       V::not_streaming, -1},
      {"following another master", ours(5000, true, "10.0.0.3"), master(9000),
       ours(5000, true, "10.0.0.3"), V::not_streaming, -1},
      {"the master did not answer", ours(5000), std::nullopt, ours(5000), V::no_master, -1},
      {"the master's Redis is no master", ours(5000), not_master, ours(5000), V::no_master, -1},
  };
  for (const auto& r : rows) {
    INFO(r.what);
    const auto j = judge_stream(r.before, r.master, r.after, "10.0.0.1");
    CHECK(to_string(j.verdict) == to_string(r.verdict));
    CHECK(j.behind == r.behind);
  }
}
