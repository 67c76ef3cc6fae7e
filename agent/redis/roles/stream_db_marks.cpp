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
    const auto answer = co_await local_->stream_db_mark(redis_.check_timeout);
    if (answer.mark) note_stream_db(*answer.mark);
    co_return;
  }
  if (db_mark_peers_.size() != redis_.peers.size()) db_mark_peers_.assign(redis_.peers.size(), {});
  for (std::size_t i = 0; i < redis_.peers.size(); ++i) {
    auto ops = db_mark_peers_[i];
    if (!ops) ops = peer(redis_.peers[i].to_string(), redis_.peer_port);
    const auto answer = co_await ops->stream_db_mark(redis_.check_timeout);
    // We left master meanwhile: our stream is no longer what the peers follow.
    if (term != servings_ || !serving_ || !latest_) co_return;
    // Kept only while it answers: a dead connection waits out a reconnect backoff.
    db_mark_peers_[i] = answer.status.ok() ? ops : nullptr;
    if (answer.mark && answer.mark->replid == latest_->master_replid) note_stream_db(*answer.mark);
  }
}

void RedisRoleController::note_stream_db(const StreamDbMark& mark) {
  // Of one history the furthest mark wins (two replicas read a moment apart).
  if (stream_db_mark_ && stream_db_mark_->replid == mark.replid &&
      stream_db_mark_->offset > mark.offset)
    return;
  if (!stream_db_mark_ || stream_db_mark_->db != mark.db)
    log(Level::debug, settings_.name, "replication stream {} at offset {}: database {}",
        mark.replid, mark.offset, mark.db);
  stream_db_mark_ = mark;
}

}  // namespace redvip::agent
