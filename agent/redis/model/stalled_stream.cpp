#include "agent/redis/model/stalled_stream.hpp"

#include <algorithm>

#include "agent/redis/model/decisions.hpp"

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
  // As the master judges a PSYNC: it asks for the byte after ours, in the master's history (or
  // the one it continued, up to where it forked), and the backlog must still hold that byte.
  const long long wanted = after.slave_repl_offset + 1;
  const bool same_history =
      after.master_replid == master->master_replid ||
      (after.master_replid == master->master_replid2 && wanted <= master->second_repl_offset);
  const long long first = master->repl_backlog_first_byte_offset;
  const bool in_backlog = master->repl_backlog_active && first >= 0 && wanted >= first &&
                          wanted <= first + master->repl_backlog_histlen;
  out.verdict =
      same_history && in_backlog ? StreamVerdict::stalled : StreamVerdict::stalled_beyond_backlog;
  return out;
}

}  // namespace redvip::agent
