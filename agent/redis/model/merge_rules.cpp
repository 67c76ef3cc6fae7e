#include "agent/redis/model/merge_rules.hpp"

namespace redvip::agent {

std::optional<CommandTraits> parse_command_info(const RedisReply& reply, bool* unknown) {
  if (unknown != nullptr) *unknown = false;
  if (!reply.is_array() || reply.elements.size() != 1) return std::nullopt;
  const RedisReply& entry = reply.elements[0];
  if (entry.is_nil()) {
    if (unknown != nullptr) *unknown = true;
    return std::nullopt;
  }
  // [name, arity, flags, first_key, last_key, step, acl categories, tips, key specs, subcommands]
  if (!entry.is_array() || entry.elements.size() < 6) return std::nullopt;
  const auto& e = entry.elements;
  if (!e[2].is_array() || !e[3].is_integer()) return std::nullopt;
  CommandTraits t;
  for (const auto& flag : e[2].elements) {
    if (flag.is_text() && flag.str == "write") t.write = true;
  }
  const bool has_key_specs = e.size() > 8 && e[8].is_array() && !e[8].elements.empty();
  t.keyless = e[3].integer == 0 && !has_key_specs;
  t.container = e.size() > 9 && e[9].is_array() && !e[9].elements.empty();
  return t;
}

std::optional<std::vector<std::string>> parse_getkeys(const RedisReply& reply) {
  if (!reply.is_array()) return std::nullopt;
  std::vector<std::string> keys;
  keys.reserve(reply.elements.size());
  for (const auto& k : reply.elements) {
    if (!k.is_text()) return std::nullopt;
    keys.push_back(k.str);
  }
  return keys;
}

std::string MergeLedger::slot(int db, std::string_view key) {
  std::string s = std::to_string(db);
  s += '\0';
  s.append(key);
  return s;
}

bool MergeLedger::add_keeper_write(int db, const CommandKeys& keys) {
  switch (keys.kind) {
    case KeysKind::keyless:
      return true;
    case KeysKind::keyless_write:
      if (keeper_stop_.empty())
        keeper_stop_ = "the keeper made a keyless write to its keyspace since the fork";
      return true;
    case KeysKind::unknown:
      if (keeper_stop_.empty()) {
        keeper_stop_ = "the keeper made a write whose keys Redis could not name (" + keys.why + ")";
      }
      return true;
    case KeysKind::keys:
      break;
  }
  for (const auto& k : keys.keys) {
    if (keys_held() >= max_keys_) return false;
    if (db < 0) {
      keeper_any_db_.insert(k);
    } else {
      keeper_.insert(slot(db, k));
    }
  }
  return true;
}

MergeLedger::Judgement MergeLedger::judge(const std::vector<UnitCommand>& unit,
                                          const Skipped* batch) const {
  if (!keeper_stop_.empty()) return {false, keeper_stop_, {}};
  if (!skipped_.stop_reason.empty()) return {false, skipped_.stop_reason, {}};
  if (batch != nullptr && !batch->stop_reason.empty()) return {false, batch->stop_reason, {}};
  for (const auto& c : unit) {
    switch (c.keys.kind) {
      case KeysKind::unknown:
        return {false, "Redis could not name its keys (" + c.keys.why + ")", {}};
      case KeysKind::keyless_write:
        return {false, "a keyless write to the keyspace", {}};
      case KeysKind::keyless:
        return {false, "keyless (not a write to keys), not replayed", {}};
      case KeysKind::keys:
        break;
    }
    if (c.db < 0) return {false, "the database it ran in is unknown", {}};
  }
  auto in = [](const Skipped& s, const std::string& slot_key, const std::string& key) {
    return s.keys.count(slot_key) != 0 || s.any_db.count(key) != 0;
  };
  for (const auto& c : unit) {
    for (const auto& k : c.keys.keys) {
      const std::string s = slot(c.db, k);
      if (keeper_.count(s) != 0 || keeper_any_db_.count(k) != 0) {
        return {false, "the keeper changed this key since the fork", k};
      }
      if (in(skipped_, s, k) || (batch != nullptr && in(*batch, s, k))) {
        return {false, "an earlier write to this key was not replayed", k};
      }
    }
  }
  return {true, {}, {}};
}

bool MergeLedger::add_skipped(const std::vector<UnitCommand>& unit, Skipped* batch) {
  Skipped& into = batch != nullptr ? *batch : skipped_;
  for (const auto& c : unit) {
    if (c.keys.kind == KeysKind::keyless_write && into.stop_reason.empty()) {
      into.stop_reason = "a keyless write to the keyspace was not replayed";
    }
    if (c.keys.kind == KeysKind::unknown && into.stop_reason.empty()) {
      into.stop_reason = "a write whose keys Redis could not name was not replayed";
    }
    for (const auto& k : c.keys.keys) {
      const std::size_t pending = batch != nullptr ? batch->keys.size() + batch->any_db.size() : 0;
      if (keys_held() + pending >= max_keys_) return false;
      if (c.db < 0) {
        into.any_db.insert(k);
      } else {
        into.keys.insert(slot(c.db, k));
      }
    }
  }
  return true;
}

bool MergeLedger::commit(Skipped&& batch) {
  if (keys_held() + batch.keys.size() + batch.any_db.size() > max_keys_) return false;
  skipped_.keys.merge(batch.keys);
  skipped_.any_db.merge(batch.any_db);
  if (skipped_.stop_reason.empty()) skipped_.stop_reason = std::move(batch.stop_reason);
  batch = {};
  return true;
}

}  // namespace redvip::agent
