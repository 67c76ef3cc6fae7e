// Table tests of the Redis role decisions (agent/redis/model/decisions.hpp): each row is one
// situation and the answer the design requires.
#include <catch2/catch.hpp>

#include "agent/redis/model/decisions.hpp"

using namespace redvip::agent;
using namespace std::chrono_literals;

namespace {

ReplicationInfo master(const std::string& replid, long long offset = 100) {
  ReplicationInfo i;
  i.role = RedisRole::master;
  i.master_replid = replid;
  i.master_repl_offset = offset;
  return i;
}

ReplicationInfo replica(const std::string& host, int port, bool link_up, long long offset = 100,
                        bool syncing = false, const std::string& replid = "h1") {
  ReplicationInfo i;
  i.role = RedisRole::replica;
  i.master_host = host;
  i.master_port = port;
  i.master_link_up = link_up;
  i.master_sync_in_progress = syncing;
  i.slave_repl_offset = offset;
  i.master_repl_offset = offset;
  i.master_replid = replid;
  return i;
}

PeerData data(long long keys, const std::string& replid = "h1", long long offset = 100) {
  PeerData d;
  d.reachable = true;
  d.keys = keys;
  d.has_data = keys > 0;
  d.role = RedisRole::master;
  d.master_replid = replid;
  d.master_repl_offset = offset;
  return d;
}

PeerData unreachable() {
  PeerData d;
  d.error = "connection refused";
  return d;
}

const PromotionGate k_open{true, "h1", "synced"};
const PromotionGate k_closed{false, "", "not yet checked"};

}  // namespace

TEST_CASE("decisions: restarted needs a reconnect, a known history, a new id and the master role") {
  struct Row {
    const char* what;
    std::string history;
    ReplicationInfo now;
    bool reconnected;
    bool restarted;
  };
  const Row rows[] = {
      {"reconnected as a master of a new history", "h1", master("h2"), true, true},
      {"same connection: our own promotion changed the id", "h1", master("h2"), false, false},
      {"reconnected, same history (a network blip)", "h1", master("h1"), true, false},
      {"reconnected as a replica (it was re-pointed, not restarted)", "h1",
       replica("10.0.0.2", 6379, true, 1, false, "h2"), true, false},
      {"no history known yet", "", master("h2"), true, false},
  };
  for (const auto& r : rows) {
    INFO(r.what);
    CHECK(restarted(r.history, r.now, r.reconnected) == r.restarted);
  }
}

TEST_CASE(
    "decisions: judge_check measures the lag only after a completed sync from the master we "
    "chose") {
  struct Row {
    const char* what;
    PromotionGate gate;
    ReplicationInfo info;
    bool reconnected;
    std::optional<std::string> following;
    bool master_heard;
    bool open_after;
    bool decided;
    AfterCheck then;
  };
  auto loading = master("h1");
  loading.loading = true;
  auto never = replica("10.0.0.2", 6379, true);
  never.replica_priority = 0;
  auto priority_1 = replica("10.0.0.2", 6379, true);
  priority_1.replica_priority = 1;
  const Row rows[] = {
      {"replica-priority 0, synced: never promoted, the lag not even measured", k_closed, never,
       false, "10.0.0.2", true, false, true, AfterCheck::nothing},
      {"replica-priority 0 closes an open gate", k_open, never, false, "10.0.0.2", true, false,
       true, AfterCheck::nothing},
      {"replica-priority 1 is eligible as any other", k_closed, priority_1, false, "10.0.0.2", true,
       false, false, AfterCheck::measure_lag},
      // Synced is not enough: a returning node may be far behind (judge_lag opens the gate).
      {"synced from the master we pointed it at: measure the lag, gate still closed", k_closed,
       replica("10.0.0.2", 6379, true), false, "10.0.0.2", true, false, false,
       AfterCheck::measure_lag},
      {"still syncing", k_closed, replica("10.0.0.2", 6379, false, -1, true), false, "10.0.0.2",
       true, false, false, AfterCheck::nothing},
      {"link down, no sync under way: ask the master why", k_closed,
       replica("10.0.0.2", 6379, false), false, "10.0.0.2", true, false, false,
       AfterCheck::explain_link_down},
      {"link down, but at another master than the one we chose: not ours to explain", k_closed,
       replica("10.0.0.3", 6379, false), false, "10.0.0.2", true, false, false,
       AfterCheck::nothing},
      {"synced, but from another master than the one we chose", k_closed,
       replica("10.0.0.3", 6379, true), false, "10.0.0.2", true, false, false, AfterCheck::nothing},
      {"synced, but on another port", k_closed, replica("10.0.0.2", 6380, true), false, "10.0.0.2",
       true, false, false, AfterCheck::nothing},
      {"a replica we never pointed anywhere proves nothing", k_closed,
       replica("10.0.0.2", 6379, true), false, std::nullopt, true, false, false,
       AfterCheck::nothing},
      {"loading closes an open gate", k_open, loading, false, "10.0.0.2", true, false, true,
       AfterCheck::nothing},
      {"restarted empty: the gate closes, and it must follow the master heard", k_open,
       master("h9"), true, "10.0.0.2", true, false, true, AfterCheck::follow_master},
      {"restarted empty, nobody heard: cold start", k_open, master("h9"), true, std::nullopt, false,
       false, true, AfterCheck::check_cold_start},
      {"promoted by us (same connection): stays open", k_open, master("h9"), false, std::nullopt,
       false, true, false, AfterCheck::nothing},
      {"a master while another master is heard (it took over while ours hung): stale", k_open,
       master("h1"), true, std::nullopt, true, false, true, AfterCheck::follow_master},
      {"the same without a reconnect", k_open, master("h1"), false, std::nullopt, true, false, true,
       AfterCheck::follow_master},
      {"open: nothing else to do", k_open, replica("10.0.0.2", 6379, true), true, "10.0.0.2", true,
       true, false, AfterCheck::nothing},
      {"closed master with a master heard: follow it", k_closed, master("h1"), false, std::nullopt,
       true, false, false, AfterCheck::follow_master},
      {"closed master, nobody heard: cold start", k_closed, master("h1"), false, std::nullopt,
       false, false, false, AfterCheck::check_cold_start},
  };
  for (const auto& r : rows) {
    INFO(r.what);
    const auto v = judge_check(r.gate, r.info, r.reconnected, r.following, 6379, r.master_heard);
    CHECK(v.gate.open == r.open_after);
    CHECK(v.decided == r.decided);
    CHECK(v.then == r.then);
  }
}

TEST_CASE(
    "decisions: judge_check keeps the history of the data, forgets the master after a restart") {
  auto synced = judge_check(k_closed, replica("10.0.0.2", 6379, true, 100, false, "h7"), false,
                            "10.0.0.2", 6379, true);
  CHECK_FALSE(synced.gate.open);
  CHECK(synced.gate.why == "synced from 10.0.0.2:6379, catching up with its offset");
  // The lag measurement's reason stays over the next checks until it is measured again.
  const PromotionGate behind{false, "", "synced from 10.0.0.2:6379, 90000 bytes behind"};
  CHECK(judge_check(behind, replica("10.0.0.2", 6379, true), false, "10.0.0.2", 6379, true)
            .gate.why == behind.why);
  // Opened by the lag measurement with the history of the data (role_controller.cpp).
  const PromotionGate opened{true, "h7", "synced from 10.0.0.2:6379, caught up"};
  // Our own promotion moves the id along: the next restart compares with the new one.
  auto promoted = judge_check(opened, master("h8"), false, std::nullopt, 6379, false);
  CHECK(promoted.gate.history == "h8");
  auto restart = judge_check(promoted.gate, master("h9"), true, "10.0.0.2", 6379, false);
  CHECK_FALSE(restart.gate.open);
  CHECK(restart.forget_following);
  CHECK(restart.gate.why == "redis restarted with a new replication history");
  // A pending sync only updates the reason text.
  auto syncing = judge_check(k_closed, replica("10.0.0.2", 6379, false, -1, true), false,
                             "10.0.0.2", 6379, true);
  CHECK(syncing.gate.why == "sync in progress");
}

TEST_CASE("decisions: plan_promotion refuses a closed gate whatever else holds") {
  struct Row {
    const char* what;
    PromotionGate gate;
    std::optional<ReplicationInfo> latest;
    bool follow_pending;
    bool old_master_alive;
    PromotionPlan plan;
  };
  const Row rows[] = {
      {"unsynced replica", k_closed, replica("10.0.0.2", 6379, false), false, false,
       PromotionPlan::refuse},
      {"unsynced replica, old master alive", k_closed, replica("10.0.0.2", 6379, false), true, true,
       PromotionPlan::refuse},
      {"restarted empty (a master!)", PromotionGate{false, "", "redis restarted"}, master("h9"),
       false, false, PromotionPlan::refuse},
      {"never checked", k_closed, std::nullopt, false, false, PromotionPlan::refuse},
      {"synced replica, old master silent", k_open, replica("10.0.0.2", 6379, true), true, false,
       PromotionPlan::promote},
      {"synced replica, old master alive", k_open, replica("10.0.0.2", 6379, true), true, true,
       PromotionPlan::catch_up_first},
      {"already master, nothing pending", k_open, master("h1"), false, false,
       PromotionPlan::already_master},
      {"master per the last check, but a REPLICAOF is pending", k_open, master("h1"), true, false,
       PromotionPlan::promote},
      {"master per the last check, REPLICAOF pending, old master alive", k_open, master("h1"), true,
       true, PromotionPlan::catch_up_first},
  };
  for (const auto& r : rows) {
    INFO(r.what);
    CHECK(plan_promotion(r.gate, r.latest, r.follow_pending, r.old_master_alive) == r.plan);
  }
}

TEST_CASE("decisions: explain_link_down names the master's answer, cleaned and bounded") {
  using enum MasterAnswer;
  CHECK(explain_link_down("master link down", "10.0.0.2:6379", error_reply,
                          "NOAUTH Authentication required.") ==
        "master link down (10.0.0.2:6379 answers: NOAUTH Authentication required.)");
  CHECK(explain_link_down("master link down", "10.0.0.2:6379", answers, "ok") ==
        "master link down (10.0.0.2:6379 answers us: check masterauth/masteruser and the "
        "replica's redis log)");
  CHECK(explain_link_down("master link down", "10.0.0.2:6379", no_answer, "connection refused") ==
        "master link down (10.0.0.2:6379 does not answer: connection refused)");
  // Protected mode resets our connection: its DENIED is lost, the hint is not.
  CHECK(explain_link_down("master link down", "h", closed_on_us,
                          "read failed: Connection reset by peer")
            .find("protected mode?") != std::string::npos);
  const auto hostile = explain_link_down("master link down", "h", error_reply,
                                         "A\r\nB\x1b[2J" + std::string(1000, 'z'));
  CHECK(hostile.find_first_of("\r\n\x1b") == std::string::npos);
  CHECK(hostile.size() <= std::string("master link down (h answers: )...").size() + kMaxPeerAnswer);
}

TEST_CASE("decisions: a serving master's Redis turned replica is taken back only when alone") {
  const auto rep = replica("10.0.0.2", 6379, true);
  const auto mas = master("h1");
  CHECK(serving_from_a_replica(true, rep, false, false));
  CHECK_FALSE(serving_from_a_replica(false, rep, false, false));  // not serving: as asked
  CHECK_FALSE(serving_from_a_replica(true, mas, false, false));   // still master
  CHECK_FALSE(serving_from_a_replica(true, rep, true, false));    // another master is heard
  CHECK_FALSE(serving_from_a_replica(true, rep, false, true));    // a split brain reconciled
  // Taken back only out of a loop: the Redis ours follows replicates from ours.
  CHECK(replicates_from(replica("10.0.0.1", 6379, true), "10.0.0.1", 6379));
  CHECK_FALSE(replicates_from(mas, "10.0.0.1", 6379));           // a takeover not heard yet
  CHECK_FALSE(replicates_from(std::nullopt, "10.0.0.1", 6379));  // no answer: wait
  CHECK_FALSE(replicates_from(replica("10.0.0.3", 6379, true), "10.0.0.1", 6379));  // a chain
  CHECK_FALSE(replicates_from(replica("10.0.0.1", 6380, true), "10.0.0.1", 6379));  // not ours
}

TEST_CASE("decisions: a master not heard for 4 advert intervals is forgotten") {
  CHECK(master_still_heard(0ms, 100ms));
  CHECK(master_still_heard(399ms, 100ms));  // master-down (3 intervals and the skew) not over
  CHECK_FALSE(master_still_heard(400ms, 100ms));
  CHECK_FALSE(master_still_heard(45ms, 10ms));
  // The master's own interval counts when longer than ours, at most 10 times ours.
  CHECK(heard_interval(1000ms, 100ms) == 1000ms);
  CHECK(heard_interval(50ms, 100ms) == 100ms);
  CHECK(heard_interval(40950ms, 100ms) == 1000ms);  // a forged 40.95 s
}

TEST_CASE("decisions: our Redis never follows one that replicates from ours") {
  using enum FollowGuard;
  ReplicationInfo ours = master("h1", 5000);
  const auto caught_up = replica("10.0.0.1", 6379, true, 5000);
  const auto behind = replica("10.0.0.1", 6379, true, 4000);
  const auto link_down = replica("10.0.0.1", 6379, false, 5000);
  struct Row {
    const char* what;
    std::optional<ReplicationInfo> theirs;
    std::optional<ReplicationInfo> ours;
    bool advertised;
    FollowGuard verdict;
  };
  const Row rows[] = {
      {"a master: follow", master("h2"), ours, true, follow},
      {"no answer: no loop known", std::nullopt, ours, true, follow},
      // A node taking over from a silent master advertises before its promotion.
      {"a replica of another: not master yet", replica("10.0.0.3", 6379, true), ours, true,
       not_master_yet},
      {"a replica of a dead master: not master yet", replica("10.0.0.3", 6379, false), ours, true,
       not_master_yet},
      {"follows ours, silent since (it yielded): wait", caught_up, ours, false, wait},
      {"follows ours, advertises on, caught up: hand it back", caught_up, ours, true, hand_back},
      {"follows ours, advertises on, behind: wait", behind, ours, true, wait},
      {"follows ours, link down: wait", link_down, ours, true, wait},
      {"follows ours, ours unread: wait", caught_up, std::nullopt, true, wait},
      {"follows ours, ours a replica itself: wait", caught_up, replica("10.0.0.2", 6379, true),
       true, wait},
  };
  for (const auto& row : rows) {
    INFO(row.what);
    CHECK(judge_follow_guard(row.theirs, "10.0.0.1", 6379, row.ours, row.advertised) ==
          row.verdict);
  }
}

TEST_CASE("decisions: what asking a master whose link is down says") {
  using enum MasterAnswer;
  struct Row {
    std::error_code asked;
    MasterAnswer answer;
  };
  const Row rows[] = {
      {{}, answers},
      {make_error_code(RedisErrc::server_error), error_reply},  // DENIED, -ERR
      {make_error_code(RedisErrc::auth_failed), error_reply},   // NOAUTH, WRONGPASS
      {make_error_code(RedisErrc::loading), error_reply},
      {make_error_code(RedisErrc::connection_lost), closed_on_us},  // protected mode's reset
      {make_error_code(RedisErrc::refused), no_answer},
      {make_error_code(RedisErrc::connect_failed), no_answer},
      {make_error_code(RedisErrc::connect_timeout), no_answer},
      {make_error_code(RedisErrc::command_timeout), no_answer},
      {make_error_code(RedisErrc::not_connected), no_answer},
      {make_error_code(RedisErrc::protocol_error), no_answer},
      {make_error_code(RedisErrc::unexpected_reply), no_answer},
      {std::make_error_code(std::errc::host_unreachable), no_answer},
  };
  for (const auto& row : rows) {
    INFO(row.asked.message());
    CHECK(master_answer(row.asked) == row.answer);
  }
}

TEST_CASE("decisions: a release hands over only to the releaser's own replica") {
  struct Row {
    const char* what;
    std::optional<RoleSightings> seen;
    bool handed;
  };
  const Row rows[] = {
      {"its replica until the release", RoleSightings{"10.0.0.2", 6379, std::nullopt}, true},
      {"promoted just before the release, seen master by one check",
       RoleSightings{"10.0.0.2", 6379, 40ms}, true},
      {"at the edge of the window", RoleSightings{"10.0.0.2", 6379, kHandOffMasterWindow}, true},
      {"master for long since it followed the releaser (stayed master)",
       RoleSightings{"10.0.0.2", 6379, 1500ms}, false},
      {"it followed another node", RoleSightings{"10.0.0.3", 6379, std::nullopt}, false},
      {"it followed another port of the releaser's host",
       RoleSightings{"10.0.0.2", 6380, std::nullopt}, false},
      {"never seen a replica", std::nullopt, false},
  };
  for (const auto& row : rows) {
    INFO(row.what);
    CHECK(released_to_us("10.0.0.2", 6379, row.seen) == row.handed);
  }
}

TEST_CASE("decisions: a master whose Redis does not answer hands off at once") {
  struct Row {
    const char* what;
    bool lost, unanswered, can_save;
    bool at_once;
  };
  const Row rows[] = {
      {"connection closed, new one refused (dead)", true, false, false, true},
      {"hung, and its later writes can be saved", false, true, true, true},
      {"hung, nowhere to save: the successor's catch-up decides", false, true, false, false},
      {"error replies (it may serve): the catch-up pauses it", false, false, true, false},
  };
  for (const auto& row : rows) {
    INFO(row.what);
    CHECK(hand_off_at_once(row.lost, row.unanswered, row.can_save) == row.at_once);
  }
}

TEST_CASE("decisions: after_catch_up takes a live master over only with its writes") {
  using enum CatchUp;
  using enum OldMaster;
  using enum AfterCatchUp;
  struct Row {
    const char* what;
    CatchUp outcome;
    OldMaster old;
    AfterCatchUp then;
    bool heard_again = false;  // a silent master advertised again while we caught up
  };
  const Row rows[] = {
      {"caught up with a releasing master", caught_up, released, promote_then_demote_it},
      {"caught up with a preempted master", caught_up, preempted, promote_then_demote_it},
      {"caught up with a silent master", caught_up, silent, promote_then_demote_it},
      {"a releasing master already demoted", old_master_gone, released, promote_without_it},
      {"a preempted master already demoted", old_master_gone, preempted, promote_without_it},
      {"a silent master's redis a replica", old_master_gone, silent, promote_without_it},
      {"a releasing master's redis died", unreachable, released, promote_without_it},
      {"a silent master's host crashed", unreachable, silent, promote_without_it},
      {"a preempted master still serves out of our reach", unreachable, preempted, refuse},
      {"paused a releasing master, too slow to catch up", timed_out, released, refuse_and_unpause},
      {"paused a preempted master, too slow to catch up", timed_out, preempted, refuse_and_unpause},
      {"a silent master stays paused and becomes our replica", timed_out, silent,
       promote_then_demote_it},
      {"not close to a releasing master: nothing paused", not_close, released, refuse},
      {"not close to a preempted master: nothing paused", not_close, preempted, refuse},
      // A cut shorter than our master-down plus the catch-up: the master was never gone.
      {"a silent master back, caught up with", caught_up, silent, refuse_and_unpause, true},
      {"a silent master back, too slow to catch up", timed_out, silent, refuse_and_unpause, true},
      {"a silent master back, its redis a replica now", old_master_gone, silent, refuse_and_unpause,
       true},
      {"a silent master back, its redis unreachable (a late pause)", unreachable, silent,
       refuse_and_unpause, true},
      {"a live master heard is no news", timed_out, preempted, refuse_and_unpause, true},
      {"a releasing master heard is no news", caught_up, released, promote_then_demote_it, true},
  };
  for (const auto& r : rows) {
    INFO(r.what);
    CHECK(after_catch_up(r.outcome, r.old, r.heard_again) == r.then);
  }
}

TEST_CASE("decisions: catching up compares offsets only while streaming from the old master") {
  struct Row {
    const char* what;
    ReplicationInfo ours;
    long long theirs;
    long long first;
    bool close;
    bool caught;
  };
  const Row rows[] = {
      {"equal offsets", replica("10.0.0.2", 6379, true, 500), 500, 400, true, true},
      {"ahead (the old master's offset was read first)", replica("10.0.0.2", 6379, true, 600), 500,
       400, true, true},
      {"one byte behind, stream flowing", replica("10.0.0.2", 6379, true, 499), 500, 400, true,
       false},
      {"16 KiB behind, stream flowing", replica("10.0.0.2", 6379, true, 500),
       500 + kCloseEnoughBytes, 400, true, false},
      {"16 KiB + 1 behind, stream flowing", replica("10.0.0.2", 6379, true, 500),
       501 + kCloseEnoughBytes, 400, false, false},
      {"a little behind but nothing flowed yet (after a diskless sync)",
       replica("10.0.0.2", 6379, true, 400), 450, 400, false, false},
      {"a little behind, first look", replica("10.0.0.2", 6379, true, 400), 450, -1, false, false},
      {"link down, offsets equal", replica("10.0.0.2", 6379, false, 500), 500, 400, false, false},
      {"full sync in progress, offsets equal (both 0)", replica("10.0.0.2", 6379, true, 0, true), 0,
       -1, false, false},
      {"streaming from another master", replica("10.0.0.3", 6379, true, 500), 500, 400, false,
       false},
      {"a master, offsets equal", master("h1", 500), 500, 400, false, false},
  };
  for (const auto& r : rows) {
    INFO(r.what);
    CHECK(close_enough_to_pause(r.ours, "10.0.0.2", r.theirs, r.first) == r.close);
    CHECK(caught_up(r.ours, "10.0.0.2", r.theirs) == r.caught);
  }
}

TEST_CASE("decisions: following another master closes the gate until synced from it") {
  const auto other = gate_on_follow(k_open, "10.0.0.2", 6379, false);
  CHECK_FALSE(other.open);
  CHECK(other.why == "following 10.0.0.2:6379: must sync from it first");
  CHECK(gate_on_follow(k_open, "10.0.0.2", 6379, true) == k_open);
  CHECK_FALSE(gate_on_follow(k_closed, "10.0.0.2", 6379, false).open);
}

TEST_CASE("decisions: judge_lag opens the gate only close to the live master's offset") {
  auto never = replica("10.0.0.2", 6379, true, 5000);
  never.replica_priority = 0;
  struct Row {
    const char* what;
    ReplicationInfo ours;
    std::optional<ReplicationInfo> master;
    bool close;
    long long behind;
  };
  const Row rows[] = {
      {"at the master's offset", replica("10.0.0.2", 6379, true, 5000), master("h1", 5000), true,
       0},
      {"past it (ours read after theirs)", replica("10.0.0.2", 6379, true, 5100),
       master("h1", 5000), true, 0},
      {"kPromotableLag behind", replica("10.0.0.2", 6379, true, 5000),
       master("h1", 5000 + kPromotableLag), true, kPromotableLag},
      {"one byte more: not yet (a returning node preempting now would pause the master's writes "
       "while it catches up)",
       replica("10.0.0.2", 6379, true, 5000), master("h1", 5001 + kPromotableLag), false,
       kPromotableLag + 1},
      {"far behind (its Redis paused: it applies nothing)", replica("10.0.0.2", 6379, true, 5000),
       master("h1", 900000), false, 895000},
      {"link down", replica("10.0.0.2", 6379, false, 5000), master("h1", 5000), false, -1},
      {"full sync in progress", replica("10.0.0.2", 6379, true, 0, true), master("h1", 5000), false,
       -1},
      {"streaming from another master", replica("10.0.0.3", 6379, true, 5000), master("h1", 5000),
       false, -1},
      {"the master's redis did not answer: nothing to catch up with, the sync stands",
       replica("10.0.0.2", 6379, true, 5000), std::nullopt, true, -1},
      {"the master's redis is no master any more", replica("10.0.0.2", 6379, true, 5000),
       replica("10.0.0.9", 6379, true, 9000), true, -1},
      {"at the master's offset, but replica-priority 0: never", never, master("h1", 5000), false,
       -1},
      {"replica-priority 0 and the master silent: never", never, std::nullopt, false, -1},
  };
  for (const auto& r : rows) {
    INFO(r.what);
    const auto j = judge_lag(r.ours, "10.0.0.2", r.master);
    CHECK(j.close == r.close);
    CHECK(j.behind == r.behind);
    CHECK_FALSE(j.why.empty());
  }
}

TEST_CASE("decisions: the catch-up pause is bounded by kMaxCatchUpPause, never handover_timeout") {
  CHECK(catch_up_pause_limit(2000ms) == kMaxCatchUpPause);
  CHECK(catch_up_pause_limit(100ms) == 100ms);
  CHECK(kMaxCatchUpPause <= 200ms);
}

TEST_CASE("decisions: a handover needs a replica with the link up at our offset") {
  CHECK(has_every_write(replica("10.0.0.1", 6379, true, 800), 800));
  CHECK(has_every_write(replica("10.0.0.1", 6379, true, 801), 800));
  CHECK_FALSE(has_every_write(replica("10.0.0.1", 6379, true, 799), 800));
  CHECK_FALSE(has_every_write(replica("10.0.0.1", 6379, false, 800), 800));
  CHECK_FALSE(has_every_write(master("h1", 800), 800));
  auto never = replica("10.0.0.1", 6379, true, 900);
  never.replica_priority = 0;
  CHECK_FALSE(has_every_write(never, 800));  // it holds them, but is never promoted
}

TEST_CASE("decisions: cold start — who holds newer data") {
  struct Row {
    const char* what;
    PeerData self;
    std::vector<PeerAnswer> peers;
    std::chrono::milliseconds since_start;
    bool promote;
  };
  const Row rows[] = {
      {"only we hold data", data(10), {{"n2", data(0)}}, 0ms, true},
      {"the peer holds more keys", data(10), {{"n2", data(11)}}, 0ms, false},
      {"same history, the peer is further on",
       data(10, "h1", 100),
       {{"n2", data(10, "h1", 101)}},
       0ms,
       false},
      {"same keys, other history: ours counts as newest",
       data(10, "h1", 100),
       {{"n2", data(10, "h2", 900)}},
       0ms,
       true},
      {"we hold data, a peer is unreachable", data(10), {{"n2", unreachable()}}, 0ms, true},
      {"empty, a peer holds data", data(0), {{"n2", data(1)}}, 10s, false},
      {"empty, a peer unreachable: its data is unknown",
       data(0),
       {{"n2", unreachable()}, {"n3", data(0)}},
       10s,
       false},
      {"everybody empty", data(0), {{"n2", data(0)}, {"n3", data(0)}}, 0ms, true},
      {"empty, no peers, shortly after start: wait for a master",
       data(0),
       {},
       kEmptyColdStartWait - 1ms,
       false},
      {"empty, no peers, nobody appeared", data(0), {}, kEmptyColdStartWait, true},
      {"our own Redis did not answer", unreachable(), {{"n2", data(0)}}, 10s, false},
  };
  for (const auto& r : rows) {
    INFO(r.what);
    const auto v = judge_cold_start(r.self, r.peers, r.since_start);
    CHECK(v.promote == r.promote);
    CHECK_FALSE(v.why.empty());
  }
}

TEST_CASE("decisions: a peer that did not answer is named with its own words") {
  PeerData denied;
  denied.error = "DENIED Redis is running in protected mode";
  const auto v = judge_cold_start(data(0), {{"10.0.0.2", denied}}, 10s);
  CHECK_FALSE(v.promote);
  CHECK(
      v.why ==
      "cold start: empty, and peer 10.0.0.2 did not say what it holds (DENIED Redis is running in "
      "protected mode)");
}

TEST_CASE("decisions: a cold-start check waits for a master to be heard, then once a second") {
  CHECK_FALSE(cold_check_due(399ms, std::nullopt, 100ms));
  CHECK(cold_check_due(400ms, std::nullopt, 100ms));
  CHECK_FALSE(cold_check_due(5s, kColdCheckRetry - 1ms, 100ms));
  CHECK(cold_check_due(5s, kColdCheckRetry, 100ms));
}

TEST_CASE("decisions: should_follow re-points at most once per kFollowRetry at the same master") {
  const auto following = replica("10.0.0.2", 6379, true);
  struct Row {
    const char* what;
    FollowState state;
    std::optional<ReplicationInfo> latest;
    bool follow;
  };
  const Row rows[] = {
      {"first time", {false, false, std::nullopt}, master("h1"), true},
      {"a REPLICAOF is in flight", {true, false, std::nullopt}, master("h1"), false},
      {"already follows it", {false, true, 10s}, following, false},
      {"we pointed it there but it is a master again (restart)",
       {false, true, 10s},
       master("h1"),
       true},
      {"we pointed it there but it follows another port",
       {false, true, 10s},
       replica("10.0.0.2", 6380, true),
       true},
      {"tried this master just now", {false, false, kFollowRetry - 1ms}, master("h1"), false},
      {"tried this master a while ago", {false, false, kFollowRetry}, master("h1"), true},
      {"never checked", {false, false, std::nullopt}, std::nullopt, true},
  };
  for (const auto& r : rows) {
    INFO(r.what);
    CHECK(should_follow(r.state, r.latest, "10.0.0.2", 6379) == r.follow);
  }
}
