// select(2) backend (every POSIX system). Limited to fds below FD_SETSIZE,
// which Register enforces: FD_SET on a larger fd writes out of bounds.
#include "platform.h"

#ifdef IOR_HAVE_SELECT

#include <errno.h>
#include <sys/select.h>
#include <sys/time.h>

#include <cstring>

#include "clock.h"
#include "selector.h"
#include "selector_backends.h"

namespace ioreactor {
namespace core {
namespace {

class SelectSelector final : public Selector {
 public:
  SelectSelector() {
    FD_ZERO(&read_set_);
    FD_ZERO(&write_set_);
    std::memset(events_, 0, sizeof(events_));
  }
  ~SelectSelector() override { Close(); }

  Backend Kind() const override { return Backend::kSelect; }

  int Register(int fd, uint32_t events, uint32_t flags) override {
    if (closed_) return -EBADF;
    if (fd < 0 || events == 0 || (events & ~kEventMask) != 0) return -EINVAL;
    // No kernel notion of edge or one-shot readiness here (selector.h).
    if (flags != 0) return -EOPNOTSUPP;
    if (fd >= FD_SETSIZE) return -ERANGE;
    if (events_[fd] != 0) return -EEXIST;
    Set(fd, events);
    ++size_;
    if (fd > max_fd_) max_fd_ = fd;
    return 0;
  }

  int Modify(int fd, uint32_t events, uint32_t flags) override {
    if (closed_) return -EBADF;
    if (events == 0 || (events & ~kEventMask) != 0) return -EINVAL;
    if (flags != 0) return -EOPNOTSUPP;
    if (IsWakerFd(fd)) return -ENOENT;
    if (fd < 0 || fd >= FD_SETSIZE || events_[fd] == 0) return -ENOENT;
    Set(fd, events);
    return 0;
  }

  int Unregister(int fd) override {
    if (closed_) return -EBADF;
    if (IsWakerFd(fd)) return -ENOENT;
    if (fd < 0 || fd >= FD_SETSIZE || events_[fd] == 0) return -ENOENT;
    Set(fd, 0);
    --size_;
    while (max_fd_ >= 0 && events_[max_fd_] == 0) --max_fd_;
    return 0;
  }

  int Select(double timeout_ms, int32_t* out, int capacity) override {
    if (closed_) return -EBADF;
    if (capacity <= 0) return -EINVAL;
    fd_set r;
    fd_set w;
    const int n = WaitRetryingEintr(timeout_ms, &eintr_retries_, [&](const Deadline& deadline) {
      // select() overwrites the sets, so each attempt starts from a copy.
      r = read_set_;
      w = write_set_;
      struct timeval tv;
      struct timeval* tvp = nullptr;
      if (!deadline.infinite()) {
        // Round up to whole microseconds so the wait never ends early.
        const int64_t us = (deadline.RemainingNs() + 999) / 1000;
        tv.tv_sec = static_cast<time_t>(us / 1000000);
        tv.tv_usec = static_cast<suseconds_t>(us % 1000000);
        tvp = &tv;
      }
      return select(max_fd_ + 1, &r, &w, nullptr, tvp);
    });
    if (n < 0) return n;
    if (n == 0) return 0;
    // Scan from the fd where the previous call stopped filling `out`, wrapping
    // around: starting at fd 0 every time would hand the same fds out whenever
    // more than `capacity` are ready and starve the rest (epoll's ready list
    // rotates the same way). `bits` is select's count of set bits, so the scan
    // stops once every ready fd has been seen.
    const int range = max_fd_ + 1;
    const int start = next_fd_ < range ? next_fd_ : 0;
    int bits = n;
    int count = 0;
    int scanned = 0;
    for (; scanned < range && bits > 0 && count < capacity; ++scanned) {
      const int fd = start + scanned < range ? start + scanned : start + scanned - range;
      uint32_t mask = 0;
      if (FD_ISSET(fd, &r)) mask |= kEventRead;
      if (FD_ISSET(fd, &w)) mask |= kEventWrite;
      if (mask == 0) continue;
      bits -= (mask == kEventMask) ? 2 : 1;
      mask &= events_[fd];
      if (mask == 0) continue;
      if (fd == waker_fd_) {
        DrainWaker();
        out[2 * count] = kWakerFd;
        out[2 * count + 1] = static_cast<int32_t>(kEventRead);
      } else {
        out[2 * count] = fd;
        out[2 * count + 1] = static_cast<int32_t>(mask);
      }
      ++count;
    }
    next_fd_ = (start + scanned) % range;
    return count;
  }

  int Size() const override { return size_; }

  void Close() override {
    CloseWaker();
    closed_ = true;
    FD_ZERO(&read_set_);
    FD_ZERO(&write_set_);
    std::memset(events_, 0, sizeof(events_));
    size_ = 0;
    max_fd_ = -1;
    next_fd_ = 0;
  }

 private:
  void Set(int fd, uint32_t events) {
    events_[fd] = static_cast<uint8_t>(events);
    if (events & kEventRead) {
      FD_SET(fd, &read_set_);
    } else {
      FD_CLR(fd, &read_set_);
    }
    if (events & kEventWrite) {
      FD_SET(fd, &write_set_);
    } else {
      FD_CLR(fd, &write_set_);
    }
  }

  bool closed_ = false;
  fd_set read_set_;
  fd_set write_set_;
  uint8_t events_[FD_SETSIZE];
  int size_ = 0;
  int max_fd_ = -1;
  int next_fd_ = 0;  // where the next Select starts scanning
};

}  // namespace

std::unique_ptr<Selector> NewSelectSelector(int* err) {
  *err = 0;
  return std::unique_ptr<Selector>(new SelectSelector());
}

}  // namespace core
}  // namespace ioreactor

#endif  // IOR_HAVE_SELECT
