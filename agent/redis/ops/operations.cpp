#include "agent/redis/ops/operations.hpp"

#include <algorithm>

namespace redvip::agent {
namespace {

using Clock = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;

RedisOpResult success(std::string message) { return {{}, std::move(message)}; }
RedisOpResult failure(RedisErrc e, std::string message) { return {make_error_code(e), std::move(message)}; }
RedisOpResult failure(const RedisResult& r, const std::string& what) {
  return {r.error, what + ": " + r.message};
}

// Time left before the operation's deadline, or nullopt when it has passed.
std::optional<Ms> left(Clock::time_point deadline) {
  const auto now = Clock::now();
  if (now >= deadline) return std::nullopt;
  return std::max(Ms(1), std::chrono::ceil<Ms>(deadline - now));
}

std::string endpoint_text(const std::string& host, int port) {
  return host + ":" + std::to_string(port);
}

// Runs ROLE and hands over the merged view, or the failure.
void fetch_role(const std::shared_ptr<RedisConnection>& conn, Clock::time_point deadline,
                std::function<void(RedisOpResult, ReplicationInfo)> done) {
  auto t = left(deadline);
  if (!t) {
    done(failure(RedisErrc::operation_timeout, "no time left to confirm the role"), {});
    return;
  }
  conn->command({"ROLE"}, *t, [done = std::move(done)](RedisResult r) {
    ReplicationInfo info;
    if (!r.ok()) {
      done(failure(r, "ROLE"), info);
      return;
    }
    if (!merge_role_reply(r.reply, info)) {
      done(failure(RedisErrc::unexpected_reply, "ROLE: unexpected reply"), info);
      return;
    }
    done(success("ok"), info);
  });
}

}  // namespace

RedisRoles::RedisRoles(std::shared_ptr<RedisConnection> connection) : connection_(std::move(connection)) {}

void RedisRoles::promote(Ms timeout, Done done) {
  const auto deadline = Clock::now() + timeout;
  auto conn = connection_;
  conn->command({"REPLICAOF", "NO", "ONE"}, timeout, [conn, deadline, done = std::move(done)](RedisResult r) {
    if (!r.ok()) {
      done(failure(r, "REPLICAOF NO ONE"));
      return;
    }
    fetch_role(conn, deadline, [done](RedisOpResult res, ReplicationInfo info) {
      if (!res.ok()) {
        done(res);
      } else if (info.role != RedisRole::master) {
        done(failure(RedisErrc::not_confirmed, "REPLICAOF NO ONE answered but ROLE says " +
                                                   std::string(to_string(info.role))));
      } else {
        done(success("promoted to master at offset " + std::to_string(info.master_repl_offset)));
      }
    });
  });
}

void RedisRoles::follow(std::string host, int port, Ms timeout, Done done) {
  const auto deadline = Clock::now() + timeout;
  auto conn = connection_;
  conn->command({"INFO", "replication"}, timeout,
                [conn, deadline, host, port, done = std::move(done)](RedisResult r) {
    if (!r.ok()) {
      done(failure(r, "INFO replication"));
      return;
    }
    auto info = r.reply.is_text() ? parse_info(r.reply.str) : std::nullopt;
    if (!info) {
      done(failure(RedisErrc::unexpected_reply, "INFO replication: unparsable reply"));
      return;
    }
    if (info->role == RedisRole::replica && info->master_host == host && info->master_port == port &&
        info->master_link_up) {
      done(success("already following " + endpoint_text(host, port) + " with the link up"));
      return;
    }
    auto t = left(deadline);
    if (!t) {
      done(failure(RedisErrc::operation_timeout, "no time left for REPLICAOF"));
      return;
    }
    conn->command({"REPLICAOF", host, std::to_string(port)}, *t,
                  [conn, deadline, host, port, done](RedisResult rr) {
      if (!rr.ok()) {
        done(failure(rr, "REPLICAOF " + endpoint_text(host, port)));
        return;
      }
      fetch_role(conn, deadline, [host, port, done](RedisOpResult res, ReplicationInfo role) {
        if (!res.ok()) {
          done(res);
        } else if (role.role != RedisRole::replica || role.master_host != host || role.master_port != port) {
          done(failure(RedisErrc::not_confirmed,
                       "REPLICAOF answered but ROLE says " + std::string(to_string(role.role)) +
                           (role.role == RedisRole::replica
                                ? " of " + endpoint_text(role.master_host, role.master_port)
                                : std::string())));
        } else {
          done(success("following " + endpoint_text(host, port)));
        }
      });
    });
  });
}

void RedisRoles::kill_clients(Ms timeout, Done done) {
  auto normal = std::make_shared<RedisResult>();
  connection_->command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"}, timeout,
                       [normal](RedisResult r) { *normal = std::move(r); });
  connection_->command({"CLIENT", "KILL", "TYPE", "pubsub", "SKIPME", "yes"}, timeout,
                       [normal, done = std::move(done)](RedisResult pubsub) {
    if (!normal->ok()) {
      done(failure(*normal, "CLIENT KILL TYPE normal"));
    } else if (!pubsub.ok()) {
      done(failure(pubsub, "CLIENT KILL TYPE pubsub"));
    } else if (!normal->reply.is_integer() || !pubsub.reply.is_integer()) {
      done(failure(RedisErrc::unexpected_reply, "CLIENT KILL: unexpected reply"));
    } else {
      done(success("killed " + std::to_string(normal->reply.integer) + " normal and " +
                   std::to_string(pubsub.reply.integer) + " pubsub clients"));
    }
  });
}

void RedisRoles::pause_writes(Ms pause, Ms timeout, Done done) {
  connection_->command({"CLIENT", "PAUSE", std::to_string(pause.count()), "WRITE"}, timeout,
                       [pause, done = std::move(done)](RedisResult r) {
    if (!r.ok()) {
      done(failure(r, "CLIENT PAUSE"));
    } else {
      done(success("writes paused for up to " + std::to_string(pause.count()) + " ms"));
    }
  });
}

void RedisRoles::unpause(Ms timeout, Done done) {
  connection_->command({"CLIENT", "UNPAUSE"}, timeout, [done = std::move(done)](RedisResult r) {
    if (!r.ok()) {
      done(failure(r, "CLIENT UNPAUSE"));
    } else {
      done(success("writes resumed"));
    }
  });
}

namespace {

struct CatchUpPoll : std::enable_shared_from_this<CatchUpPoll> {
  std::shared_ptr<RedisConnection> conn;
  Clock::time_point deadline;
  Ms interval;
  RedisRoles::Done done;
  boost::asio::steady_timer timer;
  std::string last_state = "no answer yet";

  CatchUpPoll(std::shared_ptr<RedisConnection> c, Clock::time_point d, Ms i, RedisRoles::Done cb)
      : conn(std::move(c)), deadline(d), interval(i), done(std::move(cb)), timer(conn->io()) {}

  void poll() {
    auto t = left(deadline);
    if (!t) {
      done(failure(RedisErrc::operation_timeout, "no replica caught up in time: " + last_state));
      return;
    }
    auto self = shared_from_this();
    conn->command({"INFO", "replication"}, *t, [self](RedisResult r) { self->on_info(r); });
  }

  void on_info(const RedisResult& r) {
    if (r.ok()) {
      auto info = r.reply.is_text() ? parse_info(r.reply.str) : std::nullopt;
      if (info && replica_caught_up(*info)) {
        for (const auto& rep : info->replicas) {
          if (rep.state == "online" && rep.offset >= info->master_repl_offset) {
            done(success("replica " + endpoint_text(rep.ip, rep.port) + " at offset " +
                         std::to_string(rep.offset) + " = master offset"));
            return;
          }
        }
      }
      if (info) {
        long long best = -1;
        for (const auto& rep : info->replicas) best = std::max(best, rep.offset);
        last_state = info->role != RedisRole::master
                         ? std::string("not a master")
                         : "master offset " + std::to_string(info->master_repl_offset) +
                               ", best replica offset " + std::to_string(best) + " (" +
                               std::to_string(info->replicas.size()) + " replicas)";
      }
    } else if (r.error == RedisErrc::command_timeout || r.error == RedisErrc::operation_timeout) {
      done(failure(r, "INFO replication"));
      return;
    } else {
      last_state = "INFO replication: " + r.message;
    }
    const auto now = Clock::now();
    if (now + interval >= deadline) {
      // One last look right at the deadline would rarely change the answer; stop here.
      done(failure(RedisErrc::operation_timeout, "no replica caught up in time: " + last_state));
      return;
    }
    timer.expires_after(interval);
    auto self = shared_from_this();
    timer.async_wait([self](boost::system::error_code ec) {
      if (ec) return;
      self->poll();
    });
  }
};

}  // namespace

void RedisRoles::wait_replica_caught_up(Ms timeout, Ms poll_interval, Done done) {
  auto poll = std::make_shared<CatchUpPoll>(connection_, Clock::now() + timeout, poll_interval, std::move(done));
  poll->poll();
}

void RedisRoles::replication_info(Ms timeout, std::function<void(RedisOpResult, ReplicationInfo)> done) {
  connection_->command({"INFO", "replication"}, timeout, [done = std::move(done)](RedisResult r) {
    if (!r.ok()) {
      done(failure(r, "INFO replication"), ReplicationInfo{});
      return;
    }
    auto info = r.reply.is_text() ? parse_info(r.reply.str) : std::nullopt;
    if (!info) {
      done(failure(RedisErrc::unexpected_reply, "INFO replication: unparsable reply"), ReplicationInfo{});
      return;
    }
    done(success("ok"), std::move(*info));
  });
}

void RedisRoles::check_sync_completed(std::string host, int port, std::string master_replid, Ms timeout,
                                      std::function<void(RedisOpResult, SyncJudgement)> done) {
  replication_info(timeout, [host = std::move(host), port, replid = std::move(master_replid),
                             done = std::move(done)](RedisOpResult r, ReplicationInfo info) {
    if (!r.ok()) {
      done(r, SyncJudgement{false, r.message});
      return;
    }
    auto judgement = judge_sync_completed(info, host, port, replid);
    done(r, std::move(judgement));
  });
}

}  // namespace redvip::agent
