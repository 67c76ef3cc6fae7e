#pragma once
// A backup's Redis whose master link looks up but carries nothing. When the link between the
// nodes goes down for a while and comes back, the replica's TCP connection to the master
// survives (Redis notices a dead link only after repl-timeout, 60 s), but the master's kernel
// retransmits what it queued at exponentially growing intervals: after a silence of T the stream
// resumes only at the next retransmission, up to about T later. Meanwhile the replica holds none
// of the writes the master acknowledged since the cut, and a crash of the master then loses all
// of them, not only the last moments' (the soak lost 1358 writes so). So when the master is
// heard again after a silence, the controller reads the master's offset, ours, and ours again a
// moment later; a stream that did not move at all while behind is restarted (CLIENT KILL TYPE
// master): Redis reconnects at once and continues from its offset (PSYNC), when the master's
// backlog still holds it. Pure, table-tested.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "agent/redis/model/replication_info.hpp"

namespace redvip::agent {

// How long our offset must stand still, behind the master's, to call the stream stalled: a
// flowing stream on a LAN moves in well under a millisecond; the first retransmission after a
// loss comes 200 ms or more after it.
inline constexpr std::chrono::milliseconds kStreamStallProbe{50};

enum class StreamVerdict {
  not_streaming,  // not a replica of that master with the link up: Redis reconnects by itself
  no_master,      // the master's Redis did not answer as a master: nothing to compare with
  flowing,        // at the master's offset, or moving
  stalled,        // behind and not moving, and the backlog holds our offset: restart the link
  // Behind and not moving, but the master could not continue from our offset: a restart would
  // cost a full sync (and our data set while it lasts); Redis's own retransmission resumes it.
  stalled_beyond_backlog,
};
std::string_view to_string(StreamVerdict v);

struct StreamJudgement {
  StreamVerdict verdict = StreamVerdict::not_streaming;
  long long behind = -1;  // bytes behind the master's offset, when both were known
};

// `master` is the master's INFO, read first; `before` ours, read next; `after` ours again
// kStreamStallProbe later.
StreamJudgement judge_stream(const ReplicationInfo& before,
                             const std::optional<ReplicationInfo>& master,
                             const ReplicationInfo& after, std::string_view master_host);

}  // namespace redvip::agent
