// Saving a server's writes since the fork, against a scripted fake master on loopback: the
// handshake, the stream file (keep-alives dropped, the database at the fork learnt from the
// bytes before it, nothing past the end offset), the RDB fallback in both forms, and every
// hostile answer (oversized, malformed, refused, silent) failing with a reason and no file.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/redis/ops/diverged_writes.hpp"
#include "tests/unit/redis_fake_server.hpp"

using namespace redvip::agent;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace fs = std::filesystem;
using redvip::test::FakeRedis;
using redvip::test::run_until;

namespace {

const std::string k_id = "b317973078e4f97a502c9b97a6608a9d7338a8f3";

std::string cmd(std::vector<std::string> argv) { return encode_command(argv); }

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "redvip-dw-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    if (!fs::exists(path / "saved")) return out;
    for (const auto& e : fs::directory_iterator(path / "saved"))
      out.push_back(e.path().filename().string());
    return out;
  }
};

std::string read_file(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A fake master: AUTH/CLIENT/REPLCONF answered +OK, PSYNC answered by `psync(argv)`.
FakeRedis::Handler master(
    std::function<std::optional<std::string>(const std::vector<std::string>&)> psync) {
  return [psync](const std::vector<std::string>& argv) -> std::optional<std::string> {
    if (argv[0] == "PSYNC") return psync(argv);
    return std::string("+OK\r\n");
  };
}

DivergedWritesOptions options_in(const TempDir& dir) {
  DivergedWritesOptions o;
  o.directory = (dir.path / "saved").string();
  o.instance = "VI_1";
  o.timeout = 2s;
  return o;
}

DivergedWritesRequest request_to(std::uint16_t port, long long from, long long to) {
  DivergedWritesRequest r;
  r.server.endpoint.port = port;
  r.server.client_name = "redvip-test";
  r.from = PsyncStart{k_id, from};
  r.to = to;
  return r;
}

SavedWrites save(asio::io_context& io, DivergedWritesRequest req, DivergedWritesOptions opts,
                 std::chrono::milliseconds limit = 3s) {
  std::optional<SavedWrites> got;
  save_diverged_writes(io, std::move(req), std::move(opts),
                       [&](SavedWrites r) { got = std::move(r); });
  REQUIRE(run_until(
      io, [&] { return got.has_value(); }, limit));
  return *got;
}

// The stream after the fork at offset 100: SELECT 2, SET, PING, a MULTI block, REPLCONF GETACK.
const std::string k_after_fork = cmd({"SELECT", "2"}) + cmd({"SET", "a", "1"}) + cmd({"PING"}) +
                                 cmd({"MULTI"}) + cmd({"INCR", "n"}) + cmd({"DEL", "b"}) +
                                 cmd({"EXEC"}) + cmd({"REPLCONF", "GETACK", "*"});
const std::string k_expected_file = cmd({"SELECT", "2"}) + cmd({"SET", "a", "1"}) + cmd({"MULTI"}) +
                                    cmd({"INCR", "n"}) + cmd({"DEL", "b"}) + cmd({"EXEC"});

}  // namespace

TEST_CASE(
    "diverged writes: the stream since the fork to a private file, keep-alives out, nothing past "
    "the end") {
  asio::io_context io;
  TempDir dir;
  const long long to = 100 + static_cast<long long>(k_after_fork.size());
  FakeRedis fake(io,
                 master([&](const std::vector<std::string>& argv) -> std::optional<std::string> {
                   if (argv[1] != k_id || argv[2] != "101")
                     return std::string("+FULLRESYNC x 0\r\n");
                   // Writes after the end offset must not be saved.
                   return "+CONTINUE " + k_id + "\r\n" + k_after_fork + cmd({"SET", "late", "1"});
                 }));
  auto req = request_to(fake.port(), 101, to);
  req.server.password = "pw";
  auto r = save(io, req, options_in(dir));
  INFO(r.message);
  REQUIRE(r.ok());
  CHECK(r.kind == SavedKind::stream);
  CHECK(r.commands == 3);  // SET, INCR, DEL
  CHECK(r.keepalives == 2);
  CHECK(r.first_offset == 101);
  CHECK(r.last_offset == to);
  CHECK(!r.db_at_fork);  // not asked for
  CHECK(read_file(r.path) == k_expected_file);
  CHECK(r.bytes == k_expected_file.size());
  // Name: instance, time, replid, offsets; mode 0600 in a 0700 directory; nothing else there.
  const std::string name = fs::path(r.path).filename().string();
  CHECK(name.rfind("VI_1-", 0) == 0);
  CHECK(name.find("-b317973078e4-101-" + std::to_string(to) + ".resp") != std::string::npos);
  struct stat st {};
  REQUIRE(::stat(r.path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::stat(options_in(dir).directory.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  CHECK(dir.files().size() == 1);
  // The handshake, one request at a time: AUTH, CLIENT SETNAME, REPLCONF capa, PSYNC.
  REQUIRE(fake.received.size() == 4);
  CHECK(fake.received[0] == std::vector<std::string>{"AUTH", "pw"});
  CHECK(fake.received[1] == std::vector<std::string>{"CLIENT", "SETNAME", "redvip-test"});
  CHECK(fake.received[2] == std::vector<std::string>{"REPLCONF", "capa", "eof", "capa", "psync2"});
  CHECK(fake.received[3] == std::vector<std::string>{"PSYNC", k_id, "101"});
}

TEST_CASE("diverged writes: the database at the fork comes from the bytes before it") {
  asio::io_context io;
  TempDir dir;
  // Before the fork: a command cut in the middle (the backlog's start), then SELECT 5 and a SET.
  const std::string before =
      cmd({"SET", "cut", "x"}).substr(7) + cmd({"SELECT", "5"}) + cmd({"SET", "old", "1"});
  const std::string after = cmd({"SET", "a", "1"}) + cmd({"DEL", "b"});
  const long long fork = 1000;
  const long long context_from = fork + 1 - static_cast<long long>(before.size());
  FakeRedis fake(io,
                 master([&](const std::vector<std::string>& argv) -> std::optional<std::string> {
                   if (argv[2] != std::to_string(context_from))
                     return std::string("-ERR wrong offset\r\n");
                   return "+CONTINUE " + k_id + "\r\n" + before + after;
                 }));
  auto req = request_to(fake.port(), fork + 1, fork + static_cast<long long>(after.size()));
  req.context = DbContext{context_from, false, std::nullopt};
  auto r = save(io, req, options_in(dir));
  INFO(r.message);
  REQUIRE(r.ok());
  CHECK(r.db_at_fork == 5);
  CHECK(r.commands == 2);
  CHECK(read_file(r.path) == cmd({"SELECT", "5"}) + after);
}

TEST_CASE(
    "diverged writes: from a mark, the database at the fork is its last SELECT or the mark's") {
  asio::io_context io;
  TempDir dir;
  const std::string after = cmd({"SET", "a", "1"}) + cmd({"DEL", "b"});
  const long long fork = 5000;
  struct Row {
    const char* what;
    std::string before;  // from the mark to the fork, starting on a command
    int expected_db;
  };
  const Row rows[] = {
      {"no SELECT after the mark: the mark's database", cmd({"SET", "x", "1"}) + cmd({"PING"}), 7},
      {"a SELECT after the mark wins",
       cmd({"SET", "x", "1"}) + cmd({"SELECT", "3"}) + cmd({"SET", "y", "2"}), 3},
      {"the last of several",
       cmd({"SELECT", "3"}) + cmd({"MULTI"}) + cmd({"SELECT", "4"}) + cmd({"INCR", "n"}) +
           cmd({"EXEC"}),
       4},
      {"the mark at the fork itself: nothing before it read", "", 7},
  };
  for (const auto& row : rows) {
    SECTION(row.what) {
      const long long mark_from = fork + 1 - static_cast<long long>(row.before.size());
      FakeRedis fake(
          io, master([&](const std::vector<std::string>& argv) -> std::optional<std::string> {
            if (argv[2] != std::to_string(mark_from)) return std::string("-ERR wrong offset\r\n");
            return "+CONTINUE " + k_id + "\r\n" + row.before + after;
          }));
      auto req = request_to(fake.port(), fork + 1, fork + static_cast<long long>(after.size()));
      req.context = DbContext{mark_from, true, 7};
      auto r = save(io, req, options_in(dir));
      INFO(r.message);
      REQUIRE(r.ok());
      CHECK(r.db_at_fork == row.expected_db);
      CHECK(r.commands == 2);  // nothing before the fork counted or saved
      CHECK(read_file(r.path) == cmd({"SELECT", std::to_string(row.expected_db)}) + after);
    }
  }
}

TEST_CASE("diverged writes: from a mark, a fork inside a command fails, no file") {
  asio::io_context io;
  TempDir dir;
  const std::string before = cmd({"SET", "x", "1"});
  const std::string after = cmd({"SET", "a", "1"});
  const long long fork = 5000;
  // The mark one byte off: the fork falls inside the first command read.
  const long long mark_from = fork + 2 - static_cast<long long>(before.size());
  FakeRedis fake(io, master([&](const std::vector<std::string>&) -> std::optional<std::string> {
                   return "+CONTINUE " + k_id + "\r\n" + before + after;
                 }));
  auto req = request_to(fake.port(), fork + 1, fork + static_cast<long long>(after.size()));
  req.context = DbContext{mark_from, true, 0};
  auto r = save(io, req, options_in(dir));
  CHECK(!r.ok());
  CHECK(r.message.find("not a command boundary") != std::string::npos);
  CHECK(dir.files().empty());
}

TEST_CASE("diverged writes: only keep-alives since the fork: nothing saved, no file") {
  asio::io_context io;
  TempDir dir;
  const std::string pings = cmd({"PING"}) + cmd({"PING"});
  FakeRedis fake(io, master([&](const std::vector<std::string>&) -> std::optional<std::string> {
                   return "+CONTINUE " + k_id + "\r\n" + pings;
                 }));
  auto r = save(io, request_to(fake.port(), 53, 52 + static_cast<long long>(pings.size())),
                options_in(dir));
  REQUIRE(r.ok());
  CHECK(r.kind == SavedKind::none);
  CHECK(r.keepalives == 2);
  CHECK(r.path.empty());
  CHECK(dir.files().empty());
  // And an empty range asks nothing at all.
  r = save(io, request_to(fake.port(), 53, 52), options_in(dir));
  CHECK(r.ok());
  CHECK(r.kind == SavedKind::none);
}

TEST_CASE("diverged writes: a full resync saves the RDB, with a length or the diskless EOF mark") {
  const std::string rdb =
      std::string("REDIS0010\xfa\tredis-ver\x06") + "7.0.15" + std::string(5000, 'x') + "\xff";
  const std::string mark = "7da07e84d1891dd662a014fc4f4212727acce5b9";
  for (const bool diskless : {false, true}) {
    INFO("diskless " << diskless);
    asio::io_context io;
    TempDir dir;
    FakeRedis fake(io, master([&](const std::vector<std::string>&) -> std::optional<std::string> {
                     // Newline keep-alives before the reply and before the payload, as Redis sends
                     // them.
                     std::string out = "\n\n+FULLRESYNC " + k_id + " 117\r\n\n";
                     out += diskless ? "$EOF:" + mark + "\r\n" + rdb + mark
                                     : "$" + std::to_string(rdb.size()) + "\r\n" + rdb;
                     return out + cmd({"PING"});
                   }));
    auto r = save(io, request_to(fake.port(), 53, 103), options_in(dir));
    INFO(r.message);
    REQUIRE(r.ok());
    CHECK(r.kind == SavedKind::rdb);
    CHECK(r.first_offset == 117);
    CHECK(read_file(r.path) == rdb);
    CHECK(r.bytes == rdb.size());
    CHECK(fs::path(r.path).filename().string().find("-full-117.rdb") != std::string::npos);
  }
}

TEST_CASE("diverged writes: hostile or failing masters fail with a reason and leave no file") {
  struct Row {
    const char* name;
    std::optional<std::string> psync_reply;  // nullopt: silent
    long long to;
    std::size_t max_file;
    RedisErrc expect;
    const char* reason;
  };
  const std::string big = cmd({"SET", "k", std::string(3000, 'v')});
  const Row rows[] = {
      {"refused", std::string("-NOMASTERLINK Can't SYNC while not connected with my master\r\n"),
       200, 1 << 20, RedisErrc::server_error, "NOMASTERLINK"},
      {"not a PSYNC reply", std::string("+OK\r\n"), 200, 1 << 20, RedisErrc::protocol_error,
       "unexpected reply"},
      {"garbage stream", "+CONTINUE " + k_id + "\r\n:1\r\n", 200, 1 << 20,
       RedisErrc::protocol_error, "expected '*'"},
      {"end offset inside a command", "+CONTINUE " + k_id + "\r\n" + cmd({"SET", "a", "1"}), 105,
       1 << 20, RedisErrc::protocol_error, "not a command boundary"},
      {"file bound", "+CONTINUE " + k_id + "\r\n" + big, 100 + static_cast<long long>(big.size()),
       1000, RedisErrc::protocol_error, "max_file_bytes"},
      {"ends inside MULTI", "+CONTINUE " + k_id + "\r\n" + cmd({"MULTI"}) + cmd({"SET", "a", "1"}),
       100 + static_cast<long long>(cmd({"MULTI"}).size() + cmd({"SET", "a", "1"}).size()), 1 << 20,
       RedisErrc::protocol_error, "inside MULTI"},
      {"a bulk header beyond the limits", "+CONTINUE " + k_id + "\r\n*1\r\n$999999999999\r\n", 200,
       1 << 20, RedisErrc::protocol_error, "larger than"},
      {"an RDB larger than the file bound",
       "+FULLRESYNC " + k_id + " 5\r\n$100000\r\n" + std::string(5000, 'r'), 200, 1000,
       RedisErrc::protocol_error, "max_file_bytes"},
      {"a line that never ends", "+FULLRESYNC " + k_id + " 5\r\n$" + std::string(5000, '1'), 200,
       1 << 20, RedisErrc::protocol_error, "longer than"},
      {"silent", std::nullopt, 200, 1 << 20, RedisErrc::operation_timeout, "not saved within"},
      {"closes mid-stream", "+CONTINUE " + k_id + "\r\n" + cmd({"SET", "a", "1"}) + "CLOSE", 200,
       1 << 20, RedisErrc::connection_lost, "closed"},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    asio::io_context io;
    TempDir dir;
    FakeRedis* fake_ptr = nullptr;
    FakeRedis fake(io, master([&](const std::vector<std::string>&) -> std::optional<std::string> {
                     if (!row.psync_reply) return std::nullopt;
                     std::string reply = *row.psync_reply;
                     if (reply.size() > 5 && reply.substr(reply.size() - 5) == "CLOSE") {
                       reply.resize(reply.size() - 5);
                       asio::post(io, [&] { fake_ptr->drop_clients(); });
                     }
                     return reply;
                   }));
    fake_ptr = &fake;
    auto opts = options_in(dir);
    opts.max_file_bytes = row.max_file;
    opts.timeout = 300ms;
    const auto started = std::chrono::steady_clock::now();
    auto r = save(io, request_to(fake.port(), 101, row.to), opts);
    INFO(r.message);
    CHECK(r.error == row.expect);
    CHECK(r.message.find(row.reason) != std::string::npos);
    CHECK(r.path.empty());
    CHECK(dir.files().empty());
    CHECK(std::chrono::steady_clock::now() - started < 1s);
  }
}

TEST_CASE(
    "diverged writes: a wrong password fails as auth_failed; an unusable directory fails before "
    "connecting") {
  asio::io_context io;
  TempDir dir;
  FakeRedis fake(io, [](const std::vector<std::string>& argv) -> std::optional<std::string> {
    if (argv[0] == "AUTH") return std::string("-WRONGPASS invalid username-password pair\r\n");
    return std::string("+OK\r\n");
  });
  auto req = request_to(fake.port(), 101, 200);
  req.server.password = "wrong";
  auto r = save(io, req, options_in(dir));
  CHECK(r.error == RedisErrc::auth_failed);
  CHECK(r.message.find("WRONGPASS") != std::string::npos);
  CHECK(dir.files().empty());

  // A directory writable by others is refused.
  fs::create_directories(dir.path / "open");
  fs::permissions(dir.path / "open", fs::perms::all);
  auto opts = options_in(dir);
  opts.directory = (dir.path / "open").string();
  const auto accepts_before = fake.accepts;
  r = save(io, request_to(fake.port(), 101, 200), opts);
  CHECK(r.error == RedisErrc::server_error);
  CHECK(r.message.find("writable by group or others") != std::string::npos);
  CHECK(fake.accepts == accepts_before);
}

TEST_CASE("diverged writes: counting the writes in a stream without saving them") {
  asio::io_context io;
  FakeRedis fake(io,
                 master([&](const std::vector<std::string>& argv) -> std::optional<std::string> {
                   if (argv[2] == "1") return "+FULLRESYNC " + k_id + " 5\r\n";
                   return "+CONTINUE " + k_id + "\r\n" + k_after_fork + cmd({"SET", "late", "1"});
                 }));
  RedisConnectionOptions server;
  server.endpoint.port = fake.port();
  std::optional<StreamWrites> got;
  count_stream_writes(io, server, PsyncStart{k_id, 101},
                      100 + static_cast<long long>(k_after_fork.size()), 2s, {},
                      [&](StreamWrites w) { got = w; });
  REQUIRE(run_until(io, [&] { return got.has_value(); }));
  REQUIRE(got->ok());
  CHECK(got->commands == 3);
  CHECK(got->keepalives == 2);
  CHECK(got->bytes == static_cast<long long>(k_after_fork.size()));

  got.reset();
  count_stream_writes(io, server, PsyncStart{k_id, 1}, 50, 2s, {},
                      [&](StreamWrites w) { got = w; });
  REQUIRE(run_until(io, [&] { return got.has_value(); }));
  CHECK(got->error == RedisErrc::unexpected_reply);
  CHECK(got->message.find("no longer holds") != std::string::npos);
}
