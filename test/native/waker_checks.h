// The Waker contract (selector.h, waker.h) as plain checks: a blocked Select is
// woken from another thread, wakes coalesce and reset when reported, wake after
// close fails cleanly, many threads may wake at once.
#ifndef IOREACTOR_TEST_NATIVE_WAKER_CHECKS_H_
#define IOREACTOR_TEST_NATIVE_WAKER_CHECKS_H_

#include <atomic>
#include <thread>
#include <vector>

#include "contract_checks.h"
#include "waker.h"

namespace ioreactor {
namespace core {

inline void CheckWaker(Selector* sel) {
  const size_t registry_before = WakerRegistrySize();
  std::shared_ptr<Waker> waker;
  CHECK(sel->OpenWaker(&waker) == 0);
  CHECK(waker != nullptr && waker->id() != 0);
  std::shared_ptr<Waker> second;
  CHECK(sel->OpenWaker(&second) == -EEXIST);
  CHECK(WakerRegistryFind(waker->id()) == waker);
  int32_t out[8];

  // Nothing pending: a poll reports nothing.
  CHECK(sel->Select(0, out, 4) == 0);

  // Many wakes before a Select: one report, then reset.
  for (int i = 0; i < 1000; ++i) CHECK(waker->Wake() == 0);
  CHECK(sel->Select(0, out, 4) == 1);
  CHECK(out[0] == kWakerFd && out[1] == static_cast<int32_t>(kEventRead));
  CHECK(sel->Select(0, out, 4) == 0);

  // A blocked Select(-1) returns when another thread wakes it.
  std::thread waker_thread([&] {
    usleep(50 * 1000);
    WakerRegistryFind(waker->id())->Wake();
  });
  const int n = sel->Select(-1, out, 4);
  CHECK(n == 1 && out[0] == kWakerFd);
  waker_thread.join();

  // Eight threads wake concurrently while this one selects.
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      while (!stop.load()) CHECK(waker->Wake() == 0);
    });
  }
  int reports = 0;
  for (int i = 0; i < 100; ++i) {
    const int r = sel->Select(1000, out, 4);
    CHECK(r == 1 && out[0] == kWakerFd);
    reports += r;
  }
  stop = true;
  for (auto& t : threads) t.join();
  CHECK(reports == 100);
  sel->Select(0, out, 4);

  // The waker's own fd is not the caller's to modify or unregister.
  if (waker->read_fd() >= 0) {
    CHECK(sel->Modify(waker->read_fd(), kEventRead) == -ENOENT);
    CHECK(sel->Unregister(waker->read_fd()) == -ENOENT);
  }

  // Closing the selector closes the waker and removes it from the registry;
  // a wake through a reference kept from before fails with -EBADF.
  const uint64_t id = waker->id();
  sel->Close();
  CHECK(waker->closed());
  CHECK(waker->Wake() == -EBADF);
  CHECK(WakerRegistryFind(id) == nullptr);
  CHECK(WakerRegistrySize() == registry_before);
}

// Closing while other threads wake must never let a wake reach a closed fd
// (run under ASan/TSan to see it).
inline void CheckWakeRacesClose(Backend backend) {
  for (int round = 0; round < 50; ++round) {
    int err = 0;
    std::unique_ptr<Selector> sel = CreateSelector(backend, &err);
    std::shared_ptr<Waker> waker;
    CHECK(sel->OpenWaker(&waker) == 0);
    const uint64_t id = waker->id();
    waker.reset();
    std::atomic<int> started{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        started++;
        for (int i = 0; i < 200; ++i) {
          std::shared_ptr<Waker> w = WakerRegistryFind(id);
          if (!w) break;
          const int r = w->Wake();
          CHECK(r == 0 || r == -EBADF);
        }
      });
    }
    while (started.load() < 4) std::this_thread::yield();
    sel->Close();
    for (auto& t : threads) t.join();
    CHECK(WakerRegistryFind(id) == nullptr);
  }
}

}  // namespace core
}  // namespace ioreactor

#endif  // IOREACTOR_TEST_NATIVE_WAKER_CHECKS_H_
