// poll(2) backend (every POSIX system). The interest set lives in user space
// and is handed to the kernel whole on every call, so a call costs O(registered).
#include "platform.h"

#ifdef IOR_HAVE_POLL

#include <errno.h>
#include <poll.h>

#include <unordered_map>
#include <vector>

#include "clock.h"
#include "selector.h"
#include "selector_backends.h"

namespace ioreactor {
namespace core {
namespace {

short ToPoll(uint32_t events) {
  short ev = 0;
  if (events & kEventRead) ev |= POLLIN;
  if (events & kEventWrite) ev |= POLLOUT;
  return ev;
}

class PollSelector final : public Selector {
 public:
  PollSelector() = default;
  ~PollSelector() override { Close(); }

  Backend Kind() const override { return Backend::kPoll; }

  int Register(int fd, uint32_t events, uint32_t flags) override {
    if (closed_) return -EBADF;
    if (fd < 0 || events == 0 || (events & ~kEventMask) != 0) return -EINVAL;
    // No kernel notion of edge or one-shot readiness here (selector.h).
    if (flags != 0) return -EOPNOTSUPP;
    if (index_.count(fd) != 0) return -EEXIST;
    struct pollfd p;
    p.fd = fd;
    p.events = ToPoll(events);
    p.revents = 0;
    pollfds_.push_back(p);
    registered_.push_back(events);
    index_.emplace(fd, pollfds_.size() - 1);
    return 0;
  }

  int Modify(int fd, uint32_t events, uint32_t flags) override {
    if (closed_) return -EBADF;
    if (events == 0 || (events & ~kEventMask) != 0) return -EINVAL;
    if (flags != 0) return -EOPNOTSUPP;
    if (IsWakerFd(fd)) return -ENOENT;
    auto it = index_.find(fd);
    if (it == index_.end()) return -ENOENT;
    pollfds_[it->second].events = ToPoll(events);
    registered_[it->second] = events;
    return 0;
  }

  int Unregister(int fd) override {
    if (closed_) return -EBADF;
    if (IsWakerFd(fd)) return -ENOENT;
    auto it = index_.find(fd);
    if (it == index_.end()) return -ENOENT;
    const size_t slot = it->second;
    const size_t last = pollfds_.size() - 1;
    index_.erase(it);
    if (slot != last) {
      pollfds_[slot] = pollfds_[last];
      registered_[slot] = registered_[last];
      index_[pollfds_[slot].fd] = slot;
    }
    pollfds_.pop_back();
    registered_.pop_back();
    return 0;
  }

  int Select(double timeout_ms, int32_t* out, int capacity) override {
    if (closed_) return -EBADF;
    if (capacity <= 0) return -EINVAL;
    int n = WaitRetryingEintr(timeout_ms, &eintr_retries_, [&](const Deadline& deadline) {
      return poll(pollfds_.data(), static_cast<nfds_t>(pollfds_.size()), deadline.RemainingMsCeil());
    });
    if (n < 0) return n;
    // Scan from where the previous call stopped filling `out`, wrapping around:
    // starting at slot 0 every time would hand the same fds out whenever more
    // than `capacity` are ready and starve the rest (epoll's ready list rotates
    // the same way).
    const size_t size = pollfds_.size();
    const size_t start = next_slot_ < size ? next_slot_ : 0;
    int count = 0;
    size_t scanned = 0;
    for (; scanned < size && n > 0 && count < capacity; ++scanned) {
      const size_t i = start + scanned < size ? start + scanned : start + scanned - size;
      const short rev = pollfds_[i].revents;
      if (rev == 0) continue;
      --n;
      uint32_t mask = 0;
      // POLLNVAL (the fd was closed without being unregistered) counts as an
      // error too, as in CPython's selectors: the caller sees the fd ready
      // and learns of the problem from its next syscall on it.
      if (rev & (POLLIN | POLLERR | POLLHUP | POLLNVAL)) mask |= kEventRead;
      if (rev & (POLLOUT | POLLERR | POLLHUP | POLLNVAL)) mask |= kEventWrite;
      mask &= registered_[i];
      if (mask == 0) continue;
      if (pollfds_[i].fd == waker_fd_) {
        DrainWaker();
        out[2 * count] = kWakerFd;
        out[2 * count + 1] = static_cast<int32_t>(kEventRead);
      } else {
        out[2 * count] = pollfds_[i].fd;
        out[2 * count + 1] = static_cast<int32_t>(mask);
      }
      ++count;
    }
    if (size != 0) next_slot_ = (start + scanned) % size;
    return count;
  }

  int Size() const override { return static_cast<int>(pollfds_.size()); }

  void Close() override {
    CloseWaker();
    closed_ = true;
    std::vector<struct pollfd>().swap(pollfds_);
    std::vector<uint32_t>().swap(registered_);
    index_.clear();
    next_slot_ = 0;
  }

 private:
  bool closed_ = false;
  std::vector<struct pollfd> pollfds_;
  std::vector<uint32_t> registered_;  // parallel to pollfds_
  std::unordered_map<int, size_t> index_;
  size_t next_slot_ = 0;  // where the next Select starts reading revents
};

}  // namespace

std::unique_ptr<Selector> NewPollSelector(int* err) {
  *err = 0;
  return std::unique_ptr<Selector>(new PollSelector());
}

}  // namespace core
}  // namespace ioreactor

#endif  // IOR_HAVE_POLL
