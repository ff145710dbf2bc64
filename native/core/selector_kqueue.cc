// kqueue(2) backend (macOS and the BSDs). One filter per direction; Select
// merges an fd's read and write filters into one entry (CPython gh-110038).
#include "platform.h"

#ifdef IOR_HAVE_KQUEUE

#include <errno.h>
#include <fcntl.h>
#include <sys/types.h>
#include <sys/event.h>
#include <sys/time.h>
#include <unistd.h>

#include <unordered_map>
#include <vector>

#include "clock.h"
#include "selector.h"
#include "selector_backends.h"

namespace ioreactor {
namespace core {
namespace {

struct Registration {
  uint32_t events;
  // Select pass in which this fd was last written to `out`, and where.
  uint64_t stamp;
  int slot;
};

class KqueueSelector final : public Selector {
 public:
  explicit KqueueSelector(int kq) : kq_(kq) {}
  ~KqueueSelector() override { Close(); }

  Backend Kind() const override { return Backend::kKqueue; }

  int Register(int fd, uint32_t events) override {
    if (kq_ < 0) return -EBADF;
    if (fd < 0 || events == 0 || (events & ~kEventMask) != 0) return -EINVAL;
    if (registered_.count(fd) != 0) return -EEXIST;
    auto it = registered_.emplace(fd, Registration{0, 0, 0}).first;
    const int err = Apply(fd, &it->second, events);
    if (err != 0) {
      registered_.erase(it);
      return err;
    }
    filters_ += Filters(events);
    return 0;
  }

  int Modify(int fd, uint32_t events) override {
    if (kq_ < 0) return -EBADF;
    if (events == 0 || (events & ~kEventMask) != 0) return -EINVAL;
    auto it = registered_.find(fd);
    if (it == registered_.end()) return -ENOENT;
    const uint32_t old_events = it->second.events;
    const int err = Apply(fd, &it->second, events);
    if (err != 0) {
      Change(fd, EVFILT_READ, EV_DELETE);
      Change(fd, EVFILT_WRITE, EV_DELETE);
      filters_ -= Filters(old_events);
      registered_.erase(it);
      return err;
    }
    filters_ += Filters(events) - Filters(old_events);
    return 0;
  }

  int Unregister(int fd) override {
    if (kq_ < 0) return -EBADF;
    auto it = registered_.find(fd);
    if (it == registered_.end()) return -ENOENT;
    const uint32_t events = it->second.events;
    filters_ -= Filters(events);
    registered_.erase(it);
    int result = 0;
    if (events & kEventRead) result = Change(fd, EVFILT_READ, EV_DELETE);
    if (events & kEventWrite) {
      const int w = Change(fd, EVFILT_WRITE, EV_DELETE);
      if (result == 0) result = w;
    }
    // Closing an fd removes its knotes (kqueue(2)), so EV_DELETE on a closed
    // or reused number fails with EBADF or ENOENT: nothing of ours is left.
    if (result == -EBADF || result == -ENOENT) return 0;
    return result;
  }

  int Select(double timeout_ms, int32_t* out, int capacity) override {
    if (kq_ < 0) return -EBADF;
    if (capacity <= 0) return -EINVAL;
    // Size by filters, not fds: an fd ready both ways yields two kevents.
    // With nevents == 0 kevent ignores the timeout (bpo-29255), hence >= 1.
    int nevents = filters_ > 0 ? filters_ : 1;
    if (nevents > 2 * capacity) nevents = 2 * capacity;
    if (events_.size() < static_cast<size_t>(nevents)) {
      events_.resize(static_cast<size_t>(nevents));
    }
    const int n = WaitRetryingEintr(timeout_ms, &eintr_retries_, [&](const Deadline& deadline) {
      struct timespec ts;
      struct timespec* tsp = nullptr;
      if (!deadline.infinite()) {
        const int64_t ns = deadline.RemainingNs();
        ts.tv_sec = static_cast<time_t>(ns / 1000000000);
        ts.tv_nsec = static_cast<long>(ns % 1000000000);
        tsp = &ts;
      }
      return kevent(kq_, nullptr, 0, events_.data(), nevents, tsp);
    });
    if (n < 0) return n;
    ++stamp_;
    int count = 0;
    for (int i = 0; i < n; ++i) {
      const struct kevent& kev = events_[i];
      if (kev.flags & EV_ERROR) continue;
      uint32_t bit;
      if (kev.filter == EVFILT_READ) {
        bit = kEventRead;
      } else if (kev.filter == EVFILT_WRITE) {
        bit = kEventWrite;
      } else {
        continue;
      }
      const int fd = static_cast<int>(kev.ident);
      auto it = registered_.find(fd);
      if (it == registered_.end()) continue;
      Registration& reg = it->second;
      bit &= reg.events;
      if (bit == 0) continue;
      if (reg.stamp == stamp_) {
        out[2 * reg.slot + 1] |= static_cast<int32_t>(bit);
        continue;
      }
      if (count == capacity) continue;
      reg.stamp = stamp_;
      reg.slot = count;
      out[2 * count] = fd;
      out[2 * count + 1] = static_cast<int32_t>(bit);
      ++count;
    }
    return count;
  }

  int Size() const override { return static_cast<int>(registered_.size()); }
  int Fileno() const override { return kq_; }

  void Close() override {
    if (kq_ >= 0) {
      close(kq_);
      kq_ = -1;
    }
    registered_.clear();
    filters_ = 0;
    std::vector<struct kevent>().swap(events_);
  }

 private:
  static int Filters(uint32_t events) {
    return ((events & kEventRead) ? 1 : 0) + ((events & kEventWrite) ? 1 : 0);
  }

  // Applies one change. Without an event list, kevent reports a failed change
  // as -1 and errno (kqueue(2), RETURN VALUES).
  // The field types of struct kevent differ between systems (NetBSD uses
  // uint32_t filter/flags and intptr_t udata), so EV_SET does the narrowing.
  int Change(int fd, int filter, unsigned flags) {
    struct kevent kev;
    EV_SET(&kev, static_cast<uintptr_t>(fd), filter, flags, 0, 0, 0);
    for (;;) {
      if (kevent(kq_, &kev, 1, nullptr, 0, nullptr) == 0) return 0;
      if (errno != EINTR) return -errno;
    }
  }

  // Moves the kernel filters of fd from reg->events to `events`: adds first,
  // then deletes, so a failed add leaves the old set in place for the caller
  // to clean up.
  int Apply(int fd, Registration* reg, uint32_t events) {
    const uint32_t added = events & ~reg->events;
    const uint32_t removed = reg->events & ~events;
    if (added & kEventRead) {
      const int err = Change(fd, EVFILT_READ, EV_ADD);
      if (err != 0) return err;
    }
    if (added & kEventWrite) {
      const int err = Change(fd, EVFILT_WRITE, EV_ADD);
      if (err != 0) {
        if (added & kEventRead) Change(fd, EVFILT_READ, EV_DELETE);
        return err;
      }
    }
    if (removed & kEventRead) Change(fd, EVFILT_READ, EV_DELETE);
    if (removed & kEventWrite) Change(fd, EVFILT_WRITE, EV_DELETE);
    reg->events = events;
    return 0;
  }

  int kq_;
  int filters_ = 0;
  uint64_t stamp_ = 0;
  std::unordered_map<int, Registration> registered_;
  std::vector<struct kevent> events_;
};

}  // namespace

std::unique_ptr<Selector> NewKqueueSelector(int* err) {
  const int kq = kqueue();
  if (kq < 0) {
    *err = -errno;
    return nullptr;
  }
  // kqueue descriptors are not inherited by fork children, but exec keeps
  // them unless FD_CLOEXEC is set.
  if (fcntl(kq, F_SETFD, FD_CLOEXEC) != 0) {
    *err = -errno;
    close(kq);
    return nullptr;
  }
  *err = 0;
  return std::unique_ptr<Selector>(new KqueueSelector(kq));
}

}  // namespace core
}  // namespace ioreactor

#endif  // IOR_HAVE_KQUEUE
