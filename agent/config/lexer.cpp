#include "agent/config/lexer.hpp"

#include <cstdio>

namespace redvip::agent {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }
bool is_comment_start(char c) { return c == '#' || c == '!'; }
bool is_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && c != '\n' && !is_blank(c)) || u == 0x7f;
}
bool ends_word(char c) {
  return is_blank(c) || c == '\n' || c == '{' || c == '}' || is_comment_start(c);
}

std::string control_message(char c) {
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned>(static_cast<unsigned char>(c)));
  return std::string("unexpected control character ") + hex;
}

}  // namespace

LexResult tokenize(std::string_view text) {
  LexResult result;
  int line = 1;
  std::size_t i = 0;
  auto fail = [&](std::string message) {
    result.error = LexError{line, std::move(message)};
    return result;
  };
  while (i < text.size()) {
    const char c = text[i];
    if (c == '\n') {
      result.tokens.push_back({TokenKind::end_of_line, {}, false, line});
      ++line;
      ++i;
    } else if (is_blank(c)) {
      ++i;
    } else if (is_comment_start(c)) {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (c == '{') {
      result.tokens.push_back({TokenKind::open_brace, "{", false, line});
      ++i;
    } else if (c == '}') {
      result.tokens.push_back({TokenKind::close_brace, "}", false, line});
      ++i;
    } else if (c == '"') {
      const std::size_t start = ++i;
      while (i < text.size() && text[i] != '"' && text[i] != '\n') {
        if (is_control(text[i])) return fail(control_message(text[i]));
        ++i;
      }
      if (i >= text.size() || text[i] != '"') return fail("unterminated quoted string");
      result.tokens.push_back(
          {TokenKind::word, std::string(text.substr(start, i - start)), true, line});
      ++i;
      if (i < text.size() && !ends_word(text[i]))
        return fail("a closing quote must be followed by a space");
    } else if (is_control(c)) {
      return fail(control_message(c));
    } else {
      const std::size_t start = i;
      while (i < text.size() && !ends_word(text[i])) {
        if (text[i] == '"') return fail("unexpected '\"' inside a word (quote the whole value)");
        if (is_control(text[i])) return fail(control_message(text[i]));
        ++i;
      }
      result.tokens.push_back(
          {TokenKind::word, std::string(text.substr(start, i - start)), false, line});
    }
  }
  result.tokens.push_back({TokenKind::end_of_line, {}, false, line});
  return result;
}

}  // namespace redvip::agent
