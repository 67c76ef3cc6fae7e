#pragma once
// A master with a finished failover and a replica following it, as status sees them: one
// picture for the status, metrics and docs tests.
#include <chrono>
#include <utility>

#include "agent/control/status_report.hpp"
#include "agent/instance/failover_timeline.hpp"

namespace redvip::test {

inline std::pair<agent::InstanceView, agent::InstanceView> status_pair() {
  using namespace redvip::agent;
  using redvip::vrrp::State;
  InstanceView master;
  master.vrrp.name = "redis_vip";
  master.vrrp.state = State::master;
  master.redis.present = true;
  master.redis.healthy = true;
  master.redis.role = "master";
  ReplicationInfo info;
  info.role = RedisRole::master;
  info.master_repl_offset = 1200;
  info.replicas.push_back({"10.0.0.2", 6379, "online", 1180, 0});
  master.redis.replication = info;
  TimelineRecorder r;
  const redvip::vrrp::TimePoint t0{std::chrono::seconds(1)};
  r.begin(State::backup, State::master, "master down", t0, t0, std::chrono::system_clock::now());
  r.step("announced", t0 + std::chrono::milliseconds(20));
  r.finish();
  master.vrrp.last_timeline = r.last();
  master.vrrp.master_durations = r.master_durations();

  InstanceView replica;
  replica.vrrp.name = "other";
  replica.vrrp.state = State::backup;
  replica.redis.present = true;
  ReplicationInfo rinfo;
  rinfo.role = RedisRole::replica;
  rinfo.master_host = "10.0.0.1";
  rinfo.master_port = 6379;
  rinfo.master_link_up = true;
  rinfo.slave_repl_offset = 1180;
  rinfo.master_repl_offset = 1180;
  rinfo.master_last_io_seconds_ago = 0;
  replica.redis.replication = rinfo;
  return {master, replica};
}

}  // namespace redvip::test
