#include "agent/control/handover_request.hpp"

#include <vector>

namespace redvip::agent {
namespace {

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

}  // namespace

bool is_handover_request(std::string_view line) {
  const auto w = words(line);
  return !w.empty() && w[0] == "handover";
}

std::variant<HandoverRequest, std::string> parse_handover_request(std::string_view line) {
  const auto w = words(line);
  if (w.empty() || w[0] != "handover") return std::string("not a handover request");
  HandoverRequest request;
  for (std::size_t i = 1; i < w.size(); ++i) {
    if (w[i] == "--to") {
      if (request.to) return std::string("--to given twice");
      if (++i == w.size()) return std::string("--to needs an address");
      request.to = vrrp::IpAddress::parse(w[i]);
      if (!request.to) return "--to: not an IP address: " + std::string(w[i].substr(0, 64));
    } else if (w[i].starts_with("-")) {
      return "unknown option " + std::string(w[i].substr(0, 64));
    } else if (request.instance) {
      return std::string("more than one instance named");
    } else {
      request.instance = std::string(w[i]);
    }
  }
  return request;
}

}  // namespace redvip::agent
