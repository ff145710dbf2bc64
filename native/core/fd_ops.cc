// fd syscalls for ioreactor/sys (POSIX; Linux uses the atomic *_CLOEXEC forms).
#include "fd_ops.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <limits>

namespace ioreactor {
namespace core {
namespace {

[[maybe_unused]] int SetCloexecNonBlock(int fd, bool nonblock) {
  if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) return -errno;
  if (nonblock) return SetNonBlocking(fd, true);
  return 0;
}

[[maybe_unused]] void ClosePair(int fds[2]) {
  close(fds[0]);
  close(fds[1]);
}

}  // namespace

int SocketPair(int fds[2]) {
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
    return -errno;
  }
  return 0;
#else
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return -errno;
  int err = SetCloexecNonBlock(fds[0], true);
  if (err == 0) err = SetCloexecNonBlock(fds[1], true);
  if (err != 0) ClosePair(fds);
  return err;
#endif
}

int Pipe(int fds[2]) {
#if defined(__linux__) || defined(__FreeBSD__) || defined(__NetBSD__) || \
    defined(__OpenBSD__) || defined(__DragonFly__)
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return -errno;
  return 0;
#else
  if (pipe(fds) != 0) return -errno;
  int err = SetCloexecNonBlock(fds[0], true);
  if (err == 0) err = SetCloexecNonBlock(fds[1], true);
  if (err != 0) ClosePair(fds);
  return err;
#endif
}

int Close(int fd) {
  if (close(fd) == 0) return 0;
  // On Linux the fd is released even when close() reports EINTR, and retrying
  // could close a number another thread has just been given (close(2), "Dealing
  // with error returns"). Report success; the caller cannot act on it anyway.
  if (errno == EINTR) return 0;
  return -errno;
}

int Dup(int fd) {
  const int r = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  return r < 0 ? -errno : r;
}

int Dup2(int fd, int fd2) {
  if (fd == fd2) {
    // dup2 with equal numbers only validates fd; dup3 would reject it.
    if (fcntl(fd, F_GETFD) < 0) return -errno;
    return fd2;
  }
#if defined(__linux__) || defined(__FreeBSD__) || defined(__NetBSD__) || \
    defined(__OpenBSD__) || defined(__DragonFly__)
  int r;
  do {
    r = dup3(fd, fd2, O_CLOEXEC);
  } while (r < 0 && errno == EINTR);
  return r < 0 ? -errno : r;
#else
  int r;
  do {
    r = dup2(fd, fd2);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return -errno;
  const int err = SetCloexecNonBlock(r, false);
  return err != 0 ? err : r;
#endif
}

int64_t Read(int fd, void* buf, size_t len) {
  ssize_t n;
  do {
    n = read(fd, buf, len);
  } while (n < 0 && errno == EINTR);
  return n < 0 ? -errno : static_cast<int64_t>(n);
}

int64_t Write(int fd, const void* buf, size_t len) {
  ssize_t n;
  do {
    n = write(fd, buf, len);
  } while (n < 0 && errno == EINTR);
  return n < 0 ? -errno : static_cast<int64_t>(n);
}

int64_t WriteV(int fd, const struct iovec* iov, int count) {
  ssize_t n;
  do {
    n = writev(fd, iov, count);
  } while (n < 0 && errno == EINTR);
  return n < 0 ? -errno : static_cast<int64_t>(n);
}

int64_t PRead(int fd, void* buf, size_t len, int64_t position) {
  if (position < 0 || static_cast<uint64_t>(position) > static_cast<uint64_t>(
                          std::numeric_limits<off_t>::max())) {
    return -EINVAL;
  }
  ssize_t n;
  do {
    n = pread(fd, buf, len, static_cast<off_t>(position));
  } while (n < 0 && errno == EINTR);
  return n < 0 ? -errno : static_cast<int64_t>(n);
}

int SetNonBlocking(int fd, bool on) {
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return -errno;
  const int next = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (next != flags && fcntl(fd, F_SETFL, next) != 0) return -errno;
  return 0;
}

int GetRlimitNofile(int64_t* soft, int64_t* hard) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return -errno;
  *soft = rl.rlim_cur == RLIM_INFINITY ? -1 : static_cast<int64_t>(rl.rlim_cur);
  *hard = rl.rlim_max == RLIM_INFINITY ? -1 : static_cast<int64_t>(rl.rlim_max);
  return 0;
}

int SetRlimitNofile(int64_t soft) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return -errno;
  rl.rlim_cur = soft < 0 ? RLIM_INFINITY : static_cast<rlim_t>(soft);
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0) return -errno;
  return 0;
}

}  // namespace core
}  // namespace ioreactor
