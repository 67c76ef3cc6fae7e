// The stream's database at an offset (redis/model/stream_db.hpp): what a replica's CLIENT LIST
// TYPE master and INFO say, and where the diverged-writes save starts reading to learn the
// database at the fork.
#include "agent/redis/model/stream_db.hpp"

#include <catch2/catch.hpp>

using namespace redvip::agent;

namespace {

const std::string k_master_line =
    "id=3 addr=10.0.0.1:6379 laddr=10.0.0.2:40000 fd=8 name= age=120 idle=0 flags=M db=4 sub=0 "
    "psub=0 multi=-1 qbuf=0 cmd=set user=default redir=-1";

ReplicationInfo following(long long offset, std::string replid = "R1", bool link_up = true) {
  ReplicationInfo i;
  i.role = RedisRole::replica;
  i.master_link_up = link_up;
  i.slave_repl_offset = offset;
  i.master_replid = std::move(replid);
  return i;
}

// A backlog of `histlen` bytes of R1 from `first`, configured `size`.
ReplicationHistory history(long long first, long long histlen, long long size = 1 << 20) {
  ReplicationHistory h;
  h.replid = "R1";
  h.offset = first + histlen - 1;
  h.backlog_active = true;
  h.backlog_first = first;
  h.backlog_histlen = histlen;
  h.backlog_size = size;
  return h;
}

}  // namespace

TEST_CASE("stream db: the master link's database in CLIENT LIST", "[redis][stream_db]") {
  const struct {
    const char* what;
    std::string text;
    std::optional<int> db;
  } rows[] = {
      {"one master line", k_master_line + "\n", 4},
      {"without a newline, with CRLF", "id=3 flags=M db=0 multi=-1\r\n", 0},
      {"fields in any order", "multi=-1 db=12 flags=M id=3", 12},
      {"a normal client beside it is ignored", "id=9 flags=N db=2 multi=-1\n" + k_master_line, 4},
      {"empty: no master link", "", std::nullopt},
      {"no M in flags", "id=3 flags=S db=1 multi=-1", std::nullopt},
      {"two master lines", k_master_line + "\n" + k_master_line, std::nullopt},
      {"inside MULTI: a queued SELECT not applied yet", "id=3 flags=Mx db=1 multi=2", std::nullopt},
      {"no multi field", "id=3 flags=M db=1", std::nullopt},
      {"db missing", "id=3 flags=M multi=-1", std::nullopt},
      {"db negative", "id=3 flags=M db=-1 multi=-1", std::nullopt},
      {"db not a number", "id=3 flags=M db=1x multi=-1", std::nullopt},
      {"db out of range", "id=3 flags=M db=99999999999 multi=-1", std::nullopt},
      {"a key that only starts like db", "id=3 flags=M dbx=1 multi=-1", std::nullopt},
  };
  for (const auto& row : rows) {
    INFO(row.what);
    CHECK(master_link_db(row.text) == row.db);
  }
}

TEST_CASE("stream db: a mark from a replica's INFO and CLIENT LIST", "[redis][stream_db]") {
  CHECK(judge_stream_db_mark(following(5000), k_master_line) == StreamDbMark{"R1", 5000, 4});
  // Not a mark: the link down, no offset yet, no id, a master, no master line.
  CHECK(!judge_stream_db_mark(following(5000, "R1", false), k_master_line));
  CHECK(!judge_stream_db_mark(following(0), k_master_line));
  CHECK(!judge_stream_db_mark(following(5000, ""), k_master_line));
  ReplicationInfo master;
  master.role = RedisRole::master;
  master.master_replid = "R1";
  master.master_repl_offset = 5000;
  CHECK(!judge_stream_db_mark(master, k_master_line));
  CHECK(!judge_stream_db_mark(following(5000), ""));
}

TEST_CASE("stream db: where the save reads from to learn the database at the fork",
          "[redis][stream_db]") {
  const long long mb = 1 << 20;
  // Backlog of R1 holds offsets 1,000,000 .. 1,999,999 of a 16 MiB backlog (not full).
  const auto h = history(1000000, 1000000, 16 * mb);
  const long long fork_next = 1900001;  // first byte after the fork
  const struct {
    const char* what;
    std::optional<StreamDbMark> mark;
    std::optional<DbContext> expected;
  } rows[] = {
      {"a mark before the fork, in the backlog: aligned from just after it",
       StreamDbMark{"R1", 1500000, 3}, DbContext{1500001, true, 3}},
      {"a mark at the fork itself: nothing before it to read", StreamDbMark{"R1", 1900000, 3},
       DbContext{1900001, true, 3}},
      {"no mark: blind, 1 MiB back but not before the backlog", std::nullopt,
       DbContext{1000000, false, std::nullopt}},
      {"a mark of another history: blind", StreamDbMark{"R0", 1500000, 3},
       DbContext{1000000, false, std::nullopt}},
      {"a mark after the fork: blind", StreamDbMark{"R1", 1950000, 3},
       DbContext{1000000, false, std::nullopt}},
      {"a mark the backlog no longer holds: blind", StreamDbMark{"R1", 900000, 3},
       DbContext{1000000, false, std::nullopt}},
      {"a mark without a database: blind", StreamDbMark{"R1", 1500000, -1},
       DbContext{1000000, false, std::nullopt}},
  };
  for (const auto& row : rows) {
    INFO(row.what);
    CHECK(plan_db_context(
              h, "R1", fork_next,
              row.mark ? std::vector<StreamDbMark>{*row.mark} : std::vector<StreamDbMark>{},
              64 * mb, mb) == row.expected);
  }
  // Further back than the save reads before a fork: blind.
  CHECK(plan_db_context(h, "R1", fork_next, {StreamDbMark{"R1", 1500000, 3}}, 100000, mb) ==
        DbContext{1000000, false, std::nullopt});
  // A full backlog is trimmed by whole blocks: a mark within 64 KiB of its start is not asked.
  const auto full = history(1000000, 1000000, 1000000);
  CHECK(plan_db_context(full, "R1", fork_next, {StreamDbMark{"R1", 1010000, 3}}, 64 * mb, mb) ==
        DbContext{1065536, false, std::nullopt});
  CHECK(plan_db_context(full, "R1", fork_next, {StreamDbMark{"R1", 1100000, 3}}, 64 * mb, mb) ==
        DbContext{1100001, true, 3});
  // Nothing before the fork held, and no mark: nothing to read.
  CHECK(!plan_db_context(history(1900001, 1000), "R1", fork_next, {}, 64 * mb, mb));
  // Of several, the furthest usable: one replica read past the fork, another before it.
  CHECK(plan_db_context(h, "R1", fork_next,
                        {StreamDbMark{"R1", 1400000, 2}, StreamDbMark{"R1", 1950000, 5},
                         StreamDbMark{"R1", 1600000, 4}, StreamDbMark{"R0", 1800000, 6}},
                        64 * mb, mb) == DbContext{1600001, true, 4});
}

TEST_CASE("stream db: the marks kept, bounded per history and in all", "[redis][stream_db]") {
  StreamDbMarks marks;
  CHECK(marks.note({"R1", 100, 0}));        // the first of its history
  CHECK_FALSE(marks.note({"R1", 200, 0}));  // same database
  CHECK_FALSE(marks.note({"R1", 200, 0}));  // read twice: kept once
  CHECK(marks.all().size() == 2);
  CHECK(marks.note({"R1", 300, 3}));  // the database changed
  for (long long off = 400; off <= 900; off += 100) marks.note({"R1", off, 3});
  // At most kPerHistory of one history: the oldest go.
  CHECK(marks.all().size() == StreamDbMarks::kPerHistory);
  CHECK(marks.all().front().offset == 600);
  // A new history does not push the old one out until the total is reached.
  for (long long off = 1; off <= 4; ++off) marks.note({"R2", off, 0});
  CHECK(marks.all().size() == 2 * StreamDbMarks::kPerHistory);
  CHECK(marks.latest() == StreamDbMark{"R2", 4, 0});
  for (const char* id : {"R3", "R4", "R5"})
    for (long long off = 1; off <= 4; ++off) marks.note({id, off, 0});
  CHECK(marks.all().size() == StreamDbMarks::kTotal);
  CHECK(marks.all().front().replid == "R2");  // R1, the oldest, went
}
