#include "agent/config/values.hpp"

namespace redvip::agent {
namespace {

bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

std::optional<std::uint64_t> parse_unsigned(std::string_view text, std::uint64_t min,
                                            std::uint64_t max) {
  if (!all_digits(text) || text.size() > 18) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) value = value * 10 + static_cast<std::uint64_t>(c - '0');
  if (value < min || value > max) return std::nullopt;
  return value;
}

FixedResult parse_fixed(std::string_view text, int decimals) {
  FixedResult result;
  const auto dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  if (!all_digits(whole) || (dot != std::string_view::npos && !all_digits(fraction))) {
    result.error = FixedError::not_a_number;
    return result;
  }
  if (whole.size() > 9) {
    result.error = FixedError::too_large;
    return result;
  }
  // Trailing zeros carry no precision: "0.100" is a valid number of centiseconds.
  std::string_view significant = fraction;
  while (!significant.empty() && significant.back() == '0') significant.remove_suffix(1);
  if (static_cast<int>(significant.size()) > decimals) {
    result.error = FixedError::too_many_decimals;
    return result;
  }
  std::int64_t value = 0;
  for (char c : whole) value = value * 10 + (c - '0');
  for (int i = 0; i < decimals; ++i) {
    const auto index = static_cast<std::size_t>(i);
    value = value * 10 + (index < significant.size() ? significant[index] - '0' : 0);
  }
  result.scaled = value;
  return result;
}

std::optional<PrefixedAddress> parse_prefixed_address(std::string_view text) {
  PrefixedAddress result;
  const auto slash = text.find('/');
  auto address = vrrp::IpAddress::parse(text.substr(0, slash));
  if (!address) return std::nullopt;
  result.address = *address;
  const unsigned max_prefix = address->family == vrrp::Family::ipv4 ? 32 : 128;
  if (slash == std::string_view::npos) {
    result.prefix = static_cast<std::uint8_t>(max_prefix);
    return result;
  }
  auto prefix = parse_unsigned(text.substr(slash + 1), 1, max_prefix);
  if (!prefix || text.size() - slash - 1 > 3) return std::nullopt;
  result.prefix = static_cast<std::uint8_t>(*prefix);
  result.prefix_given = true;
  return result;
}

std::optional<HostPort> parse_host_port(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find("]:");
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  auto address = vrrp::IpAddress::parse(host);
  auto number = parse_unsigned(port, 1, 65535);
  if (!address || !number) return std::nullopt;
  // An IPv6 address must be bracketed, or "::1:80" would be ambiguous.
  if (address->family == vrrp::Family::ipv6 && text.front() != '[') return std::nullopt;
  return HostPort{*address, static_cast<std::uint16_t>(*number)};
}

std::string to_string(const HostPort& address) {
  const auto host = address.host.to_string();
  const auto port = std::to_string(address.port);
  return address.host.family == vrrp::Family::ipv6 ? "[" + host + "]:" + port : host + ":" + port;
}

bool valid_interface_name(std::string_view name) {
  if (name.empty() || name.size() > 15 || name == "." || name == "..") return false;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '/' || c == ':' || u <= 0x20 || u == 0x7f) return false;
  }
  return true;
}

std::optional<std::vector<std::string>> split_command_line(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote) {
      if (c == quote)
        quote = 0;
      else if (c == '\\' && quote == '"' && i + 1 < text.size())
        word += text[++i];
      else
        word += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < text.size()) {
      word += text[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote) return std::nullopt;
  if (in_word) words.push_back(std::move(word));
  if (words.empty()) return std::nullopt;
  return words;
}

}  // namespace redvip::agent
