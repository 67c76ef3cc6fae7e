#include "agent/redis/ops/private_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace redvip::agent {
namespace {

constexpr std::size_t k_buffer = 64 * 1024;

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace

std::string ensure_private_directory(const std::string& path) {
  if (path.empty()) return "no directory configured";
  // Create what is missing, parents first, each 0700.
  for (std::size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    const std::string part = path.substr(0, slash);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) return errno_text("mkdir " + part);
    if (slash == std::string::npos) break;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return errno_text("stat " + path);
  if (!S_ISDIR(st.st_mode)) return path + " is not a directory";
  if (st.st_uid != ::geteuid())
    return path + " is not owned by this user (uid " + std::to_string(st.st_uid) + ")";
  // Nobody else may plant or replace files where we keep data that was about to be discarded.
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) return path + " is writable by group or others";
  return {};
}

std::string safe_file_part(std::string_view text, std::size_t max) {
  std::string out;
  for (char c : text.substr(0, max)) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    out += ok ? c : '_';
  }
  if (out.empty() || out.front() == '.') out.insert(out.begin(), '_');
  return out;
}

std::unique_ptr<PrivateFile> PrivateFile::create(const std::string& directory,
                                                 const std::string& name, std::string& error) {
  error = ensure_private_directory(directory);
  if (!error.empty()) return nullptr;
  const std::string partial = directory + "/." + name + ".partial";
  const int fd =
      ::open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    error = errno_text("create " + partial);
    return nullptr;
  }
  return std::unique_ptr<PrivateFile>(new PrivateFile(directory, partial, fd));
}

PrivateFile::PrivateFile(std::string directory, std::string partial, int fd)
    : directory_(std::move(directory)), partial_(std::move(partial)), fd_(fd) {
  buffer_.reserve(k_buffer);
}

PrivateFile::~PrivateFile() { discard(); }

bool PrivateFile::append(std::string_view data, std::string& error) {
  if (fd_ < 0) {
    error = "file closed";
    return false;
  }
  size_ += data.size();
  if (buffer_.size() + data.size() > k_buffer && !flush(error)) return false;
  if (data.size() >= k_buffer) {
    buffer_.assign(data);
    return flush(error);
  }
  buffer_.append(data);
  return true;
}

bool PrivateFile::flush(std::string& error) {
  std::size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = errno_text("write " + partial_);
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  buffer_.clear();
  return true;
}

void PrivateFile::commit(boost::asio::io_context& io, const std::string& final_name,
                         std::function<void(std::string, std::string)> done) {
  std::string error;
  if (fd_ < 0) error = "file closed";
  if (error.empty()) flush(error);
  if (!error.empty()) {
    discard();
    boost::asio::post(io, [done = std::move(done), error] { done(error, {}); });
    return;
  }
  // The thread owns the descriptor from here; the work guard keeps the completion deliverable.
  const int fd = std::exchange(fd_, -1);
  std::string partial = std::exchange(partial_, {});
  std::string path = directory_ + "/" + final_name;
  std::thread([guard = boost::asio::make_work_guard(io), &io, fd, partial = std::move(partial),
               path = std::move(path), directory = directory_, done = std::move(done)]() mutable {
    std::string err;
    if (::fsync(fd) != 0) err = errno_text("fsync " + partial);
    ::close(fd);
    // link + unlink: never replaces an existing file of that name (rename would).
    if (err.empty() && ::link(partial.c_str(), path.c_str()) != 0) err = errno_text("link " + path);
    ::unlink(partial.c_str());
    if (err.empty()) {
      const int dfd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dfd < 0 || ::fsync(dfd) != 0) err = errno_text("fsync " + directory);
      if (dfd >= 0) ::close(dfd);
    }
    if (!err.empty()) path.clear();
    boost::asio::post(io, [done = std::move(done), err = std::move(err), path = std::move(path)] {
      done(err, path);
    });
  }).detach();
}

void PrivateFile::discard() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (!partial_.empty()) {
    ::unlink(partial_.c_str());
    partial_.clear();
  }
  buffer_.clear();
}

}  // namespace redvip::agent
