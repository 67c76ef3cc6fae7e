#pragma once
// The syntax layer of the config: keepalived text (with its includes) becomes a tree of
// statements, each "keyword args... [{ block }]" with the file and line it came from.
// Nothing here knows what a keyword means; config_parser.cpp gives them meaning.
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/error.hpp"

namespace redvip::agent {

struct Statement {
  std::string keyword;
  bool keyword_quoted = false;
  std::vector<std::string> args;
  bool has_block = false;
  std::vector<Statement> block;
  std::string file;
  int line = 0;
  std::string base_dir;  // what a relative path in this statement is relative to
};

struct ReadOptions {
  // false: "include" is an error and no file is opened (the fuzz target uses this).
  bool allow_file_access = true;
};

struct TreeResult {
  std::vector<Statement> statements;
  std::vector<ConfigError> errors;  // syntax errors stop the reading at the first one per file
  std::vector<std::string> warnings;
};

// `file` names the text in messages; relative include patterns are taken relative to
// `base_dir` (empty: the current directory).
TreeResult read_statements(std::string_view text, const std::string& file,
                           const std::string& base_dir, const ReadOptions& options);

// Reads a whole file (regular files only, bounded size) into `out`; on failure returns a
// message naming the reason, without the file's content.
bool read_config_file(const std::string& path, std::string& out, std::string& error,
                      std::size_t max_size);

// The directory part of `path` ("" when it has none); "/" for files in the root.
std::string directory_of(const std::string& path);
// `path` if absolute, else base_dir/path.
std::string resolve_path(const std::string& base_dir, const std::string& path);

}  // namespace redvip::agent
