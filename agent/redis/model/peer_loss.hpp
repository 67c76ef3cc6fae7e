#pragma once
// Shrinking a split brain's window (redvip.conf(5): peer_loss_pause). The master asks each
// peer's Redis every check interval. A peer that stops answering may only be cut off from us:
// it then takes over once its master-down interval runs out, and clients that reach both sides
// move to it when it announces. Until then the master holds its writes (CLIENT PAUSE WRITE,
// renewed a little at a time), so those clients write nothing on the side that will yield. When
// the peer answers again the pause is no longer renewed; when the window runs out writes go
// through (a peer that simply died costs the clients that long). Pure, table-tested.
#include <chrono>
#include <optional>
#include <string_view>
#include <system_error>

namespace redvip::agent {

// How long after a peer last answered our writes may still be held: `fixed` when the setting
// names a time, else (`auto`) the longest
// master-down a backup has at our advert interval (three intervals plus a skew below one),
// plus one check cycle (its last answer may predate the cut by that much) and 100 ms for its
// promotion and announcement.
std::chrono::milliseconds peer_loss_window(std::optional<std::chrono::milliseconds> fixed,
                                           std::chrono::milliseconds advert_interval,
                                           std::chrono::milliseconds check_interval,
                                           std::chrono::milliseconds check_timeout);

// Did the peer's host answer? Any reply — an error too, and a refused connection (its host is
// up, its Redis is not: its daemon is in Fault and takes nothing over) — says we still reach
// it. So does a connection opened for this question that broke (`new_connection`): its host
// completed the TCP handshake a moment ago, then closed or reset it (its Redis died as we
// connected). Only silence says we may not: a timeout, a connection that could not be made, or
// a kept connection that broke (it may have died long ago; ask again on a new one).
bool peer_answered(std::error_code error, bool new_connection);

enum class PeerLossEvent {
  none,
  lost,     // it stopped answering: our writes are held from now
  back,     // it answers again while they were held
  gave_up,  // the window ran out: writes go through (it may have taken over)
};
std::string_view to_string(PeerLossEvent e);

using PeerLossClock = std::chrono::steady_clock;

// One peer as the master's watch sees it.
struct PeerSight {
  // Its last answer since we serve; nullopt: none. A peer that has not answered since we
  // became master (the crashed master we replaced) holds nothing: only a change is a cut.
  std::optional<PeerLossClock::time_point> answered;
  bool holding = false;  // its silence holds our writes now
  // Answering at every question since (reset by a silence), and whether its silence held our
  // writes before: a peer that flaps (a lossy link, a replica that blocks now and then) holds
  // them again only after it answered steadily for a whole window, so the hold is bounded.
  std::optional<PeerLossClock::time_point> steady_since;
  bool held_before = false;
};

struct PeerLossStep {
  PeerSight sight;
  PeerLossEvent event = PeerLossEvent::none;
  // Pause our writes this long from now (0: not for this peer). At most `renew`, and never
  // past the window's end.
  std::chrono::milliseconds hold{0};
};

// One question to the peer: `answered` or not, at `now`.
PeerLossStep peer_loss_step(const PeerSight& sight, bool answered, PeerLossClock::time_point now,
                            std::chrono::milliseconds window, std::chrono::milliseconds renew);

}  // namespace redvip::agent
