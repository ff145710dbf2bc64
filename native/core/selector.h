// The readiness-selector contract every backend implements (epoll, kqueue, poll,
// select). No Node headers here: the core returns -errno and can be tested alone.
#ifndef IOREACTOR_NATIVE_CORE_SELECTOR_H_
#define IOREACTOR_NATIVE_CORE_SELECTOR_H_

#include <cstdint>
#include <memory>

#include "waker.h"

namespace ioreactor {
namespace core {

/// Event bits, identical to Python's selectors.EVENT_READ / EVENT_WRITE.
constexpr uint32_t kEventRead = 1u << 0;
constexpr uint32_t kEventWrite = 1u << 1;
constexpr uint32_t kEventMask = kEventRead | kEventWrite;

/// Registration flags (opt-in; none means level-triggered, the contract below).
/// kFlagEdge: report a direction only when new readiness arrives (EPOLLET,
/// EV_CLEAR). kFlagOneshot: after one report the fd stays registered but is
/// disarmed until Modify re-arms it (EPOLLONESHOT, EV_DISPATCH). kFlagExclusive:
/// EPOLLEXCLUSIVE, for an fd (a listening socket) watched by several epoll
/// instances, only one of which is woken; it is add-only in the kernel, so
/// Modify refuses it. A backend without a flag refuses it with -EOPNOTSUPP and
/// changes nothing.
constexpr uint32_t kFlagEdge = 1u << 0;
constexpr uint32_t kFlagOneshot = 1u << 1;
constexpr uint32_t kFlagExclusive = 1u << 2;
constexpr uint32_t kFlagMask = kFlagEdge | kFlagOneshot | kFlagExclusive;

/// The fd Select reports for the selector's waker (which may have no fd at all).
constexpr int32_t kWakerFd = -1;

enum class Backend : int {
  kEpoll = 0,
  kKqueue = 1,
  kPoll = 2,
  kSelect = 3,
};
constexpr int kBackendCount = 4;

/// Name used on the JavaScript side ("epoll", "kqueue", "poll", "select").
const char* BackendName(Backend backend);

/// A level-triggered readiness selector over file descriptors.
///
/// Every method returns 0 (or a count) on success and a negative errno on
/// failure; nothing throws. The selector keeps its own record of which fds are
/// registered with which events, so callers never pass the old mask back in.
/// A selector is used by one thread at a time.
class Selector {
 public:
  virtual ~Selector() = default;
  Selector(const Selector&) = delete;
  Selector& operator=(const Selector&) = delete;

  virtual Backend Kind() const = 0;

  /// Starts watching `fd` for `events` (a non-empty subset of kEventMask).
  /// Returns -EEXIST if fd is registered already, -EINVAL for a bad mask or a
  /// negative fd, -ERANGE for an fd the backend cannot represent (select:
  /// fd >= FD_SETSIZE), or the kernel's error (epoll: EPERM for a regular
  /// file; kqueue: EBADF for a closed fd). On failure nothing is registered.
  /// `flags` is a subset of SupportedFlags() (-EOPNOTSUPP otherwise, nothing
  /// changed; kFlagOneshot with kFlagExclusive: -EINVAL).
  virtual int Register(int fd, uint32_t events, uint32_t flags = 0) = 0;

  /// Changes the events of a registered fd. Returns -ENOENT if fd is not
  /// registered. On a kernel failure the fd is no longer registered (the
  /// selector drops it from the kernel set as far as it can), so a failed
  /// modify never leaves a half-updated registration behind.
  /// Modify always reaches the kernel, so it re-arms a one-shot registration
  /// even with unchanged events. -EOPNOTSUPP (nothing changed) for flags the
  /// backend lacks and for an exclusive registration or kFlagExclusive, which
  /// the kernel refuses to modify (epoll_ctl(2): EINVAL).
  virtual int Modify(int fd, uint32_t events, uint32_t flags = 0) = 0;

  /// Stops watching fd. Returns -ENOENT if fd is not registered. The
  /// registration is always forgotten; a kernel error is returned only for
  /// information. EBADF and ENOENT from the kernel mean the fd was closed (and
  /// perhaps reused) behind our back and are mapped to success.
  virtual int Unregister(int fd) = 0;

  /// Waits for readiness and writes up to `capacity` (fd, mask) pairs into
  /// `out` (2 * capacity int32 slots). `timeout_ms` < 0 blocks until an event;
  /// 0 polls; > 0 waits at least that long, rounded up to the backend's
  /// resolution. EINTR is retried with the time remaining. Each fd appears at
  /// most once; its mask is the ready bits intersected with the registered
  /// events and is never 0; error and hang-up conditions report every
  /// registered direction. Returns the number of pairs written or -errno.
  virtual int Select(double timeout_ms, int32_t* out, int capacity) = 0;

  /// Number of registered fds (the waker's fd, if any, included).
  virtual int Size() const = 0;

  /// The flags Register and Modify accept on this backend.
  virtual uint32_t SupportedFlags() const { return 0; }

  /// Creates this selector's waker, registered for reading: Select reports it
  /// as (kWakerFd, kEventRead) whenever Wake() was called since it last reported
  /// it, and resets it in that same Select call (before returning), so every
  /// wake that happens before Select returns is covered by that report or an
  /// earlier one, and a later wake makes a later Select report it again. The
  /// waker is added to the process-wide registry (waker.h) and is closed and
  /// removed by Close(). One per selector: -EEXIST for a second; -EBADF closed.
  virtual int OpenWaker(std::shared_ptr<Waker>* out);
  /// The waker, or null.
  const std::shared_ptr<Waker>& waker() const { return waker_; }

  /// The kernel object's fd (epoll, kqueue), or -1 for poll and select.
  virtual int Fileno() const { return -1; }

  /// Releases kernel resources. Idempotent. Every other method fails with
  /// -EBADF afterwards.
  virtual void Close() = 0;

  /// Number of times Select retried after EINTR (for tests and diagnostics).
  uint64_t eintr_retries() const { return eintr_retries_; }

 protected:
  Selector() = default;
  /// Closes and unregisters the waker; every backend's Close() calls it first.
  void CloseWaker();
  /// Whether fd is the waker's own fd (not the user's to modify or unregister).
  bool IsWakerFd(int fd) const { return fd >= 0 && fd == waker_fd_; }
  /// For Select: resets the waker that was just seen ready.
  void DrainWaker() {
    if (waker_) waker_->Drain();
  }
  uint64_t eintr_retries_ = 0;
  std::shared_ptr<Waker> waker_;
  int waker_fd_ = -1;
};

/// Creates and opens a selector of the given kind. On failure returns null and
/// stores -errno in *err (-ENOSYS when the backend is not compiled for this OS).
std::unique_ptr<Selector> CreateSelector(Backend backend, int* err);

/// Whether `backend` is compiled into this build for this OS.
bool BackendCompiled(Backend backend);

}  // namespace core
}  // namespace ioreactor

#endif  // IOREACTOR_NATIVE_CORE_SELECTOR_H_
