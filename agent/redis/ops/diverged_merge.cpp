#include "agent/redis/ops/diverged_merge.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <deque>
#include <map>
#include <random>
#include <unordered_map>

#include "agent/log/log.hpp"
#include "agent/redis/model/merge_rules.hpp"
#include "agent/redis/ops/private_file.hpp"
#include "agent/redis/ops/replication_link.hpp"

namespace redvip::agent {
namespace {

namespace asio = boost::asio;

constexpr std::size_t k_read_chunk = 64 * 1024;
constexpr std::size_t k_watch_chunk = 512;  // keys per WATCH
constexpr std::size_t k_max_samples = 20;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string random_hex(std::size_t n) {
  std::random_device rd;
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += hex[rd() % 16];
  return out;
}

std::string utc_stamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string select_wire(int db) {
  return encode_command(std::vector<std::string>{"SELECT", std::to_string(db)});
}

}  // namespace

// The keys of commands, from the keeper's own command table: COMMAND GETKEYS first; when it
// names none, COMMAND INFO (cached) says whether the command writes without keys.
class KeyLookup {
 public:
  KeyLookup(std::shared_ptr<RedisConnection> conn, std::chrono::milliseconds timeout)
      : conn_(std::move(conn)), timeout_(timeout) {}

  // done(keys, "") or, when the keeper could not be asked, done({}, why).
  using Done = std::function<void(CommandKeys, std::string)>;
  void keys(const std::vector<std::string>& argv, Done done) {
    std::vector<std::string> q{"COMMAND", "GETKEYS"};
    q.insert(q.end(), argv.begin(), argv.end());
    std::string name = lower(argv[0]);
    std::string sub = argv.size() > 1 ? lower(argv[1]) : std::string();
    conn_->command(
        std::move(q), timeout_, [this, name, sub, done = std::move(done)](RedisResult r) mutable {
          if (r.ok()) {
            auto keys = parse_getkeys(r.reply);
            if (keys && !keys->empty()) {
              done(CommandKeys{KeysKind::keys, std::move(*keys), {}}, {});
              return;
            }
          } else if (r.error != RedisErrc::server_error) {
            done({}, "COMMAND GETKEYS: " + r.message);
            return;
          }
          std::string why = r.ok() ? "no keys named" : r.message;
          traits(
              name, sub,
              [why, done = std::move(done)](std::optional<CommandTraits> t, std::string err,
                                            bool asked) {
                if (!asked) {
                  done({}, err);
                } else if (!t) {
                  done(CommandKeys{KeysKind::unknown, {}, err}, {});
                } else if (t->keyless) {
                  done(CommandKeys{t->write ? KeysKind::keyless_write : KeysKind::keyless, {}, {}},
                       {});
                } else {
                  done(CommandKeys{KeysKind::unknown, {}, "COMMAND GETKEYS: " + why}, {});
                }
              });
        });
  }

 private:
  // asked: the keeper answered (false: a transport failure, nothing known).
  using TraitsDone = std::function<void(std::optional<CommandTraits>, std::string, bool asked)>;

  void traits(const std::string& name, const std::string& sub, TraitsDone done) {
    lookup(name, [this, name, sub, done = std::move(done)](std::optional<CommandTraits> t,
                                                           std::string err, bool asked) mutable {
      if (asked && t && t->container && !sub.empty()) {
        lookup(name + "|" + sub, std::move(done));
        return;
      }
      done(t, std::move(err), asked);
    });
  }

  void lookup(const std::string& name, TraitsDone done) {
    if (auto it = cache_.find(name); it != cache_.end()) {
      done(it->second.first, it->second.second, true);
      return;
    }
    conn_->command(
        {"COMMAND", "INFO", name}, timeout_, [this, name, done = std::move(done)](RedisResult r) {
          bool unknown = false;
          std::optional<CommandTraits> t;
          std::string err;
          if (!r.ok()) {
            err = "COMMAND INFO: " + r.message;
          } else {
            t = parse_command_info(r.reply, &unknown);
            if (!t)
              err = unknown ? "unknown command '" + name + "'" : "COMMAND INFO: unexpected reply";
          }
          const bool asked = r.ok() || r.error == RedisErrc::server_error;
          if (asked) cache_[name] = {t, err};
          done(t, err, asked);
        });
  }

  std::shared_ptr<RedisConnection> conn_;
  std::chrono::milliseconds timeout_;
  std::unordered_map<std::string, std::pair<std::optional<CommandTraits>, std::string>> cache_;
};

class DivergedMerge : public std::enable_shared_from_this<DivergedMerge> {
 public:
  DivergedMerge(asio::io_context& io, DivergedMergeRequest request, DivergedMergeOptions options,
                std::function<void(DivergedMergeResult)> done)
      : io_(io),
        request_(std::move(request)),
        options_(std::move(options)),
        done_(std::move(done)),
        timer_(io),
        ledger_(options_.max_keys),
        parser_(options_.limits),
        marker_("__redvip_merge__:" + random_hex(16)) {
    if (options_.batch_units == 0) options_.batch_units = 1;
    file_db_ = options_.unknown_db_as.value_or(-1);
  }
  ~DivergedMerge() {
    if (fd_ >= 0) ::close(fd_);
  }

  void start() {
    fd_ = ::open(request_.saved_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd_ < 0) {
      fail(RedisErrc::server_error,
           "cannot open " + request_.saved_path + ": " + std::strerror(errno));
      return;
    }
    auto self = shared_from_this();
    timer_.expires_after(options_.timeout);
    timer_.async_wait([self](boost::system::error_code ec) {
      if (!ec)
        self->fail(RedisErrc::operation_timeout,
                   "not merged within " + std::to_string(self->options_.timeout.count()) + " ms");
    });
    auto opts = request_.keeper;
    opts.client_name = "redvip-merge";
    opts.connect_timeout = std::min(opts.connect_timeout, options_.command_timeout);
    tx_ = RedisConnection::create(io_, opts);
    opts.client_name = "redvip-merge-keys";
    keys_conn_ = RedisConnection::create(io_, opts);
    lookup_ = std::make_unique<KeyLookup>(keys_conn_, options_.command_timeout);
    tx_->start();
    keys_conn_->start();

    keeper_resolved_ = request_.keeper_from.offset - 1;
    PsyncStart psync = request_.keeper_from;
    if (request_.keeper_context_from && *request_.keeper_context_from > 0 &&
        *request_.keeper_context_from < psync.offset) {
      psync.offset = *request_.keeper_context_from;
      context_wanted_ = true;
    }
    ReplicationLink::Events ev;
    ev.full_resync = [self](const std::string&, long long) {
      self->fail(RedisErrc::unexpected_reply,
                 "the keeper's backlog no longer holds the fork (offset " +
                     std::to_string(self->request_.keeper_from.offset) + ")");
    };
    ev.raw = [self](std::string_view bytes) {
      self->context_.append(bytes);
      return true;
    };
    ev.command = [self](const StreamCommand& c, long long last) {
      return self->on_keeper_command(c, last);
    };
    ev.failed = [self](RedisOpResult r) {
      self->fail(r.error, "the keeper's replication stream: " + r.message);
    };
    link_ = ReplicationLink::create(io_, request_.keeper, options_.limits);
    link_->start(psync, request_.keeper_from.offset, std::move(ev));
    pump();
  }

  void cancel() { fail(RedisErrc::cancelled, "cancelled"); }

 private:
  struct Cmd {
    std::vector<std::string> argv;
    std::string raw;
    int db = -1;
    CommandKeys keys;
  };
  struct Unit {
    std::vector<Cmd> cmds;
    bool transaction = false;
    int outstanding = 0;  // key lookups not answered yet
  };
  struct KeeperEntry {
    long long last_offset = 0;
    int outstanding = 0;
  };

  // --- The keeper's stream -------------------------------------------------------------

  bool stopping() const { return finished_ || closing_; }

  bool on_keeper_command(const StreamCommand& c, long long last) {
    if (stopping()) return false;
    if (!keeper_begun_) {
      keeper_begun_ = true;
      if (context_wanted_) {
        const auto found = find_db_at_end(context_, options_.limits, 64 * (context_.size() + 1));
        keeper_db_ = found.db.value_or(-1);
      }
      context_.clear();
      context_.shrink_to_fit();
    }
    int db = -1;
    switch (classify_stream_command(c.argv, &db)) {
      case StreamCommandKind::keepalive:
        push_entry(last, 0);
        return true;
      case StreamCommandKind::select:
        keeper_db_ = db;
        push_entry(last, 0);
        return true;
      case StreamCommandKind::multi:
        block_ = Block::unknown;
        return true;
      case StreamCommandKind::exec:
        block_ = Block::none;
        push_entry(last, 0);
        return true;
      case StreamCommandKind::data:
        break;
    }
    // Our own transactions start with the marker (their first command, so the first one Redis
    // propagates inside MULTI); their writes are ours, not the keeper's.
    if (block_ == Block::unknown) {
      const bool marker =
          c.argv.size() == 3 && lower(c.argv[0]) == "publish" && c.argv[1] == marker_;
      block_ = marker ? Block::ours : Block::theirs;
    }
    if (block_ == Block::ours) return true;
    if (block_ == Block::none && c.argv.size() == 3 && c.argv[1] == marker_ &&
        lower(c.argv[0]) == "publish") {
      push_entry(last, 0);  // a transaction of ours whose other commands changed nothing
      return true;
    }
    auto entry = push_entry(last, 1);
    resolve_keeper(std::vector<std::string>(c.argv.begin(), c.argv.end()), keeper_db_, entry);
    return check_pending();
  }

  std::shared_ptr<KeeperEntry> push_entry(long long last, int outstanding) {
    auto e = std::make_shared<KeeperEntry>(KeeperEntry{last, outstanding});
    keeper_entries_.push_back(e);
    advance_keeper();
    return e;
  }

  // Flow control: the keeper's backlog since the fork arrives at once; read on only when the
  // lookups caught up (the keeper buffers for us, within its limits for replicas).
  bool check_pending() {
    if (keeper_entries_.size() >= options_.max_pending && !link_paused_) {
      link_paused_ = true;
      link_->pause_reading();
    }
    return true;
  }

  void resolve_keeper(std::vector<std::string> argv, int db, std::shared_ptr<KeeperEntry> entry) {
    ++result_.keeper_commands;
    auto self = shared_from_this();
    lookup_->keys(argv, [self, db, entry](CommandKeys keys, std::string error) {
      if (self->stopping()) return;
      if (!error.empty()) {
        self->fail(RedisErrc::connection_lost, "the keys of the keeper's writes: " + error);
        return;
      }
      if (!self->ledger_.add_keeper_write(db, keys)) {
        self->fail(RedisErrc::operation_timeout, "more than max_keys keys to track");
        return;
      }
      --entry->outstanding;
      self->advance_keeper();
    });
  }

  void advance_keeper() {
    while (!keeper_entries_.empty() && keeper_entries_.front()->outstanding == 0) {
      keeper_resolved_ = keeper_entries_.front()->last_offset;
      keeper_entries_.pop_front();
    }
    if (link_paused_ && keeper_entries_.size() <= options_.max_pending / 2) {
      link_paused_ = false;
      link_->resume_reading();
    }
    if (waiting_for_ >= 0 && keeper_resolved_ >= waiting_for_) {
      waiting_for_ = -1;
      auto self = shared_from_this();
      asio::post(io_, [self] { self->judge_and_replay(); });
    }
  }

  // --- The saved file --------------------------------------------------------------------

  // Reads units until enough are queued or the file ends. False on a malformed file.
  bool read_units() {
    StreamCommand c;
    while (!file_eof_ && units_.size() < 2 * options_.batch_units) {
      const auto s = parser_.next(c);
      if (s == ParseStatus::error) {
        fail(RedisErrc::protocol_error, request_.saved_path + ": " + parser_.error());
        return false;
      }
      if (s == ParseStatus::need_more) {
        char buf[k_read_chunk];
        const ssize_t n = ::read(fd_, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          fail(RedisErrc::server_error,
               "read " + request_.saved_path + ": " + std::strerror(errno));
          return false;
        }
        if (n == 0) {
          file_eof_ = true;
          if (parser_.buffered() != 0 || file_block_) {
            fail(RedisErrc::protocol_error,
                 request_.saved_path + " ends inside a command or a MULTI block");
            return false;
          }
          break;
        }
        parser_.feed(std::string_view(buf, static_cast<std::size_t>(n)));
        continue;
      }
      int db = -1;
      switch (classify_stream_command(c.argv, &db)) {
        case StreamCommandKind::keepalive:
          continue;
        case StreamCommandKind::select: {
          file_db_ = db;
          continue;
        }
        case StreamCommandKind::multi:
          if (file_block_) {
            fail(RedisErrc::protocol_error, request_.saved_path + ": MULTI inside MULTI");
            return false;
          }
          file_block_ = std::make_shared<Unit>();
          file_block_->transaction = true;
          continue;
        case StreamCommandKind::exec:
          if (!file_block_) {
            fail(RedisErrc::protocol_error, request_.saved_path + ": EXEC without MULTI");
            return false;
          }
          if (!file_block_->cmds.empty()) queue_unit(std::move(file_block_));
          file_block_.reset();
          continue;
        case StreamCommandKind::data:
          break;
      }
      Cmd cmd{
          std::vector<std::string>(c.argv.begin(), c.argv.end()), std::string(c.raw), file_db_, {}};
      if (file_block_) {
        file_block_->cmds.push_back(std::move(cmd));
      } else {
        auto u = std::make_shared<Unit>();
        u->cmds.push_back(std::move(cmd));
        queue_unit(std::move(u));
      }
    }
    return true;
  }

  void queue_unit(std::shared_ptr<Unit> u) {
    u->outstanding = static_cast<int>(u->cmds.size());
    units_.push_back(u);
    auto self = shared_from_this();
    for (std::size_t i = 0; i < u->cmds.size(); ++i) {
      lookup_->keys(u->cmds[i].argv, [self, u, i](CommandKeys keys, std::string error) {
        if (self->stopping()) return;
        if (!error.empty()) {
          self->fail(RedisErrc::connection_lost, "the keys of the saved writes: " + error);
          return;
        }
        u->cmds[i].keys = std::move(keys);
        if (--u->outstanding == 0) self->pump();
      });
    }
  }

  // --- Batches -----------------------------------------------------------------------------

  void pump() {
    if (busy_ || stopping()) return;
    if (!read_units()) return;
    if (units_.empty()) {
      if (file_eof_) complete();
      return;
    }
    std::size_t n = 0;
    const std::size_t limit = single_left_ > 0 ? 1 : options_.batch_units;
    while (n < units_.size() && n < limit && units_[n]->outstanding == 0) ++n;
    if (n == 0) return;  // a key lookup's answer calls pump() again
    batch_ = n;
    busy_ = true;
    watch_and_wait();
  }

  bool tx_broken() {
    if (tx_->connects() != tx_connects_) {
      fail(RedisErrc::connection_lost, "the connection to the keeper was re-established mid-merge");
      return true;
    }
    return false;
  }

  // Sends one command on the transaction connection; a failure fails the merge.
  void tx_command(std::vector<std::string> argv, std::function<void(RedisResult)> then = {}) {
    auto self = shared_from_this();
    const std::string name =
        argv[0] + (argv.size() > 1 && argv[0] == "CLIENT" ? " " + argv[1] : "");
    tx_->command(std::move(argv), options_.command_timeout,
                 [self, name, then = std::move(then)](RedisResult r) {
                   if (self->stopping()) return;
                   if (then) {
                     then(std::move(r));
                     return;
                   }
                   if (!r.ok()) self->fail(r.error, name + ": " + r.message);
                 });
  }

  void select(int db) {
    if (db == tx_db_) return;
    tx_command({"SELECT", std::to_string(db)});
    tx_db_ = db;
  }

  void watch_and_wait() {
    if (tx_connects_ == 0 && tx_->ready()) tx_connects_ = tx_->connects();
    std::map<int, std::vector<std::string>> by_db;
    for (std::size_t i = 0; i < batch_; ++i) {
      for (const auto& c : units_[i]->cmds) {
        if (c.db < 0 || c.keys.kind != KeysKind::keys) continue;
        auto& keys = by_db[c.db];
        keys.insert(keys.end(), c.keys.keys.begin(), c.keys.keys.end());
      }
    }
    for (auto& [db, keys] : by_db) {
      select(db);
      for (std::size_t at = 0; at < keys.size(); at += k_watch_chunk) {
        std::vector<std::string> argv{"WATCH"};
        const std::size_t end = std::min(keys.size(), at + k_watch_chunk);
        argv.insert(argv.end(), keys.begin() + static_cast<long>(at),
                    keys.begin() + static_cast<long>(end));
        tx_command(std::move(argv));
      }
    }
    auto self = shared_from_this();
    tx_command({"INFO", "replication"}, [self](RedisResult r) {
      if (!r.ok()) {
        self->fail(r.error, "INFO replication: " + r.message);
        return;
      }
      if (self->tx_connects_ == 0) self->tx_connects_ = self->tx_->connects();
      if (self->tx_broken()) return;
      auto info = r.reply.is_text() ? parse_info(r.reply.str) : std::nullopt;
      if (!info || info->master_repl_offset < 0) {
        self->fail(RedisErrc::unexpected_reply, "INFO replication: no master_repl_offset");
        return;
      }
      if (info->role != RedisRole::master) {
        self->fail(RedisErrc::not_confirmed, "the keeper is not a master any more");
        return;
      }
      // Everything the keeper wrote up to now, the link must have read and resolved.
      self->waiting_for_ = info->master_repl_offset;
      self->advance_keeper();
    });
  }

  void judge_and_replay() {
    if (stopping()) return;
    decisions_.assign(batch_, {});
    MergeLedger::Skipped skipped;
    apply_.clear();
    for (std::size_t i = 0; i < batch_; ++i) {
      const auto& u = *units_[i];
      std::vector<UnitCommand> uc;
      for (const auto& c : u.cmds) uc.push_back(UnitCommand{c.db, c.keys});
      auto j = ledger_.judge(uc, &skipped);
      if (!j.replay) {
        if (!ledger_.add_skipped(uc, &skipped)) {
          fail(RedisErrc::operation_timeout, "more than max_keys keys to track");
          return;
        }
        decisions_[i] = std::move(j);
      } else {
        decisions_[i].replay = true;
        apply_.push_back(i);
      }
    }
    batch_skipped_ = std::move(skipped);
    if (apply_.empty()) {
      tx_command({"UNWATCH"});
      batch_done({});
      return;
    }
    // MULTI, the marker, the units (SELECT where the database changes), EXEC. layout_ maps
    // EXEC's replies to commands: -1 for ours (PUBLISH, SELECT).
    layout_.clear();
    queue_error_.clear();
    auto self = shared_from_this();
    auto queued = [self](RedisResult r) {
      if (!r.ok() && self->queue_error_.empty()) self->queue_error_ = r.message;
    };
    tx_command({"MULTI"}, [self](RedisResult r) {
      if (!r.ok()) self->fail(r.error, "MULTI: " + r.message);
    });
    tx_command({"PUBLISH", marker_, std::to_string(++batches_)}, queued);
    layout_.emplace_back(-1, -1);
    int db = tx_db_;
    for (std::size_t ui : apply_) {
      const auto& u = *units_[ui];
      for (std::size_t ci = 0; ci < u.cmds.size(); ++ci) {
        if (u.cmds[ci].db != db) {
          db = u.cmds[ci].db;
          tx_command({"SELECT", std::to_string(db)}, queued);
          layout_.emplace_back(-1, -1);
        }
        tx_command(u.cmds[ci].argv, queued);
        layout_.emplace_back(static_cast<int>(ui), static_cast<int>(ci));
      }
    }
    tx_command({"EXEC"}, [self, db](RedisResult r) { self->on_exec(std::move(r), db); });
  }

  void on_exec(RedisResult r, int db_after) {
    if (tx_broken()) return;
    if (r.ok() && r.reply.is_nil()) {
      // A client wrote a watched key after the WATCH: judge the batch again.
      ++result_.aborted_execs;
      if (++retries_ > options_.max_retries) {
        for (std::size_t ui : apply_) {
          if (!not_replayed(ui,
                            {false, "the keeper kept changing these keys during the merge", {}}))
            return;
        }
        batch_done({});
        return;
      }
      busy_ = false;
      pump();
      return;
    }
    if (!r.ok()) {
      if (r.error == RedisErrc::server_error && r.message.rfind("EXECABORT", 0) == 0) {
        // A command was refused while queueing: replay this batch's units one at a time, so
        // only the refused one stays behind.
        tx_db_ = -2;  // EXECABORT discarded our SELECTs inside MULTI too
        if (batch_ > 1) {
          single_left_ = batch_;
          busy_ = false;
          pump();
          return;
        }
        if (!not_replayed(0, {false, "the keeper refused it: " + queue_error_, {}})) return;
        result_.refused += static_cast<long long>(units_[0]->cmds.size());
        batch_done({});
        return;
      }
      fail(r.error, "EXEC: " + r.message + " (the last batch may or may not be applied)");
      return;
    }
    tx_db_ = db_after;
    if (!r.reply.is_array() || r.reply.elements.size() != layout_.size()) {
      fail(RedisErrc::unexpected_reply, "EXEC: unexpected reply (the last batch may be applied)");
      return;
    }
    std::vector<std::pair<int, int>> refused;
    for (std::size_t k = 0; k < layout_.size(); ++k) {
      const auto [ui, ci] = layout_[k];
      if (ui < 0) continue;
      if (r.reply.elements[k].is_error()) {
        refused.emplace_back(ui, ci);
        refused_reasons_.push_back(r.reply.elements[k].str);
      } else {
        ++result_.replayed;
      }
    }
    batch_done(std::move(refused));
  }

  // The batch is final: kept units and refused commands go to the conflicts file in order.
  void batch_done(std::vector<std::pair<int, int>> refused) {
    std::size_t reason_at = 0;
    for (std::size_t i = 0; i < batch_; ++i) {
      const auto& u = *units_[i];
      if (!decisions_[i].replay) {
        if (!keep_unit(u, decisions_[i])) return;
        continue;
      }
      for (const auto& [ui, ci] : refused) {
        if (static_cast<std::size_t>(ui) != i) continue;
        const auto& c = u.cmds[static_cast<std::size_t>(ci)];
        MergeLedger::Judgement j{
            false, "the keeper refused it: " + refused_reasons_[reason_at++], {}};
        if (!keep_commands(u, {static_cast<std::size_t>(ci)}, j)) return;
        ++result_.refused;
        std::vector<UnitCommand> uc{UnitCommand{c.db, c.keys}};
        if (!ledger_.add_skipped(uc)) {
          fail(RedisErrc::operation_timeout, "more than max_keys keys to track");
          return;
        }
      }
    }
    refused_reasons_.clear();
    if (!ledger_.commit(std::move(batch_skipped_))) {
      fail(RedisErrc::operation_timeout, "more than max_keys keys to track");
      return;
    }
    units_.erase(units_.begin(), units_.begin() + static_cast<long>(batch_));
    if (single_left_ > 0) single_left_ -= std::min(single_left_, batch_);
    batch_ = 0;
    retries_ = 0;
    busy_ = false;
    auto self = shared_from_this();
    asio::post(io_, [self] { self->pump(); });
  }

  // A unit judged for replay that is not replayed after all: what it touches is off limits.
  bool not_replayed(std::size_t i, MergeLedger::Judgement j) {
    const auto& u = *units_[i];
    std::vector<UnitCommand> uc;
    for (const auto& c : u.cmds) uc.push_back(UnitCommand{c.db, c.keys});
    decisions_[i] = std::move(j);
    if (!ledger_.add_skipped(uc, &batch_skipped_)) {
      fail(RedisErrc::operation_timeout, "more than max_keys keys to track");
      return false;
    }
    return true;
  }

  bool keep_unit(const Unit& u, const MergeLedger::Judgement& j) {
    std::vector<std::size_t> all(u.cmds.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    return keep_commands(u, all, j);
  }

  bool keep_commands(const Unit& u, const std::vector<std::size_t>& which,
                     const MergeLedger::Judgement& j) {
    if (!conflicts_) {
      const std::string& path = request_.saved_path;
      const auto slash = path.rfind('/');
      const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
      std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
      if (base.size() > 5 && base.substr(base.size() - 5) == ".resp") base.resize(base.size() - 5);
      conflicts_name_ = base + ".conflicts-" + utc_stamp() + ".resp";
      std::string error;
      conflicts_ = PrivateFile::create(dir, conflicts_name_, error);
      if (!conflicts_) {
        fail(RedisErrc::server_error, "cannot create the conflicts file: " + error);
        return false;
      }
    }
    std::string out;
    const bool block = u.transaction && which.size() > 1;
    for (std::size_t k = 0; k < which.size(); ++k) {
      const auto& c = u.cmds[which[k]];
      if (c.db >= 0 && c.db != conflicts_db_) {
        out += select_wire(c.db);
        conflicts_db_ = c.db;
      }
      if (block && k == 0) out += encode_command(std::vector<std::string>{"MULTI"});
      out += c.raw;
      ++result_.kept;
      if (result_.samples.size() < k_max_samples) {
        const std::string key =
            !j.key.empty() ? j.key : (c.keys.keys.empty() ? std::string() : c.keys.keys.front());
        result_.samples.push_back("db " + (c.db >= 0 ? std::to_string(c.db) : std::string("?")) +
                                  " " + (key.empty() ? c.argv[0] : "key " + key.substr(0, 100)) +
                                  ": " + j.reason);
      }
    }
    if (block) out += encode_command(std::vector<std::string>{"EXEC"});
    std::string error;
    if (!conflicts_->append(out, error)) {
      fail(RedisErrc::server_error, error);
      return false;
    }
    return true;
  }

  // --- The end -----------------------------------------------------------------------------

  void complete() {
    if (finished_ || closing_) return;
    closing_ = true;
    result_.keeper_keys = ledger_.keeper_keys();
    if (!conflicts_) {
      finish();
      return;
    }
    auto self = shared_from_this();
    conflicts_->commit(io_, conflicts_name_, [self](std::string error, std::string path) {
      if (!error.empty()) {
        self->result_.error = make_error_code(RedisErrc::server_error);
        self->result_.message = "cannot keep the conflicts file: " + error;
      }
      self->result_.conflicts_path = std::move(path);
      self->finish();
    });
    conflicts_.reset();
  }

  void fail(std::error_code e, std::string text) {
    if (finished_ || closing_) return;
    result_.error = e;
    result_.message = std::move(text);
    complete();
  }
  void fail(RedisErrc e, std::string text) { fail(make_error_code(e), std::move(text)); }

  void finish() {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    if (link_) link_->close();
    if (tx_) tx_->close();
    if (keys_conn_) keys_conn_->close();
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
    const std::string counts =
        "replayed " + std::to_string(result_.replayed) + " commands, kept " +
        std::to_string(result_.kept) + " (" + std::to_string(result_.refused) +
        " refused by the keeper)" +
        (result_.conflicts_path.empty() ? std::string() : " in " + result_.conflicts_path) +
        "; the keeper wrote " + std::to_string(result_.keeper_commands) + " commands on " +
        std::to_string(result_.keeper_keys) + " keys since the fork";
    if (result_.ok()) {
      result_.message = counts;
      log(Level::notice, options_.instance, "merge of {}: {}", request_.saved_path, counts);
    } else {
      result_.message += "; " + counts;
      log(Level::error, options_.instance, "merge of {} failed: {}", request_.saved_path,
          result_.message);
    }
    asio::post(io_,
               [done = std::move(done_), r = std::move(result_)]() mutable { done(std::move(r)); });
  }

  asio::io_context& io_;
  DivergedMergeRequest request_;
  DivergedMergeOptions options_;
  std::function<void(DivergedMergeResult)> done_;
  asio::steady_timer timer_;
  MergeLedger ledger_;
  CommandStreamParser parser_;
  const std::string marker_;
  std::shared_ptr<RedisConnection> tx_;
  std::shared_ptr<RedisConnection> keys_conn_;
  std::unique_ptr<KeyLookup> lookup_;
  std::shared_ptr<ReplicationLink> link_;
  std::uint64_t tx_connects_ = 0;
  int tx_db_ = -2;  // the transaction connection's database (-2: not selected yet)

  // The keeper's stream.
  std::string context_;
  bool context_wanted_ = false;
  bool keeper_begun_ = false;
  int keeper_db_ = -1;
  enum class Block { none, unknown, ours, theirs };  // inside MULTI/EXEC of the keeper's stream
  Block block_ = Block::none;
  std::deque<std::shared_ptr<KeeperEntry>> keeper_entries_;
  long long keeper_resolved_ = -1;  // every keeper command up to this offset is in the ledger
  long long waiting_for_ = -1;
  bool link_paused_ = false;

  // The saved file.
  int fd_ = -1;
  bool file_eof_ = false;
  int file_db_ = -1;
  std::shared_ptr<Unit> file_block_;
  std::deque<std::shared_ptr<Unit>> units_;

  // The batch in flight.
  bool busy_ = false;
  std::size_t batch_ = 0;
  std::size_t single_left_ = 0;
  int retries_ = 0;
  std::uint64_t batches_ = 0;
  std::vector<MergeLedger::Judgement> decisions_;
  MergeLedger::Skipped batch_skipped_;
  std::vector<std::size_t> apply_;
  std::vector<std::pair<int, int>> layout_;
  std::string queue_error_;
  std::vector<std::string> refused_reasons_;

  std::unique_ptr<PrivateFile> conflicts_;
  std::string conflicts_name_;
  int conflicts_db_ = -2;
  bool closing_ = false;
  bool finished_ = false;
  DivergedMergeResult result_;
};

std::shared_ptr<DivergedMerge> merge_diverged_writes(
    asio::io_context& io, DivergedMergeRequest request, DivergedMergeOptions options,
    std::function<void(DivergedMergeResult)> done) {
  auto m =
      std::make_shared<DivergedMerge>(io, std::move(request), std::move(options), std::move(done));
  m->start();
  return m;
}

void cancel(const std::shared_ptr<DivergedMerge>& merge) {
  if (merge) merge->cancel();
}

}  // namespace redvip::agent
