// Monotonic clock and the deadline arithmetic shared by every backend's EINTR loop.
#ifndef IOREACTOR_NATIVE_CORE_CLOCK_H_
#define IOREACTOR_NATIVE_CORE_CLOCK_H_

#include <cstdint>

namespace ioreactor {
namespace core {

/// CLOCK_MONOTONIC in nanoseconds.
int64_t MonotonicNowNs();

/// A wait bounded by a deadline on the monotonic clock. A negative (or NaN)
/// timeout means "wait forever"; 0 means "do not block".
class Deadline {
 public:
  explicit Deadline(double timeout_ms);

  bool infinite() const { return infinite_; }

  /// Nanoseconds left, 0 once the deadline has passed. Undefined if infinite.
  int64_t RemainingNs() const;

  /// Milliseconds left rounded up (a wait never ends early), clamped to
  /// INT32_MAX; -1 if infinite. Suits epoll_wait and poll.
  int RemainingMsCeil() const;

  /// True once the deadline has passed (never for an infinite wait).
  bool Expired() const { return !infinite_ && RemainingNs() == 0; }

 private:
  bool infinite_;
  int64_t deadline_ns_;
};

}  // namespace core
}  // namespace ioreactor

#endif  // IOREACTOR_NATIVE_CORE_CLOCK_H_
