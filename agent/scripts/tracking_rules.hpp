#pragma once
// keepalived's tracking arithmetic, pure: what tracked scripts and files do to an instance's
// priority and eligibility.
// - a script with weight 0 that fails, or a file with weight 0 that holds a non-zero number,
//   puts the instance in Fault;
// - a script with weight > 0 adds it while the script succeeds; weight < 0 adds it (lowers the
//   priority) while it fails;
// - a file adds value * weight; when that is -254 or lower the instance is in Fault;
// - a weighted track_interface counts as a script that succeeds while the link is up (an
//   unweighted one is the instance's own link cause, not tracking arithmetic);
// - the result stays within 1..254; an address owner (255) keeps 255.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace redvip::agent {

struct ScriptState {
  std::string name;
  int weight = 0;
  bool ok = true;
};
struct FileState {
  std::string name;
  int weight = 1;
  long long value = 0;  // what the file holds; 0 when it is missing or holds no number
};

struct InterfaceState {
  std::string name;
  int weight = 0;  // never 0 here
  bool up = false;
};

struct TrackingVerdict {
  std::uint8_t priority = 100;
  std::map<std::string, std::string> faults;  // cause ("script chk", "file maint") -> detail
};

TrackingVerdict tracking_verdict(std::uint8_t base, const std::vector<ScriptState>& scripts,
                                 const std::vector<FileState>& files,
                                 const std::vector<InterfaceState>& interfaces = {});

// A track file's number as keepalived reads it: optional blanks, an optional sign, digits;
// anything else (or nothing) is 0.
long long track_file_value(std::string_view text);

}  // namespace redvip::agent
