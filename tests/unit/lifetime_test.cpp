#include "support/lifetime.hpp"

#include <catch2/catch.hpp>

#include <optional>

using redvip::Lifetime;

TEST_CASE("A Lifetime's watches expire with it, copies too", "[lifetime]") {
  std::optional<Lifetime> owner(std::in_place);
  const auto watch = owner->watch();
  const auto copy = watch;
  CHECK_FALSE(watch.expired());
  CHECK_FALSE(copy.expired());
  owner.reset();
  CHECK(watch.expired());
  CHECK(copy.expired());
}

TEST_CASE("end() expires every watch before the owner is destroyed", "[lifetime]") {
  Lifetime owner;
  const auto before = owner.watch();
  owner.end();
  CHECK(before.expired());
  CHECK(owner.watch().expired());  // a watch taken after the end is expired at once
  owner.end();                     // idempotent
  CHECK(before.expired());
}
