#pragma once
// keepalived's vrrp_sync_group: instances that must change state together, typically VIPs in
// front of the same Redis on two networks (or an IPv4 and an IPv6 VIP). Clients of one VIP must
// not reach a node whose Redis is a replica while the other VIP's clients reach the master.
//   - One member in Fault by its own cause (a link, a tracked script, Redis) holds every other
//     member in Fault ("sync group G: VI_1 is in fault"): the whole group fails over.
//   - A backup member may take over only when every other one is master or would be (its
//     master-down ran out): otherwise it is held (vrrp's SyncHold) and waits, taking over once
//     the last member wants Master too. A master member is held, and releases, once another
//     member follows a better master. So a group never splits across nodes by preemption or by
//     one member's lost adverts. A member that is merely starting (a reload restarted it) or
//     stopping does not make the masters release; keepalived too prefers Backup to a split.
//   Members with crossed priorities across nodes (VI_1 higher on one node, VI_2 on the other)
//   make a group that can never settle: give every member the same order of nodes.
// sync_orders is the rule, pure; SyncGroup applies it to the running members.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "support/lifetime.hpp"
#include "netlink/asio.hpp"
#include "vrrp/state_machine.hpp"

namespace redvip::agent {

class VrrpInstance;

// The eligibility cause a group's fault sets on its other members.
inline constexpr const char* kSyncGroupCause = "sync group";

struct SyncMemberView {
  std::string name;
  vrrp::State state = vrrp::State::initialize;
  bool own_fault = false;       // in Fault, or about to be, for a cause of its own
  bool wants_master = false;    // held in Backup, it would take over now
  bool follows_master = false;  // in Backup, a better master is heard (vrrp: follows_master)
};
struct SyncOrder {
  std::string fault_because;  // non-empty: held in Fault, this says why
  std::string held_because;   // non-empty: held out of Master, this says why
};
// One order per member, in the same order.
std::vector<SyncOrder> sync_orders(const std::string& group,
                                   const std::vector<SyncMemberView>& members);

// The group's own state, for its notify scripts: Fault when a member is at fault, Master when
// every member is, Backup otherwise.
enum class SyncGroupState { backup, master, fault };
SyncGroupState sync_group_state(const std::vector<SyncMemberView>& members);

class SyncGroup {
 public:
  // `member` finds a running instance by name (nullptr: not running, left out until it is);
  // `on_state` hears each change of the group's state.
  SyncGroup(boost::asio::io_context& io, std::string name, std::vector<std::string> members,
            std::function<VrrpInstance*(const std::string&)> member,
            std::function<void(SyncGroupState)> on_state);
  SyncGroup(const SyncGroup&) = delete;
  SyncGroup& operator=(const SyncGroup&) = delete;

  // A member's state, fault or wish changed: the group is looked at again from the io_context
  // (never inside the member's own call stack; several changes make one look).
  void changed();
  const std::string& name() const { return name_; }
  const std::vector<std::string>& members() const { return members_; }

 private:
  void evaluate();

  boost::asio::io_context& io_;
  std::string name_;
  std::vector<std::string> members_;
  std::function<VrrpInstance*(const std::string&)> member_;
  std::function<void(SyncGroupState)> on_state_;
  bool pending_ = false;
  std::optional<SyncGroupState> state_;
  Lifetime lifetime_;
};

}  // namespace redvip::agent
