#pragma once
// What a reload does to the running instances, decided from the running and the new
// configuration alone (pure, table-tested): an instance whose settings are unchanged keeps
// running without a flap; a changed one is restarted (a master hands over first); new ones
// start; ones no longer configured are released.
#include <string>
#include <vector>

#include "agent/config/settings.hpp"

namespace redvip::agent {

struct ReloadPlan {
  std::vector<std::string> kept;
  std::vector<std::string> restarted;
  std::vector<std::string> added;
  std::vector<std::string> removed;
  // The control socket or the metrics address moved: their listeners are opened again.
  bool endpoints_changed = false;

  std::string summary() const;  // "2 kept, 1 restarted, 0 added, 0 removed"
};

// `running` is what the instances run with now, `next` the configuration just loaded. Names
// come out sorted. Besides its own settings, an instance depends on the global multicast group
// of its family: a change there restarts it too.
ReloadPlan plan_reload(const Config& running, const Config& next);

}  // namespace redvip::agent
