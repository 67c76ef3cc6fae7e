// peer_loss_pause's rule (redis/model/peer_loss.hpp): which answers say a peer is still reached,
// how long the window is, and what one question to a peer does to its sight and our writes.
#include "agent/redis/model/peer_loss.hpp"

#include <catch2/catch.hpp>

#include "agent/redis/model/reply.hpp"

using namespace redvip::agent;
using namespace std::chrono_literals;
using Ms = std::chrono::milliseconds;

TEST_CASE("peer loss: the window", "[redis][peer_loss]") {
  // auto: three advert intervals and a skew below one, a check cycle, 100 ms to announce.
  CHECK(peer_loss_window(std::nullopt, 100ms, 100ms, 100ms) == 700ms);
  CHECK(peer_loss_window(std::nullopt, 1000ms, 100ms, 100ms) == 4300ms);
  CHECK(peer_loss_window(std::nullopt, 10ms, 50ms, 20ms) == 210ms);
  CHECK(peer_loss_window(250ms, 1000ms, 100ms, 100ms) == 250ms);
}

TEST_CASE("peer loss: what says a peer is still reached", "[redis][peer_loss]") {
  const struct {
    std::error_code error;
    bool on_kept;  // asked on a connection kept from an earlier answer
    bool on_new;   // asked on a connection opened for this question
  } rows[] = {
      {{}, true, true},
      // Its host answered: a Redis that is down there, refusing us or loading.
      {make_error_code(RedisErrc::refused), true, true},
      {make_error_code(RedisErrc::auth_failed), true, true},
      {make_error_code(RedisErrc::server_error), true, true},
      {make_error_code(RedisErrc::loading), true, true},
      {make_error_code(RedisErrc::unexpected_reply), true, true},
      // Broke: a new connection's host just completed the handshake, then closed or reset it
      // (its Redis died as we connected); a kept one may have died long ago.
      {make_error_code(RedisErrc::connection_lost), false, true},
      // Silence: a cut link or a crashed host.
      {make_error_code(RedisErrc::connect_timeout), false, false},
      {make_error_code(RedisErrc::command_timeout), false, false},
      {make_error_code(RedisErrc::connect_failed), false, false},
      {make_error_code(RedisErrc::not_connected), false, false},
      {std::make_error_code(std::errc::host_unreachable), false, false},
  };
  for (const auto& row : rows) {
    INFO(row.error.message());
    CHECK(peer_answered(row.error, false) == row.on_kept);
    CHECK(peer_answered(row.error, true) == row.on_new);
  }
}

TEST_CASE("peer loss: one question to a peer", "[redis][peer_loss]") {
  const PeerLossClock::time_point t0{};
  const Ms window = 700ms;
  const Ms renew = 400ms;
  using E = PeerLossEvent;
  const struct {
    const char* name;
    std::optional<Ms> answered;  // its last answer, since t0
    bool holding;
    bool answers;
    Ms now;
    std::optional<Ms> answered_after;
    bool holding_after;
    E event;
    Ms hold;
  } rows[] = {
      {"answers: its answer is noted", 0ms, false, true, 100ms, 100ms, false, E::none, 0ms},
      {"first silence holds our writes", 0ms, false, false, 150ms, 0ms, true, E::lost, 400ms},
      {"still silent renews the hold", 0ms, true, false, 450ms, 0ms, true, E::none, 250ms},
      {"never past the window", 0ms, true, false, 690ms, 0ms, true, E::none, 10ms},
      {"the window ran out", 0ms, true, false, 700ms, 0ms, false, E::gave_up, 0ms},
      {"silent after it, nothing", 0ms, false, false, 900ms, 0ms, false, E::none, 0ms},
      {"answers again while held", 0ms, true, true, 300ms, 300ms, false, E::back, 0ms},
      {"a late first silence holds nothing", 0ms, false, false, 800ms, 0ms, false, E::none, 0ms},
      // The master we replaced (crashed) never answered since we serve: no cut, no hold.
      {"silent since we serve", std::nullopt, false, false, 50ms, std::nullopt, false, E::none,
       0ms},
      {"its first answer since we serve", std::nullopt, false, true, 50ms, 50ms, false, E::none,
       0ms},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    PeerSight sight;
    if (row.answered) sight.answered = t0 + *row.answered;
    sight.holding = row.holding;
    const auto step = peer_loss_step(sight, row.answers, t0 + row.now, window, renew);
    CHECK(step.event == row.event);
    CHECK(step.hold == row.hold);
    CHECK(step.sight.holding == row.holding_after);
    if (row.answered_after)
      CHECK(step.sight.answered == t0 + *row.answered_after);
    else
      CHECK_FALSE(step.sight.answered.has_value());
  }
}

TEST_CASE("peer loss: a flapping peer holds our writes once per steady window",
          "[redis][peer_loss]") {
  // A lossy link or a replica that blocks now and then: answers and silences alternate. Each
  // answer would start a fresh window; a new hold waits until the peer answered for a window.
  const PeerLossClock::time_point t0{};
  const std::chrono::milliseconds window = 700ms;
  PeerSight sight;
  long long held_ms = 0;
  int holds = 0;
  const auto ask = [&](long long at_ms, bool answers) {
    const auto step =
        peer_loss_step(sight, answers, t0 + std::chrono::milliseconds(at_ms), window, 400ms);
    sight = step.sight;
    held_ms += step.hold.count();
    if (step.event == PeerLossEvent::lost) ++holds;
    return step;
  };
  ask(0, true);
  CHECK(ask(100, false).event == PeerLossEvent::lost);
  // Alternating every check for 3 s: no second hold.
  for (long long t = 200; t < 3200; t += 200) {
    ask(t, true);
    CHECK(ask(t + 100, false).hold == 0ms);
  }
  CHECK(holds == 1);
  // Steady for a whole window: the next silence holds again (a real cut).
  for (long long t = 3200; t <= 3900; t += 100) ask(t, true);
  CHECK(ask(4000, false).event == PeerLossEvent::lost);
  CHECK(holds == 2);
  CHECK(held_ms <= 2 * 400);
}
