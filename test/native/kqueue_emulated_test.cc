// The kqueue backend, built on Linux against test/native/fake_kqueue.cc (kqueue
// emulated over poll), so its bookkeeping is tested where it cannot run for real.
#include <sys/event.h>

#include "contract_checks.h"
#include "selector_backends.h"

using namespace ioreactor::core;

int main() {
  InstallSignalHandler();
  int err = 0;
  CheckContract(NewKqueueSelector(&err));

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
