#include "agent/redis/model/stalled_stream.hpp"

#include <algorithm>

#include "agent/redis/model/decisions.hpp"
#include "agent/redis/model/divergence.hpp"

namespace redvip::agent {

std::string_view to_string(StreamVerdict v) {
  switch (v) {
    case StreamVerdict::not_streaming:
      return "not streaming";
    case StreamVerdict::no_master:
      return "no master";
    case StreamVerdict::flowing:
      return "flowing";
    case StreamVerdict::stalled:
      return "stalled";
    case StreamVerdict::stalled_beyond_backlog:
      return "stalled beyond the backlog";
  }
  return "?";
}

StreamJudgement judge_stream(const ReplicationInfo& before,
                             const std::optional<ReplicationInfo>& master,
                             const ReplicationInfo& after, std::string_view master_host) {
  StreamJudgement out;
  if (!streaming_from(before, master_host) || !streaming_from(after, master_host)) return out;
  if (!master || master->role != RedisRole::master || master->master_repl_offset < 0 ||
      after.slave_repl_offset < 0) {
    out.verdict = StreamVerdict::no_master;
    return out;
  }
  out.behind = std::max(0LL, master->master_repl_offset - after.slave_repl_offset);
  if (out.behind == 0 || after.slave_repl_offset != before.slave_repl_offset) {
    out.verdict = StreamVerdict::flowing;
    return out;
  }
  // Our Redis reconnects with PSYNC <its id> <the byte after ours>: the master's own test.
  const bool continues = accepts_psync(ReplicationHistory::from(*master), after.master_replid,
                                       after.slave_repl_offset + 1);
  out.verdict = continues ? StreamVerdict::stalled : StreamVerdict::stalled_beyond_backlog;
  return out;
}

}  // namespace redvip::agent
