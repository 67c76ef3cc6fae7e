// The fork point of two Redis histories and the verdict on who keeps its writes. The offsets
// are those of real redis-server 7.0.15 runs (see tests/integration/redis_diverged_writes.sh):
// B replica of A at offset 52, B promoted (second_repl_offset 53), A then wrote 28 bytes
// (one SET), B 51 (SELECT 0 + one SET).
#include <catch2/catch.hpp>

#include "agent/redis/model/divergence.hpp"

using namespace redvip::agent;

namespace {

const std::string R1 = "4d6fd43b3018b21e595d975b91571e162b8f1ff9";
const std::string R2 = "b317973078e4f97a502c9b97a6608a9d7338a8f3";
const std::string R3 = "9e0c1a7f3b6d2e8a4c5f0b1d7e3a9c2f6b8d4e10";
const std::string R0 = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567";

ReplicationHistory history(std::string id, long long offset, std::string id2 = {},
                           long long second = -1, long long backlog_first = 1) {
  ReplicationHistory h;
  h.replid = std::move(id);
  h.offset = offset;
  h.replid2 = std::move(id2);
  h.second_offset = second;
  h.backlog_active = backlog_first > 0;
  h.backlog_first = backlog_first;
  h.backlog_histlen = backlog_first > 0 ? offset - backlog_first + 1 : 0;
  return h;
}

DivergenceSide side(ReplicationHistory h, int priority = 100, std::uint8_t last_octet = 1,
                    std::optional<long long> commands = std::nullopt) {
  DivergenceSide s;
  s.history = std::move(h);
  s.standing.priority = priority;
  s.standing.address = {10, 77, 0, last_octet};
  s.commands_since_fork = commands;
  return s;
}

}  // namespace

TEST_CASE("INFO replication: the PSYNC2 fields (replid2, second_repl_offset, backlog) are parsed") {
  // redis-cli info replication on redis-server 7.0.15, a replica just promoted.
  const char* text =
      "# Replication\r\nrole:master\r\nconnected_slaves:0\r\nmaster_failover_state:no-failover\r\n"
      "master_replid:b317973078e4f97a502c9b97a6608a9d7338a8f3\r\n"
      "master_replid2:4d6fd43b3018b21e595d975b91571e162b8f1ff9\r\n"
      "master_repl_offset:103\r\nsecond_repl_offset:53\r\nrepl_backlog_active:1\r\n"
      "repl_backlog_size:1048576\r\nrepl_backlog_first_byte_offset:1\r\nrepl_backlog_histlen:"
      "103\r\n";
  auto info = parse_info(text);
  REQUIRE(info);
  CHECK(info->master_replid2 == R1);
  CHECK(info->second_repl_offset == 53);
  CHECK(info->repl_backlog_active);
  CHECK(info->repl_backlog_first_byte_offset == 1);
  CHECK(info->repl_backlog_histlen == 103);
  CHECK(info->repl_backlog_size == 1048576);
  const auto h = ReplicationHistory::from(*info);
  CHECK(h.replid == R2);
  CHECK(h.offset == 103);
  CHECK(h.replid2 == R1);
  CHECK(h.second_offset == 53);
  CHECK(h.holds_until(R1) == 52);
  CHECK(h.holds_until(R2) == 103);
  CHECK(!h.holds_until(R3));

  // A server that continued no other history: an all-zero replid2 is no history.
  auto alone = parse_info(
      "role:master\nmaster_replid:4d6fd43b3018b21e595d975b91571e162b8f1ff9\n"
      "master_replid2:0000000000000000000000000000000000000000\nmaster_repl_offset:0\n"
      "second_repl_offset:-1\nrepl_backlog_active:0\nrepl_backlog_first_byte_offset:0\nrepl_"
      "backlog_histlen:0\n");
  REQUIRE(alone);
  const auto ha = ReplicationHistory::from(*alone);
  CHECK(ha.replid2.empty());
  CHECK(!ha.holds_until("0000000000000000000000000000000000000000"));
  CHECK(!ha.backlog_active);
}

TEST_CASE("fork point: table of lineages") {
  struct Row {
    const char* name;
    ReplicationHistory a, b;
    ForkKind kind;
    Lineage lineage;
    std::string common;
    long long fork, a_bytes, b_bytes;
  };
  const Row rows[] = {
      {"b promoted from a, both wrote", history(R1, 80), history(R2, 103, R1, 53),
       ForkKind::diverged, Lineage::b_from_a, R1, 52, 28, 51},
      {"a promoted from b, both wrote", history(R2, 103, R1, 53), history(R1, 80),
       ForkKind::diverged, Lineage::a_from_b, R1, 52, 51, 28},
      {"b promoted, only a wrote", history(R1, 80), history(R2, 52, R1, 53), ForkKind::prefix,
       Lineage::b_from_a, R1, 52, 28, 0},
      {"b promoted, only b wrote", history(R1, 52), history(R2, 103, R1, 53), ForkKind::prefix,
       Lineage::b_from_a, R1, 52, 0, 51},
      // b lagged: a had written 70 bytes when b was cut off at 52; they count as a's writes.
      {"b promoted while lagging", history(R1, 122), history(R2, 103, R1, 53), ForkKind::diverged,
       Lineage::b_from_a, R1, 52, 70, 51},
      {"both promoted from a common third, at different offsets", history(R3, 150, R0, 101),
       history(R2, 120, R0, 91), ForkKind::diverged, Lineage::common_ancestor, R0, 90, 60, 30},
      {"both promoted from a common third at the same offset, no writes", history(R3, 90, R0, 91),
       history(R2, 90, R0, 91), ForkKind::identical, Lineage::common_ancestor, R0, 90, 0, 0},
      {"b a replica of a, behind", history(R1, 100), history(R1, 80), ForkKind::prefix,
       Lineage::same_history, R1, 80, 20, 0},
      {"identical", history(R1, 100), history(R1, 100), ForkKind::identical, Lineage::same_history,
       R1, 100, 0, 0},
      {"a restarted from an RDB at 40 and wrote; b kept the old history", history(R3, 70, R1, 41),
       history(R1, 80), ForkKind::diverged, Lineage::a_from_b, R1, 40, 30, 40},
      {"promoted twice: a from b from a", history(R3, 90, R2, 61), history(R2, 75, R1, 53),
       ForkKind::diverged, Lineage::a_from_b, R2, 60, 30, 15},
      {"unrelated histories", history(R1, 80), history(R2, 90), ForkKind::unrelated, Lineage::none,
       "", -1, 0, 0},
      {"unrelated: a replid2 without a valid offset", history(R1, 80, R0, 0), history(R2, 90),
       ForkKind::unrelated, Lineage::none, "", -1, 0, 0},
      {"unknown: no offset", history(R1, -1), history(R1, 80), ForkKind::unknown, Lineage::none, "",
       -1, 0, 0},
      {"unknown: no id", history("", 10), history(R1, 80), ForkKind::unknown, Lineage::none, "", -1,
       0, 0},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    const auto f = find_fork(row.a, row.b);
    CHECK(f.kind == row.kind);
    CHECK(f.lineage == row.lineage);
    CHECK(f.common_replid == row.common);
    CHECK(f.fork_offset == row.fork);
    CHECK(f.a_bytes == row.a_bytes);
    CHECK(f.b_bytes == row.b_bytes);
    CHECK(!f.explanation.empty());
  }
}

TEST_CASE("accepts_psync follows masterTryPartialResynchronization") {
  const auto b = history(R2, 103, R1, 53);  // backlog 1..103
  CHECK(accepts_psync(b, R2, 104));         // the next byte: an empty continue
  CHECK(accepts_psync(b, R2, 1));
  CHECK(!accepts_psync(b, R2, 105));  // beyond the backlog's end
  CHECK(accepts_psync(b, R1, 53));    // the old history, up to second_repl_offset
  CHECK(accepts_psync(b, R1, 10));
  CHECK(!accepts_psync(b, R1, 54));  // past where b's old history ends
  CHECK(!accepts_psync(b, R3, 10));  // a history b never had
  CHECK(!accepts_psync(b, "?", -1));
  auto trimmed = b;
  trimmed.backlog_first = 60;
  trimmed.backlog_histlen = 44;
  CHECK(!accepts_psync(trimmed, R1, 53));  // the backlog no longer reaches the fork
  CHECK(accepts_psync(trimmed, R2, 60));
  auto no_backlog = b;
  no_backlog.backlog_active = false;
  CHECK(!accepts_psync(no_backlog, R2, 104));
}

TEST_CASE(
    "psync_since_fork reads exactly the bytes after the fork, in the history each side accepts") {
  const auto a = history(R1, 80);
  const auto b = history(R2, 103, R1, 53);
  const auto f = find_fork(a, b);
  auto pa = psync_since_fork(a, f);
  auto pb = psync_since_fork(b, f);
  REQUIRE(pa);
  REQUIRE(pb);
  CHECK(pa->replid == R1);
  CHECK(pa->offset == 53);
  CHECK(pb->replid == R1);  // b's replid2: accepted since 53 <= second_repl_offset
  CHECK(pb->offset == 53);
  CHECK(accepts_psync(a, pa->replid, pa->offset));
  CHECK(accepts_psync(b, pb->replid, pb->offset));
  // Bytes read = offset - fork: 80 - 52 = 28 for a.
  CHECK(a.offset - pa->offset + 1 == f.a_bytes);

  const auto u = find_fork(a, history(R3, 10));
  CHECK(!psync_since_fork(a, u));
}

TEST_CASE(
    "db_context_start: earlier bytes inside the backlog, bounded, away from its trimmed start") {
  const auto b = history(R2, 200000, R1, 150001);  // backlog from 1
  CHECK(db_context_start(b, 150001, 1 << 20, 0) == 1);
  CHECK(db_context_start(b, 150001, 1000, 0) == 149001);
  CHECK(db_context_start(b, 150001, 1 << 20) == 1 + 64 * 1024);
  CHECK(!db_context_start(b, 1000, 1 << 20));  // the fork is within the margin of the start
  // A backlog far from its configured size is not trimmed soon: from its very start.
  auto roomy = history(R1, 80);
  roomy.backlog_size = 1 << 20;
  CHECK(db_context_start(roomy, 53, 1 << 20) == 1);
  roomy.backlog_histlen = (1 << 20) - 1000;
  CHECK(!db_context_start(roomy, 53, 1 << 20));
  auto off = b;
  off.backlog_active = false;
  CHECK(!db_context_start(off, 150001, 1 << 20));
}

TEST_CASE("verdict: data decides who keeps its writes; priority only between equals") {
  struct Row {
    const char* name;
    DivergenceSide a, b;
    Side keeper;
    bool by_data;
    bool yielder_has_writes;
    bool save_whole;
    bool partial_resync;
  };
  const Row rows[] = {
      // b took no writes since it was promoted; Redis still refuses b's PSYNC with its new id.
      {"only a wrote: b yields", side(history(R1, 80), 100), side(history(R2, 52, R1, 53), 200),
       Side::a, true, false, false, false},
      // a took no writes: a yields and Redis continues it (b accepts R1 up to 53).
      {"only b wrote: a yields, partial resync", side(history(R1, 52), 200),
       side(history(R2, 103, R1, 53), 100), Side::b, true, false, false, true},
      {"both wrote, bytes decide", side(history(R1, 80), 200), side(history(R2, 103, R1, 53), 100),
       Side::b, true, true, false, false},
      {"both wrote, equal commands: priority", side(history(R1, 80), 200, 1, 1),
       side(history(R2, 103, R1, 53), 100, 2, 1), Side::a, false, true, false, false},
      {"both wrote, equal commands, equal priority: higher address",
       side(history(R1, 80), 100, 1, 1), side(history(R2, 103, R1, 53), 100, 2, 1), Side::b, false,
       true, false, false},
      {"commands decide over bytes", side(history(R1, 80), 100, 1, 3),
       side(history(R2, 103, R1, 53), 100, 2, 1), Side::a, true, true, false, false},
      // a's 28 bytes were keep-alive PINGs (a kept a replica attached): no writes.
      {"pings are not writes", side(history(R1, 80), 200, 1, 0),
       side(history(R2, 103, R1, 53), 100, 2, 1), Side::b, true, false, false, false},
      {"neither wrote: priority", side(history(R1, 52), 100, 1, 0),
       side(history(R2, 52, R1, 53), 150, 2, 0), Side::b, false, false, false, true},
      {"identical: priority, partial resync", side(history(R1, 100), 100, 1),
       side(history(R1, 100), 100, 2), Side::b, false, false, false, true},
      {"b a replica of a, behind: b yields, partial resync", side(history(R1, 100), 50),
       side(history(R1, 80), 250), Side::a, true, false, false, true},
      {"unrelated: priority, whole data set saved", side(history(R1, 80), 100),
       side(history(R2, 5), 200), Side::b, false, true, true, false},
      {"unknown: priority, whole data set saved", side(history("", 80), 200),
       side(history(R2, 5), 100), Side::a, false, true, true, false},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    const auto v = decide_divergence(row.a, row.b);
    INFO(v.reason);
    CHECK(v.keeper == row.keeper);
    CHECK(v.yielder == other(row.keeper));
    CHECK(v.by_data == row.by_data);
    CHECK(v.yielder_has_writes == row.yielder_has_writes);
    CHECK(v.save_whole_data_set == row.save_whole);
    CHECK(v.partial_resync == row.partial_resync);
    CHECK(v.save_from.has_value() == (row.yielder_has_writes && !row.save_whole));
    CHECK(!v.reason.empty());
  }
}

TEST_CASE("verdict: the yielder's save range and whether its backlog still reaches the fork") {
  auto a = side(history(R1, 80), 200);
  auto b = side(history(R2, 103, R1, 53), 100);
  // a yields (fewer bytes): save a's bytes 53..80 from R1.
  auto v = decide_divergence(a, b);
  REQUIRE(v.keeper == Side::b);
  REQUIRE(v.save_from);
  CHECK(v.save_from->replid == R1);
  CHECK(v.save_from->offset == 53);
  CHECK(v.save_to == 80);
  CHECK(v.save_from_backlog);
  CHECK(v.reason.find("b took more writes") != std::string::npos);

  // A tiny backlog that lost the fork: the saver will get an RDB.
  a.history.backlog_first = 60;
  a.history.backlog_histlen = 21;
  v = decide_divergence(a, b);
  CHECK(v.save_from);
  CHECK(!v.save_from_backlog);
}
