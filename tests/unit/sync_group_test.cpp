// keepalived's vrrp_sync_group, the group's rule (agent/instance/sync_group.hpp) as a table:
// one member's own fault holds the others in Fault; a backup takes over only while every other
// member is master or wants to be; a master releases only for a member that follows a better
// master; the group's own state for its notify scripts.
#include <catch2/catch.hpp>

#include "agent/instance/sync_group.hpp"

using namespace redvip::agent;
using redvip::vrrp::State;

namespace {
SyncMemberView member(const char* name, State state, bool own_fault = false, bool wants = false,
                      bool follows = false) {
  return SyncMemberView{name, state, own_fault, wants, follows};
}
SyncMemberView following(const char* name) {
  return member(name, State::backup, false, false, true);
}
SyncMemberView ready(const char* name) { return member(name, State::backup, false, true); }
}  // namespace

TEST_CASE("Sync group: who is held in Fault, who out of Master", "[sync_group]") {
  constexpr auto M = State::master;
  constexpr auto B = State::backup;
  constexpr auto F = State::fault;
  constexpr auto I = State::initialize;
  struct Row {
    const char* what;
    std::vector<SyncMemberView> members;
    std::vector<SyncOrder> orders;
    SyncGroupState state;
  };
  const Row rows[] = {
      {"all master: nothing held",
       {member("VI_1", M), member("VI_2", M)},
       {{"", ""}, {"", ""}},
       SyncGroupState::master},
      {"one in fault of its own: the other held in fault",
       {member("VI_1", F, true), member("VI_2", M)},
       {{"", ""}, {"VI_1 in group G is in fault", ""}},
       SyncGroupState::fault},
      {"a member held in fault by the group is not a fault of its own",
       {member("VI_1", F, false), member("VI_2", B)},
       {{"", "sync group G: VI_2 is BACKUP, not ready for master"},
        {"", "sync group G: VI_1 is FAULT"}},
       SyncGroupState::backup},
      {"both at fault: each held in fault by the first",
       {member("VI_1", F, true), member("VI_2", F, true)},
       {{"", "sync group G: VI_2 is FAULT"},
        {"VI_1 in group G is in fault", "sync group G: VI_1 is FAULT"}},
       SyncGroupState::fault},
      {"one follows a better master: the master is held (it releases)",
       {following("VI_1"), member("VI_2", M)},
       {{"", ""}, {"", "sync group G: VI_1 follows a better master"}},
       SyncGroupState::backup},
      {"one starting (a reload restarted it) or undecided: the master stays",
       {member("VI_1", I), member("VI_2", M), member("VI_3", B)},
       {{"", "sync group G: VI_3 is BACKUP, not ready for master"},
        {"", ""},
        {"", "sync group G: VI_1 is INIT"}},
       SyncGroupState::backup},
      {"both backup, neither ready: each held by the other",
       {following("VI_1"), member("VI_2", B)},
       {{"", "sync group G: VI_2 is BACKUP, not ready for master"},
        {"", "sync group G: VI_1 follows a better master"}},
       SyncGroupState::backup},
      {"one ready, one following: the ready one waits, the other is free",
       {ready("VI_1"), following("VI_2")},
       {{"", "sync group G: VI_2 follows a better master"}, {"", ""}},
       SyncGroupState::backup},
      {"both ready: nobody held, both take over",
       {ready("VI_1"), ready("VI_2")},
       {{"", ""}, {"", ""}},
       SyncGroupState::backup},
      {"one master, one ready: the ready one goes",
       {member("VI_1", M), ready("VI_2")},
       {{"", ""}, {"", ""}},
       SyncGroupState::backup},
      {"three: the one following holds both masters",
       {member("VI_1", M), member("VI_2", M), following("VI_3")},
       {{"", "sync group G: VI_3 follows a better master"},
        {"", "sync group G: VI_3 follows a better master"},
        {"", ""}},
       SyncGroupState::backup},
      {"a lone member is never held", {member("VI_1", B)}, {{"", ""}}, SyncGroupState::backup},
  };
  for (const auto& row : rows) {
    INFO(row.what);
    const auto orders = sync_orders("G", row.members);
    REQUIRE(orders.size() == row.orders.size());
    for (std::size_t i = 0; i < orders.size(); ++i) {
      INFO("member " << row.members[i].name);
      CHECK(orders[i].fault_because == row.orders[i].fault_because);
      CHECK(orders[i].held_because == row.orders[i].held_because);
    }
    CHECK(sync_group_state(row.members) == row.state);
  }
}
