// Unit tests of native/core without Node: every compiled backend against the
// Selector contract, including EINTR delivered to the blocked thread.
#include "contract_checks.h"
#include "waker_checks.h"

using namespace ioreactor::core;

int main() {
  InstallSignalHandler();
  {
    Deadline forever(-1);
    CHECK(forever.infinite() && forever.RemainingMsCeil() == -1 && !forever.Expired());
    Deadline now(0);
    CHECK(now.RemainingMsCeil() == 0 && now.Expired());
    Deadline sub_ms(0.2);
    CHECK(sub_ms.RemainingMsCeil() == 1);
    Deadline huge(1e300);
    CHECK(!huge.infinite() && huge.RemainingMsCeil() == 2147483647);
  }
  for (int i = 0; i < kBackendCount; ++i) {
    const Backend backend = static_cast<Backend>(i);
    int err = 0;
    std::unique_ptr<Selector> sel = CreateSelector(backend, &err);
    if (!BackendCompiled(backend)) {
      CHECK(sel == nullptr && err == -ENOSYS);
      continue;
    }
    CheckContract(std::move(sel));
    std::unique_ptr<Selector> with_waker = CreateSelector(backend, &err);
    CheckWaker(with_waker.get());
    CheckWakeRacesClose(backend);
  }
  return Report();
}
