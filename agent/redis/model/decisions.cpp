#include "agent/redis/model/decisions.hpp"

#include <algorithm>

namespace redvip::agent {

bool restarted(std::string_view history, const ReplicationInfo& now, bool reconnected) {
  return reconnected && !history.empty() && now.master_replid != history &&
         now.role == RedisRole::master;
}

// A replica has "completed a sync in this history" when, after we pointed it at the master:
//  - it reports that master (host and port as we gave them to REPLICAOF),
//  - master_link_status is up and master_sync_in_progress is 0: Redis sets the link up only
//    after loading the full RDB (or accepting a partial resync), so a half-transferred data
//    set never shows "up",
//  - it is not loading,
//  - and, when the caller knows the master's replid, the replica carries the same replid:
//    a replica adopts its master's replication ID when (and only when) a sync succeeds, so
//    this ties the judgement to the current history rather than a stale earlier link.
SyncJudgement judge_sync_completed(const ReplicationInfo& replica, std::string_view master_host,
                                   int master_port, std::string_view master_replid) {
  if (replica.role != RedisRole::replica) return {false, "not a replica"};
  if (replica.master_host != master_host || replica.master_port != master_port) {
    return {false, "replicating from " + replica.master_host + ":" +
                       std::to_string(replica.master_port) + ", not the expected master"};
  }
  if (replica.loading) return {false, "loading"};
  if (replica.master_sync_in_progress) return {false, "sync in progress"};
  if (!replica.master_link_up) return {false, "master link down"};
  if (!master_replid.empty() && replica.master_replid != master_replid) {
    return {false, "replication id differs from the master's"};
  }
  return {true, "synced"};
}

CheckVerdict judge_check(const PromotionGate& gate, const ReplicationInfo& info, bool reconnected,
                         const std::optional<std::string>& following, int peer_port,
                         bool master_heard) {
  CheckVerdict v;
  v.gate = gate;
  if (info.loading) {
    v.gate.open = false;
    v.gate.why = "loading its data set";
    v.decided = true;
    return v;
  }
  if (info.role == RedisRole::replica && info.replica_priority == 0) {
    // The operator's word, as Sentinel reads it: this replica follows, it never takes over.
    v.gate = PromotionGate{false, "", std::string(kNeverPromoted)};
    v.decided = true;
    return v;
  }
  if (gate.open) {
    if (restarted(gate.history, info, reconnected)) {
      v.gate = PromotionGate{false, "", "redis restarted with a new replication history"};
      v.decided = true;
      v.forget_following = true;
    } else if (info.role == RedisRole::master && master_heard) {
      // Our Redis is a master while another node is the VRRP master: that one promoted its
      // Redis after ours went away (hung, cut off), so ours is a stale history now, and
      // "already master" must not let it take the VIP back with it.
      v.gate =
          PromotionGate{false, "", "another master took over: our redis must sync from it first"};
      v.decided = true;
    } else {
      // Still the data we were promoted or synced with; our own promotion moves the id along.
      v.gate.history = info.master_replid;
      return v;
    }
  }
  if (info.role == RedisRole::replica) {
    // A replica we did not point anywhere proves nothing; master_seen() will point it.
    if (!following || v.forget_following) return v;
    const auto sync = judge_sync_completed(info, *following, peer_port);
    if (sync.completed) {
      // Synced: the gate opens once our Redis is close to the master's offset (judge_lag).
      // The last measurement's reason stays until the next one replaces it.
      const auto synced = "synced from " + *following + ":" + std::to_string(peer_port);
      if (gate.why.rfind(synced, 0) != 0) v.gate.why = synced + ", catching up with its offset";
      v.then = AfterCheck::measure_lag;
    } else {
      v.gate.why = sync.reason;
      // Down at the master we chose, and no sync under way: only its answer says why.
      if (info.master_host == *following && info.master_port == peer_port && !info.master_link_up &&
          !info.master_sync_in_progress && !info.loading)
        v.then = AfterCheck::explain_link_down;
    }
    return v;
  }
  if (info.role == RedisRole::master) {
    v.then = master_heard ? AfterCheck::follow_master : AfterCheck::check_cold_start;
  }
  return v;
}

MasterAnswer master_answer(std::error_code asked) {
  if (!asked) return MasterAnswer::answers;
  if (asked == make_error_code(RedisErrc::connection_lost)) return MasterAnswer::closed_on_us;
  if (asked == make_error_code(RedisErrc::server_error) ||
      asked == make_error_code(RedisErrc::auth_failed) ||
      asked == make_error_code(RedisErrc::loading))
    return MasterAnswer::error_reply;
  return MasterAnswer::no_answer;
}

std::string explain_link_down(std::string_view reason, std::string_view master, MasterAnswer answer,
                              std::string_view text) {
  const std::string head = std::string(reason) + " (" + std::string(master);
  std::string cleaned(text.substr(0, kMaxPeerAnswer));
  for (char& c : cleaned) {
    if (c < 0x20 || c == 0x7f) c = ' ';
  }
  if (text.size() > kMaxPeerAnswer) cleaned += "...";
  switch (answer) {
    case MasterAnswer::answers:
      return head + " answers us: check masterauth/masteruser and the replica's redis log)";
    case MasterAnswer::error_reply:
      return head + " answers: " + cleaned + ")";
    case MasterAnswer::closed_on_us:
      return head +
             " closes connections from other hosts before answering: protected mode? It needs "
             "bind and protected-mode no, or a password; the replica's redis log names the cause)";
    case MasterAnswer::no_answer:
      return head + " does not answer: " + cleaned + ")";
  }
  return std::string(reason);
}

bool serving_from_a_replica(bool serving, const ReplicationInfo& ours, bool other_master_heard,
                            bool reconciling) {
  return serving && ours.role == RedisRole::replica && !other_master_heard && !reconciling;
}

std::chrono::milliseconds heard_interval(std::chrono::milliseconds theirs,
                                         std::chrono::milliseconds ours) {
  return std::clamp(theirs, ours, kMaxHeardIntervalFactor * ours);
}

bool master_still_heard(std::chrono::milliseconds since_heard,
                        std::chrono::milliseconds advert_interval) {
  return since_heard < kSilentAdverts * advert_interval;
}

bool replicates_from(const std::optional<ReplicationInfo>& theirs, std::string_view host,
                     int port) {
  return theirs && theirs->role == RedisRole::replica && theirs->master_host == host &&
         theirs->master_port == port;
}

FollowGuard judge_follow_guard(const std::optional<ReplicationInfo>& theirs,
                               std::string_view our_host, int our_port,
                               const std::optional<ReplicationInfo>& ours,
                               bool advertised_since_found) {
  if (!replicates_from(theirs, our_host, our_port)) {
    return theirs && theirs->role == RedisRole::replica ? FollowGuard::not_master_yet
                                                        : FollowGuard::follow;
  }
  if (!advertised_since_found || !ours || ours->role != RedisRole::master) return FollowGuard::wait;
  if (!theirs->master_link_up || theirs->master_sync_in_progress ||
      theirs->slave_repl_offset < ours->master_repl_offset)
    return FollowGuard::wait;
  return FollowGuard::hand_back;
}

bool released_to_us(std::string_view releaser, int releaser_port,
                    const std::optional<RoleSightings>& seen) {
  return seen && seen->followed_host == releaser && seen->followed_port == releaser_port &&
         (!seen->master_for || *seen->master_for <= kHandOffMasterWindow);
}

bool hand_off_at_once(bool connection_lost, bool checks_unanswered, bool can_save_writes) {
  return connection_lost || (checks_unanswered && can_save_writes);
}

PromotionGate gate_on_follow(const PromotionGate& gate, std::string_view master_host,
                             int master_port, bool same_master) {
  if (same_master) return gate;
  return PromotionGate{false, "",
                       "following " + std::string(master_host) + ":" + std::to_string(master_port) +
                           ": must sync from it first"};
}

LagJudgement judge_lag(const ReplicationInfo& ours, std::string_view master_host,
                       const std::optional<ReplicationInfo>& master) {
  if (ours.replica_priority == 0) return {false, -1, std::string(kNeverPromoted)};
  if (!master || master->role != RedisRole::master || master->master_repl_offset < 0)
    return {true, -1, "the master's redis does not answer as a master: nothing to catch up with"};
  if (!streaming_from(ours, master_host))
    return {false, -1, "not streaming from " + std::string(master_host)};
  const long long behind = std::max(0LL, master->master_repl_offset - ours.slave_repl_offset);
  if (behind > kPromotableLag)
    return {false, behind,
            std::to_string(behind) + " bytes behind " + std::string(master_host) + "'s offset"};
  return {true, behind,
          "caught up with " + std::string(master_host) + " (" + std::to_string(behind) +
              " bytes behind)"};
}

PromotionPlan plan_promotion(const PromotionGate& gate,
                             const std::optional<ReplicationInfo>& latest, bool follow_pending,
                             bool old_master_alive) {
  if (!gate.open) return PromotionPlan::refuse;
  if (latest && latest->role == RedisRole::master && !follow_pending)
    return PromotionPlan::already_master;
  return old_master_alive ? PromotionPlan::catch_up_first : PromotionPlan::promote;
}

bool streaming_from(const ReplicationInfo& ours, std::string_view master_host) {
  return ours.role == RedisRole::replica && ours.master_link_up && !ours.master_sync_in_progress &&
         ours.master_host == master_host;
}

bool close_enough_to_pause(const ReplicationInfo& ours, std::string_view master_host,
                           long long their_offset, long long first_offset) {
  if (!streaming_from(ours, master_host)) return false;
  if (ours.slave_repl_offset >= their_offset) return true;
  const bool flowing = first_offset >= 0 && ours.slave_repl_offset > first_offset;
  return flowing && their_offset - ours.slave_repl_offset <= kCloseEnoughBytes;
}

std::chrono::milliseconds catch_up_pause_limit(std::chrono::milliseconds handover_timeout) {
  return std::min(handover_timeout, kMaxCatchUpPause);
}

bool caught_up(const ReplicationInfo& ours, std::string_view master_host, long long their_offset) {
  return streaming_from(ours, master_host) && ours.slave_repl_offset >= their_offset;
}

AfterCatchUp after_catch_up(CatchUp outcome, OldMaster old, bool heard_again) {
  // Unpaused whatever the outcome: a pause sent as the link came back may land late.
  if (old == OldMaster::silent && heard_again) return AfterCatchUp::refuse_and_unpause;
  switch (outcome) {
    case CatchUp::caught_up:
      return AfterCatchUp::promote_then_demote_it;
    case CatchUp::old_master_gone:
      return AfterCatchUp::promote_without_it;
    case CatchUp::unreachable:
      return old == OldMaster::preempted ? AfterCatchUp::refuse : AfterCatchUp::promote_without_it;
    case CatchUp::timed_out:
      return old == OldMaster::silent ? AfterCatchUp::promote_then_demote_it
                                      : AfterCatchUp::refuse_and_unpause;
    case CatchUp::not_close:
      return AfterCatchUp::refuse;
  }
  return AfterCatchUp::refuse;
}

bool has_every_write(const ReplicationInfo& replica, long long master_offset) {
  return replica.master_link_up && replica.slave_repl_offset >= master_offset &&
         replica.replica_priority != 0;
}

bool cold_check_due(std::chrono::milliseconds since_start,
                    std::optional<std::chrono::milliseconds> since_last_check,
                    std::chrono::milliseconds advert_interval) {
  // Give a running master time to be heard before concluding there is none.
  if (since_start < 4 * advert_interval) return false;
  return !since_last_check || *since_last_check >= kColdCheckRetry;
}

bool holds_newer_data(const PeerData& peer, const PeerData& self) {
  if (!peer.has_data) return false;
  return !self.has_data || peer.keys > self.keys ||
         (peer.master_replid == self.master_replid &&
          peer.master_repl_offset > self.master_repl_offset);
}

ColdStartVerdict judge_cold_start(const PeerData& self, const std::vector<PeerAnswer>& peers,
                                  std::chrono::milliseconds since_start) {
  if (!self.reachable)
    return {false, "cold start: the local redis did not answer (" + self.error + ")"};
  const PeerAnswer* unknown = nullptr;  // the first peer that did not say what it holds
  for (const auto& p : peers) {
    if (!p.data.reachable) {
      if (!unknown) unknown = &p;
      continue;
    }
    if (holds_newer_data(p.data, self)) {
      return {false, "cold start: peer " + p.name + " holds newer data (" +
                         std::to_string(p.data.keys) + " keys, ours " + std::to_string(self.keys) +
                         ")"};
    }
  }
  if (self.has_data) {
    return {true, "cold start: no reachable peer holds newer data (" + std::to_string(self.keys) +
                      " keys here)"};
  }
  // An empty Redis may serve only when the group holds no data at all.
  // Its own words (a DENIED of protected mode, NOAUTH, a refused connection) are the cause.
  if (unknown)
    return {false,
            "cold start: empty, and peer " + unknown->name + " did not say what it holds (" +
                (unknown->data.error.empty() ? std::string("unreachable") : unknown->data.error) +
                ")"};
  if (peers.empty() && since_start < kEmptyColdStartWait) {
    return {false, "cold start: empty; waiting for a master holding data"};
  }
  return {true, peers.empty() ? "cold start: empty, and no master appeared"
                              : "cold start: every peer is empty too"};
}

bool should_follow(const FollowState& state, const std::optional<ReplicationInfo>& latest,
                   std::string_view master_host, int port) {
  if (state.in_flight) return false;
  const bool already = state.following_it && latest && latest->role == RedisRole::replica &&
                       latest->master_host == master_host && latest->master_port == port;
  if (already) return false;
  return !state.since_last_attempt || *state.since_last_attempt >= kFollowRetry;
}

}  // namespace redvip::agent
