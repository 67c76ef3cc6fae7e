#include "agent/config/script_hints.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <vector>

#include "agent/config/values.hpp"
#include "vrrp/ip_address.hpp"

namespace redvip::agent {
namespace {

constexpr std::size_t kMaxScriptSize = 64 * 1024;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

// `word` (lower case) standing on its own in `text` (lower case).
bool has_word(const std::string& text, std::string_view word) {
  for (std::size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    const bool before = at == 0 || !word_char(text[at - 1]);
    const std::size_t end = at + word.size();
    const bool after = end >= text.size() || !word_char(text[end]);
    if (before && after) return true;
  }
  return false;
}

bool either_has_word(const ScriptText& script, std::string_view word) {
  return has_word(lower(script.command), word) || has_word(lower(script.program), word);
}

// Blank-separated words with their quotes dropped: enough to find "SLAVEOF HOST PORT" in a
// command line or a shell script's line.
std::vector<std::string> loose_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == ';') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else if (c != '"' && c != '\'') {
      word += c;
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

std::optional<ReplicationTarget> target_in(std::string_view text) {
  const auto words = loose_words(text);
  for (std::size_t i = 0; i + 2 < words.size(); ++i) {
    const std::string command = lower(words[i]);
    if (command != "slaveof" && command != "replicaof") continue;
    if (!vrrp::IpAddress::parse(words[i + 1])) continue;  // NO ONE, or a shell variable
    const std::string& port = words[i + 2];
    if (port.empty() ||
        !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); }))
      continue;
    return ReplicationTarget{words[i + 1], port};
  }
  return std::nullopt;
}

}  // namespace

std::optional<ReplicationTarget> replication_target(const ScriptText& script) {
  if (auto target = target_in(script.command)) return target;
  return target_in(script.program);
}

bool runs_role_change(const ScriptText& script) {
  return either_has_word(script, "slaveof") || either_has_word(script, "replicaof");
}

bool runs_redis_ping(const ScriptText& script) {
  for (const std::string& text : {lower(script.command), lower(script.program)}) {
    if (text.find("redis-cli") != std::string::npos && has_word(text, "ping")) return true;
  }
  return false;
}

std::string redis_cli_address(std::string_view command) {
  std::string host = "127.0.0.1";
  std::string port = "6379";
  if (auto words = split_command_line(command)) {
    for (std::size_t i = 0; i + 1 < words->size(); ++i) {
      if ((*words)[i] == "-h") host = (*words)[i + 1];
      if ((*words)[i] == "-p") port = (*words)[i + 1];
    }
  }
  return host + " " + port;
}

std::string read_script_program(std::string_view command) {
  auto words = split_command_line(command);
  if (!words) return {};
  std::string path = words->front();
  const std::string base =
      path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
  // "sh /etc/keepalived/x.sh" or "bash -e x.sh": the script is the first word that is no option.
  if (base == "sh" || base == "bash" || base == "dash") {
    path.clear();
    for (std::size_t i = 1; i < words->size(); ++i) {
      if ((*words)[i] == "-c") return {};  // the script is the command itself
      if (!(*words)[i].empty() && (*words)[i][0] != '-') {
        path = (*words)[i];
        break;
      }
    }
  }
  struct stat info {};
  if (path.empty() || ::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode) ||
      static_cast<std::size_t>(info.st_size) > kMaxScriptSize)
    return {};
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace redvip::agent
