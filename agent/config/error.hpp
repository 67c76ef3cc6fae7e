#pragma once
// One problem found while loading a configuration, located by file and line.
#include <string>

namespace redvip::agent {

struct ConfigError {
  std::string file;
  int line = 0;  // 0: the problem concerns the whole file
  std::string message;

  // "FILE:LINE: MESSAGE", the form compilers use so editors can jump to it.
  std::string to_string() const {
    if (line <= 0) return file + ": " + message;
    return file + ":" + std::to_string(line) + ": " + message;
  }
};

}  // namespace redvip::agent
