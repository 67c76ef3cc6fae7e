// A backup's Redis whose stream from the master stands still after a silence
// (model/stalled_stream.hpp): when the master we follow is heard again (following.cpp: heard),
// its link is restarted so the stream continues at once, not at the master's next TCP
// retransmission.
#include <fmt/format.h>

// g++ 12 inlines Asio's coroutine frame allocation into this sequence and then reports its own
// recycling operator delete as mismatched (a false positive of -Wmismatched-new-delete).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include "agent/log/log.hpp"
#include "agent/redis/model/stalled_stream.hpp"
#include "agent/redis/roles/role_controller.hpp"

namespace redvip::agent {

// The master's offset, asked on new connections (the kept one went through the same silence,
// and right after a link returns the first attempts may go unanswered) every kStreamAskEvery
// until it answers, for at most kStreamAskFor; then ours, and ours again kStreamStallProbe
// later. Applied only while we still follow that master as a backup.
Awaitable<void> RedisRoleController::restart_stalled_stream(vrrp::IpAddress master) {
  const auto checking = clear_on_exit(stream_check_in_flight_);
  const auto host = master.to_string();
  const auto still_backup = [&] { return following_ == master && !serving_ && !promoting_; };
  std::string unanswered;
  const auto theirs = co_await poll_until(
      Clock::now() + kStreamAskFor, kStreamAskEvery, stop_.get_token(),
      [&]() -> Awaitable<std::optional<ReplicationInfo>> {
        if (!still_backup()) co_return ReplicationInfo{};
        const auto ops = peer(host, redis_.peer_port);
        const auto answer = co_await ops->replication_info(redis_.check_timeout);
        if (answer.ok() && answer.info.role == RedisRole::master) co_return answer.info;
        unanswered = answer.ok() ? "its redis is no master" : answer.status.message;
        co_return std::nullopt;
      });
  if (!still_backup()) co_return;
  if (!theirs) {
    log(Level::info, settings_.name,
        "{} heard again after a silence: its redis did not answer for {} ms ({}): our redis's "
        "stream from it not checked",
        host, kStreamAskFor.count(), unanswered);
    co_return;
  }
  const auto before = co_await local_->replication_info(redis_.check_timeout);
  co_await sleep_for(kStreamStallProbe, stop_.get_token());
  const auto after = co_await local_->replication_info(redis_.check_timeout);
  if (!before.ok() || !after.ok() || !still_backup()) co_return;
  const auto stream = judge_stream(before.info, *theirs, after.info, host);
  switch (stream.verdict) {
    case StreamVerdict::stalled:
      break;
    case StreamVerdict::stalled_beyond_backlog:
      log(Level::warning, settings_.name,
          "{} heard again after a silence: our redis's stream from it stands still {} bytes "
          "behind, beyond its backlog: left to resume by itself (a restart would cost a full "
          "sync)",
          host, stream.behind);
      co_return;
    case StreamVerdict::not_streaming:
    case StreamVerdict::no_master:
    case StreamVerdict::flowing:
      log(Level::info, settings_.name,
          "{} heard again after a silence: our redis's stream from it: {} ({} bytes behind)", host,
          to_string(stream.verdict), stream.behind);
      co_return;
  }
  const auto restarted = co_await local_->restart_master_link(kRoleChangeTimeout);
  if (!restarted.ok()) {
    log(Level::warning, settings_.name,
        "{} heard again after a silence: our redis's stream from it stands still {} bytes behind; "
        "restarting its link failed: {}",
        host, stream.behind, restarted.message);
    co_return;
  }
  ++stalled_streams_restarted_;
  log(Level::notice, settings_.name,
      "{} heard again after a silence: our redis's stream from it stood still {} bytes behind; "
      "link restarted (CLIENT KILL TYPE master), redis continues from its offset",
      host, stream.behind);
}

}  // namespace redvip::agent
