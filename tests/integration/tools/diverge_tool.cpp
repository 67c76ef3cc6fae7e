// Drives the split-brain building blocks against real redis-server processes for
// redis_diverged_writes.sh, the way the role controller will: read both sides' INFO, find the
// fork and the verdict (optionally counting each side's writes from its stream), pause the
// yielder's writes, save its writes since the fork, and merge them onto the keeper.
//   verdict A B [count]          prints the fork and the verdict as key=value lines
//   save A B DIR [count]         saves the yielder's writes; prints the result
//   merge A B SAVED_FILE         merges the saved file onto the keeper; prints counts
//   write S KEYS_FILE VALUE US   a client: SET key VALUE for each key, one every US µs, each
//                                after the previous reply; prints every acknowledged key
// A and B are HOST:PORT (or a port on 127.0.0.1); auth from $REDVIP_TEST_REDIS_PASSWORD.
// Priorities: A 100, B 100, addresses 10.0.0.1 / 10.0.0.2 (B outranks A between equals).
// Exit status: 0 ok, 1 the operation failed, 2 bad usage.
// <utility> first: Boost 1.74 Asio uses std::exchange without including it (g++ 12).
#include <utility>

#include <boost/asio.hpp>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "agent/redis/client/connection.hpp"
#include "agent/redis/model/divergence.hpp"
#include "agent/redis/ops/diverged_merge.hpp"
#include "agent/redis/ops/diverged_writes.hpp"

using namespace redvip::agent;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;

namespace {

struct Server {
  std::string host = "127.0.0.1";
  int port = 0;
};

Server parse_server(const std::string& text) {
  Server s;
  const auto colon = text.rfind(':');
  if (colon != std::string::npos) s.host = text.substr(0, colon);
  s.port = std::atoi(text.substr(colon == std::string::npos ? 0 : colon + 1).c_str());
  return s;
}

RedisConnectionOptions local(const Server& server) {
  RedisConnectionOptions o;
  o.endpoint.host = server.host;
  o.endpoint.port = static_cast<std::uint16_t>(server.port);
  o.connect_timeout = 1000ms;
  o.client_name = "diverge-tool";
  if (const char* pw = std::getenv("REDVIP_TEST_REDIS_PASSWORD")) o.password = pw;
  return o;
}

template <typename T>
T wait_for(asio::io_context& io, std::optional<T>& slot, Ms limit = 120s) {
  const auto end = Clock::now() + limit;
  while (!slot && Clock::now() < end) {
    io.run_for(5ms);
    if (io.stopped()) io.restart();
  }
  if (!slot) {
    std::fprintf(stderr, "tool: no completion within %lld ms\n",
                 static_cast<long long>(limit.count()));
    std::exit(1);
  }
  return *slot;
}

RedisResult command(asio::io_context& io, const Server& port, std::vector<std::string> argv) {
  auto conn = RedisConnection::create(io, local(port));
  std::optional<RedisResult> out;
  conn->command(std::move(argv), 5s, [&](RedisResult r) { out = std::move(r); });
  auto r = wait_for(io, out, 10s);
  conn->close();
  return r;
}

ReplicationHistory history(asio::io_context& io, const Server& port) {
  auto r = command(io, port, {"INFO", "replication"});
  auto info = r.ok() && r.reply.is_text() ? parse_info(r.reply.str) : std::nullopt;
  if (!info) {
    std::fprintf(stderr, "INFO replication on %s:%d: %s\n", port.host.c_str(), port.port,
                 r.message.c_str());
    std::exit(1);
  }
  return ReplicationHistory::from(*info);
}

struct Sides {
  Server port[2];
  DivergenceSide side[2];
  DivergenceVerdict verdict;
  const Server& keeper_port() const { return port[verdict.keeper == Side::a ? 0 : 1]; }
  const Server& yielder_port() const { return port[verdict.yielder == Side::a ? 0 : 1]; }
  const ReplicationHistory& keeper() const {
    return side[verdict.keeper == Side::a ? 0 : 1].history;
  }
  const ReplicationHistory& yielder() const {
    return side[verdict.yielder == Side::a ? 0 : 1].history;
  }
};

Sides judge(asio::io_context& io, const Server& a, const Server& b, bool count) {
  Sides s{{a, b}, {}, {}};
  for (int i = 0; i < 2; ++i) {
    s.side[i].history = history(io, s.port[i]);
    s.side[i].standing.priority = 100;
    s.side[i].standing.address = {10, 0, 0, static_cast<std::uint8_t>(i + 1)};
  }
  const auto fork = find_fork(s.side[0].history, s.side[1].history);
  if (count) {
    for (int i = 0; i < 2; ++i) {
      auto from = psync_since_fork(s.side[i].history, fork);
      if (!from) continue;
      std::optional<StreamWrites> w;
      count_stream_writes(io, local(s.port[i]), *from, s.side[i].history.offset, 30s, {},
                          [&](StreamWrites x) { w = x; });
      auto got = wait_for(io, w);
      std::printf("count_%c=%s commands=%lld keepalives=%lld bytes=%lld\n", i == 0 ? 'a' : 'b',
                  got.ok() ? "ok" : got.message.c_str(), got.commands, got.keepalives, got.bytes);
      if (got.ok()) s.side[i].commands_since_fork = got.commands;
    }
  }
  s.verdict = decide_divergence(s.side[0], s.side[1]);
  const auto& v = s.verdict;
  std::printf(
      "fork_kind=%s\nfork=%lld\ncommon=%s\na_bytes=%lld\nb_bytes=%lld\nkeeper=%s\nby_data=%d\n"
      "yielder_has_writes=%d\nsave_whole=%d\npartial_resync=%d\nsave_from=%lld\nsave_to=%lld\n"
      "save_from_backlog=%d\nreason=%s\n",
      std::string(to_string(v.fork.kind)).c_str(), v.fork.fork_offset, v.fork.common_replid.c_str(),
      v.fork.a_bytes, v.fork.b_bytes, std::string(to_string(v.keeper)).c_str(), v.by_data,
      v.yielder_has_writes, v.save_whole_data_set, v.partial_resync,
      v.save_from ? v.save_from->offset : -1, v.save_to, v.save_from_backlog, v.reason.c_str());
  return s;
}

int cmd_save(const Server& a, const Server& b, const std::string& dir, bool count) {
  asio::io_context io;
  const auto s = judge(io, a, b, count);
  const auto& v = s.verdict;
  if (!v.yielder_has_writes || !v.save_from) {
    std::printf("result=nothing\n");
    return 0;
  }
  // The controller's order: pause the yielder's writes, read its offset (now final), save.
  const Server port = s.yielder_port();
  auto paused = command(io, port, {"CLIENT", "PAUSE", "30000", "WRITE"});
  if (!paused.ok()) {
    std::fprintf(stderr, "CLIENT PAUSE: %s\n", paused.message.c_str());
    return 1;
  }
  const auto yh = history(io, port);
  DivergedWritesRequest req;
  req.server = local(port);
  req.from = *v.save_from;
  req.to = yh.offset;
  req.context = plan_db_context(yh, v.save_from->replid, v.save_from->offset, {}, 0, 1 << 20);
  DivergedWritesOptions opts;
  opts.directory = dir;
  opts.instance = "diverge-tool";
  opts.timeout = 60s;
  const auto started = Clock::now();
  std::optional<SavedWrites> out;
  save_diverged_writes(io, req, opts, [&](SavedWrites r) { out = std::move(r); });
  const auto r = wait_for(io, out);
  const auto ms = std::chrono::duration_cast<Ms>(Clock::now() - started).count();
  command(io, port, {"CLIENT", "UNPAUSE"});
  std::printf(
      "result=%s\nkind=%s\npath=%s\ncommands=%lld\nkeepalives=%lld\nbytes=%llu\nfirst=%lld\nlast=%"
      "lld\n"
      "db_at_fork=%d\nsave_ms=%lld\nmessage=%s\n",
      r.ok() ? "ok" : "failed", std::string(to_string(r.kind)).c_str(), r.path.c_str(), r.commands,
      r.keepalives, static_cast<unsigned long long>(r.bytes), r.first_offset, r.last_offset,
      r.db_at_fork.value_or(-1), static_cast<long long>(ms), r.message.c_str());
  return r.ok() ? 0 : 1;
}

int cmd_merge(const Server& a, const Server& b, const std::string& saved) {
  asio::io_context io;
  const auto s = judge(io, a, b, true);
  auto from = psync_since_fork(s.keeper(), s.verdict.fork);
  if (!from) {
    std::fprintf(stderr, "no fork point: nothing to merge against\n");
    return 1;
  }
  DivergedMergeRequest req;
  req.saved_path = saved;
  req.keeper = local(s.keeper_port());
  req.keeper_from = *from;
  req.keeper_context_from = db_context_start(s.keeper(), from->offset, 1 << 20);
  DivergedMergeOptions opts;
  opts.instance = "diverge-tool";
  opts.timeout = 120s;
  const auto started = Clock::now();
  std::optional<DivergedMergeResult> out;
  merge_diverged_writes(io, req, opts, [&](DivergedMergeResult r) { out = std::move(r); });
  const auto r = wait_for(io, out, 180s);
  const auto ms = std::chrono::duration_cast<Ms>(Clock::now() - started).count();
  std::printf(
      "result=%s\nreplayed=%lld\nkept=%lld\nrefused=%lld\naborted_execs=%lld\nkeeper_commands=%"
      "lld\n"
      "keeper_keys=%zu\nconflicts=%s\nmerge_ms=%lld\nmessage=%s\n",
      r.ok() ? "ok" : "failed", r.replayed, r.kept, r.refused, r.aborted_execs, r.keeper_commands,
      r.keeper_keys, r.conflicts_path.c_str(), static_cast<long long>(ms), r.message.c_str());
  for (const auto& line : r.samples) std::printf("sample=%s\n", line.c_str());
  return r.ok() ? 0 : 1;
}

int cmd_write(const Server& server, const std::string& keys_file, const std::string& value,
              long interval_us) {
  std::vector<std::string> keys;
  if (FILE* f = std::fopen(keys_file.c_str(), "r")) {
    char line[4096];
    while (std::fgets(line, sizeof line, f) != nullptr) {
      std::string k(line);
      while (!k.empty() && (k.back() == '\n' || k.back() == '\r')) k.pop_back();
      if (!k.empty()) keys.push_back(k);
    }
    std::fclose(f);
  }
  asio::io_context io;
  auto conn = RedisConnection::create(io, local(server));
  asio::steady_timer timer(io);
  std::size_t next = 0;
  bool done = false;
  int failures = 0;
  std::function<void()> step = [&] {
    if (next >= keys.size()) {
      done = true;
      return;
    }
    const std::string key = keys[next++];
    conn->command({"SET", key, value}, 2s, [&, key](RedisResult r) {
      if (r.ok()) {
        std::printf("%s\n", key.c_str());
        std::fflush(stdout);
      } else {
        ++failures;
      }
      timer.expires_after(std::chrono::microseconds(interval_us));
      timer.async_wait([&](boost::system::error_code) { step(); });
    });
  };
  step();
  while (!done) {
    io.run_for(5ms);
    if (io.stopped()) io.restart();
  }
  return failures == 0 ? 0 : 1;
}

[[noreturn]] void usage() {
  std::fprintf(
      stderr,
      "usage: diverge_tool verdict A B [count] | save A B DIR [count] | merge A B SAVED_FILE |\n"
      "       write S KEYS_FILE VALUE [INTERVAL_US]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) usage();
  const std::string what = argv[1];
  const Server a = parse_server(argv[2]);
  const Server b = parse_server(argv[3]);
  if (what == "verdict") {
    asio::io_context io;
    judge(io, a, b, argc > 4 && std::string(argv[4]) == "count");
    return 0;
  }
  if (what == "save" && argc >= 5)
    return cmd_save(a, b, argv[4], argc > 5 && std::string(argv[5]) == "count");
  if (what == "merge" && argc >= 5) return cmd_merge(a, b, argv[4]);
  if (what == "write" && argc >= 6)
    return cmd_write(a, argv[3], argv[4], argc > 5 ? std::atol(argv[5]) : 1000);
  usage();
}
