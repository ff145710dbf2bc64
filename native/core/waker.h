// A cross-thread wake-up for a selector (mio's Waker, libuv's uv_async_t, asyncio's
// self-pipe): any thread may call Wake(); the selector's owning thread sees one
// readable event for it and resets it when it reports it.
#ifndef IOREACTOR_NATIVE_CORE_WAKER_H_
#define IOREACTOR_NATIVE_CORE_WAKER_H_

#include <cstdint>
#include <memory>
#include <mutex>

namespace ioreactor {
namespace core {

/// The kernel object behind a Waker and its thread-safety.
///
/// Kinds: an eventfd (Linux: one fd, counter semantics, so any number of wakes
/// coalesce into one readable state); a non-blocking pipe elsewhere (the read end
/// is watched, a full pipe means a wake is pending already); or, on kqueue, an
/// EVFILT_USER knote in the selector's own kqueue (no fd at all: NOTE_TRIGGER
/// fires it and EV_CLEAR resets it when kevent() reports it).
///
/// Wake() may run on any thread at any time, also while or after the owner closes
/// it: a mutex orders it against Close(), so a wake never writes to an fd number
/// that was closed (and perhaps reused). Owners keep Wakers in shared_ptrs; the
/// registry (WakerRegistry*) hands them to other threads by id.
class Waker {
 public:
  ~Waker();
  Waker(const Waker&) = delete;
  Waker& operator=(const Waker&) = delete;

  /// Opens an fd-based waker (eventfd on Linux, a pipe elsewhere), close-on-exec
  /// and non-blocking. Returns null and stores -errno in *err on failure.
  static std::shared_ptr<Waker> OpenFd(int* err);
  /// A waker that triggers the EVFILT_USER knote `ident` in kqueue `kq`, which the
  /// caller has added (EV_ADD | EV_CLEAR) and keeps open until Close(). Exists only
  /// where kqueue has EVFILT_USER.
  static std::shared_ptr<Waker> ForKqueue(int kq, uintptr_t ident);

  /// Makes the owner's select() report this waker. Returns 0, or -EBADF once
  /// closed. A wake that finds one pending already succeeds (coalesced).
  int Wake();
  /// Resets an fd-based waker (reads the counter / empties the pipe). Owner thread
  /// only. Returns 0 or -errno; a no-op for the kqueue kind (EV_CLEAR resets it).
  int Drain();
  /// Closes the fds (not the kqueue); Wake() fails with -EBADF afterwards.
  /// Idempotent; any thread.
  void Close();

  /// The fd a selector watches for reading, or -1 (kqueue kind, or closed).
  int read_fd() const { return read_fd_; }
  /// Process-unique id, never reused (0 until registered).
  uint64_t id() const { return id_; }
  bool closed();

 private:
  friend uint64_t WakerRegistryAdd(const std::shared_ptr<Waker>& waker);
  Waker() = default;

  std::mutex mu_;
  int read_fd_ = -1;
  int write_fd_ = -1;  // == read_fd_ for eventfd
  int kq_ = -1;        // kqueue kind: the kqueue, not owned
  uintptr_t ident_ = 0;
  bool closed_ = false;
  uint64_t id_ = 0;
};

/// The process-wide table through which other threads reach a waker by id.
/// Ids are never reused, so a stale id finds nothing rather than another waker.
/// Every function is thread-safe.
uint64_t WakerRegistryAdd(const std::shared_ptr<Waker>& waker);
/// The waker with this id, or null once it was removed (closed).
std::shared_ptr<Waker> WakerRegistryFind(uint64_t id);
void WakerRegistryRemove(uint64_t id);
/// Number of wakers registered (for tests: closed wakers must not accumulate).
size_t WakerRegistrySize();

/// Largest id handed out stays below 2**53, so JavaScript numbers carry it exactly.
constexpr uint64_t kMaxWakerId = (UINT64_C(1) << 53) - 1;

}  // namespace core
}  // namespace ioreactor

#endif  // IOREACTOR_NATIVE_CORE_WAKER_H_
