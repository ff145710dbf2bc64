// Monotonic clock and deadlines (POSIX clock_gettime).
#include "clock.h"

#include <time.h>

#include <climits>
#include <cmath>

namespace ioreactor {
namespace core {

int64_t MonotonicNowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

Deadline::Deadline(double timeout_ms) : infinite_(false), deadline_ns_(0) {
  if (std::isnan(timeout_ms) || timeout_ms < 0 || std::isinf(timeout_ms)) {
    infinite_ = true;
    return;
  }
  const int64_t now = MonotonicNowNs();
  const double ns = std::ceil(timeout_ms * 1e6);
  // Past ~292 years from now the int64 deadline would overflow: saturate.
  if (ns >= static_cast<double>(INT64_MAX - now)) {
    deadline_ns_ = INT64_MAX;
  } else {
    deadline_ns_ = now + static_cast<int64_t>(ns);
  }
}

int64_t Deadline::RemainingNs() const {
  const int64_t now = MonotonicNowNs();
  return deadline_ns_ > now ? deadline_ns_ - now : 0;
}

int Deadline::RemainingMsCeil() const {
  if (infinite_) return -1;
  const int64_t ns = RemainingNs();
  const int64_t ms = (ns + 999999) / 1000000;
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

}  // namespace core
}  // namespace ioreactor
