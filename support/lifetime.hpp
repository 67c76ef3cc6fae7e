#pragma once
// The one guard for asynchronous completions that call back into an object that may be gone.
//
// An object that hands `this` to a timer, a socket or a Redis reply holds a Lifetime; each such
// completion captures a Watch and does nothing once the object is destroyed (or ended its
// lifetime early, e.g. at the top of a destructor that tears down ports which may still call
// back). Objects whose completions must keep them alive use enable_shared_from_this instead;
// this is for objects owned elsewhere (by the daemon, an instance, a test).
#include <memory>

namespace redvip {

class Lifetime {
 public:
  class Watch {
   public:
    // True once the watched object is gone: check before touching it.
    [[nodiscard]] bool expired() const { return token_.expired(); }

   private:
    friend class Lifetime;
    explicit Watch(std::weak_ptr<char> token) : token_(std::move(token)) {}
    std::weak_ptr<char> token_;
  };

  Lifetime() = default;
  Lifetime(const Lifetime&) = delete;
  Lifetime& operator=(const Lifetime&) = delete;

  [[nodiscard]] Watch watch() const { return Watch(token_); }
  // Every Watch reports dead from now on (idempotent); the destructor does the same.
  void end() { token_.reset(); }

 private:
  std::shared_ptr<char> token_ = std::make_shared<char>();
};

}  // namespace redvip
