#include "agent/config/tree.hpp"

#include <glob.h>
#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

#include "agent/config/lexer.hpp"

namespace redvip::agent {
namespace {

// Bounds that keep a hostile or mistaken config (an include of itself, of /dev/zero, a
// thousand nested braces) from exhausting the stack or memory.
constexpr int kMaxNesting = 16;
constexpr int kMaxIncludeDepth = 8;
constexpr int kMaxIncludedFiles = 256;
constexpr std::size_t kMaxFileSize = 1 << 20;

bool has_wildcard(const std::string& pattern) {
  return pattern.find_first_of("*?[{") != std::string::npos;
}

class TreeReader {
 public:
  TreeReader(const ReadOptions& options, TreeResult& result) : options_(options), result_(result) {}

  // The top file counts as open, so that including it again is reported as a cycle.
  void mark_open(const std::string& real_path) { include_stack_.push_back(real_path); }

  // Reads one file's text into `out`. Returns false after a syntax error.
  bool read_text(std::string_view text, const std::string& file, const std::string& base_dir,
                 int nesting, std::vector<Statement>& out) {
    LexResult lexed = tokenize(text);
    if (lexed.error) {
      add_error(file, lexed.error->line, lexed.error->message);
      return false;
    }
    std::size_t pos = 0;
    Source source{lexed.tokens, file, base_dir};
    return read_block(source, pos, nesting, false, 0, out);
  }

 private:
  struct Source {
    const std::vector<Token>& tokens;
    const std::string& file;
    const std::string& base_dir;
  };

  void add_error(const std::string& file, int line, std::string message) {
    result_.errors.push_back({file, line, std::move(message)});
  }

  static void skip_newlines(const Source& src, std::size_t& pos) {
    while (pos + 1 < src.tokens.size() && src.tokens[pos].kind == TokenKind::end_of_line) ++pos;
  }

  // Statements until the matching '}' (inside_block) or the end of the text.
  bool read_block(const Source& src, std::size_t& pos, int nesting, bool inside_block,
                  int open_line, std::vector<Statement>& out) {
    const auto& tokens = src.tokens;
    while (true) {
      skip_newlines(src, pos);
      const Token& tok = tokens[pos];
      if (tok.kind == TokenKind::end_of_line) {  // the final token: end of text
        if (inside_block) {
          add_error(src.file, open_line, "missing '}' for the block opened here");
          return false;
        }
        return true;
      }
      if (tok.kind == TokenKind::close_brace) {
        if (!inside_block) {
          add_error(src.file, tok.line, "unexpected '}' (no block is open)");
          return false;
        }
        ++pos;
        return true;
      }
      if (tok.kind == TokenKind::open_brace) {
        add_error(src.file, tok.line, "'{' without a keyword before it");
        return false;
      }
      Statement st;
      st.keyword = tok.text;
      st.keyword_quoted = tok.quoted;
      st.file = src.file;
      st.line = tok.line;
      st.base_dir = src.base_dir;
      ++pos;
      while (tokens[pos].kind == TokenKind::word) st.args.push_back(tokens[pos++].text);
      // A block may open on the keyword's line or on a line of its own after it.
      std::size_t look = pos;
      skip_newlines(src, look);
      if (tokens[look].kind == TokenKind::open_brace) {
        if (nesting + 1 > kMaxNesting) {
          add_error(src.file, tokens[look].line, "blocks nested too deeply");
          return false;
        }
        pos = look + 1;
        st.has_block = true;
        if (!read_block(src, pos, nesting + 1, true, tokens[look].line, st.block)) return false;
      }
      if (st.keyword == "include" && !st.keyword_quoted) {
        if (!expand_include(st, src.base_dir, nesting, out)) return false;
        continue;
      }
      out.push_back(std::move(st));
    }
  }

  bool expand_include(const Statement& st, const std::string& base_dir, int nesting,
                      std::vector<Statement>& out) {
    if (!options_.allow_file_access) {
      add_error(st.file, st.line, "include is not allowed here");
      return false;
    }
    if (st.args.size() != 1 || st.has_block) {
      add_error(st.file, st.line, "include expects one file name or pattern");
      return false;
    }
    if (static_cast<int>(include_stack_.size()) >= kMaxIncludeDepth) {
      add_error(st.file, st.line, "include nested too deeply");
      return false;
    }
    const std::string pattern = resolve_path(base_dir, st.args[0]);
    glob_t matches{};
    const int rc = ::glob(pattern.c_str(), GLOB_BRACE | GLOB_TILDE_CHECK, nullptr, &matches);
    std::vector<std::string> files;
    if (rc == 0) files.assign(matches.gl_pathv, matches.gl_pathv + matches.gl_pathc);
    ::globfree(&matches);
    if (rc == GLOB_NOMATCH) {
      if (has_wildcard(st.args[0])) {
        result_.warnings.push_back(
            ConfigError{st.file, st.line, "include \"" + st.args[0] + "\" matched no file"}
                .to_string());
        return true;
      }
      add_error(st.file, st.line, "include \"" + st.args[0] + "\": no such file (" + pattern + ")");
      return false;
    }
    if (rc != 0) {
      add_error(st.file, st.line, "include \"" + st.args[0] + "\": cannot read the pattern");
      return false;
    }
    for (const std::string& path : files) {
      if (++files_read_ > kMaxIncludedFiles) {
        add_error(st.file, st.line,
                  "more than " + std::to_string(kMaxIncludedFiles) + " included files");
        return false;
      }
      char real[PATH_MAX];
      if (::realpath(path.c_str(), real) == nullptr) {
        add_error(st.file, st.line, "include \"" + path + "\": " + std::strerror(errno));
        return false;
      }
      for (const std::string& open : include_stack_) {
        if (open == real) {
          add_error(st.file, st.line, "include \"" + path + "\" includes itself");
          return false;
        }
      }
      std::string text;
      std::string why;
      if (!read_config_file(path, text, why, kMaxFileSize)) {
        add_error(st.file, st.line, "include \"" + path + "\": " + why);
        return false;
      }
      include_stack_.push_back(real);
      const bool ok = read_text(text, path, directory_of(path), nesting, out);
      include_stack_.pop_back();
      if (!ok) return false;
    }
    return true;
  }

  const ReadOptions& options_;
  TreeResult& result_;
  int files_read_ = 0;
  std::vector<std::string> include_stack_;  // real paths of the files being read
};

}  // namespace

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return {};
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string resolve_path(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || path[0] == '~' || base_dir.empty()) return path;
  if (base_dir.back() == '/') return base_dir + path;
  return base_dir + "/" + path;
}

bool read_config_file(const std::string& path, std::string& out, std::string& error,
                      std::size_t max_size) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    error = std::strerror(errno);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    error = "not a regular file";
    return false;
  }
  if (static_cast<std::size_t>(st.st_size) > max_size) {
    error = "larger than " + std::to_string(max_size) + " bytes";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::strerror(errno);
    return false;
  }
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad() || out.size() > max_size) {
    error = "read failed";
    return false;
  }
  return true;
}

TreeResult read_statements(std::string_view text, const std::string& file,
                           const std::string& base_dir, const ReadOptions& options) {
  TreeResult result;
  TreeReader reader(options, result);
  if (options.allow_file_access) {
    char real[PATH_MAX];
    if (::realpath(file.c_str(), real) != nullptr) reader.mark_open(real);
  }
  reader.read_text(text, file, base_dir, 0, result.statements);
  return result;
}

}  // namespace redvip::agent
