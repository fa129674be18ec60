// Result<T, E>: a value or a typed error code. The core never throws on bad input;
// every fallible operation returns one of these (docs/style.md rule 6).
#pragma once

#include <utility>
#include <variant>

namespace yt {

struct Ok {};

template <typename E>
struct Err {
  E code;
};
template <typename E>
Err(E) -> Err<E>;

template <typename T, typename E>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Err<E> error) : v_(std::in_place_index<1>, error.code) {}   // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // Precondition: ok().
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // Precondition: !ok().
  E error() const { return std::get<1>(v_); }

 private:
  std::variant<T, E> v_;
};

// For operations that produce nothing but can fail.
template <typename E>
using Status = Result<Ok, E>;

}  // namespace yt
