// Which saved writes the merge replays onto the keeper: keys the keeper changed, keys of units
// not replayed, keyless writes, unknown keys or databases; and the COMMAND INFO / GETKEYS
// replies the keys come from (shapes of redis-server 7.0.15).
#include <catch2/catch.hpp>

#include "agent/redis/model/merge_rules.hpp"

using namespace redvip::agent;

namespace {

RedisReply text(std::string s) {
  return RedisReply::make_text(RedisReply::Type::status, std::move(s));
}
RedisReply bulk(std::string s) {
  return RedisReply::make_text(RedisReply::Type::string, std::move(s));
}
RedisReply arr(std::vector<RedisReply> v) { return RedisReply::make_array(std::move(v)); }
RedisReply num(long long n) { return RedisReply::make_integer(n); }

CommandKeys keys(std::vector<std::string> k) { return {KeysKind::keys, std::move(k), {}}; }
UnitCommand cmd(int db, CommandKeys k) { return {db, std::move(k)}; }

}  // namespace

TEST_CASE("merge rules: COMMAND INFO and COMMAND GETKEYS replies") {
  // COMMAND INFO flushall
  auto flushall = arr({arr({bulk("flushall"), num(-1), arr({text("write")}), num(0), num(0), num(0),
                            arr({text("@keyspace"), text("@write")}), arr({}), arr({}), arr({})})});
  auto t = parse_command_info(flushall);
  REQUIRE(t);
  CHECK(t->keyless);
  CHECK(t->write);
  CHECK(!t->container);
  // COMMAND INFO publish: keyless, no write flag.
  auto publish =
      arr({arr({bulk("publish"), num(3), arr({text("pubsub"), text("loading"), text("fast")}),
                num(0), num(0), num(0), arr({}), arr({}), arr({}), arr({})})});
  t = parse_command_info(publish);
  REQUIRE(t);
  CHECK(t->keyless);
  CHECK(!t->write);
  // COMMAND INFO set: keys (first_key 1, a key spec).
  auto set = arr({arr({bulk("set"), num(-3), arr({text("write"), text("denyoom")}), num(1), num(1),
                       num(1), arr({}), arr({}), arr({arr({bulk("flags")})}), arr({})})});
  t = parse_command_info(set);
  REQUIRE(t);
  CHECK(!t->keyless);
  // COMMAND INFO function: a container, look up "function|load".
  auto function = arr({arr({bulk("function"), num(-2), arr({}), num(0), num(0), num(0), arr({}),
                            arr({}), arr({}), arr({arr({bulk("function|load")})})})});
  t = parse_command_info(function);
  REQUIRE(t);
  CHECK(t->container);
  // Unknown command: a nil entry.
  bool unknown = false;
  CHECK(!parse_command_info(arr({RedisReply::make_nil()}), &unknown));
  CHECK(unknown);
  CHECK(!parse_command_info(text("OK"), &unknown));
  CHECK(!unknown);
  CHECK(!parse_command_info(arr({arr({bulk("x")})})));

  auto k = parse_getkeys(arr({bulk("a"), bulk("b")}));
  REQUIRE(k);
  CHECK(*k == std::vector<std::string>{"a", "b"});
  CHECK(!parse_getkeys(arr({num(1)})));
  CHECK(!parse_getkeys(text("OK")));
}

TEST_CASE(
    "merge rules: keys the keeper changed, and keys of earlier units not replayed, are kept back") {
  MergeLedger ledger;
  REQUIRE(ledger.add_keeper_write(0, keys({"both"})));
  REQUIRE(ledger.add_keeper_write(-1, keys({"anydb"})));  // a keeper write in an unknown database
  REQUIRE(ledger.add_keeper_write(0, CommandKeys{KeysKind::keyless, {}, {}}));  // PUBLISH: nothing
  CHECK(ledger.keeper_keys() == 2);
  CHECK(!ledger.stopped());

  struct Row {
    const char* name;
    std::vector<UnitCommand> unit;
    bool replay;
    std::string key;
  };
  const Row rows[] = {
      {"own key", {cmd(0, keys({"mine"}))}, true, ""},
      {"the keeper's key", {cmd(0, keys({"both"}))}, false, "both"},
      {"same name, other database", {cmd(1, keys({"both"}))}, true, ""},
      {"a key the keeper wrote in an unknown database, any database",
       {cmd(5, keys({"anydb"}))},
       false,
       "anydb"},
      {"a transaction with one conflicting key",
       {cmd(0, keys({"x"})), cmd(0, keys({"y", "both"}))},
       false,
       "both"},
      {"unknown database", {cmd(-1, keys({"mine"}))}, false, ""},
      {"keyless write", {cmd(0, CommandKeys{KeysKind::keyless_write, {}, {}})}, false, ""},
      {"keyless non-write", {cmd(0, CommandKeys{KeysKind::keyless, {}, {}})}, false, ""},
      {"unknown keys",
       {cmd(0, CommandKeys{KeysKind::unknown, {}, "unknown command 'foo'"})},
       false,
       ""},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    auto j = ledger.judge(row.unit);
    CHECK(j.replay == row.replay);
    CHECK(j.key == row.key);
    if (!j.replay) CHECK(!j.reason.empty());
  }

  // Order: once a unit on "q" is kept, a later one on "q" is kept too; other keys still go.
  MergeLedger::Skipped batch;
  REQUIRE(ledger.add_skipped({cmd(0, keys({"q"}))}, &batch));
  CHECK(!ledger.judge({cmd(0, keys({"q"}))}, &batch).replay);
  CHECK(ledger.judge({cmd(0, keys({"q"}))})
            .replay);  // not committed yet: a retried batch starts over
  CHECK(ledger.judge({cmd(0, keys({"r"}))}, &batch).replay);
  REQUIRE(ledger.commit(std::move(batch)));
  auto j = ledger.judge({cmd(0, keys({"q"}))});
  CHECK(!j.replay);
  CHECK(j.reason.find("earlier write") != std::string::npos);
  // A kept command in an unknown database holds its key in every database.
  REQUIRE(ledger.add_skipped({cmd(-1, keys({"u"}))}));
  CHECK(!ledger.judge({cmd(7, keys({"u"}))}).replay);
}

TEST_CASE(
    "merge rules: after a keyless write on either side, or unknown keys, nothing more is "
    "replayed") {
  {
    MergeLedger ledger;
    REQUIRE(ledger.add_keeper_write(
        0, CommandKeys{KeysKind::keyless_write, {}, {}}));  // FLUSHDB on the keeper
    CHECK(ledger.stopped());
    CHECK(!ledger.judge({cmd(3, keys({"anything"}))}).replay);
  }
  {
    MergeLedger ledger;
    REQUIRE(
        ledger.add_keeper_write(0, CommandKeys{KeysKind::unknown, {}, "unknown command 'mod.x'"}));
    auto j = ledger.judge({cmd(0, keys({"k"}))});
    CHECK(!j.replay);
    CHECK(j.reason.find("mod.x") != std::string::npos);
  }
  {
    MergeLedger ledger;
    MergeLedger::Skipped batch;
    REQUIRE(ledger.add_skipped({cmd(0, CommandKeys{KeysKind::keyless_write, {}, {}})},
                               &batch));  // FLUSHALL kept
    CHECK(!ledger.judge({cmd(0, keys({"k"}))}, &batch).replay);
    REQUIRE(ledger.commit(std::move(batch)));
    CHECK(ledger.stopped());
    CHECK(!ledger.judge({cmd(0, keys({"k"}))}).replay);
  }
  {
    // A kept PUBLISH does not stop anything.
    MergeLedger ledger;
    REQUIRE(ledger.add_skipped({cmd(0, CommandKeys{KeysKind::keyless, {}, {}})}));
    CHECK(ledger.judge({cmd(0, keys({"k"}))}).replay);
  }
}

TEST_CASE("merge rules: the number of keys held is bounded") {
  MergeLedger ledger(3);
  CHECK(ledger.add_keeper_write(0, keys({"a", "b"})));
  CHECK(ledger.add_skipped({cmd(0, keys({"c"}))}));
  CHECK(!ledger.add_keeper_write(0, keys({"d"})));
  CHECK(!ledger.add_skipped({cmd(0, keys({"e"}))}));
  MergeLedger::Skipped batch;
  CHECK(!ledger.add_skipped({cmd(0, keys({"f"}))}, &batch));
}
