// Waker kinds and the process-wide registry that lets other threads reach them.
#include "waker.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <unordered_map>

#include "platform.h"

#ifdef IOR_HAVE_EPOLL
#include <sys/eventfd.h>
#endif
#ifdef IOR_HAVE_KQUEUE
#include <sys/types.h>
#include <sys/event.h>
#include <sys/time.h>
#endif

namespace ioreactor {
namespace core {

namespace {

#ifndef IOR_HAVE_EPOLL
int SetFlags(int fd) {
  if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) return -errno;
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return -errno;
  return 0;
}
#endif

}  // namespace

Waker::~Waker() { Close(); }

std::shared_ptr<Waker> Waker::OpenFd(int* err) {
  std::shared_ptr<Waker> waker(new Waker());
#ifdef IOR_HAVE_EPOLL
  // Every Linux backend (epoll, poll, select) can watch an eventfd, and one fd
  // does what a pipe needs two for; its counter saturates instead of filling up.
  const int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) {
    *err = -errno;
    return nullptr;
  }
  waker->read_fd_ = fd;
  waker->write_fd_ = fd;
#else
  int fds[2];
  if (pipe(fds) != 0) {
    *err = -errno;
    return nullptr;
  }
  int e = SetFlags(fds[0]);
  if (e == 0) e = SetFlags(fds[1]);
  if (e != 0) {
    close(fds[0]);
    close(fds[1]);
    *err = e;
    return nullptr;
  }
  waker->read_fd_ = fds[0];
  waker->write_fd_ = fds[1];
#endif
  *err = 0;
  return waker;
}

#if defined(IOR_HAVE_KQUEUE) && defined(EVFILT_USER)
std::shared_ptr<Waker> Waker::ForKqueue(int kq, uintptr_t ident) {
  std::shared_ptr<Waker> waker(new Waker());
  waker->kq_ = kq;
  waker->ident_ = ident;
  return waker;
}
#endif

bool Waker::closed() {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

int Waker::Wake() {
  // Held across the syscall: Close() cannot close the fd (or the owner the
  // kqueue) between the check and the write, so a wake never reaches a number
  // that was reused for something else.
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return -EBADF;
#if defined(IOR_HAVE_KQUEUE) && defined(EVFILT_USER)
  if (kq_ >= 0) {
    struct kevent kev;
    EV_SET(&kev, ident_, EVFILT_USER, 0, NOTE_TRIGGER, 0, 0);
    for (;;) {
      if (kevent(kq_, &kev, 1, nullptr, 0, nullptr) >= 0) return 0;
      if (errno != EINTR) return -errno;
    }
  }
#endif
  for (;;) {
#ifdef IOR_HAVE_EPOLL
    const uint64_t one = 1;
    const ssize_t n = write(write_fd_, &one, sizeof(one));
#else
    const char one = 1;
    const ssize_t n = write(write_fd_, &one, 1);
#endif
    if (n >= 0) return 0;
    // A full pipe, or an eventfd counter at its maximum, means a wake is pending
    // and unread: this one coalesces into it (eventfd(2), pipe(7)).
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    if (errno != EINTR) return -errno;
  }
}

int Waker::Drain() {
  if (read_fd_ < 0) return 0;
  for (;;) {
    // One read resets an eventfd counter to zero; a pipe is read until empty.
    char buf[64];
    const ssize_t n = read(read_fd_, buf, sizeof(buf));
    if (n > 0) {
      if (read_fd_ == write_fd_) return 0;
      continue;
    }
    if (n == 0) return 0;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    return -errno;
  }
}

void Waker::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return;
  closed_ = true;
  if (read_fd_ >= 0) close(read_fd_);
  if (write_fd_ >= 0 && write_fd_ != read_fd_) close(write_fd_);
  read_fd_ = -1;
  write_fd_ = -1;
  kq_ = -1;
}

namespace {

// Process-wide by necessity: its whole point is to be reachable from every
// thread (DESIGN.md decision 7 keeps everything else per environment). Allocated
// once and never freed, so a worker still running while the process exits never
// finds it destroyed.
struct Registry {
  std::mutex mu;
  uint64_t next_id = 1;
  std::unordered_map<uint64_t, std::shared_ptr<Waker>> wakers;
};

Registry& TheRegistry() {
  static Registry* registry = new Registry();
  return *registry;
}

}  // namespace

uint64_t WakerRegistryAdd(const std::shared_ptr<Waker>& waker) {
  Registry& r = TheRegistry();
  std::lock_guard<std::mutex> lock(r.mu);
  if (r.next_id > kMaxWakerId) return 0;
  const uint64_t id = r.next_id++;
  waker->id_ = id;
  r.wakers.emplace(id, waker);
  return id;
}

std::shared_ptr<Waker> WakerRegistryFind(uint64_t id) {
  Registry& r = TheRegistry();
  std::lock_guard<std::mutex> lock(r.mu);
  auto it = r.wakers.find(id);
  return it == r.wakers.end() ? nullptr : it->second;
}

void WakerRegistryRemove(uint64_t id) {
  Registry& r = TheRegistry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.wakers.erase(id);
}

size_t WakerRegistrySize() {
  Registry& r = TheRegistry();
  std::lock_guard<std::mutex> lock(r.mu);
  return r.wakers.size();
}

}  // namespace core
}  // namespace ioreactor
