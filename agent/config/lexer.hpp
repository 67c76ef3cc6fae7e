#pragma once
// Splits keepalived-syntax text into tokens. Line-oriented like keepalived: a statement ends
// at the end of its line, '{' and '}' are tokens of their own wherever they appear, '#' and
// '!' start a comment anywhere outside double quotes.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace redvip::agent {

enum class TokenKind { word, open_brace, close_brace, end_of_line };

struct Token {
  TokenKind kind = TokenKind::word;
  std::string text;     // the word without its quotes
  bool quoted = false;  // written as "..." (so it is never a keyword or a brace)
  int line = 0;
};

struct LexError {
  int line = 0;
  std::string message;
};

struct LexResult {
  std::vector<Token> tokens;  // every line ends with an end_of_line token
  std::optional<LexError> error;
};

LexResult tokenize(std::string_view text);

}  // namespace redvip::agent
