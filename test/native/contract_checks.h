// The Selector contract as plain checks, shared by the native unit tests.
#ifndef IOREACTOR_TEST_NATIVE_CONTRACT_CHECKS_H_
#define IOREACTOR_TEST_NATIVE_CONTRACT_CHECKS_H_

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>

#include "clock.h"
#include "fd_ops.h"
#include "selector.h"

namespace ioreactor {
namespace core {

inline int failures = 0;

#define CHECK(cond)                                                      \
  do {                                                                   \
    if (!(cond)) {                                                       \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                        \
    }                                                                    \
  } while (0)

inline void OnSignal(int) {}

struct KillArgs {
  pthread_t target;
  int delay_ms;
};

inline void* KillLater(void* arg) {
  KillArgs* args = static_cast<KillArgs*>(arg);
  usleep(args->delay_ms * 1000);
  pthread_kill(args->target, SIGUSR1);
  return nullptr;
}

// More ready fds than `capacity`: a level-triggered selector must not hand the
// same ones out every call (epoll's ready list and kqueue's knote queue rotate;
// poll and select must resume their scan where the previous call stopped), so
// every ready fd is reported within ceil(ready / capacity) calls. Idle fds are
// registered between the ready ones so the scan has gaps to skip.
inline void CheckReadyFdsBeyondCapacityAreNotStarved(Selector* sel, int ready, int capacity) {
  constexpr int kMaxFds = 8;
  int pairs[kMaxFds][2];
  int idle[kMaxFds][2];
  CHECK(ready <= kMaxFds);
  if (ready > kMaxFds) return;
  std::set<int32_t> expected;
  for (int i = 0; i < ready; ++i) {
    CHECK(SocketPair(pairs[i]) == 0);
    CHECK(SocketPair(idle[i]) == 0);
    CHECK(Write(pairs[i][1], "x", 1) == 1);
    CHECK(sel->Register(pairs[i][0], kEventRead) == 0);
    CHECK(sel->Register(idle[i][0], kEventRead) == 0);
    expected.insert(pairs[i][0]);
  }
  int32_t out[2 * kMaxFds];
  std::set<int32_t> seen;
  const int calls = (ready + capacity - 1) / capacity;
  for (int call = 0; call < calls; ++call) {
    const int n = sel->Select(0, out, capacity);
    CHECK(n == capacity);
    std::set<int32_t> this_call;
    for (int i = 0; i < n && i < capacity; ++i) {
      CHECK(this_call.insert(out[2 * i]).second);
      CHECK(expected.count(out[2 * i]) == 1);
      CHECK(out[2 * i + 1] == static_cast<int32_t>(kEventRead));
      seen.insert(out[2 * i]);
    }
  }
  if (seen != expected) {
    std::fprintf(stderr, "  %d ready, capacity %d: %zu of them reported in %d calls\n",
                 ready, capacity, seen.size(), calls);
  }
  CHECK(seen == expected);
  for (int i = 0; i < ready; ++i) {
    CHECK(sel->Unregister(pairs[i][0]) == 0);
    CHECK(sel->Unregister(idle[i][0]) == 0);
    for (int fd : {pairs[i][0], pairs[i][1], idle[i][0], idle[i][1]}) CHECK(Close(fd) == 0);
  }
  CHECK(sel->Size() == 0);
}

// The Selector contract, checked on one freshly created selector.
inline void CheckContract(std::unique_ptr<Selector> sel) {
  CHECK(sel != nullptr);
  if (!sel) return;
  std::fprintf(stderr, "backend %s\n", BackendName(sel->Kind()));
  int32_t out[64];
  int sv[2];
  CHECK(SocketPair(sv) == 0);

  // Nothing registered: a zero timeout returns at once, a positive one waits.
  CHECK(sel->Select(0, out, 32) == 0);
  int64_t start = MonotonicNowNs();
  CHECK(sel->Select(50, out, 32) == 0);
  CHECK(MonotonicNowNs() - start >= 50 * 1000000LL);

  CHECK(sel->Register(sv[0], kEventRead) == 0);
  CHECK(sel->Register(sv[0], kEventRead) == -EEXIST);
  CHECK(sel->Register(sv[1], 0) == -EINVAL);
  CHECK(sel->Register(sv[1], 4) == -EINVAL);
  CHECK(sel->Register(-1, kEventRead) == -EINVAL);
  CHECK(sel->Register(sv[1], kEventWrite) == 0);
  CHECK(sel->Size() == 2);

  int n = sel->Select(0, out, 32);
  CHECK(n == 1);
  CHECK(out[0] == sv[1] && out[1] == static_cast<int32_t>(kEventWrite));

  CHECK(Write(sv[1], "x", 1) == 1);
  CHECK(sel->Modify(sv[0], kEventRead | kEventWrite) == 0);
  n = sel->Select(0, out, 32);
  CHECK(n == 2);
  for (int i = 0; i < n; ++i) {
    if (out[2 * i] == sv[0]) CHECK(out[2 * i + 1] == static_cast<int32_t>(kEventRead | kEventWrite));
  }
  // A capacity smaller than the ready set is respected.
  CHECK(sel->Select(0, out, 1) == 1);

  CHECK(sel->Modify(12345, kEventRead) == -ENOENT);
  CHECK(sel->Unregister(12345) == -ENOENT);
  CHECK(sel->Unregister(sv[1]) == 0);
  CHECK(sel->Size() == 1);

  // EINTR: the wait resumes with the remaining time.
  KillArgs args{pthread_self(), 100};
  pthread_t killer;
  char buf[8];
  CHECK(Read(sv[0], buf, sizeof(buf)) == 1);
  CHECK(sel->Modify(sv[0], kEventRead) == 0);
  pthread_create(&killer, nullptr, KillLater, &args);
  start = MonotonicNowNs();
  const uint64_t retries = sel->eintr_retries();
  CHECK(sel->Select(300, out, 32) == 0);
  CHECK(MonotonicNowNs() - start >= 300 * 1000000LL);
  CHECK(sel->eintr_retries() == retries + 1);
  pthread_join(killer, nullptr);

  // Closed behind our back: unregister still succeeds.
  CHECK(Close(sv[0]) == 0);
  CHECK(sel->Unregister(sv[0]) == 0);
  CHECK(sel->Size() == 0);
  CHECK(Close(sv[1]) == 0);

  // A kernel-backed selector (epoll, kqueue) sees a modify of an fd closed behind
  // its back fail, including one that only removes a direction, and then forgets
  // the fd (poll and select keep no kernel state, so they cannot tell).
  if (sel->Fileno() >= 0) {
    CHECK(SocketPair(sv) == 0);
    CHECK(sel->Register(sv[0], kEventRead | kEventWrite) == 0);
    CHECK(Close(sv[0]) == 0);
    CHECK(sel->Modify(sv[0], kEventWrite) == -EBADF);
    CHECK(sel->Size() == 0);
    CHECK(sel->Unregister(sv[0]) == -ENOENT);
    CHECK(Close(sv[1]) == 0);
  }

  CheckReadyFdsBeyondCapacityAreNotStarved(sel.get(), 6, 4);
  CheckReadyFdsBeyondCapacityAreNotStarved(sel.get(), 3, 1);

  sel->Close();
  sel->Close();
  CHECK(sel->Register(0, kEventRead) == -EBADF);
  CHECK(sel->Select(0, out, 32) == -EBADF);
}

inline void InstallSignalHandler() {
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigaction(SIGUSR1, &sa, nullptr);
}

inline int Report() {
  if (failures != 0) {
    std::fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  std::fprintf(stderr, "all native checks passed\n");
  return 0;
}

}  // namespace core
}  // namespace ioreactor

#endif  // IOREACTOR_TEST_NATIVE_CONTRACT_CHECKS_H_
