#include <catch2/catch.hpp>

#include "agent/redis/model/decisions.hpp"
#include "agent/redis/model/replication_info.hpp"

using namespace redvip::agent;

namespace {

// Outputs captured from redis-server 7.0.15 (two servers on loopback; the syncing state was
// held open with rdb-key-save-delay on the master, the loading state with key-load-delay).
// redis-cli -p PORT info ... on redis-server 7.0.15
const char* const k_master_alone = R"(# Replication
role:master
connected_slaves:0
master_failover_state:no-failover
master_replid:4f9ecf45c8bde89ccc2c140767f359e36bbf0e51
master_replid2:0000000000000000000000000000000000000000
master_repl_offset:0
second_repl_offset:-1
repl_backlog_active:0
repl_backlog_size:1048576
repl_backlog_first_byte_offset:0
repl_backlog_histlen:0
)";

// redis-cli -p PORT info ... on redis-server 7.0.15
const char* const k_master_with_replica = R"(# Replication
role:master
connected_slaves:1
slave0:ip=127.0.0.1,port=21702,state=online,offset=50,lag=1
master_failover_state:no-failover
master_replid:7b84cbc99d847fd0694c977c71f9447e32bd4dbf
master_replid2:0000000000000000000000000000000000000000
master_repl_offset:50
second_repl_offset:-1
repl_backlog_active:1
repl_backlog_size:1048576
repl_backlog_first_byte_offset:1
repl_backlog_histlen:50
)";

// redis-cli -p PORT info ... on redis-server 7.0.15
const char* const k_master_with_syncing = R"(# Replication
role:master
connected_slaves:1
slave0:ip=127.0.0.1,port=21702,state=wait_bgsave,offset=0,lag=0
master_failover_state:no-failover
master_replid:7b84cbc99d847fd0694c977c71f9447e32bd4dbf
master_replid2:0000000000000000000000000000000000000000
master_repl_offset:0
second_repl_offset:-1
repl_backlog_active:1
repl_backlog_size:1048576
repl_backlog_first_byte_offset:1
repl_backlog_histlen:0
)";

// redis-cli -p PORT info ... on redis-server 7.0.15
const char* const k_replica_up = R"(# Replication
role:slave
master_host:127.0.0.1
master_port:21701
master_link_status:up
master_last_io_seconds_ago:1
master_sync_in_progress:0
slave_read_repl_offset:50
slave_repl_offset:50
slave_priority:100
slave_read_only:1
replica_announced:1
connected_slaves:0
master_failover_state:no-failover
master_replid:7b84cbc99d847fd0694c977c71f9447e32bd4dbf
master_replid2:0000000000000000000000000000000000000000
master_repl_offset:50
second_repl_offset:-1
repl_backlog_active:1
repl_backlog_size:1048576
repl_backlog_first_byte_offset:1
repl_backlog_histlen:50
)";

// redis-cli -p PORT info ... on redis-server 7.0.15
const char* const k_replica_down = R"(# Replication
role:slave
master_host:127.0.0.1
master_port:21701
master_link_status:down
master_last_io_seconds_ago:-1
master_sync_in_progress:0
slave_read_repl_offset:0
slave_repl_offset:0
master_link_down_since_seconds:2
slave_priority:100
slave_read_only:1
replica_announced:1
connected_slaves:0
master_failover_state:no-failover
master_replid:fe74b562cc1065e3277d600b50dd4ada77953dbe
master_replid2:0000000000000000000000000000000000000000
master_repl_offset:0
second_repl_offset:-1
repl_backlog_active:1
repl_backlog_size:1048576
repl_backlog_first_byte_offset:1
repl_backlog_histlen:0
)";

// redis-cli -p PORT info ... on redis-server 7.0.15
const char* const k_replica_syncing = R"(# Replication
role:slave
master_host:127.0.0.1
master_port:21701
master_link_status:down
master_last_io_seconds_ago:-1
master_sync_in_progress:1
slave_read_repl_offset:0
slave_repl_offset:0
master_sync_total_bytes:-1
master_sync_read_bytes:0
master_sync_left_bytes:-1
master_sync_perc:-0.00
master_sync_last_io_seconds_ago:1
master_link_down_since_seconds:-1
slave_priority:100
slave_read_only:1
replica_announced:1
connected_slaves:0
master_failover_state:no-failover
master_replid:28881612ce9351680e31b78443217aa2fa9a9b6d
master_replid2:fe74b562cc1065e3277d600b50dd4ada77953dbe
master_repl_offset:0
second_repl_offset:1
repl_backlog_active:1
repl_backlog_size:1048576
repl_backlog_first_byte_offset:1
repl_backlog_histlen:0
)";

// redis-cli -p PORT info ... on redis-server 7.0.15
const char* const k_loading_persistence = R"(# Persistence
loading:1
async_loading:0
current_cow_peak:0
current_cow_size:0
current_cow_size_age:0
current_fork_perc:0.00
current_save_keys_processed:0
current_save_keys_total:0
rdb_changes_since_last_save:0
rdb_bgsave_in_progress:0
rdb_last_save_time:1795620533
rdb_last_bgsave_status:ok
rdb_last_bgsave_time_sec:-1
rdb_current_bgsave_time_sec:-1
rdb_saves:0
rdb_last_cow_size:0
rdb_last_load_keys_expired:0
rdb_last_load_keys_loaded:463
aof_enabled:0
aof_rewrite_in_progress:0
aof_rewrite_scheduled:0
aof_last_rewrite_time_sec:-1
aof_current_rewrite_time_sec:-1
aof_last_bgrewrite_status:ok
aof_rewrites:0
aof_rewrites_consecutive_failures:0
aof_last_write_status:ok
aof_last_cow_size:0
module_fork_in_progress:0
module_fork_last_cow_size:0
loading_start_time:1795620533
loading_total_bytes:32646
loading_rdb_used_mem:1369496
loading_loaded_bytes:5117
loading_loaded_perc:15.67
loading_eta_seconds:1
)";

// redis-cli -p PORT info ... on redis-server 7.0.15
const char* const k_keyspace = R"(# Keyspace
db0:keys=1,expires=0,avg_ttl=0
)";

// Redis sends CRLF line ends; the fixtures above are stored with LF.
std::string crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

RedisReply text(std::string s) {
  return RedisReply::make_text(RedisReply::Type::string, std::move(s));
}
RedisReply num(long long v) { return RedisReply::make_integer(v); }

}  // namespace

TEST_CASE("INFO replication of a master without replicas") {
  auto info = parse_info(crlf(k_master_alone));
  REQUIRE(info);
  CHECK(info->role == RedisRole::master);
  CHECK(info->master_replid == "4f9ecf45c8bde89ccc2c140767f359e36bbf0e51");
  CHECK(info->master_repl_offset == 0);
  CHECK(info->replicas.empty());
  CHECK_FALSE(info->loading);
  CHECK(info->replica_priority == -1);  // a master does not show it
}

TEST_CASE("INFO replication of a master with an online replica") {
  auto info = parse_info(crlf(k_master_with_replica));
  REQUIRE(info);
  CHECK(info->role == RedisRole::master);
  CHECK(info->master_repl_offset == 50);
  REQUIRE(info->replicas.size() == 1);
  CHECK(info->replicas[0].ip == "127.0.0.1");
  CHECK(info->replicas[0].port == 21702);
  CHECK(info->replicas[0].state == "online");
  CHECK(info->replicas[0].offset == 50);
  CHECK(info->replicas[0].lag == 1);
}

TEST_CASE("INFO replication of a master whose replica is still in full sync") {
  auto info = parse_info(crlf(k_master_with_syncing));
  REQUIRE(info);
  REQUIRE(info->replicas.size() == 1);
  CHECK(info->replicas[0].state == "wait_bgsave");
  // Offsets are both 0 although the replica, waiting for the RDB, has nothing: offsets alone
  // never tell a sync (decisions.hpp asks the replica for its link instead).
  CHECK(info->replicas[0].offset == info->master_repl_offset);
}

TEST_CASE("INFO replication of a replica with the link up") {
  auto info = parse_info(crlf(k_replica_up));
  REQUIRE(info);
  CHECK(info->role == RedisRole::replica);
  CHECK(info->master_host == "127.0.0.1");
  CHECK(info->master_port == 21701);
  CHECK(info->master_link_up);
  CHECK_FALSE(info->master_sync_in_progress);
  CHECK(info->master_last_io_seconds_ago == 1);
  CHECK(info->replica_priority == 100);
  CHECK(info->slave_repl_offset == 50);
  CHECK(info->master_repl_offset == 50);
  CHECK(info->master_replid == "7b84cbc99d847fd0694c977c71f9447e32bd4dbf");
  auto master = parse_info(crlf(k_master_with_replica));
  REQUIRE(master);
  CHECK(judge_sync_completed(*info, "127.0.0.1", 21701, master->master_replid).completed);
  CHECK(judge_sync_completed(*info, "127.0.0.1", 21701).completed);
  CHECK_FALSE(judge_sync_completed(*info, "127.0.0.1", 21702).completed);
  CHECK_FALSE(judge_sync_completed(*info, "10.0.0.1", 21701).completed);
  CHECK_FALSE(
      judge_sync_completed(*info, "127.0.0.1", 21701, "4f9ecf45c8bde89ccc2c140767f359e36bbf0e51")
          .completed);
}

TEST_CASE("INFO replication of a replica whose master went away") {
  auto info = parse_info(crlf(k_replica_down));
  REQUIRE(info);
  CHECK(info->role == RedisRole::replica);
  CHECK_FALSE(info->master_link_up);
  CHECK(info->master_last_io_seconds_ago == -1);
  auto j = judge_sync_completed(*info, "127.0.0.1", 21701);
  CHECK_FALSE(j.completed);
  CHECK(j.reason == "master link down");
}

TEST_CASE("INFO replication of a replica in the middle of a full sync") {
  auto info = parse_info(crlf(k_replica_syncing));
  REQUIRE(info);
  CHECK(info->master_sync_in_progress);
  CHECK_FALSE(info->master_link_up);
  // Before the sync the replica still carries its own, older replication id.
  CHECK(info->master_replid == "28881612ce9351680e31b78443217aa2fa9a9b6d");
  auto j = judge_sync_completed(*info, "127.0.0.1", 21701);
  CHECK_FALSE(j.completed);
  CHECK(j.reason == "sync in progress");
}

TEST_CASE("INFO persistence while loading and INFO keyspace") {
  auto loading = parse_info(crlf(k_loading_persistence));
  REQUIRE(loading);
  CHECK(loading->loading);
  CHECK(loading->role == RedisRole::unknown);
  auto ks = parse_info(crlf(k_keyspace));
  REQUIRE(ks);
  CHECK(ks->total_keys == 1);
  auto two_dbs = parse_info(
      "# Keyspace\r\ndb0:keys=3,expires=0,avg_ttl=0\r\ndb5:keys=4,expires=1,avg_ttl=9\r\n");
  REQUIRE(two_dbs);
  CHECK(two_dbs->total_keys == 7);
  auto empty = parse_info("# Keyspace\r\n");
  REQUIRE(empty);
  CHECK(empty->total_keys == 0);
  // A loading replica is not promotable even with the link reported up.
  auto replica = parse_info(crlf(k_replica_up));
  REQUIRE(replica);
  replica->loading = true;
  CHECK_FALSE(judge_sync_completed(*replica, "127.0.0.1", 21701).completed);
}

TEST_CASE("INFO parsing rejects what is not INFO and survives damaged lines") {
  CHECK_FALSE(parse_info(""));
  CHECK_FALSE(parse_info("PONG"));
  CHECK_FALSE(parse_info("-ERR unknown command\r\n"));
  auto damaged = parse_info(
      "role:master\r\nmaster_repl_offset:12x\r\nslave0:ip=1.2.3.4,port=99999,state=online\r\n"
      "slave1:garbage\r\nmaster_port:-5\r\n");
  REQUIRE(damaged);
  CHECK(damaged->role == RedisRole::master);
  CHECK(damaged->master_repl_offset == -1);
  CHECK(damaged->replicas.empty());
  CHECK(damaged->master_port == 0);
  // LF line ends (a proxy, or a test) parse the same.
  auto lf = parse_info(k_replica_up);
  REQUIRE(lf);
  CHECK(lf->master_link_up);
  CHECK(lf->master_port == 21701);
}

TEST_CASE("ROLE replies captured from redis-server 7.0.15") {
  // redis-cli role on the replica (link up), on the replica during a full sync, on the master.
  ReplicationInfo replica;
  REQUIRE(merge_role_reply(RedisReply::make_array({text("slave"), text("127.0.0.1"), num(21701),
                                                   text("connected"), num(50)}),
                           replica));
  CHECK(replica.role == RedisRole::replica);
  CHECK(replica.master_host == "127.0.0.1");
  CHECK(replica.master_port == 21701);
  CHECK(replica.master_link_up);
  CHECK(replica.slave_repl_offset == 50);

  ReplicationInfo syncing;
  REQUIRE(merge_role_reply(
      RedisReply::make_array({text("slave"), text("127.0.0.1"), num(21701), text("sync"), num(-1)}),
      syncing));
  CHECK(syncing.master_sync_in_progress);
  CHECK_FALSE(syncing.master_link_up);

  ReplicationInfo master;
  REQUIRE(merge_role_reply(
      RedisReply::make_array({text("master"), num(50),
                              RedisReply::make_array({RedisReply::make_array(
                                  {text("127.0.0.1"), text("21702"), text("50")})})}),
      master));
  CHECK(master.role == RedisRole::master);
  CHECK(master.master_repl_offset == 50);
  REQUIRE(master.replicas.size() == 1);
  CHECK(master.replicas[0].port == 21702);
}

TEST_CASE("ROLE replies of the wrong shape are refused") {
  ReplicationInfo info;
  CHECK_FALSE(merge_role_reply(RedisReply::make_nil(), info));
  CHECK_FALSE(merge_role_reply(RedisReply::make_array({}), info));
  CHECK_FALSE(merge_role_reply(RedisReply::make_array({text("master")}), info));
  CHECK_FALSE(merge_role_reply(
      RedisReply::make_array({text("master"), text("50"), RedisReply::make_array({})}), info));
  CHECK_FALSE(merge_role_reply(
      RedisReply::make_array({text("slave"), text("h"), num(70000), text("connected"), num(1)}),
      info));
  CHECK_FALSE(merge_role_reply(
      RedisReply::make_array({text("sentinel"), RedisReply::make_array({})}), info));
  CHECK(info.role == RedisRole::unknown);
}
