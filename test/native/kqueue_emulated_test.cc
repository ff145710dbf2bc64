// The kqueue backend, built on Linux against test/native/fake_kqueue.cc (kqueue
// emulated over poll), so its bookkeeping is tested where it cannot run for real.
#include <sys/event.h>

#include <map>
#include <set>

#include "contract_checks.h"
#include "selector_backends.h"

using namespace ioreactor::core;

namespace {

constexpr int32_t kRead = static_cast<int32_t>(kEventRead);
constexpr int32_t kWrite = static_cast<int32_t>(kEventWrite);
constexpr int32_t kBoth = static_cast<int32_t>(kEventRead | kEventWrite);

// The fake itself: a knote dies with its descriptor even when the number comes back
// naming the very same file, which file identity alone could not tell.
void FakeKnotesDieOnClose() {
  const int kq = kqueue();
  CHECK(kq >= 0);
  int sv[2];
  CHECK(SocketPair(sv) == 0);
  const int d = Dup(sv[0]);
  CHECK(d >= 0);
  struct kevent kev;
  EV_SET(&kev, static_cast<uintptr_t>(d), EVFILT_READ, EV_ADD, 0, 0, 0);
  CHECK(kevent(kq, &kev, 1, nullptr, 0, nullptr) == 0);
  CHECK(Close(d) == 0);
  CHECK(Dup2(sv[0], d) == d);
  EV_SET(&kev, static_cast<uintptr_t>(d), EVFILT_READ, EV_DELETE, 0, 0, 0);
  CHECK(kevent(kq, &kev, 1, nullptr, 0, nullptr) == -1 && errno == ENOENT);
  for (int fd : {kq, d, sv[0], sv[1]}) CHECK(Close(fd) == 0);
}

// Issue 12.1: when modify removes a direction, the EV_DELETE for it fails if the fd
// was closed (EBADF) or its number reused (ENOENT: closing removed the knote). That is
// a kernel failure: the error is returned and the fd forgotten, with no knote left on
// the number. (The closed case is also in CheckContract, for epoll as well.)
void ModifyFailsWhenRemovingADirectionFails() {
  int err = 0;
  std::unique_ptr<Selector> sel = NewKqueueSelector(&err);
  CHECK(sel != nullptr);
  int32_t out[16];
  int a[2];
  int b[2];
  CHECK(SocketPair(a) == 0);
  CHECK(SocketPair(b) == 0);
  CHECK(sel->Register(a[0], kEventRead | kEventWrite) == 0);
  CHECK(Close(a[0]) == 0);
  CHECK(Dup2(b[0], a[0]) == a[0]);
  CHECK(Write(b[1], "x", 1) == 1);
  CHECK(sel->Modify(a[0], kEventWrite) == -ENOENT);
  CHECK(sel->Size() == 0);
  CHECK(sel->Unregister(a[0]) == -ENOENT);
  CHECK(sel->Select(0, out, 8) == 0);
  for (int fd : {a[0], a[1], b[0], b[1]}) CHECK(Close(fd) == 0);
}

// Issue 12.2: closing an fd removes its knotes (kqueue(2)), so after the number is
// reused the old READ filter is gone; modify must establish every direction it keeps,
// not only the ones it adds.
void ModifyAfterNumberReuseKeepsEveryDirection() {
  int err = 0;
  std::unique_ptr<Selector> sel = NewKqueueSelector(&err);
  CHECK(sel != nullptr);
  int32_t out[16];
  int a[2];
  int b[2];
  CHECK(SocketPair(a) == 0);
  CHECK(SocketPair(b) == 0);
  CHECK(sel->Register(a[0], kEventRead) == 0);
  CHECK(Close(a[0]) == 0);
  CHECK(Dup2(b[0], a[0]) == a[0]);
  CHECK(Write(b[1], "x", 1) == 1);
  CHECK(sel->Modify(a[0], kEventRead | kEventWrite) == 0);
  CHECK(sel->Select(0, out, 8) == 1);
  CHECK(out[0] == a[0] && out[1] == kBoth);
  // And a later modify that only drops WRITE still reports READ.
  CHECK(sel->Modify(a[0], kEventRead) == 0);
  CHECK(sel->Select(0, out, 8) == 1);
  CHECK(out[0] == a[0] && out[1] == kRead);
  CHECK(sel->Unregister(a[0]) == 0);
  for (int fd : {a[0], a[1], b[0], b[1]}) CHECK(Close(fd) == 0);
}

// Issue 12.3 (regression): more ready fds than capacity. The kernel re-queues a
// delivered level-triggered knote at the tail of its queue, so a backend that never
// drops an event sees the rest first on the next call; one that drops the events past
// capacity drops the same fds every time.
void ReadyFdsBeyondCapacityAreReportedNextCall() {
  int err = 0;
  std::unique_ptr<Selector> sel = NewKqueueSelector(&err);
  CHECK(sel != nullptr);
  constexpr int kFds = 6;
  constexpr int kCapacity = 4;
  int pairs[kFds][2];
  for (auto& pair : pairs) {
    CHECK(SocketPair(pair) == 0);
    CHECK(Write(pair[1], "x", 1) == 1);
    CHECK(sel->Register(pair[0], kEventRead) == 0);
  }
  int32_t out[2 * kCapacity];

  // Capacity 4, 6 fds ready to read: every fd within 2 calls.
  std::set<int32_t> seen;
  for (int call = 0; call < 2; ++call) {
    const int n = sel->Select(0, out, kCapacity);
    CHECK(n > 0 && n <= kCapacity);
    for (int i = 0; i < n; ++i) {
      CHECK(out[2 * i + 1] == kRead);
      seen.insert(out[2 * i]);
    }
  }
  CHECK(seen.size() == static_cast<size_t>(kFds));

  // Ready both ways (12 filters): every (fd, direction) within 3 calls, each fd at
  // most once per call.
  for (auto& pair : pairs) CHECK(sel->Modify(pair[0], kEventRead | kEventWrite) == 0);
  std::map<int32_t, int32_t> reported;
  for (int call = 0; call < 3; ++call) {
    const int n = sel->Select(0, out, kCapacity);
    CHECK(n > 0 && n <= kCapacity);
    std::set<int32_t> this_call;
    for (int i = 0; i < n; ++i) {
      CHECK(this_call.insert(out[2 * i]).second);
      CHECK(out[2 * i + 1] != 0 && (out[2 * i + 1] & ~kBoth) == 0);
      reported[out[2 * i]] |= out[2 * i + 1];
    }
  }
  CHECK(reported.size() == static_cast<size_t>(kFds));
  for (const auto& entry : reported) CHECK(entry.second == kBoth);

  for (auto& pair : pairs) {
    CHECK(sel->Unregister(pair[0]) == 0);
    CHECK(Close(pair[0]) == 0);
    CHECK(Close(pair[1]) == 0);
  }
}

// Issue 12.4: a kevent() that returns -1 without setting errno has still failed, and
// an errno left over from an earlier call (EINTR, ENOENT) must not be read as its
// reason. The backend reports such a failure as -EIO.
void KeventFailureWithoutErrnoIsAnError() {
  int err = 0;
  std::unique_ptr<Selector> sel = NewKqueueSelector(&err);
  CHECK(sel != nullptr);
  int32_t out[16];
  int sv[2];
  CHECK(SocketPair(sv) == 0);

  errno = 0;
  FakeKqueueFailNextCall();
  CHECK(sel->Register(sv[0], kEventRead) == -EIO);
  CHECK(sel->Size() == 0);

  errno = EINTR;
  FakeKqueueFailNextCall();
  CHECK(sel->Register(sv[0], kEventRead) == -EIO);
  CHECK(sel->Size() == 0);

  CHECK(sel->Register(sv[0], kEventRead) == 0);
  errno = 0;
  FakeKqueueFailNextCall();
  CHECK(sel->Modify(sv[0], kEventRead | kEventWrite) == -EIO);
  CHECK(sel->Size() == 0);

  // A stale ENOENT would make Unregister report "closed behind our back" (success).
  CHECK(sel->Register(sv[0], kEventRead) == 0);
  errno = ENOENT;
  FakeKqueueFailNextCall();
  CHECK(sel->Unregister(sv[0]) == -EIO);
  CHECK(sel->Size() == 0);

  // A stale EINTR would make Select wait again and report a timeout.
  CHECK(sel->Register(sv[0], kEventWrite) == 0);
  errno = EINTR;
  FakeKqueueFailNextCall();
  CHECK(sel->Select(0, out, 8) == -EIO);
  CHECK(sel->Select(0, out, 8) == 1);

  CHECK(sel->Unregister(sv[0]) == 0);
  CHECK(Close(sv[0]) == 0);
  CHECK(Close(sv[1]) == 0);
}

}  // namespace

// The waker as an EVFILT_USER knote: reported as (kWakerFd, read) once per trigger, not
// counted as an fd, closed with the selector; and the flag checks, which need no kernel.
static void WakerAndFlags() {
  int err = 0;
  std::unique_ptr<Selector> sel = NewKqueueSelector(&err);
  CHECK(sel != nullptr);
  int32_t out[8];
  std::shared_ptr<Waker> waker;
  CHECK(sel->OpenWaker(&waker) == 0);
#ifdef EVFILT_USER
  const int waker_fds = 0;  // an EVFILT_USER knote, no fd
  CHECK(waker->read_fd() == -1);
#else
  const int waker_fds = 1;  // the pipe fallback: its read end is registered
  CHECK(waker->read_fd() >= 0);
  CHECK(sel->Unregister(waker->read_fd()) == -ENOENT);
  CHECK(sel->Modify(waker->read_fd(), kEventRead) == -ENOENT);
#endif
  std::shared_ptr<Waker> again;
  CHECK(sel->OpenWaker(&again) == -EEXIST);
  CHECK(sel->Size() == waker_fds);
  CHECK(sel->Select(0, out, 4) == 0);
  CHECK(waker->Wake() == 0);
  CHECK(waker->Wake() == 0);
  CHECK(sel->Select(0, out, 4) == 1);
  CHECK(out[0] == kWakerFd && out[1] == kRead);
  CHECK(sel->Select(0, out, 4) == 0);
  // A waker and a ready fd in one call: one entry each.
  int sv[2];
  CHECK(SocketPair(sv) == 0);
  CHECK(sel->Register(sv[0], kEventWrite) == 0);
  CHECK(waker->Wake() == 0);
  std::set<int32_t> fds;
  const int n = sel->Select(0, out, 4);
  for (int i = 0; i < n; ++i) fds.insert(out[2 * i]);
  CHECK(n == 2 && fds == std::set<int32_t>({kWakerFd, sv[0]}));
  // Flags: edge and one-shot are kqueue's; exclusive is not, and is refused untouched.
  CHECK(sel->SupportedFlags() == (kFlagEdge | kFlagOneshot));
  CHECK(sel->Register(sv[1], kEventRead, kFlagExclusive) == -EOPNOTSUPP);
  CHECK(sel->Modify(sv[0], kEventWrite, kFlagExclusive) == -EOPNOTSUPP);
  CHECK(sel->Size() == 1 + waker_fds);
  CHECK(sel->Register(sv[1], kEventRead, kFlagEdge | kFlagOneshot) == 0);
  CHECK(sel->Modify(sv[1], kEventRead, 0) == 0);  // flags changed: knotes re-created
  CHECK(sel->Size() == 2 + waker_fds);
  const uint64_t id = waker->id();
  sel->Close();
  CHECK(waker->Wake() == -EBADF);
  CHECK(WakerRegistryFind(id) == nullptr);
  CHECK(Close(sv[0]) == 0);
  CHECK(Close(sv[1]) == 0);
}


int main() {
  InstallSignalHandler();
  int err = 0;
  CheckContract(NewKqueueSelector(&err));
  FakeKnotesDieOnClose();
  ModifyFailsWhenRemovingADirectionFails();
  ModifyAfterNumberReuseKeepsEveryDirection();
  ReadyFdsBeyondCapacityAreReportedNextCall();
  KeventFailureWithoutErrnoIsAnError();
  WakerAndFlags();

  std::unique_ptr<Selector> sel = NewKqueueSelector(&err);
  CHECK(sel != nullptr);
  int32_t out[16];
  int sv[2];
  int other[2];
  CHECK(SocketPair(sv) == 0);
  CHECK(SocketPair(other) == 0);

  // Ready both ways: two kevents, merged into one entry (CPython gh-110038).
  CHECK(Write(sv[1], "x", 1) == 1);
  CHECK(sel->Register(sv[0], kEventRead | kEventWrite) == 0);
  CHECK(sel->Register(other[0], kEventWrite) == 0);
  CHECK(sel->Select(0, out, 8) == 2);
  CHECK(out[0] == sv[0] && out[1] == static_cast<int32_t>(kEventRead | kEventWrite));
  CHECK(out[2] == other[0] && out[3] == static_cast<int32_t>(kEventWrite));
  // The event buffer is sized by filters (3), not fds (2).
  CHECK(FakeKqueueLastNevents() == 3);

  // Modify drops the write filter in the kernel: only READ is reported.
  CHECK(sel->Modify(sv[0], kEventRead) == 0);
  CHECK(sel->Select(0, out, 8) == 2);
  CHECK(out[0] == sv[0] && out[1] == static_cast<int32_t>(kEventRead));
  CHECK(FakeKqueueLastNevents() == 2);

  // A closed fd: register fails with EBADF and leaves nothing behind.
  const int bad = sv[1];
  CHECK(Close(bad) == 0);
  CHECK(sel->Register(bad, kEventRead) == -EBADF);
  CHECK(sel->Size() == 2);

  // Modify of an fd closed behind our back fails and forgets it.
  CHECK(Close(other[0]) == 0);
  CHECK(sel->Modify(other[0], kEventRead | kEventWrite) == -EBADF);
  CHECK(sel->Size() == 1);
  CHECK(sel->Unregister(other[0]) == -ENOENT);

  // Closed and reused number: unregister succeeds (EV_DELETE gives ENOENT/EBADF).
  CHECK(Close(sv[0]) == 0);
  CHECK(Dup2(other[1], sv[0]) == sv[0]);
  CHECK(sel->Unregister(sv[0]) == 0);
  CHECK(sel->Size() == 0);
  CHECK(sel->Select(0, out, 8) == 0);
  CHECK(FakeKqueueLastNevents() == 1);  // never 0: kevent would ignore the timeout

  CHECK(Close(sv[0]) == 0);
  CHECK(Close(other[1]) == 0);
  sel->Close();
  return Report();
}
