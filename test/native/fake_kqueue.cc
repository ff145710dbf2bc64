// kqueue(2) emulated over poll(2), for testing selector_kqueue.cc on Linux. It models
// what the backend relies on, as strictly as the tests need:
// - one knote per (ident, filter); EV_ADD of an existing knote updates it; EV_ADD of a
//   closed fd is EBADF; EV_DELETE of an unknown knote is ENOENT;
// - a change list is applied in order and, with no event list, the first failed change
//   ends the call with -1 and errno (kqueue(2), RETURN VALUES);
// - knotes die with their descriptor: close() is intercepted below ("Calling close() on a
//   file descriptor will remove any kevents that reference the descriptor", kqueue(2)),
//   and a knote whose number now names another file (dup2 onto it) is gone too, so a
//   reused number never inherits the old knotes;
// - ready knotes wait in one queue per kqueue; a scan delivers from the head, at most
//   nevents, and re-queues each delivered level-triggered knote at the tail (FreeBSD
//   kqueue_scan, TAILQ_INSERT_TAIL), so undelivered knotes come first next time;
// - each ready filter is a separate event;
// - EVFILT_USER knotes (the selector's waker): EV_ADD, EV_DELETE, NOTE_TRIGGER; a
//   triggered one is delivered before fd events and reset on delivery (EV_CLEAR, the
//   only way the backend adds one). Single-threaded: a trigger from another thread is
//   not modelled (the real kernels are tested for that). EV_CLEAR, EV_DISPATCH,
//   EV_ENABLE and EV_DISABLE on fd filters are accepted and ignored.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/event.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <list>
#include <map>
#include <utility>
#include <vector>

namespace {

using KnoteId = std::pair<int, int>;  // (fd, filter)

struct FileId {
  dev_t dev;
  ino_t ino;
  bool operator==(const FileId& other) const { return dev == other.dev && ino == other.ino; }
};

struct Queue {
  // Ordered by (fd, filter): EVFILT_WRITE (-2) sorts before EVFILT_READ (-1), so of an
  // fd's knotes that become ready together the write one is queued first, an order the
  // backend's merge must handle as well as the reverse.
  std::map<KnoteId, FileId> knotes;
  std::list<KnoteId> active;  // kqueue's queue of ready knotes, head first
  std::map<uintptr_t, bool> user;  // EVFILT_USER ident -> triggered
};

// Never destroyed: close() below may run after static destructors.
std::map<int, Queue>& queues = *new std::map<int, Queue>();
int last_nevents = 0;
bool fail_next_call = false;

bool Identify(int fd, FileId* id) {
  struct stat st;
  if (fstat(fd, &st) != 0) return false;
  *id = FileId{st.st_dev, st.st_ino};
  return true;
}

void DropKnote(Queue* q, const KnoteId& id) {
  q->knotes.erase(id);
  q->active.remove(id);
}

// Forgets the knotes of fd whose file is no longer the one they were added for.
void DropStale(Queue* q, int fd) {
  FileId now;
  const bool open = Identify(fd, &now);
  for (const int filter : {EVFILT_READ, EVFILT_WRITE}) {
    auto it = q->knotes.find({fd, filter});
    if (it != q->knotes.end() && (!open || !(it->second == now))) DropKnote(q, it->first);
  }
}

void DropAllStale(Queue* q) {
  std::vector<int> fds;
  for (const auto& entry : q->knotes) fds.push_back(entry.first.first);
  for (const int fd : fds) DropStale(q, fd);
}

}  // namespace

extern "C" int close(int fd) {
  queues.erase(fd);
  for (auto& entry : queues) {
    DropKnote(&entry.second, {fd, EVFILT_READ});
    DropKnote(&entry.second, {fd, EVFILT_WRITE});
  }
  return static_cast<int>(syscall(SYS_close, fd));
}

int FakeKqueueLastNevents(void) { return last_nevents; }

void FakeKqueueFailNextCall(void) { fail_next_call = true; }

int kqueue(void) {
  const int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) queues[fd] = Queue();
  return fd;
}

int kevent(int kq, const struct kevent* changes, int nchanges, struct kevent* events,
           int nevents, const struct timespec* timeout) {
  if (fail_next_call) {
    fail_next_call = false;
    return -1;  // errno deliberately untouched
  }
  auto q = queues.find(kq);
  if (q == queues.end()) {
    errno = EBADF;
    return -1;
  }
  Queue& queue = q->second;
  for (int i = 0; i < nchanges; ++i) {
#ifdef EVFILT_USER
    if (changes[i].filter == EVFILT_USER) {
      const uintptr_t ident = changes[i].ident;
      if (changes[i].flags & EV_ADD) {
        queue.user[ident] = false;
      } else if (queue.user.count(ident) == 0) {
        errno = ENOENT;
        return -1;
      } else if (changes[i].flags & EV_DELETE) {
        queue.user.erase(ident);
      } else if (changes[i].fflags & NOTE_TRIGGER) {
        queue.user[ident] = true;
      }
      continue;
    }
#endif
    const int fd = static_cast<int>(changes[i].ident);
    const KnoteId id(fd, changes[i].filter);
    DropStale(&queue, fd);
    FileId file;
    if (!Identify(fd, &file)) {
      errno = EBADF;
      return -1;
    }
    if (changes[i].flags & EV_ADD) {
      queue.knotes[id] = file;
    } else if (changes[i].flags & EV_DELETE) {
      if (queue.knotes.count(id) == 0) {
        errno = ENOENT;
        return -1;
      }
      DropKnote(&queue, id);
    }
  }
  if (nevents == 0) return 0;
  last_nevents = nevents;
  DropAllStale(&queue);
  std::vector<struct pollfd> fds;
  for (const auto& entry : queue.knotes) {
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
  int user_count = 0;
#ifdef EVFILT_USER
  for (auto& entry : queue.user) {
    if (!entry.second || user_count >= nevents) continue;
    entry.second = false;
    EV_SET(&events[user_count], entry.first, EVFILT_USER, EV_CLEAR, 0, 0, 0);
    ++user_count;
  }
#endif
  if (user_count > 0) {
    ms = 0;
    events += user_count;
    nevents -= user_count;
  }
  const int n = nevents > 0 ? poll(fds.data(), fds.size(), ms) : 0;
  if (n < 0) return n;
  std::map<KnoteId, short> ready;  // knote -> revents of its fd
  for (const struct pollfd& p : fds) {
    const bool read_ready = p.revents & (POLLIN | POLLHUP | POLLERR);
    const bool write_ready = p.revents & (POLLOUT | POLLERR);
    if (write_ready && queue.knotes.count({p.fd, EVFILT_WRITE})) {
      ready[{p.fd, EVFILT_WRITE}] = p.revents;
    }
    if (read_ready && queue.knotes.count({p.fd, EVFILT_READ})) {
      ready[{p.fd, EVFILT_READ}] = p.revents;
    }
  }
  // A queued knote whose filter no longer fires leaves the queue; a newly ready one
  // joins at the tail.
  queue.active.remove_if([&](const KnoteId& id) { return ready.count(id) == 0; });
  for (const auto& entry : ready) {
    if (std::find(queue.active.begin(), queue.active.end(), entry.first) == queue.active.end()) {
      queue.active.push_back(entry.first);
    }
  }
  int count = 0;
  std::list<KnoteId> delivered;
  while (count < nevents && !queue.active.empty()) {
    const KnoteId id = queue.active.front();
    queue.active.pop_front();
    const short revents = ready[id];
    const uint16_t flags = (id.second == EVFILT_READ && (revents & POLLHUP)) ? EV_EOF : 0;
    EV_SET(&events[count], id.first, id.second, flags, 0, 0, 0);
    ++count;
    delivered.push_back(id);
  }
  queue.active.splice(queue.active.end(), delivered);
  return user_count + count;
}
