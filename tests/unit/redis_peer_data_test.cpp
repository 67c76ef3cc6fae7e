#include <catch2/catch.hpp>

#include "agent/redis/model/peer_data.hpp"

using namespace redvip::agent;

namespace {
const char* const k_master =
    "# Replication\r\nrole:master\r\nconnected_slaves:0\r\n"
    "master_replid:4f9ecf45c8bde89ccc2c140767f359e36bbf0e51\r\nmaster_repl_offset:120\r\n";
const char* const k_not_loading = "# Persistence\r\nloading:0\r\nasync_loading:0\r\n";
const char* const k_loading = "# Persistence\r\nloading:1\r\nasync_loading:0\r\n";
}  // namespace

TEST_CASE("peer data: keys in any database mean data") {
  auto d =
      judge_peer_data(k_master, k_not_loading, "# Keyspace\r\ndb3:keys=2,expires=0,avg_ttl=0\r\n");
  CHECK(d.reachable);
  CHECK(d.has_data);
  CHECK(d.keys == 2);
  CHECK(d.role == RedisRole::master);
  CHECK(d.master_repl_offset == 120);
}

TEST_CASE("peer data: an empty keyspace is no data, even with replication history") {
  auto d = judge_peer_data(k_master, k_not_loading, "# Keyspace\r\n");
  CHECK(d.reachable);
  CHECK_FALSE(d.has_data);
  CHECK(d.keys == 0);
}

TEST_CASE("peer data: a peer loading its RDB counts as having data") {
  auto d = judge_peer_data(k_master, k_loading, "# Keyspace\r\n");
  CHECK(d.has_data);
  CHECK(d.loading);
}

TEST_CASE("peer data: garbage is unreachable, never empty") {
  auto d = judge_peer_data("hello", k_not_loading, "# Keyspace\r\n");
  CHECK_FALSE(d.reachable);
  CHECK_FALSE(d.error.empty());
}
