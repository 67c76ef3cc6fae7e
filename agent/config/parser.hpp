#pragma once
// Loads redvipd's configuration: keepalived's syntax (global_defs, vrrp_instance) plus a
// redis { } block inside vrrp_instance and a top-level redvip_defs block. Every keyword is
// either understood or an error naming file:line; nothing is silently ignored.
//
// Syntax notes (as keepalived): one statement per line; '{' and '}' may sit anywhere;
// '#' and '!' start a comment anywhere outside double quotes (quote a value that contains
// them); "include PATTERN" splices files in at any level, a relative PATTERN being taken
// relative to the directory of the file that contains it; a wildcard pattern that matches
// nothing is a warning, a plain file name that does not exist is an error.
//
// Where keepalived guesses, redvip decides (and says so):
// - auth_pass longer than 8 characters: cut to 8 with a warning, as keepalived does, so that
//   both sides of a mixed keepalived/redvip pair send the same bytes.
// - nopreempt with state MASTER: cleared with a warning, as keepalived does.
// - fractional advert_int with v2, mixed VIP families, a v2 IPv6 instance: errors (keepalived
//   rounds or drops the address with a log line).
// - a single-valued keyword given twice in one block: an error (keepalived keeps the last);
//   virtual_ipaddress, unicast_peer and track_interface blocks add up like keepalived's.
// - an IPv6 instance without "version" runs v3 whatever vrrp_version says (keepalived's rule).
// - VIPs without /PREFIX are /32 or /128, like keepalived.
// - relative password_file and control_socket paths are taken like includes: relative to the
//   directory of the file they are written in.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/settings.hpp"
#include "agent/config/error.hpp"

namespace redvip::agent {

struct LoadResult {
  std::optional<Config> config;  // set only when `errors` is empty
  std::vector<ConfigError> errors;
  std::vector<std::string> warnings;  // "FILE:LINE: message", e.g. an inline Redis password
};

struct ParseOptions {
  // false: "include" and "password_file" are errors and no file is opened (fuzzing).
  bool allow_file_access = true;
};

LoadResult load_config_file(const std::string& path);
// `name` labels messages; includes and password files are relative to the current directory.
LoadResult parse_config_text(std::string_view text, const std::string& name);
LoadResult parse_config_text(std::string_view text, const std::string& name,
                             const ParseOptions& options);

}  // namespace redvip::agent
