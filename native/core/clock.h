// Monotonic clock and the deadline arithmetic shared by every backend's EINTR loop.
#ifndef IOREACTOR_NATIVE_CORE_CLOCK_H_
#define IOREACTOR_NATIVE_CORE_CLOCK_H_

#include <errno.h>

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

/// Runs `wait(deadline)` (a kernel wait returning a count, or -1 with errno set)
/// until it reports events, the deadline passes, or it fails with an error other
/// than EINTR. A signal handler interrupts these waits whatever SA_RESTART says
/// (signal(7)), so each retry waits only for the time that is left; a zero
/// return before the deadline (a wait longer than the kernel's clamp) waits again.
/// Returns the count (0 on timeout) or -errno; counts retries in *eintr_retries.
template <typename Wait>
int WaitRetryingEintr(double timeout_ms, uint64_t* eintr_retries, Wait wait) {
  Deadline deadline(timeout_ms);
  for (;;) {
    const int n = wait(deadline);
    if (n > 0) return n;
    if (n == 0) {
      if (deadline.infinite() || deadline.Expired()) return 0;
      continue;
    }
    if (errno != EINTR) return -errno;
    ++*eintr_retries;
    if (deadline.Expired()) return 0;
  }
}

}  // namespace core
}  // namespace ioreactor

#endif  // IOREACTOR_NATIVE_CORE_CLOCK_H_
