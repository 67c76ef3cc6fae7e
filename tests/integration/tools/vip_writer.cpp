// A test client writing through the VIP: one SET per interval, reconnecting after any error,
// so that the outage (longest gap between two acknowledged writes) and the loss (acknowledged
// writes missing on the final master) can be measured exactly. Blocking hiredis on purpose: it
// is what an ordinary application does, and the test wants its view, not the daemon's.
//
//   vip_writer --target HOST[:PORT] [--duration S] [--interval-us N] [--timeout-ms N]
//              [--prefix P] [--user U] [--password-file F] [--verify HOST[:PORT]] [--events]
//   --duration 0 (the default) writes until SIGTERM/SIGINT; --verify then reads every
//   acknowledged key back. Prints `RESULT acked=N outage_ms=X lost=M ...` as its last line.
//   --events prints a line when writes stop and when they resume (for the demo's timeline).
//   --verify-only HOST[:PORT] --acked-file F re-checks a key list saved with --acked-file.
//   --sentinel HOST[:PORT] --master-name NAME instead of --target: a Sentinel client (as in the
//   Sentinel client spec, for the benchmark's Sentinel column): on every (re)connect it asks that
//   Sentinel (port 26379 by default; no auth to it) `SENTINEL get-master-addr-by-name NAME` and
//   connects to the address named. Any write error, a demoted master's -READONLY included, drops
//   the connection, so the next write asks the Sentinel again; a Sentinel that cannot be reached
//   or knows no master counts as a failed connect. Prints a `sentinel:` line of the masters used.
//   --sentinel-events as well: before each ask it also subscribes to the Sentinel's +switch-master
//   and, on one for NAME, drops its connection (the next write asks again), as Sentinel clients
//   that follow the events do (Jedis, Lettuce, go-redis); without it, as those that do not
//   (redis-py), the writer moves only when a write fails.
#include <hiredis/hiredis.h>
#include <poll.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::milliseconds;

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

struct Endpoint {
  std::string host;
  int port = 6379;
};

struct Options {
  Endpoint target;
  std::optional<Endpoint> sentinel;  // --sentinel: the target is asked of it on each connect
  std::string master_name;
  bool sentinel_events = false;  // --sentinel-events: follow +switch-master too
  double duration_s = 0;
  long interval_us = 1000;
  long timeout_ms = 100;
  std::string prefix = "w";
  std::string user;
  std::string password;
  std::optional<Endpoint> verify;
  std::string acked_file;
  bool verify_only = false;
  bool events = false;
};

std::optional<Endpoint> parse_endpoint(const std::string& text) {
  Endpoint e;
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) {
    e.host = text;
  } else {
    e.host = text.substr(0, colon);
    char* end = nullptr;
    const long port = std::strtol(text.c_str() + colon + 1, &end, 10);
    if (*end != '\0' || port <= 0 || port > 65535) return std::nullopt;
    e.port = static_cast<int>(port);
  }
  if (e.host.empty()) return std::nullopt;
  return e;
}

std::string wall_clock() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm local{};
  localtime_r(&ts.tv_sec, &local);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%03ld", local.tm_hour, local.tm_min, local.tm_sec,
                ts.tv_nsec / 1000000);
  return buf;
}

timeval to_timeval(long ms) {
  timeval tv{};
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  return tv;
}

// A connected, authenticated context, or nullptr.
redisContext* open(const Endpoint& e, const Options& o, std::string& error) {
  redisContext* c = redisConnectWithTimeout(e.host.c_str(), e.port, to_timeval(o.timeout_ms));
  if (c == nullptr || c->err != 0) {
    error = c ? c->errstr : "out of memory";
    if (c) redisFree(c);
    return nullptr;
  }
  redisSetTimeout(c, to_timeval(o.timeout_ms));
  if (!o.password.empty()) {
    redisReply* r = o.user.empty()
                        ? static_cast<redisReply*>(redisCommand(c, "AUTH %s", o.password.c_str()))
                        : static_cast<redisReply*>(
                              redisCommand(c, "AUTH %s %s", o.user.c_str(), o.password.c_str()));
    const bool ok = r != nullptr && r->type == REDIS_REPLY_STATUS;
    error = r == nullptr ? std::string(c->errstr) : (r->str ? r->str : "AUTH failed");
    if (r) freeReplyObject(r);
    if (!ok) {
      redisFree(c);
      return nullptr;
    }
  }
  return c;
}

// The master's address as the Sentinel names it now (`SENTINEL get-master-addr-by-name`: a
// 2-element array [ip, port], or nil when it knows no such master), or nullopt with error set.
std::optional<Endpoint> ask_sentinel(const Options& o, std::string& error) {
  redisContext* c =
      redisConnectWithTimeout(o.sentinel->host.c_str(), o.sentinel->port, to_timeval(o.timeout_ms));
  if (c == nullptr || c->err != 0) {
    error = "sentinel: " + std::string(c ? c->errstr : "out of memory");
    if (c) redisFree(c);
    return std::nullopt;
  }
  redisSetTimeout(c, to_timeval(o.timeout_ms));
  auto* r = static_cast<redisReply*>(
      redisCommand(c, "SENTINEL get-master-addr-by-name %s", o.master_name.c_str()));
  std::optional<Endpoint> e;
  if (r == nullptr) {
    error = "sentinel: " + std::string(c->errstr);
  } else if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
             r->element[0]->type == REDIS_REPLY_STRING &&
             r->element[1]->type == REDIS_REPLY_STRING) {
    e = parse_endpoint(std::string(r->element[0]->str, r->element[0]->len) + ":" +
                       std::string(r->element[1]->str, r->element[1]->len));
    if (!e) error = "sentinel: bad address";
  } else if (r->type == REDIS_REPLY_NIL) {
    error = "sentinel: no master named " + o.master_name;
  } else {
    error = "sentinel: " + (r->str ? std::string(r->str, r->len) : std::string("unexpected reply"));
  }
  if (r) freeReplyObject(r);
  redisFree(c);
  return e;
}

// A connection to the Sentinel subscribed to +switch-master, or nullptr with error set.
redisContext* subscribe_switch_master(const Options& o, std::string& error) {
  redisContext* c =
      redisConnectWithTimeout(o.sentinel->host.c_str(), o.sentinel->port, to_timeval(o.timeout_ms));
  if (c == nullptr || c->err != 0) {
    error = "sentinel: " + std::string(c ? c->errstr : "out of memory");
    if (c) redisFree(c);
    return nullptr;
  }
  redisSetTimeout(c, to_timeval(o.timeout_ms));
  auto* r = static_cast<redisReply*>(redisCommand(c, "SUBSCRIBE +switch-master"));
  const bool ok = r != nullptr && r->type == REDIS_REPLY_ARRAY && r->elements == 3;
  if (!ok) error = "sentinel: SUBSCRIBE: " + std::string(r ? "unexpected reply" : c->errstr);
  if (r) freeReplyObject(r);
  if (!ok) {
    redisFree(c);
    return nullptr;
  }
  return c;
}

// Reads what the subscription has received, without waiting: true when it announced a new master
// for our name (or broke: its news would be missed, so the caller starts over as well).
bool switch_master_seen(redisContext* sub, const Options& o) {
  pollfd p{sub->fd, POLLIN, 0};
  if (poll(&p, 1, 0) <= 0) return false;
  if (redisBufferRead(sub) != REDIS_OK) return true;
  bool seen = false;
  void* reply = nullptr;
  while (redisGetReplyFromReader(sub, &reply) == REDIS_OK && reply != nullptr) {
    const auto* r = static_cast<redisReply*>(reply);
    // ["message", "+switch-master", "NAME OLD_IP OLD_PORT NEW_IP NEW_PORT"]
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
        r->element[2]->type == REDIS_REPLY_STRING &&
        std::string(r->element[2]->str, r->element[2]->len).rfind(o.master_name + " ", 0) == 0) {
      seen = true;
    }
    freeReplyObject(reply);
    reply = nullptr;
  }
  return seen || sub->err != 0;
}

std::string key_of(const Options& o, long seq) { return o.prefix + ":" + std::to_string(seq); }

// Counts the acknowledged keys missing (or holding another value) on the server, in MGETs of
// 500: each is short, so the health checks of a redvipd beside it are never held up. (It used to
// count every key of ours on the server with a SCAN inside one EVAL: past ~400k keys that held
// Redis for over 100 ms, and a 60-minute soak's redvipd rightly failed the master over.)
// Returns -1 when the server could not be read.
long count_missing(const Endpoint& e, const Options& o, const std::vector<long>& acked) {
  Options vo = o;
  vo.timeout_ms = 5000;
  std::string error;
  redisContext* c = open(e, vo, error);
  if (c == nullptr) {
    std::fprintf(stderr, "verify: cannot connect to %s:%d: %s\n", e.host.c_str(), e.port,
                 error.c_str());
    return -1;
  }
  long missing = 0;
  long first_missing = -1;
  constexpr std::size_t kBatch = 500;
  for (std::size_t i = 0; i < acked.size(); i += kBatch) {
    const std::size_t n = std::min(kBatch, acked.size() - i);
    std::vector<std::string> args{"MGET"};
    for (std::size_t j = 0; j < n; ++j) args.push_back(key_of(o, acked[i + j]));
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.c_str());
      lens.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
    if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != n) {
      std::fprintf(stderr, "verify: MGET failed: %s\n",
                   r == nullptr ? c->errstr : (r->str ? r->str : "unexpected reply"));
      if (r) freeReplyObject(r);
      redisFree(c);
      return -1;
    }
    for (std::size_t j = 0; j < n; ++j) {
      const redisReply* v = r->element[j];
      const std::string want = std::to_string(acked[i + j]);
      if (v->type != REDIS_REPLY_STRING || want != std::string(v->str, v->len)) {
        if (first_missing < 0) first_missing = acked[i + j];
        ++missing;
      }
    }
    freeReplyObject(r);
  }
  redisFree(c);
  if (missing > 0) {
    std::fprintf(stderr, "verify: %ld acknowledged writes missing (first seq %ld)\n", missing,
                 first_missing);
  }
  return missing;
}

void usage() {
  std::fprintf(
      stderr,
      "usage: vip_writer --target HOST[:PORT] [--duration S] [--interval-us N] [--timeout-ms N]\n"
      "                  [--prefix P] [--user U] [--password-file F] [--verify HOST[:PORT]]\n"
      "                  [--acked-file F] [--events]\n"
      "       vip_writer --sentinel HOST[:PORT] --master-name NAME [--sentinel-events]\n"
      "                  [the options above but --target]\n"
      "         (asks that Sentinel for the master on every connect, instead of --target;\n"
      "         --sentinel-events: also reconnects on its +switch-master)\n"
      "       vip_writer --verify-only HOST[:PORT] --acked-file F [--prefix P] [auth options]\n");
}

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc) return std::nullopt;
      return std::string(argv[++i]);
    };
    std::optional<std::string> v;
    if (a == "--events") {
      o.events = true;
      continue;
    }
    if (a == "--sentinel-events") {
      o.sentinel_events = true;
      continue;
    }
    if (!(v = value())) return false;
    if (a == "--target") {
      auto e = parse_endpoint(*v);
      if (!e) return false;
      o.target = *e;
    } else if (a == "--sentinel") {
      auto e = parse_endpoint(*v);
      if (!e) return false;
      if (v->rfind(':') == std::string::npos) e->port = 26379;
      o.sentinel = *e;
    } else if (a == "--master-name") {
      o.master_name = *v;
    } else if (a == "--verify" || a == "--verify-only") {
      auto e = parse_endpoint(*v);
      if (!e) return false;
      o.verify = *e;
      o.verify_only = a == "--verify-only";
    } else if (a == "--duration") {
      o.duration_s = std::atof(v->c_str());
    } else if (a == "--interval-us") {
      o.interval_us = std::atol(v->c_str());
    } else if (a == "--timeout-ms") {
      o.timeout_ms = std::atol(v->c_str());
    } else if (a == "--prefix") {
      o.prefix = *v;
    } else if (a == "--user") {
      o.user = *v;
    } else if (a == "--password-file") {
      std::ifstream in(*v);
      if (!std::getline(in, o.password)) return false;
    } else if (a == "--acked-file") {
      o.acked_file = *v;
    } else {
      return false;
    }
  }
  if (o.verify_only) return !o.acked_file.empty();
  // Exactly one way to the master: --target, or --sentinel with --master-name.
  const bool via_sentinel = o.sentinel.has_value() && !o.master_name.empty();
  if (via_sentinel == !o.target.host.empty()) return false;
  if (o.master_name.empty() != !o.sentinel.has_value()) return false;
  if (o.sentinel_events && !via_sentinel) return false;
  return o.timeout_ms > 0 && o.interval_us >= 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) {
    usage();
    return 2;
  }
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  std::signal(SIGPIPE, SIG_IGN);

  if (o.verify_only) {
    std::vector<long> acked;
    std::ifstream in(o.acked_file);
    for (long seq; in >> seq;) acked.push_back(seq);
    const long lost = count_missing(*o.verify, o, acked);
    std::printf("RESULT acked=%zu lost=%ld\n", acked.size(), lost);
    return lost < 0 ? 1 : 0;
  }

  const auto start = Clock::now();
  const auto end =
      start + duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration_s));
  std::vector<long> acked;
  acked.reserve(200000);
  long seq = 0;
  long attempts = 0, errors = 0, reconnects = 0;
  std::optional<Clock::time_point> last_ok;
  Clock::duration longest_gap{0};
  double longest_gap_at_s = -1;  // seconds from start at which the longest gap ended
  bool in_outage = false;
  std::string last_error;
  redisContext* c = nullptr;
  std::vector<std::pair<std::string, long>> masters;  // --sentinel: each master used, connects
  redisContext* sub = nullptr;  // --sentinel-events: the +switch-master subscription
  long switches = 0;            // --sentinel-events: connections dropped on a +switch-master

  auto note_error = [&](const std::string& why) {
    ++errors;
    last_error = why;
    if (o.events && !in_outage) {
      std::printf("%s writer: write failed (%s)\n", wall_clock().c_str(), why.c_str());
      std::fflush(stdout);
    }
    in_outage = true;
  };

  while (g_stop == 0 && (o.duration_s <= 0 || Clock::now() < end)) {
    const auto tick = Clock::now();
    if (c != nullptr && sub != nullptr && switch_master_seen(sub, o)) {
      // Not a failed write: the Sentinel said the master moved. Start over, subscription first.
      ++switches;
      if (o.events) {
        std::printf("%s writer: sentinel: +switch-master, reconnecting\n", wall_clock().c_str());
        std::fflush(stdout);
      }
      if (sub->err != 0) {  // a broken subscription: subscribe again
        redisFree(sub);
        sub = nullptr;
      }
      redisFree(c);
      c = nullptr;
    }
    if (c == nullptr) {
      std::string error;
      std::optional<Endpoint> target = o.target;
      // Subscribed before asking, so that no switch falls between the answer and the
      // subscription (the Sentinel client spec's order).
      if (o.sentinel_events && sub == nullptr) sub = subscribe_switch_master(o, error);
      if (o.sentinel) {
        target.reset();
        if (sub != nullptr || !o.sentinel_events) target = ask_sentinel(o, error);
      }
      if (target) c = open(*target, o, error);
      if (c == nullptr) {
        note_error("connect: " + error);
        std::this_thread::sleep_for(milliseconds(5));
        continue;
      }
      ++reconnects;
      if (o.sentinel) {
        const std::string at = target->host + ":" + std::to_string(target->port);
        if (masters.empty() || masters.back().first != at) masters.emplace_back(at, 0);
        ++masters.back().second;
      }
    }
    ++seq;
    ++attempts;
    const std::string key = key_of(o, seq);
    const std::string value = std::to_string(seq);
    auto* r = static_cast<redisReply*>(redisCommand(c, "SET %s %s", key.c_str(), value.c_str()));
    const bool ok = r != nullptr && r->type == REDIS_REPLY_STATUS && r->str != nullptr &&
                    std::string(r->str) == "OK";
    if (ok) {
      const auto now = Clock::now();
      acked.push_back(seq);
      if (last_ok && now - *last_ok > longest_gap) {
        longest_gap = now - *last_ok;
        longest_gap_at_s = std::chrono::duration<double>(now - start).count();
      }
      if (in_outage && o.events) {
        const long gap =
            last_ok ? static_cast<long>(duration_cast<milliseconds>(now - *last_ok).count()) : -1;
        std::printf("%s writer: writes resumed after %ld ms without an acknowledged write\n",
                    wall_clock().c_str(), gap);
        std::fflush(stdout);
      }
      in_outage = false;
      last_ok = now;
    } else {
      // Any error (a replica's READONLY, LOADING, a timeout, a reset): this connection is
      // suspect; start over on a new one, as a client library with a VIP would (--sentinel: as a
      // Sentinel client would, asking the Sentinel again where the master is).
      note_error(r == nullptr ? std::string(c->errstr)
                              : (r->str ? std::string(r->str, r->len) : "unexpected reply"));
      redisFree(c);
      c = nullptr;
    }
    if (r) freeReplyObject(r);
    const auto next = tick + microseconds(o.interval_us);
    if (ok) std::this_thread::sleep_until(next);
  }
  if (c) redisFree(c);
  if (sub) redisFree(sub);
  // Writes still failing at the end count as an outage up to now.
  if (in_outage && last_ok && Clock::now() - *last_ok > longest_gap) {
    longest_gap = Clock::now() - *last_ok;
    longest_gap_at_s = -2;
  }

  if (!o.acked_file.empty()) {
    std::ofstream out(o.acked_file);
    for (long s : acked) out << s << '\n';
  }
  long lost = -1;
  if (o.verify) lost = count_missing(*o.verify, o, acked);
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  if (o.sentinel) {
    std::printf("sentinel: masters used in turn (connects):");
    for (const auto& [at, n] : masters) std::printf(" %s (%ld)", at.c_str(), n);
    if (o.sentinel_events) std::printf("; reconnects on +switch-master: %ld", switches);
    std::printf("\n");
  }
  std::printf(
      "summary: %zu acknowledged of %ld attempts in %.1f s, %ld errors, %ld connects; last error: "
      "%s\n",
      acked.size(), attempts, elapsed, errors, reconnects,
      last_error.empty() ? "-" : last_error.c_str());
  std::printf("RESULT acked=%zu outage_ms=%ld lost=%ld attempts=%ld errors=%ld outage_end_s=%.3f\n",
              acked.size(), static_cast<long>(duration_cast<milliseconds>(longest_gap).count()),
              lost, attempts, errors, longest_gap_at_s);
  if (acked.empty()) return 1;
  return lost > 0 ? 3 : (lost < 0 && o.verify ? 1 : 0);
}
