#include "agent/redis/ops/diverged_writes.hpp"

#include <ctime>

#include "agent/log/log.hpp"
#include "agent/redis/ops/private_file.hpp"
#include "agent/redis/ops/replication_link.hpp"

namespace redvip::agent {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

std::string utc_stamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// Scanning the bytes before the fork for a command boundary: at most this many times their size.
constexpr std::size_t k_db_scan_work_factor = 64;

}  // namespace

std::string_view to_string(SavedKind k) {
  switch (k) {
    case SavedKind::stream:
      return "stream";
    case SavedKind::rdb:
      return "rdb";
    case SavedKind::none:
      break;
  }
  return "none";
}

class DivergedWritesSave : public std::enable_shared_from_this<DivergedWritesSave> {
 public:
  DivergedWritesSave(asio::io_context& io, DivergedWritesRequest request,
                     DivergedWritesOptions options, std::function<void(SavedWrites)> done)
      : io_(io),
        request_(std::move(request)),
        options_(std::move(options)),
        done_(std::move(done)),
        timer_(io) {
    if (options_.instance.empty()) options_.instance = "redis";
  }

  void start() {
    const auto& from = request_.from;
    if (request_.to < from.offset) {
      result_.message = "nothing past offset " + std::to_string(from.offset - 1) + " to save";
      finish();
      return;
    }
    stem_ = safe_file_part(options_.instance) + "-" + utc_stamp() + "-" +
            safe_file_part(from.replid, 12);
    std::string error;
    file_ =
        PrivateFile::create(options_.directory, stem_ + "-" + std::to_string(from.offset), error);
    if (!file_) {
      fail(RedisErrc::server_error, "cannot create the file for the saved writes: " + error);
      return;
    }
    auto self = shared_from_this();
    timer_.expires_after(options_.timeout);
    timer_.async_wait([self](boost::system::error_code ec) {
      if (!ec)
        self->fail(RedisErrc::operation_timeout,
                   "not saved within " + std::to_string(self->options_.timeout.count()) + " ms");
    });
    PsyncStart psync = from;
    long long parse_from = from.offset;
    const auto& context = request_.context;
    if (context && context->aligned) {
      // From a mark: every command from there is parsed, the ones before the fork only for
      // their SELECT; the mark's database holds until one comes.
      aligned_ = true;
      db_before_fork_ = context->db;
      if (context->from > 0 && context->from < from.offset)
        psync.offset = parse_from = context->from;
    } else if (context && context->from > 0 && context->from < from.offset) {
      psync.offset = context->from;
      context_wanted_ = true;
    }
    ReplicationLink::Events ev;
    ev.continued = [self](const std::string& id) { self->result_.replid = id; };
    ev.full_resync = [self](const std::string& id, long long offset) {
      self->on_full_resync(id, offset);
    };
    ev.raw = [self](std::string_view bytes) { return self->on_raw(bytes); };
    ev.command = [self](const StreamCommand& c, long long last) {
      return self->on_command(c, last);
    };
    ev.rdb_data = [self](std::string_view bytes) { return self->on_rdb_data(bytes); };
    ev.rdb_end = [self] {
      self->commit(self->stem_ + "-full-" + std::to_string(self->result_.first_offset) + ".rdb");
    };
    ev.failed = [self](RedisOpResult r) {
      self->fail(r.error, "reading the replication stream: " + r.message);
    };
    link_ = ReplicationLink::create(io_, request_.server, options_.limits);
    link_->start(psync, parse_from, std::move(ev));
  }

  void cancel() { fail(RedisErrc::cancelled, "cancelled"); }

 private:
  bool on_raw(std::string_view bytes) {
    if (context_.size() + bytes.size() >
        static_cast<std::size_t>(options_.db_context_bytes) + (1U << 20)) {
      fail(RedisErrc::protocol_error, "more bytes before the fork than asked for");
      return false;
    }
    context_.append(bytes);
    return true;
  }

  // The database selected at the fork, from the bytes before it; once, before the first command.
  bool begin_file() {
    begun_ = true;
    if (aligned_) {
      result_.db_at_fork = db_before_fork_;
    } else if (context_wanted_) {
      const auto found =
          find_db_at_end(context_, options_.limits, k_db_scan_work_factor * (context_.size() + 1));
      result_.db_at_fork = found.db;
      if (!found.db) {
        log(Level::warning, options_.instance,
            "the database selected at offset {} is unknown ({}): commands before the first SELECT "
            "replay "
            "into the replaying client's database",
            request_.from.offset,
            found.aligned ? "no SELECT in the bytes before it" : "no command boundary found");
      }
    }
    context_.clear();
    context_.shrink_to_fit();
    if (result_.db_at_fork) {
      return write(
          encode_command(std::vector<std::string>{"SELECT", std::to_string(*result_.db_at_fork)}));
    }
    return true;
  }

  bool write(std::string_view bytes) {
    if (file_->size() + bytes.size() > options_.max_file_bytes) {
      fail(RedisErrc::protocol_error, "the saved writes would exceed max_file_bytes (" +
                                          std::to_string(options_.max_file_bytes) + " bytes)");
      return false;
    }
    std::string error;
    if (!file_->append(bytes, error)) {
      fail(RedisErrc::server_error, error);
      return false;
    }
    return true;
  }

  bool on_command(const StreamCommand& cmd, long long last) {
    if (finished_) return false;
    if (last > request_.to) {
      fail(RedisErrc::protocol_error, "offset " + std::to_string(request_.to) +
                                          " is not a command boundary (a command ends at " +
                                          std::to_string(last) + ")");
      return false;
    }
    if (!begun_ && aligned_ && last < request_.from.offset) {
      int selected = 0;
      if (classify_stream_command(cmd.argv, &selected) == StreamCommandKind::select)
        db_before_fork_ = selected;
      return true;
    }
    if (!begun_ && aligned_ &&
        last - static_cast<long long>(cmd.raw.size()) + 1 < request_.from.offset) {
      fail(RedisErrc::protocol_error, "offset " + std::to_string(request_.from.offset - 1) +
                                          " is not a command boundary (a command ends at " +
                                          std::to_string(last) + ")");
      return false;
    }
    if (!begun_ && !begin_file()) return false;
    if (result_.first_offset < 0) result_.first_offset = request_.from.offset;
    switch (classify_stream_command(cmd.argv)) {
      case StreamCommandKind::keepalive:
        ++result_.keepalives;
        break;
      case StreamCommandKind::multi:
        in_multi_ = true;
        if (!write(cmd.raw)) return false;
        break;
      case StreamCommandKind::exec:
        in_multi_ = false;
        if (!write(cmd.raw)) return false;
        break;
      case StreamCommandKind::select:
        if (!write(cmd.raw)) return false;
        break;
      case StreamCommandKind::data:
        ++result_.commands;
        if (!write(cmd.raw)) return false;
        break;
    }
    if (last == request_.to) {
      result_.last_offset = last;
      finish_stream();
      return false;
    }
    return true;
  }

  void finish_stream() {
    if (in_multi_) {
      fail(RedisErrc::protocol_error,
           "the stream ends inside MULTI at offset " + std::to_string(request_.to));
      return;
    }
    if (result_.commands == 0) {
      file_->discard();
      result_.message = "no client write in offsets " + std::to_string(request_.from.offset) +
                        ".." + std::to_string(request_.to) + " (" +
                        std::to_string(result_.keepalives) + " keep-alives)";
      finish();
      return;
    }
    result_.kind = SavedKind::stream;
    commit(stem_ + "-" + std::to_string(request_.from.offset) + "-" + std::to_string(request_.to) +
           ".resp");
  }

  void on_full_resync(const std::string& id, long long offset) {
    result_.kind = SavedKind::rdb;
    result_.replid = id;
    result_.first_offset = offset;
    result_.last_offset = offset;
    log(Level::warning, options_.instance,
        "the backlog of {} no longer holds offset {}: saving its whole data set (an RDB at offset "
        "{}) instead",
        request_.server.endpoint.to_string(), request_.from.offset, offset);
  }

  bool on_rdb_data(std::string_view bytes) { return !finished_ && write(bytes); }

  void commit(const std::string& name) {
    if (finished_ || committing_) return;
    committing_ = true;
    timer_.cancel();
    if (link_) link_->close();
    result_.bytes = file_->size();
    auto self = shared_from_this();
    file_->commit(io_, name, [self](std::string error, std::string path) {
      if (!error.empty()) {
        self->committing_ = false;
        self->fail(RedisErrc::server_error, "cannot keep the saved writes: " + error);
        return;
      }
      self->result_.path = std::move(path);
      self->finish();
    });
  }

  void fail(std::error_code e, std::string text) {
    if (finished_ || committing_) return;
    result_.error = e;
    result_.message = std::move(text);
    result_.kind = SavedKind::none;
    result_.path.clear();
    if (file_) file_->discard();
    finish();
  }
  void fail(RedisErrc e, std::string text) { fail(make_error_code(e), std::move(text)); }

  void finish() {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    if (link_) link_->close();
    if (result_.ok() && result_.kind != SavedKind::none) {
      result_.message = "saved " + std::to_string(result_.commands) + " commands since offset " +
                        std::to_string(request_.from.offset - 1) + " (" +
                        std::to_string(result_.bytes) + " bytes, " +
                        std::string(to_string(result_.kind)) + ") to " + result_.path;
      if (result_.kind == SavedKind::rdb) {
        result_.message = "saved the whole data set (" + std::to_string(result_.bytes) +
                          " bytes, rdb at offset " + std::to_string(result_.first_offset) +
                          ") to " + result_.path;
      }
      log(Level::notice, options_.instance, "{}", result_.message);
    } else if (!result_.ok()) {
      log(Level::error, options_.instance, "saving the writes since offset {} of {} failed: {}",
          request_.from.offset - 1, request_.server.endpoint.to_string(), result_.message);
    }
    asio::post(io_,
               [done = std::move(done_), r = std::move(result_)]() mutable { done(std::move(r)); });
  }

  asio::io_context& io_;
  DivergedWritesRequest request_;
  DivergedWritesOptions options_;
  std::function<void(SavedWrites)> done_;
  asio::steady_timer timer_;
  std::shared_ptr<ReplicationLink> link_;
  std::unique_ptr<PrivateFile> file_;
  std::string stem_;
  std::string context_;
  bool context_wanted_ = false;
  bool aligned_ = false;               // reading from a StreamDbMark
  std::optional<int> db_before_fork_;  // aligned: the database selected so far
  bool begun_ = false;
  bool in_multi_ = false;
  bool committing_ = false;
  bool finished_ = false;
  SavedWrites result_;
};

std::shared_ptr<DivergedWritesSave> save_diverged_writes(asio::io_context& io,
                                                         DivergedWritesRequest request,
                                                         DivergedWritesOptions options,
                                                         std::function<void(SavedWrites)> done) {
  auto op = std::make_shared<DivergedWritesSave>(io, std::move(request), std::move(options),
                                                 std::move(done));
  op->start();
  return op;
}

void cancel(const std::shared_ptr<DivergedWritesSave>& save) {
  if (save) save->cancel();
}

void count_stream_writes(asio::io_context& io, RedisConnectionOptions server, PsyncStart from,
                         long long to, std::chrono::milliseconds timeout, StreamLimits limits,
                         std::function<void(StreamWrites)> done) {
  struct Count {
    StreamWrites result;
    std::function<void(StreamWrites)> done;
    std::shared_ptr<ReplicationLink> link;
    std::unique_ptr<asio::steady_timer> timer;
    bool finished = false;
    void finish(asio::io_context& io) {
      if (finished) return;
      finished = true;
      if (timer) timer->cancel();
      if (link) link->close();
      asio::post(io, [d = std::move(done), r = result] { d(r); });
    }
    void fail(asio::io_context& io, RedisErrc e, std::string text) {
      if (finished) return;
      result.error = make_error_code(e);
      result.message = std::move(text);
      finish(io);
    }
  };
  auto c = std::make_shared<Count>();
  c->done = std::move(done);
  if (to < from.offset) {
    c->finish(io);
    return;
  }
  c->timer = std::make_unique<asio::steady_timer>(io, timeout);
  c->timer->async_wait([c, &io, timeout](boost::system::error_code ec) {
    if (!ec)
      c->fail(io, RedisErrc::operation_timeout,
              "not counted within " + std::to_string(timeout.count()) + " ms");
  });
  ReplicationLink::Events ev;
  ev.full_resync = [c, &io, from](const std::string&, long long) {
    c->fail(io, RedisErrc::unexpected_reply,
            "the backlog no longer holds offset " + std::to_string(from.offset));
  };
  ev.command = [c, &io, to](const StreamCommand& cmd, long long last) {
    if (last > to) {
      c->fail(io, RedisErrc::protocol_error,
              "offset " + std::to_string(to) + " is not a command boundary");
      return false;
    }
    const auto kind = classify_stream_command(cmd.argv);
    if (kind == StreamCommandKind::data) ++c->result.commands;
    if (kind == StreamCommandKind::keepalive) ++c->result.keepalives;
    c->result.bytes += static_cast<long long>(cmd.raw.size());
    if (last == to) {
      c->finish(io);
      return false;
    }
    return true;
  };
  ev.failed = [c, &io](RedisOpResult r) {
    if (c->finished) return;
    c->result.error = r.error;
    c->result.message = "reading the replication stream: " + r.message;
    c->finish(io);
  };
  c->link = ReplicationLink::create(io, std::move(server), limits);
  c->link->start(std::move(from), 0, std::move(ev));
}

}  // namespace redvip::agent
