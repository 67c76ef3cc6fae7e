// The split-heal plan (agent/redis/model/split_heal.hpp): the data decides whose Redis keeps
// its data set, whatever VRRP decided; the yielder's writes since the fork are saved first.
// Histories as in redis_divergence_test: A (ours) was master at offset 52; B (theirs) was its
// replica and was promoted when the link between them was cut (second_repl_offset 53).
#include <catch2/catch.hpp>

#include "agent/redis/model/split_heal.hpp"

using namespace redvip::agent;

namespace {

const std::string RA = "4d6fd43b3018b21e595d975b91571e162b8f1ff9";  // A's history
const std::string RB = "b317973078e4f97a502c9b97a6608a9d7338a8f3";  // B's, promoted from A's
const std::string RX = "9e0c1a7f3b6d2e8a4c5f0b1d7e3a9c2f6b8d4e10";  // unrelated

DivergenceSide side(std::string id, long long offset, std::string id2, long long second,
                    int priority, std::uint8_t last_octet) {
  DivergenceSide s;
  s.history.replid = std::move(id);
  s.history.offset = offset;
  s.history.replid2 = std::move(id2);
  s.history.second_offset = second;
  s.history.backlog_active = true;
  s.history.backlog_first = 1;
  s.history.backlog_histlen = offset;
  s.standing.priority = priority;
  s.standing.address = {10, 77, 0, last_octet};
  return s;
}
// Ours (A, the VRRP keeper at priority 150) after writing `a_bytes` since the fork at 52.
DivergenceSide ours(long long a_bytes) { return side(RA, 52 + a_bytes, "", -1, 150, 1); }
// Theirs (B, priority 100, promoted at 53) after writing `b_bytes`.
DivergenceSide theirs(long long b_bytes) { return side(RB, 52 + b_bytes, RA, 53, 100, 2); }

}  // namespace

TEST_CASE("split heal: the data decides, VRRP's choice only between equals",
          "[split_brain][redis]") {
  struct Row {
    const char* what;
    long long a_bytes, b_bytes;
    SplitHealAction action;
    bool save;
  };
  const Row rows[] = {
      {"B took nothing: it yields, nothing to save", 100, 0, SplitHealAction::demote_other, false},
      {"both wrote, A more: B yields, its writes saved", 500, 100, SplitHealAction::demote_other,
       true},
      {"both wrote, B more: A yields though VRRP kept it", 100, 500, SplitHealAction::yield_ours,
       true},
      {"A took nothing, B did: A yields, nothing of A's to save", 0, 300,
       SplitHealAction::yield_ours, false},
      {"equal writes: priority (A's 150) decides", 200, 200, SplitHealAction::demote_other, true},
      {"neither wrote: priority decides, nothing to save", 0, 0, SplitHealAction::demote_other,
       false},
  };
  for (const auto& r : rows) {
    INFO(r.what);
    const auto p = plan_split_heal(ours(r.a_bytes), theirs(r.b_bytes), true, true, false);
    CHECK(p.action == r.action);
    CHECK(p.save == r.save);
    CHECK_FALSE(p.discards);
    CHECK_FALSE(p.merge);
    CHECK(p.verdict.fork.fork_offset == 52);
    CHECK_FALSE(p.reason.empty());
  }
}

TEST_CASE("split heal: the other Redis no longer a master: nothing to reconcile",
          "[split_brain][redis]") {
  const auto p = plan_split_heal(ours(100), theirs(500), false, true, true);
  CHECK(p.action == SplitHealAction::nothing);
  CHECK_FALSE(p.save);
  CHECK_FALSE(p.merge);
}

TEST_CASE("split heal: saving and merging follow the settings", "[split_brain][redis]") {
  SECTION("merge on: the saved stream is replayed onto the keeper") {
    const auto p = plan_split_heal(ours(500), theirs(100), true, true, true);
    CHECK(p.action == SplitHealAction::demote_other);
    CHECK(p.save);
    CHECK(p.merge);
    REQUIRE(p.verdict.save_from);
    CHECK(p.verdict.save_from->replid == RA);  // B accepts the shared history up to its fork
    CHECK(p.verdict.save_from->offset == 53);
    CHECK(p.verdict.save_to == 152);
  }
  SECTION("no directory: the writes cannot be saved, and the plan says they are discarded") {
    const auto p = plan_split_heal(ours(500), theirs(100), true, false, true);
    CHECK(p.action == SplitHealAction::demote_other);
    CHECK_FALSE(p.save);
    CHECK(p.discards);
    CHECK_FALSE(p.merge);
    CHECK(p.reason.find("DISCARDED") != std::string::npos);
  }
  SECTION("no fork known: priority decides, the whole data set is saved, never merged") {
    auto b = theirs(100);
    b.history.replid2.clear();
    b.history.second_offset = -1;
    b.history.replid = RX;
    const auto p = plan_split_heal(ours(500), b, true, true, true);
    CHECK(p.action == SplitHealAction::demote_other);
    CHECK(p.verdict.save_whole_data_set);
    CHECK(p.save);
    CHECK_FALSE(p.merge);
  }
  SECTION("nothing to save: no merge either") {
    const auto p = plan_split_heal(ours(500), theirs(0), true, true, true);
    CHECK_FALSE(p.save);
    CHECK_FALSE(p.merge);
    CHECK_FALSE(p.discards);
  }
}

TEST_CASE(
    "split heal, forced: the waiting node yields whatever the data says; its writes are saved",
    "[split_brain][redis]") {
  // B (here "ours") waited for A, which did nothing: B yields even though it wrote more.
  const auto p = plan_forced_yield(theirs(500), ours(100), true, false);
  CHECK(p.action == SplitHealAction::yield_ours);
  CHECK(p.save);
  REQUIRE(p.verdict.save_from);
  CHECK(p.verdict.save_from->offset == 53);
  CHECK(p.verdict.save_to == 552);
  const auto idle = plan_forced_yield(theirs(0), ours(100), true, false);
  CHECK_FALSE(idle.save);
  CHECK_FALSE(idle.discards);
  const auto nowhere = plan_forced_yield(theirs(500), ours(100), false, false);
  CHECK(nowhere.discards);
}

TEST_CASE("split heal: the yielder read again while paused", "[split_brain][redis]") {
  // The master-isolated heal: A (ours, VRRP keeper) took nothing since the fork when compared,
  // so A yields; but A's own announcement brought the client back for a moment, and A's Redis
  // took 70 bytes before its writes were paused.
  const auto plan = plan_split_heal(ours(0), theirs(300), true, true, true);
  REQUIRE(plan.action == SplitHealAction::yield_ours);
  REQUIRE_FALSE(plan.save);
  struct Row {
    const char* what;
    long long a_bytes_now;
    bool save_configured, merge_configured;
    bool save, discards, merge;
  };
  const Row rows[] = {
      {"nothing since: nothing to save", 0, true, true, false, false, false},
      {"written since: saved and merged", 70, true, true, true, false, true},
      {"written since, merge off: saved only", 70, true, false, true, false, false},
      {"written since, no directory: discarded, and said so", 70, false, false, false, true, false},
  };
  for (const auto& r : rows) {
    INFO(r.what);
    const auto p = replan_after_pause(plan, ours(r.a_bytes_now).history, r.save_configured,
                                      r.merge_configured);
    CHECK(p.action == SplitHealAction::yield_ours);
    CHECK(p.save == r.save);
    CHECK(p.discards == r.discards);
    CHECK(p.merge == r.merge);
    CHECK(p.verdict.yielder_has_writes == (r.a_bytes_now > 0));
    if (r.a_bytes_now > 0) {
      REQUIRE(p.verdict.save_from.has_value());
      CHECK(p.verdict.save_from->replid == RA);
      CHECK(p.verdict.save_from->offset == 53);
      CHECK(p.verdict.save_to == 52 + r.a_bytes_now);
      CHECK(p.reason.find("70 bytes since the fork after all") != std::string::npos);
    }
  }
  // A plan that saw the writes already stands as made.
  const auto saw = plan_split_heal(ours(100), theirs(500), true, true, true);
  const auto again = replan_after_pause(saw, ours(180).history, true, true);
  CHECK(again.verdict.save_to == saw.verdict.save_to);
  CHECK(again.reason == saw.reason);
}

TEST_CASE("split heal, stale master: a Redis that hung while the other took over",
          "[split_brain][redis]") {
  // A (ours) hung as master at offset 52; B was promoted from it (second_repl_offset 53). A
  // resumed and executed what its clients had sent meanwhile: `a_bytes` since the fork.
  struct Row {
    const char* what;
    DivergenceSide ours, theirs;
    bool save_configured;
    bool planned, save, discards;
  };
  const Row rows[] = {
      {"it took writes after the fork: saved before it follows", ours(70), theirs(300), true, true,
       true, false},
      {"no directory: discarded, and said so", ours(70), theirs(300), false, true, false, true},
      {"nothing since the fork: a plan (re-read while paused), nothing to save yet", ours(0),
       theirs(300), true, true, false, false},
      {"unrelated histories (a fresh or restarted Redis): a plain follow",
       side(RX, 900, "", -1, 150, 1), theirs(300), true, false, false, false},
      {"the same history at the same offset: a plain follow", side(RB, 352, RA, 53, 150, 1),
       theirs(300), true, false, false, false},
  };
  for (const auto& r : rows) {
    INFO(r.what);
    const auto p = plan_stale_master(r.ours, r.theirs, r.save_configured, true);
    REQUIRE(p.has_value() == r.planned);
    if (!p) continue;
    CHECK(p->action == SplitHealAction::yield_ours);
    CHECK(p->save == r.save);
    CHECK(p->discards == r.discards);
    CHECK(p->merge == r.save);
    if (r.save) {
      REQUIRE(p->verdict.save_from.has_value());
      CHECK(p->verdict.save_from->replid == RA);
      CHECK(p->verdict.save_from->offset == 53);
    }
    CHECK(p->reason.find("took over while ours was out of reach") != std::string::npos);
  }
}
