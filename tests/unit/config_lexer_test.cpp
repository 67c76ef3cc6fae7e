// The tokenizer: keepalived's comment, quote and brace rules.
#include <catch2/catch.hpp>

#include "agent/config/lexer.hpp"

using namespace redvip::agent;

namespace {

std::string render(const LexResult& result) {
  std::string out;
  for (const Token& t : result.tokens) {
    switch (t.kind) {
      case TokenKind::word:
        out += (t.quoted ? "Q(" : "W(") + t.text + ")";
        break;
      case TokenKind::open_brace:
        out += "{";
        break;
      case TokenKind::close_brace:
        out += "}";
        break;
      case TokenKind::end_of_line:
        out += "|";
        break;
    }
  }
  return out;
}

}  // namespace

TEST_CASE("Config lexer: braces are tokens wherever they are", "[config]") {
  CHECK(render(tokenize("a{b}c\n")) == "W(a){W(b)}W(c)||");
  CHECK(render(tokenize("  key  value\t\r\n")) == "W(key)W(value)||");
}

TEST_CASE("Config lexer: # and ! comment out the rest of the line outside quotes", "[config]") {
  CHECK(render(tokenize("a # b c\nd ! e\n")) == "W(a)|W(d)||");
  CHECK(render(tokenize("ab#c\n")) == "W(ab)||");
  CHECK(render(tokenize("\"a # b\" ! c\n")) == "Q(a # b)||");
}

TEST_CASE("Config lexer: lines are counted for every token", "[config]") {
  const LexResult r = tokenize("a\n\n  b {\n}\n");
  REQUIRE_FALSE(r.error);
  REQUIRE(r.tokens.size() == 9);
  CHECK(r.tokens[0].line == 1);
  CHECK(r.tokens[3].text == "b");
  CHECK(r.tokens[3].line == 3);
  CHECK(r.tokens[6].kind == TokenKind::close_brace);
  CHECK(r.tokens[6].line == 4);
}

TEST_CASE("Config lexer: quoted words keep spaces and braces, and may be empty", "[config]") {
  CHECK(render(tokenize("x \"{ }\" \"\"")) == "W(x)Q({ })Q()|");
}

TEST_CASE("Config lexer: malformed quotes and control bytes are errors with their line",
          "[config]") {
  auto error_of = [](std::string_view text) {
    const LexResult r = tokenize(text);
    REQUIRE(r.error);
    return std::to_string(r.error->line) + ": " + r.error->message;
  };
  CHECK(error_of("a\n\"open\nb") == "2: unterminated quoted string");
  CHECK(error_of("a\"b\"") == "1: unexpected '\"' inside a word (quote the whole value)");
  CHECK(error_of("\"a\"b") == "1: a closing quote must be followed by a space");
  CHECK(error_of("a\n\x1b[0m") == "2: unexpected control character 0x1b");
  CHECK(error_of("\"a\x7f\"") == "1: unexpected control character 0x7f");
}
