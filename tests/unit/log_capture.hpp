#pragma once
// The log lines written while it lives: stderr (where write_log writes, one write per line) goes
// to a temporary file, and the log level is info, so tests can assert what an operator reads.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "agent/log/log.hpp"

namespace redvip::agent::test {

class LogCapture {
 public:
  LogCapture() : file_(std::tmpfile()) {
    std::fflush(stderr);
    saved_ = ::dup(STDERR_FILENO);
    if (file_ != nullptr) ::dup2(::fileno(file_), STDERR_FILENO);
    set_log_level(Level::info);
  }
  ~LogCapture() {
    restore();
    if (file_ != nullptr) std::fclose(file_);
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  // Everything written so far.
  std::string text() const {
    std::string out;
    if (file_ == nullptr) return out;
    std::fflush(file_);
    char buffer[4096];
    for (off_t at = 0;;) {
      const auto n = ::pread(::fileno(file_), buffer, sizeof buffer, at);
      if (n <= 0) break;
      out.append(buffer, static_cast<std::size_t>(n));
      at += n;
    }
    return out;
  }
  bool has(const std::string& part) const { return text().find(part) != std::string::npos; }

 private:
  void restore() {
    if (saved_ < 0) return;
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    saved_ = -1;
  }
  std::FILE* file_;
  int saved_ = -1;
};

}  // namespace redvip::agent::test
