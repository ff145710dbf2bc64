// kqueue(2) emulated over poll(2), for testing selector_kqueue.cc on Linux. It models
// what the backend relies on: one knote per (ident, filter); EV_ADD of a closed fd is
// EBADF; EV_DELETE of an unknown knote is ENOENT; closing an fd removes its knotes;
// each ready filter is a separate event; at most nevents events are returned.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/event.h>
#include <unistd.h>

#include <map>
#include <utility>
#include <vector>

namespace {

using Knotes = std::map<std::pair<int, int>, bool>;  // (fd, filter) -> present
std::map<int, Knotes> queues;
int last_nevents = 0;

bool FdOpen(int fd) { return fcntl(fd, F_GETFD) >= 0; }

}  // namespace

int FakeKqueueLastNevents(void) { return last_nevents; }

int kqueue(void) {
  const int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) queues[fd].clear();
  return fd;
}

int kevent(int kq, const struct kevent* changes, int nchanges, struct kevent* events,
           int nevents, const struct timespec* timeout) {
  auto q = queues.find(kq);
  if (q == queues.end() || !FdOpen(kq)) {
    errno = EBADF;
    return -1;
  }
  Knotes& knotes = q->second;
  for (int i = 0; i < nchanges; ++i) {
    const int fd = static_cast<int>(changes[i].ident);
    const std::pair<int, int> id(fd, changes[i].filter);
    if (!FdOpen(fd)) {
      knotes.erase(id);
      errno = EBADF;
      return -1;
    }
    if (changes[i].flags & EV_ADD) {
      knotes[id] = true;
    } else if (changes[i].flags & EV_DELETE) {
      if (knotes.erase(id) == 0) {
        errno = ENOENT;
        return -1;
      }
    }
  }
  if (nevents == 0) return 0;
  last_nevents = nevents;
  // Closing an fd removes its knotes.
  for (auto it = knotes.begin(); it != knotes.end();) {
    it = FdOpen(it->first.first) ? std::next(it) : knotes.erase(it);
  }
  std::vector<struct pollfd> fds;
  for (const auto& entry : knotes) {
    const short want = entry.first.second == EVFILT_READ ? POLLIN : POLLOUT;
    if (!fds.empty() && fds.back().fd == entry.first.first) {
      fds.back().events |= want;
    } else {
      fds.push_back({entry.first.first, want, 0});
    }
  }
  int ms = -1;
  if (timeout != nullptr) {
    const long long ns = static_cast<long long>(timeout->tv_sec) * 1000000000LL + timeout->tv_nsec;
    ms = static_cast<int>((ns + 999999) / 1000000);
  }
  const int n = poll(fds.data(), fds.size(), ms);
  if (n <= 0) return n;
  int count = 0;
  for (const struct pollfd& p : fds) {
    const bool read_ready = p.revents & (POLLIN | POLLHUP | POLLERR);
    const bool write_ready = p.revents & (POLLOUT | POLLERR);
    // Writes first, so the backend's merge sees both orders across tests.
    if (write_ready && knotes.count({p.fd, EVFILT_WRITE}) && count < nevents) {
      EV_SET(&events[count], p.fd, EVFILT_WRITE, 0, 0, 0, 0);
      ++count;
    }
    if (read_ready && knotes.count({p.fd, EVFILT_READ}) && count < nevents) {
      EV_SET(&events[count], p.fd, EVFILT_READ, (p.revents & POLLHUP) ? EV_EOF : 0, 0, 0, 0);
      ++count;
    }
  }
  return count;
}
