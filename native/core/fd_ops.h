// Thin, errno-returning wrappers over the fd syscalls exported as ioreactor/sys.
// Every fd created here is close-on-exec; pipes and socketpairs are non-blocking.
#ifndef IOREACTOR_NATIVE_CORE_FD_OPS_H_
#define IOREACTOR_NATIVE_CORE_FD_OPS_H_

#include <cstddef>
#include <cstdint>

struct iovec;

namespace ioreactor {
namespace core {

/// AF_UNIX SOCK_STREAM pair. Returns 0 or -errno.
int SocketPair(int fds[2]);
/// Anonymous pipe: fds[0] reads, fds[1] writes. Returns 0 or -errno.
int Pipe(int fds[2]);
/// close(2). EINTR counts as success (see the comment in the .cc). 0 or -errno.
int Close(int fd);
/// Lowest free fd >= 0 referring to fd's file, close-on-exec. fd or -errno.
int Dup(int fd);
/// Makes fd2 refer to fd's file (closing fd2 first), close-on-exec. fd2 or -errno.
int Dup2(int fd, int fd2);
/// read(2)/write(2), retried on EINTR. Byte count or -errno (-EAGAIN included).
int64_t Read(int fd, void* buf, size_t len);
int64_t Write(int fd, const void* buf, size_t len);
/// writev(2) of `count` buffers (at most IOV_MAX), retried on EINTR. Works on any fd,
/// pipes included (sendmsg needs a socket). Byte count or -errno (-EAGAIN included).
int64_t WriteV(int fd, const struct iovec* iov, int count);
/// pread(2) at `position` (the file offset does not move), retried on EINTR.
/// Byte count or -errno.
int64_t PRead(int fd, void* buf, size_t len, int64_t position);
/// Sets or clears O_NONBLOCK. 0 or -errno.
int SetNonBlocking(int fd, bool on);
/// RLIMIT_NOFILE. Values above INT64_MAX (RLIM_INFINITY) are reported as -1.
int GetRlimitNofile(int64_t* soft, int64_t* hard);
/// Sets the soft RLIMIT_NOFILE, keeping the hard one. 0 or -errno.
int SetRlimitNofile(int64_t soft);

}  // namespace core
}  // namespace ioreactor

#endif  // IOREACTOR_NATIVE_CORE_FD_OPS_H_
