// The private file for saved writes: created 0700/0600, appended past its buffer, committed
// off the io_context thread, never replacing an existing file, removed when not committed; a
// directory that others own or may write is refused.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/redis/ops/private_file.hpp"
#include "tests/unit/redis_fake_server.hpp"

using namespace redvip::agent;
namespace fs = std::filesystem;
using redvip::test::run_until;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "redvip-pf-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return static_cast<int>(st.st_mode & 0777);
}

}  // namespace

TEST_CASE(
    "private file: 0700 directories, 0600 file, whole content after commit, no partial left") {
  boost::asio::io_context io;
  TempDir tmp;
  const fs::path dir = tmp.path / "x" / "saved";
  std::string error;
  auto file = PrivateFile::create(dir.string(), "one", error);
  REQUIRE(file);
  CHECK(mode_of(tmp.path / "x") == 0700);
  CHECK(mode_of(dir) == 0700);
  const std::string big(200000, 'b');  // past the 64 KiB buffer
  REQUIRE(file->append("head-", error));
  REQUIRE(file->append(big, error));
  REQUIRE(file->append("-tail", error));
  CHECK(file->size() == big.size() + 10);
  std::optional<std::pair<std::string, std::string>> done;
  file->commit(io, "one.resp", [&](std::string e, std::string path) { done.emplace(e, path); });
  file.reset();  // may go once commit() returned
  REQUIRE(run_until(io, [&] { return done.has_value(); }));
  CHECK(done->first.empty());
  CHECK(done->second == (dir / "one.resp").string());
  CHECK(read_file(dir / "one.resp") == "head-" + big + "-tail");
  CHECK(mode_of(dir / "one.resp") == 0600);
  CHECK(!fs::exists(dir / ".one.partial"));

  // Never replaces an existing file.
  auto again = PrivateFile::create(dir.string(), "two", error);
  REQUIRE(again);
  REQUIRE(again->append("x", error));
  done.reset();
  again->commit(io, "one.resp", [&](std::string e, std::string path) { done.emplace(e, path); });
  REQUIRE(run_until(io, [&] { return done.has_value(); }));
  CHECK(done->first.find("exists") != std::string::npos);
  CHECK(done->second.empty());
  CHECK(read_file(dir / "one.resp") == "head-" + big + "-tail");
  CHECK(!fs::exists(dir / ".two.partial"));

  // Not committed: removed.
  {
    auto dropped = PrivateFile::create(dir.string(), "three", error);
    REQUIRE(dropped);
    REQUIRE(dropped->append("y", error));
    CHECK(fs::exists(dir / ".three.partial"));
  }
  CHECK(!fs::exists(dir / ".three.partial"));
  // The same temporary name twice at once is refused (O_EXCL), not shared.
  auto first = PrivateFile::create(dir.string(), "four", error);
  REQUIRE(first);
  CHECK(!PrivateFile::create(dir.string(), "four", error));
  CHECK(error.find("exists") != std::string::npos);
}

TEST_CASE("private file: directories others own or may write are refused") {
  TempDir tmp;
  fs::create_directories(tmp.path / "open");
  fs::permissions(tmp.path / "open", fs::perms::owner_all | fs::perms::group_write);
  CHECK(
      ensure_private_directory((tmp.path / "open").string()).find("writable by group or others") !=
      std::string::npos);
  std::ofstream(tmp.path / "plain") << "x";
  CHECK(ensure_private_directory((tmp.path / "plain").string()).find("not a directory") !=
        std::string::npos);
  CHECK(!ensure_private_directory("").empty());
  if (::geteuid() == 0) {
    fs::create_directories(tmp.path / "theirs");
    REQUIRE(::chown((tmp.path / "theirs").c_str(), 65534, 65534) == 0);
    CHECK(ensure_private_directory((tmp.path / "theirs").string()).find("not owned") !=
          std::string::npos);
  }
  CHECK(safe_file_part("VI 1/../x") == "VI_1_.._x");
  CHECK(safe_file_part(".hidden") == "_.hidden");
  CHECK(safe_file_part("") == "_");
  CHECK(safe_file_part(std::string(100, 'a'), 12) == std::string(12, 'a'));
}
