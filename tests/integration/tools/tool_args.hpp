#pragma once
// Command-line options of the nls_* test tools: "--name value" pairs, repeatable.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vrrp/ip_address.hpp"

namespace nls {

class Args {
 public:
  Args(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
      std::string name = argv[i];
      if (name.rfind("--", 0) != 0 || i + 1 >= argc) fail("expected --name value at " + name);
      values_.emplace(name.substr(2), argv[++i]);
    }
  }
  [[noreturn]] static void fail(const std::string& message) {
    std::fprintf(stderr, "error: %s\n", message.c_str());
    std::exit(2);
  }
  std::vector<std::string> all(const std::string& name) const {
    std::vector<std::string> out;
    for (auto [it, end] = values_.equal_range(name); it != end; ++it) out.push_back(it->second);
    return out;
  }
  std::optional<std::string> get(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }
  std::string text(const std::string& name) const {
    auto value = get(name);
    if (!value) fail("--" + name + " is required");
    return *value;
  }
  long number(const std::string& name, long fallback) const {
    auto value = get(name);
    return value ? std::stol(*value) : fallback;
  }
  std::vector<redvip::vrrp::IpAddress> addresses(const std::string& name) const {
    std::vector<redvip::vrrp::IpAddress> out;
    for (const auto& text_value : all(name)) out.push_back(address(text_value));
    return out;
  }
  static redvip::vrrp::IpAddress address(const std::string& text_value) {
    auto parsed = redvip::vrrp::IpAddress::parse(text_value);
    if (!parsed) fail("not an address: " + text_value);
    return *parsed;
  }

 private:
  std::multimap<std::string, std::string> values_;
};

}  // namespace nls
