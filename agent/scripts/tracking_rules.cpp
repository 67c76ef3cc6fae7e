#include "agent/scripts/tracking_rules.hpp"

#include <algorithm>

namespace redvip::agent {

TrackingVerdict tracking_verdict(std::uint8_t base, const std::vector<ScriptState>& scripts,
                                 const std::vector<FileState>& files,
                                 const std::vector<InterfaceState>& interfaces) {
  TrackingVerdict verdict;
  long long priority = base;
  for (const auto& s : scripts) {
    if (s.weight == 0 && !s.ok) verdict.faults["script " + s.name] = "failing";
    if (s.weight > 0 && s.ok) priority += s.weight;
    if (s.weight < 0 && !s.ok) priority += s.weight;
  }
  for (const auto& i : interfaces) {
    if (i.weight > 0 && i.up) priority += i.weight;
    if (i.weight < 0 && !i.up) priority += i.weight;
  }
  for (const auto& f : files) {
    if (f.weight == 0) {
      if (f.value != 0) verdict.faults["file " + f.name] = "holds " + std::to_string(f.value);
      continue;
    }
    // Bounded before multiplying: a hostile file holds any number.
    const long long value = std::clamp(f.value, -1000000LL, 1000000LL);
    const long long delta = value * f.weight;
    if (delta <= -254) verdict.faults["file " + f.name] = "holds " + std::to_string(f.value);
    priority += delta;
  }
  verdict.priority =
      base == 255 ? 255 : static_cast<std::uint8_t>(std::clamp(priority, 1LL, 254LL));
  return verdict;
}

long long track_file_value(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n')) ++i;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  long long value = 0;
  bool digits = false;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    digits = true;
    if (value < 100000000000LL) value = value * 10 + (text[i] - '0');
  }
  if (!digits) return 0;
  return negative ? -value : value;
}

}  // namespace redvip::agent
