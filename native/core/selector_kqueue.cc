// kqueue(2) backend (macOS and the BSDs). One filter per direction; Select
// merges an fd's read and write filters into one entry (CPython gh-110038).
// Edge-triggered is EV_CLEAR and one-shot EV_DISPATCH (the knote stays, disabled,
// until re-enabled: epoll's EPOLLONESHOT semantics, where EV_ONESHOT would delete
// it); there is no EPOLLEXCLUSIVE. The waker is an EVFILT_USER knote.
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

// EVFILT_USER idents live in their own namespace (knotes are keyed by ident
// and filter), so this cannot collide with an fd's read or write filter.
constexpr uintptr_t kWakerIdent = 0;

struct Registration {
  uint32_t events;
  uint32_t flags;
  // Select pass in which this fd was last written to `out`, and where.
  uint64_t stamp;
  int slot;
};

class KqueueSelector final : public Selector {
 public:
  explicit KqueueSelector(int kq) : kq_(kq) {}
  ~KqueueSelector() override { Close(); }

  Backend Kind() const override { return Backend::kKqueue; }

  uint32_t SupportedFlags() const override { return kFlagEdge | kFlagOneshot; }

  int Register(int fd, uint32_t events, uint32_t flags) override {
    if (kq_ < 0) return -EBADF;
    if (fd < 0 || events == 0 || (events & ~kEventMask) != 0) return -EINVAL;
    if ((flags & ~SupportedFlags()) != 0) return -EOPNOTSUPP;
    if (registered_.count(fd) != 0) return -EEXIST;
    auto it = registered_.emplace(fd, Registration{0, 0, 0, 0}).first;
    const int err = Apply(fd, &it->second, events, flags);
    if (err != 0) {
      registered_.erase(it);
      return err;
    }
    filters_ += Filters(events);
    return 0;
  }

  int Modify(int fd, uint32_t events, uint32_t flags) override {
    if (kq_ < 0) return -EBADF;
    if (events == 0 || (events & ~kEventMask) != 0) return -EINVAL;
    if ((flags & ~SupportedFlags()) != 0) return -EOPNOTSUPP;
    if (IsWakerFd(fd)) return -ENOENT;
    auto it = registered_.find(fd);
    if (it == registered_.end()) return -ENOENT;
    const uint32_t old_events = it->second.events;
    const int err = Apply(fd, &it->second, events, flags);
    if (err != 0) {
      filters_ -= Filters(old_events);
      registered_.erase(it);
      return err;
    }
    filters_ += Filters(events) - Filters(old_events);
    return 0;
  }

  int Unregister(int fd) override {
    if (kq_ < 0) return -EBADF;
    if (IsWakerFd(fd)) return -ENOENT;
    auto it = registered_.find(fd);
    if (it == registered_.end()) return -ENOENT;
    const uint32_t events = it->second.events;
    filters_ -= Filters(events);
    registered_.erase(it);
    int result = 0;
    if (events & kEventRead) result = Delete(fd, EVFILT_READ);
    if (events & kEventWrite) {
      const int w = Delete(fd, EVFILT_WRITE);
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
    // Never ask for more kevents than `out` has entries: each kevent makes at
    // most one new entry, so none is ever dropped. The kernel keeps the rest
    // queued and re-queues each delivered level-triggered knote at the tail
    // (FreeBSD kqueue_scan, TAILQ_INSERT_TAIL), so the next call starts with
    // the fds left out of this one. Dropping the kevents past capacity instead
    // would drop the same fds on every call.
    int nevents = filters_ > 0 ? filters_ : 1;
    if (nevents > capacity) nevents = capacity;
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
      errno = 0;
      const int r = kevent(kq_, nullptr, 0, events_.data(), nevents, tsp);
      if (r < 0 && errno == 0) errno = kUnexplainedFailure;
      return r;
    });
    if (n < 0) return n;
    ++stamp_;
    int count = 0;
    for (int i = 0; i < n; ++i) {
      const struct kevent& kev = events_[i];
      if (kev.flags & EV_ERROR) continue;
#ifdef EVFILT_USER
      if (kev.filter == EVFILT_USER) {
        // EV_CLEAR reset the knote as kevent() returned it: nothing to drain.
        if (!waker_) continue;
        out[2 * count] = kWakerFd;
        out[2 * count + 1] = static_cast<int32_t>(kEventRead);
        ++count;
        continue;
      }
#endif
      if (kev.filter == EVFILT_READ && static_cast<int>(kev.ident) == waker_fd_ && waker_fd_ >= 0) {
        // The pipe waker of a kqueue without EVFILT_USER (Selector::OpenWaker).
        DrainWaker();
        out[2 * count] = kWakerFd;
        out[2 * count + 1] = static_cast<int32_t>(kEventRead);
        ++count;
        continue;
      }
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
      reg.stamp = stamp_;
      reg.slot = count;
      if ((reg.flags & kFlagOneshot) && (reg.events & ~bit) != 0) {
        // EV_DISPATCH disabled only the filter that fired; epoll's one-shot
        // disarms the whole fd, and so does this selector's contract. The other
        // direction, if it fired in this same batch, is still merged below.
        struct kevent other;
        EV_SET(&other, static_cast<uintptr_t>(fd), FilterOf(reg.events & ~bit), EV_DISABLE, 0, 0, 0);
        Submit(&other, 1);
      }
      out[2 * count] = fd;
      out[2 * count + 1] = static_cast<int32_t>(bit);
      ++count;
    }
    return count;
  }

  int Size() const override { return static_cast<int>(registered_.size()); }
  int Fileno() const override { return kq_; }

#ifdef EVFILT_USER
  // Where EVFILT_USER is missing (older OpenBSD), the base class's pipe waker is used.
  int OpenWaker(std::shared_ptr<Waker>* out) override {
    if (kq_ < 0) return -EBADF;
    if (waker_) return -EEXIST;
    struct kevent kev;
    EV_SET(&kev, kWakerIdent, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, 0);
    int err = Submit(&kev, 1);
    if (err != 0) return err;
    std::shared_ptr<Waker> waker = Waker::ForKqueue(kq_, kWakerIdent);
    if (WakerRegistryAdd(waker) == 0) {
      EV_SET(&kev, kWakerIdent, EVFILT_USER, EV_DELETE, 0, 0, 0);
      Submit(&kev, 1);
      return -EOVERFLOW;
    }
    waker_ = waker;
    filters_ += 1;
    *out = waker;
    return 0;
  }
#endif

  void Close() override {
    // The waker first: once it is closed no other thread's Wake() can reach the
    // kqueue number this is about to close.
    CloseWaker();
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

  // A kevent() that fails without setting errno (some implementations do so
  // for a repeated EV_ADD) has still failed. EIO says "the kernel failed" and
  // is none of the values this class gives a meaning: not EINTR (retried),
  // not EBADF/ENOENT (Unregister reads them as "closed behind our back").
  static constexpr int kUnexplainedFailure = EIO;

  // Submits a change list without an event list, so kevent reports the first
  // failed change as -1 and errno, having applied the changes before it and
  // none after (kqueue(2), RETURN VALUES). errno is cleared first so that a
  // value left by an earlier call is never read as this call's reason.
  // The field types of struct kevent differ between systems (NetBSD uses
  // uint32_t filter/flags and intptr_t udata), so EV_SET does the narrowing.
  int Submit(const struct kevent* changes, int nchanges) {
    for (;;) {
      errno = 0;
      if (kevent(kq_, changes, nchanges, nullptr, 0, nullptr) >= 0) return 0;
      if (errno == 0) return -kUnexplainedFailure;
      if (errno != EINTR) return -errno;
    }
  }

  int Delete(int fd, int filter) {
    struct kevent kev;
    EV_SET(&kev, static_cast<uintptr_t>(fd), filter, EV_DELETE, 0, 0, 0);
    return Submit(&kev, 1);
  }

  // Makes the kernel filters of fd match `events`, in one kevent call: EV_ADD
  // for every wanted direction, EV_DELETE for every dropped one.
  //
  // Every wanted direction is added, not only the new ones, because closing an
  // fd removes its knotes (kqueue(2)): if the number was closed and reused
  // behind our back, a filter we registered is gone, and adding only the new
  // direction would lose it silently. EV_ADD of an existing knote only updates
  // it ("Re-adding an existing event will modify the parameters of the
  // original event, and not result in a duplicate entry", kqueue(2)).
  //
  // A failed change (an add on a closed fd: EBADF; a delete whose knote died
  // with a closed or reused number: EBADF or ENOENT) is a kernel failure. The
  // changes before it were applied, so every filter of fd is deleted (errors
  // ignored: there may be nothing left) and the error returned, leaving no
  // half-updated registration behind.
  //
  // EV_ENABLE re-arms a knote EV_DISPATCH disabled (modify re-arms one-shot).
  // EV_CLEAR and EV_DISPATCH are taken when a knote is created, not when it is
  // re-added, so a change of flags deletes the old knotes first (errors of
  // those deletes are expected for a closed fd and caught by the adds).
  int Apply(int fd, Registration* reg, uint32_t events, uint32_t flags) {
    if (reg->events != 0 && reg->flags != flags) {
      Delete(fd, EVFILT_READ);
      Delete(fd, EVFILT_WRITE);
      reg->events = 0;
    }
    const unsigned short add = static_cast<unsigned short>(
        EV_ADD | EV_ENABLE | ((flags & kFlagEdge) ? EV_CLEAR : 0) |
        ((flags & kFlagOneshot) ? EV_DISPATCH : 0));
    struct kevent changes[2];
    int n = 0;
    for (const uint32_t bit : {kEventRead, kEventWrite}) {
      if (events & bit) {
        EV_SET(&changes[n], static_cast<uintptr_t>(fd), FilterOf(bit), add, 0, 0, 0);
        ++n;
      }
    }
    for (const uint32_t bit : {kEventRead, kEventWrite}) {
      if ((reg->events & bit) && !(events & bit)) {
        EV_SET(&changes[n], static_cast<uintptr_t>(fd), FilterOf(bit), EV_DELETE, 0, 0, 0);
        ++n;
      }
    }
    const int err = Submit(changes, n);
    if (err != 0) {
      Delete(fd, EVFILT_READ);
      Delete(fd, EVFILT_WRITE);
      return err;
    }
    reg->events = events;
    reg->flags = flags;
    return 0;
  }

  static int FilterOf(uint32_t bit) { return bit == kEventRead ? EVFILT_READ : EVFILT_WRITE; }

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
