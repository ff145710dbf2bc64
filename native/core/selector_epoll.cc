// epoll(7) backend (Linux). Level-triggered unless a registration asks for
// EPOLLET, EPOLLONESHOT or EPOLLEXCLUSIVE (selector.h, kFlag*).
#include "platform.h"

#ifdef IOR_HAVE_EPOLL

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <new>
#include <unordered_map>
#include <vector>

#include "clock.h"
#include "selector.h"
#include "selector_backends.h"

namespace ioreactor {
namespace core {
namespace {

// Since Linux 4.5; older headers lack the name.
#ifndef EPOLLEXCLUSIVE
#define EPOLLEXCLUSIVE (1u << 28)
#endif

uint32_t ToEpoll(uint32_t events, uint32_t flags) {
  uint32_t ev = 0;
  if (events & kEventRead) ev |= EPOLLIN;
  if (events & kEventWrite) ev |= EPOLLOUT;
  if (flags & kFlagEdge) ev |= EPOLLET;
  if (flags & kFlagOneshot) ev |= EPOLLONESHOT;
  if (flags & kFlagExclusive) ev |= EPOLLEXCLUSIVE;
  return ev;
}

struct Registration {
  uint32_t events;
  uint32_t flags;
};

// The registered mask rides in the upper half of epoll_data so Select needs no
// lookup per event.
uint64_t PackData(int fd, uint32_t events) {
  return static_cast<uint64_t>(static_cast<uint32_t>(fd)) |
         (static_cast<uint64_t>(events) << 32);
}

class EpollSelector final : public Selector {
 public:
  explicit EpollSelector(int epfd) : epfd_(epfd) {}
  ~EpollSelector() override { Close(); }

  Backend Kind() const override { return Backend::kEpoll; }

  uint32_t SupportedFlags() const override { return kFlagMask; }

  int Register(int fd, uint32_t events, uint32_t flags) override {
    if (epfd_ < 0) return -EBADF;
    if (fd < 0 || events == 0 || (events & ~kEventMask) != 0) return -EINVAL;
    if ((flags & ~kFlagMask) != 0) return -EOPNOTSUPP;
    // epoll_ctl(2): EPOLLEXCLUSIVE with EPOLLONESHOT is EINVAL.
    if ((flags & kFlagExclusive) && (flags & kFlagOneshot)) return -EINVAL;
    if (registered_.count(fd) != 0) return -EEXIST;
    struct epoll_event ev;
    ev.events = ToEpoll(events, flags);
    ev.data.u64 = PackData(fd, events);
    if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) return -errno;
    registered_.emplace(fd, Registration{events, flags});
    return 0;
  }

  int Modify(int fd, uint32_t events, uint32_t flags) override {
    if (epfd_ < 0) return -EBADF;
    if (events == 0 || (events & ~kEventMask) != 0) return -EINVAL;
    if ((flags & ~kFlagMask) != 0) return -EOPNOTSUPP;
    if (IsWakerFd(fd)) return -ENOENT;
    auto it = registered_.find(fd);
    if (it == registered_.end()) return -ENOENT;
    // EPOLL_CTL_MOD of an exclusive registration, or to one, is EINVAL
    // (epoll_ctl(2)); refused here so the registration survives, where a real
    // kernel failure below would drop it.
    if ((flags & kFlagExclusive) || (it->second.flags & kFlagExclusive)) return -EOPNOTSUPP;
    struct epoll_event ev;
    ev.events = ToEpoll(events, flags);
    ev.data.u64 = PackData(fd, events);
    if (epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) != 0) {
      const int err = -errno;
      // A failed MOD leaves the old interest in the kernel; drop it so the
      // kernel set matches our (now empty) record. The fd is most likely
      // closed (EBADF), in which case DEL fails too and there is nothing left.
      epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, &ev);
      registered_.erase(it);
      return err;
    }
    it->second = Registration{events, flags};
    return 0;
  }

  int Unregister(int fd) override {
    if (epfd_ < 0) return -EBADF;
    if (IsWakerFd(fd)) return -ENOENT;
    auto it = registered_.find(fd);
    if (it == registered_.end()) return -ENOENT;
    registered_.erase(it);
    // Kernels before 2.6.9 required a non-null event pointer for DEL.
    struct epoll_event ev = {};
    if (epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, &ev) != 0) {
      const int err = errno;
      // EBADF: the fd was closed behind our back; if it was the last
      // reference the kernel already dropped the registration. ENOENT: the
      // number now names another file that was never added. EPERM: the number
      // now names a file epoll cannot watch at all (a regular file or
      // directory, epoll_ctl(2)), so it cannot be one we added. All three mean
      // "nothing of ours is left under this number" (CPython
      // test_unregister_after_fd_close_and_reuse).
      if (err == EBADF || err == ENOENT || err == EPERM) return 0;
      return -err;
    }
    return 0;
  }

  int Select(double timeout_ms, int32_t* out, int capacity) override {
    if (epfd_ < 0) return -EBADF;
    if (capacity <= 0) return -EINVAL;
    if (events_.size() < static_cast<size_t>(capacity)) {
      events_.resize(static_cast<size_t>(capacity));
    }
    const int n = WaitRetryingEintr(timeout_ms, &eintr_retries_, [&](const Deadline& deadline) {
      return epoll_wait(epfd_, events_.data(), capacity, deadline.RemainingMsCeil());
    });
    if (n < 0) return n;
    int count = 0;
    for (int i = 0; i < n; ++i) {
      const uint32_t kev = events_[i].events;
      const int fd = static_cast<int>(events_[i].data.u64 & 0xffffffffu);
      const uint32_t registered = static_cast<uint32_t>(events_[i].data.u64 >> 32);
      uint32_t mask = 0;
      if (kev & (EPOLLIN | EPOLLERR | EPOLLHUP)) mask |= kEventRead;
      if (kev & (EPOLLOUT | EPOLLERR | EPOLLHUP)) mask |= kEventWrite;
      mask &= registered;
      if (mask == 0) continue;
      if (fd == waker_fd_) {
        DrainWaker();
        out[2 * count] = kWakerFd;
        out[2 * count + 1] = static_cast<int32_t>(kEventRead);
        ++count;
        continue;
      }
      out[2 * count] = fd;
      out[2 * count + 1] = static_cast<int32_t>(mask);
      ++count;
    }
    return count;
  }

  int Size() const override { return static_cast<int>(registered_.size()); }
  int Fileno() const override { return epfd_; }

  void Close() override {
    CloseWaker();
    if (epfd_ >= 0) {
      close(epfd_);
      epfd_ = -1;
    }
    registered_.clear();
    std::vector<struct epoll_event>().swap(events_);
  }

 private:
  int epfd_;
  std::unordered_map<int, Registration> registered_;
  std::vector<struct epoll_event> events_;
};

}  // namespace

std::unique_ptr<Selector> NewEpollSelector(int* err) {
  const int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) {
    *err = -errno;
    return nullptr;
  }
  *err = 0;
  return std::unique_ptr<Selector>(new EpollSelector(epfd));
}

}  // namespace core
}  // namespace ioreactor

#endif  // IOR_HAVE_EPOLL
