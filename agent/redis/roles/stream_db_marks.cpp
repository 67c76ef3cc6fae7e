// The database of the replication stream at a recent offset (model/stream_db.hpp), noted at
// most once per kStreamDbMarkEvery for the diverged-writes save: the writes a master took since
// a fork run in the database selected before it, which the stream may not name for gigabytes.
// Asked of our Redis while it follows with the link up, and of each peer's Redis while we
// serve (a replica of ours knows our stream's database). Only with a diverged_writes_dir:
// nothing else reads the mark.
#include "agent/log/log.hpp"
#include "agent/redis/roles/role_controller.hpp"

namespace redvip::agent {

void RedisRoleController::maybe_mark_stream_db(const ReplicationInfo& info) {
  if (redis_.diverged_writes_dir.empty()) return;
  const bool following = info.role == RedisRole::replica && info.master_link_up;
  if (!following && !(serving_ && info.role == RedisRole::master)) return;
  if (!stream_db_ask_.try_start(Clock::now(), kStreamDbMarkEvery)) return;
  spawn(mark_stream_db(following, servings_));
}

Awaitable<void> RedisRoleController::mark_stream_db(bool ours, std::uint64_t term) {
  const auto asking = clear_on_exit(stream_db_ask_.in_flight);
  if (ours) {
    note_stream_db(local_->name(), co_await local_->stream_db_mark(redis_.check_timeout));
    co_return;
  }
  if (db_mark_peers_.size() != redis_.peers.size()) db_mark_peers_.assign(redis_.peers.size(), {});
  for (std::size_t i = 0; i < redis_.peers.size(); ++i) {
    auto ops = db_mark_peers_[i];
    if (!ops) ops = peer(redis_.peers[i].to_string(), redis_.peer_port);
    auto answer = co_await ops->stream_db_mark(redis_.check_timeout);
    // We left master meanwhile: our stream is no longer what the peers follow.
    if (term != servings_ || !serving_ || !latest_) co_return;
    // Kept while its Redis replies (an error reply too); a dead connection is opened anew: it
    // would wait out a reconnect backoff.
    db_mark_peers_[i] = answer.status.ok() || redis_replied(answer.status.error) ? ops : nullptr;
    // A peer that follows another master reads another stream.
    if (answer.mark && answer.mark->replid != latest_->master_replid) answer.mark.reset();
    note_stream_db(ops->name(), answer);
  }
}

void RedisRoleController::note_stream_db(const std::string& from,
                                         const StreamDbMarkResult& answer) {
  if (answer.mark) {
    const auto& mark = *answer.mark;
    if (stream_db_marks_.note(mark))
      log(Level::debug, settings_.name, "replication stream {} at offset {}: database {}",
          mark.replid, mark.offset, mark.db);
    return;
  }
  // Refused (an ACL without INFO or CLIENT LIST, a renamed CLIENT): without marks a save knows
  // the database at the fork only from a SELECT in the last 1 MiB before it.
  if (!answer.status.ok() && redis_replied(answer.status.error))
    stream_db_log_.log(Level::warning, settings_.name, from,
                       "redis at {} refuses INFO replication or CLIENT LIST TYPE master ({}): the "
                       "database at a fork is then known only from a SELECT in the last 1 MiB "
                       "before it; allow both for redvip's user",
                       from, answer.status.message);
}

}  // namespace redvip::agent
