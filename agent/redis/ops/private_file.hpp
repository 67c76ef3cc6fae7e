#pragma once
// A file for data that must survive and stay private: a Redis server's writes that are about
// to be discarded. Created under a temporary name (".NAME.partial", O_EXCL, mode 0600) in a
// directory that is ours and writable by nobody else (created 0700 when missing), appended in
// buffered writes, and on commit fsynced, renamed to its final name and the directory fsynced,
// so a crash leaves either no file or the whole file.
//
// Blocking: appends are write(2) of at most 64 KiB into the page cache, made on the io_context
// thread (small buffered appends, acceptable there); fsync may wait for the disk, so commit()
// runs it on a short-lived thread and posts the completion back to the io_context.
#include <utility>

#include <boost/asio.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace redvip::agent {

// Creates `path` (and missing parents) with mode 0700; an existing directory must be owned by
// this user and not writable by group or others. Returns an empty string or the reason.
std::string ensure_private_directory(const std::string& path);

// A file name part: letters, digits, '.', '_' and '-' kept, anything else becomes '_'.
std::string safe_file_part(std::string_view text, std::size_t max = 64);

class PrivateFile {
 public:
  // Opens DIR/.NAME.partial. nullptr and `error` set on failure.
  static std::unique_ptr<PrivateFile> create(const std::string& directory, const std::string& name,
                                             std::string& error);
  ~PrivateFile();  // an uncommitted file is removed
  PrivateFile(const PrivateFile&) = delete;
  PrivateFile& operator=(const PrivateFile&) = delete;

  // Appends (buffered). False with `error` when the disk refuses.
  bool append(std::string_view data, std::string& error);
  std::uint64_t size() const { return size_; }
  const std::string& directory() const { return directory_; }

  // Flushes, fsyncs, renames to DIR/final_name (never replacing an existing file) and fsyncs
  // the directory, off the io_context thread; done(error text or empty, final path) runs on
  // the io_context. The object may be destroyed once commit() returned.
  void commit(boost::asio::io_context& io, const std::string& final_name,
              std::function<void(std::string error, std::string path)> done);
  // Removes the partial file now.
  void discard();

 private:
  PrivateFile(std::string directory, std::string partial, int fd);
  bool flush(std::string& error);

  std::string directory_;
  std::string partial_;  // full path of the temporary name
  int fd_ = -1;
  std::string buffer_;
  std::uint64_t size_ = 0;
};

}  // namespace redvip::agent
