// errno-returning socket syscalls for ioreactor/sys. Sockets are created
// non-blocking and close-on-exec; sends never raise SIGPIPE.
#ifndef IOREACTOR_NATIVE_CORE_SOCKET_OPS_H_
#define IOREACTOR_NATIVE_CORE_SOCKET_OPS_H_

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>

namespace ioreactor {
namespace core {

struct SockAddr {
  struct sockaddr_storage storage;
  socklen_t len;
};

/// Fills `out` from a numeric IPv4 or IPv6 host (no DNS). For IPv6 a "%scope"
/// suffix or `scope_id` sets the scope. -EINVAL for an unparsable host.
int MakeInetAddr(int family, const char* host, int port, uint32_t flowinfo, uint32_t scope_id,
                 SockAddr* out);
/// Fills `out` with a Unix-domain path; a leading NUL byte makes it abstract
/// (Linux). -ENAMETOOLONG if it does not fit sun_path.
int MakeUnixAddr(const char* path, size_t len, SockAddr* out);

/// socket(2), non-blocking and close-on-exec. fd or -errno.
int Socket(int family, int type, int protocol);
int Bind(int fd, const SockAddr& addr);
int Listen(int fd, int backlog);
/// accept4(2): the new fd (non-blocking, close-on-exec) or -errno (-EAGAIN when
/// no connection is pending). `peer` receives the peer address.
int Accept(int fd, SockAddr* peer);
/// connect(2): 0, -EINPROGRESS, or -errno.
int Connect(int fd, const SockAddr& addr);
int GetSockName(int fd, SockAddr* out);
int GetPeerName(int fd, SockAddr* out);
/// recv(2)/send(2) (MSG_NOSIGNAL): bytes or -errno.
int64_t Recv(int fd, void* buf, size_t len);
int64_t Send(int fd, const void* buf, size_t len);
/// sendmsg(2) of several buffers (MSG_NOSIGNAL): bytes or -errno.
int64_t SendV(int fd, const struct iovec* iov, int count);
/// recvfrom(2): bytes or -errno; `from` receives the sender's address.
int64_t RecvFrom(int fd, void* buf, size_t len, SockAddr* from);
/// sendto(2) (MSG_NOSIGNAL): bytes or -errno.
int64_t SendTo(int fd, const void* buf, size_t len, const SockAddr& to);
/// sendfile(2) from `in_fd` at *offset (advanced by what was sent): bytes or
/// -errno; -ENOSYS where the system has no usable sendfile.
int64_t SendFile(int out_fd, int in_fd, int64_t* offset, size_t count);
int Shutdown(int fd, int how);
int GetSockOptInt(int fd, int level, int name, int* value);
int SetSockOptInt(int fd, int level, int name, int value);

}  // namespace core
}  // namespace ioreactor

#endif  // IOREACTOR_NATIVE_CORE_SOCKET_OPS_H_
