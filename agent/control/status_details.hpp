#pragma once
// The parts of status that explain: both Redis nodes' role, offset and lag as this node's Redis
// reports them, and the last transition's timeline. Text lines under an instance's status
// line, JSON members of its object, Prometheus families (replication offsets and lag, the
// failover duration histogram). status_report.cpp puts them in place.
#include <string>
#include <vector>

#include "agent/instance/instance_status.hpp"
#include "agent/redis/roles/redis_status.hpp"

namespace redvip::agent {

struct InstanceView;

// "  redis: master offset 1200; replica 10.0.0.2:6379 online offset 1180 (20 bytes behind)\n"
// "  redis: replica of 10.0.0.1:6379, link up, offset 1180, last I/O 0 s ago; master offset
//   1200, 20 bytes behind (read 0.3 s ago)\n"
std::string redis_replication_text(const RedisStatusView& redis);
// "  last transition 2026-11-30 14:02:03.123: BACKUP -> MASTER (...): cause seen +0.0 ms, ...\n"
std::string timeline_text(const InstanceStatus& status);

// ,"replication":{...} and ,"last_transition_timeline":{...} (empty when there is nothing).
std::string redis_replication_json(const RedisStatusView& redis);
std::string timeline_json(const InstanceStatus& status);

// redvip_failover_duration_seconds (histogram), redvip_redis_offset,
// redvip_redis_replica_lag_bytes, redvip_redis_master_link_up, redvip_redis_lag_bytes,
// redvip_redis_master_last_io_seconds.
std::string prometheus_details(const std::vector<InstanceView>& instances);

}  // namespace redvip::agent
