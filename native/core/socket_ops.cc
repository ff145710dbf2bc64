// Socket syscalls (POSIX; Linux uses SOCK_NONBLOCK/SOCK_CLOEXEC and accept4).
#include "socket_ops.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "fd_ops.h"

#if defined(__linux__)
#include <sys/sendfile.h>
#endif

namespace ioreactor {
namespace core {
namespace {

#ifdef MSG_NOSIGNAL
constexpr int kSendFlags = MSG_NOSIGNAL;
#else
// macOS has no MSG_NOSIGNAL; SO_NOSIGPIPE is set on every socket we create.
constexpr int kSendFlags = 0;
#endif

[[maybe_unused]] int PrepareFd(int fd) {
  if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) return -errno;
  const int err = SetNonBlocking(fd, true);
  if (err != 0) return err;
#ifdef SO_NOSIGPIPE
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof(one));
#endif
  return 0;
}

}  // namespace

int MakeInetAddr(int family, const char* host, int port, uint32_t flowinfo, uint32_t scope_id,
                 SockAddr* out) {
  std::memset(out, 0, sizeof(*out));
  if (port < 0 || port > 65535) return -EINVAL;
  if (family == AF_INET) {
    auto* sin = reinterpret_cast<struct sockaddr_in*>(&out->storage);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, host, &sin->sin_addr) != 1) return -EINVAL;
    out->len = sizeof(*sin);
    return 0;
  }
  if (family == AF_INET6) {
    auto* sin6 = reinterpret_cast<struct sockaddr_in6*>(&out->storage);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(static_cast<uint16_t>(port));
    sin6->sin6_flowinfo = htonl(flowinfo);
    sin6->sin6_scope_id = scope_id;
    std::string text(host);
    const size_t percent = text.find('%');
    if (percent != std::string::npos) {
      const std::string scope = text.substr(percent + 1);
      text.resize(percent);
      unsigned index = if_nametoindex(scope.c_str());
      if (index == 0) {
        char* end = nullptr;
        const unsigned long numeric = std::strtoul(scope.c_str(), &end, 10);
        if (scope.empty() || *end != '\0') return -EINVAL;
        index = static_cast<unsigned>(numeric);
      }
      sin6->sin6_scope_id = index;
    }
    if (inet_pton(AF_INET6, text.c_str(), &sin6->sin6_addr) != 1) return -EINVAL;
    out->len = sizeof(*sin6);
    return 0;
  }
  return -EAFNOSUPPORT;
}

int MakeUnixAddr(const char* path, size_t len, SockAddr* out) {
  std::memset(out, 0, sizeof(*out));
  auto* sun = reinterpret_cast<struct sockaddr_un*>(&out->storage);
  sun->sun_family = AF_UNIX;
  // A pathname needs room for its terminating NUL; an abstract name (leading
  // NUL, Linux) is counted by length instead.
  const bool abstract = len > 0 && path[0] == '\0';
  if (len == 0 || len + (abstract ? 0 : 1) > sizeof(sun->sun_path)) return -ENAMETOOLONG;
  std::memcpy(sun->sun_path, path, len);
  out->len = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + len + (abstract ? 0 : 1));
  return 0;
}

int Socket(int family, int type, int protocol) {
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
  const int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  return fd < 0 ? -errno : fd;
#else
  const int fd = socket(family, type, protocol);
  if (fd < 0) return -errno;
  const int err = PrepareFd(fd);
  if (err != 0) {
    close(fd);
    return err;
  }
  return fd;
#endif
}

int Bind(int fd, const SockAddr& addr) {
  if (bind(fd, reinterpret_cast<const struct sockaddr*>(&addr.storage), addr.len) != 0) return -errno;
  return 0;
}

int Listen(int fd, int backlog) {
  if (listen(fd, backlog) != 0) return -errno;
  return 0;
}

int Accept(int fd, SockAddr* peer) {
  peer->len = sizeof(peer->storage);
  int r;
#if defined(__linux__) || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__) || \
    defined(__DragonFly__)
  do {
    r = accept4(fd, reinterpret_cast<struct sockaddr*>(&peer->storage), &peer->len,
                SOCK_NONBLOCK | SOCK_CLOEXEC);
  } while (r < 0 && errno == EINTR);
  return r < 0 ? -errno : r;
#else
  do {
    r = accept(fd, reinterpret_cast<struct sockaddr*>(&peer->storage), &peer->len);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return -errno;
  const int err = PrepareFd(r);
  if (err != 0) {
    close(r);
    return err;
  }
  return r;
#endif
}

int Connect(int fd, const SockAddr& addr) {
  if (connect(fd, reinterpret_cast<const struct sockaddr*>(&addr.storage), addr.len) == 0) return 0;
  // An interrupted connect carries on asynchronously, exactly like EINPROGRESS
  // (connect(2)); retrying would fail with EALREADY.
  if (errno == EINTR) return -EINPROGRESS;
  return -errno;
}

int GetSockName(int fd, SockAddr* out) {
  out->len = sizeof(out->storage);
  if (getsockname(fd, reinterpret_cast<struct sockaddr*>(&out->storage), &out->len) != 0) return -errno;
  return 0;
}

int GetPeerName(int fd, SockAddr* out) {
  out->len = sizeof(out->storage);
  if (getpeername(fd, reinterpret_cast<struct sockaddr*>(&out->storage), &out->len) != 0) return -errno;
  return 0;
}

int64_t Recv(int fd, void* buf, size_t len) {
  ssize_t n;
  do {
    n = recv(fd, buf, len, 0);
  } while (n < 0 && errno == EINTR);
  return n < 0 ? -errno : static_cast<int64_t>(n);
}

int64_t Send(int fd, const void* buf, size_t len) {
  ssize_t n;
  do {
    n = send(fd, buf, len, kSendFlags);
  } while (n < 0 && errno == EINTR);
  return n < 0 ? -errno : static_cast<int64_t>(n);
}

int64_t SendV(int fd, const struct iovec* iov, int count) {
  struct msghdr msg;
  std::memset(&msg, 0, sizeof(msg));
  msg.msg_iov = const_cast<struct iovec*>(iov);
  msg.msg_iovlen = count;
  ssize_t n;
  do {
    n = sendmsg(fd, &msg, kSendFlags);
  } while (n < 0 && errno == EINTR);
  return n < 0 ? -errno : static_cast<int64_t>(n);
}

int64_t RecvFrom(int fd, void* buf, size_t len, SockAddr* from) {
  // A stream socket, or a unix datagram from an unbound sender, leaves the length 0 and
  // the sockaddr untouched (recvfrom(2)): the family must then read as "none", not as
  // whatever was on the stack.
  from->storage.ss_family = AF_UNSPEC;
  from->len = sizeof(from->storage);
  ssize_t n;
  do {
    n = recvfrom(fd, buf, len, 0, reinterpret_cast<struct sockaddr*>(&from->storage), &from->len);
  } while (n < 0 && errno == EINTR);
  return n < 0 ? -errno : static_cast<int64_t>(n);
}

int64_t SendTo(int fd, const void* buf, size_t len, const SockAddr& to) {
  ssize_t n;
  do {
    n = sendto(fd, buf, len, kSendFlags, reinterpret_cast<const struct sockaddr*>(&to.storage), to.len);
  } while (n < 0 && errno == EINTR);
  return n < 0 ? -errno : static_cast<int64_t>(n);
}

int64_t SendFile(int out_fd, int in_fd, int64_t* offset, size_t count) {
#if defined(__linux__)
  off_t off = static_cast<off_t>(*offset);
  ssize_t n;
  do {
    n = sendfile(out_fd, in_fd, &off, count);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return -errno;
  *offset = static_cast<int64_t>(off);
  return static_cast<int64_t>(n);
#else
  // macOS and the BSDs have sendfile with other signatures and rules; the
  // caller falls back to read + send.
  (void)out_fd;
  (void)in_fd;
  (void)offset;
  (void)count;
  return -ENOSYS;
#endif
}

int Shutdown(int fd, int how) {
  if (shutdown(fd, how) != 0) return -errno;
  return 0;
}

int GetSockOptInt(int fd, int level, int name, int* value) {
  socklen_t len = sizeof(*value);
  if (getsockopt(fd, level, name, value, &len) != 0) return -errno;
  return 0;
}

int SetSockOptInt(int fd, int level, int name, int value) {
  if (setsockopt(fd, level, name, &value, sizeof(value)) != 0) return -errno;
  return 0;
}

}  // namespace core
}  // namespace ioreactor
