// Backend registry: names, availability and the CreateSelector factory.
#include "selector.h"

#include <errno.h>

#include "selector_backends.h"

namespace ioreactor {
namespace core {

const char* BackendName(Backend backend) {
  switch (backend) {
    case Backend::kEpoll:
      return "epoll";
    case Backend::kKqueue:
      return "kqueue";
    case Backend::kPoll:
      return "poll";
    case Backend::kSelect:
      return "select";
  }
  return "unknown";
}

bool BackendCompiled(Backend backend) {
  switch (backend) {
    case Backend::kEpoll:
#ifdef IOR_HAVE_EPOLL
      return true;
#else
      return false;
#endif
    case Backend::kKqueue:
#ifdef IOR_HAVE_KQUEUE
      return true;
#else
      return false;
#endif
    case Backend::kPoll:
#ifdef IOR_HAVE_POLL
      return true;
#else
      return false;
#endif
    case Backend::kSelect:
#ifdef IOR_HAVE_SELECT
      return true;
#else
      return false;
#endif
  }
  return false;
}

int Selector::OpenWaker(std::shared_ptr<Waker>* out) {
  if (waker_) return -EEXIST;
  int err = 0;
  std::shared_ptr<Waker> waker = Waker::OpenFd(&err);
  if (!waker) return err;
  err = Register(waker->read_fd(), kEventRead, 0);
  if (err != 0) return err;  // the shared_ptr closes the fds
  if (WakerRegistryAdd(waker) == 0) {
    Unregister(waker->read_fd());
    return -EOVERFLOW;
  }
  waker_fd_ = waker->read_fd();
  waker_ = waker;
  *out = waker;
  return 0;
}

void Selector::CloseWaker() {
  if (!waker_) return;
  WakerRegistryRemove(waker_->id());
  waker_->Close();
  waker_.reset();
  waker_fd_ = -1;
}

std::unique_ptr<Selector> CreateSelector(Backend backend, int* err) {
  *err = 0;
  switch (backend) {
#ifdef IOR_HAVE_EPOLL
    case Backend::kEpoll:
      return NewEpollSelector(err);
#endif
#ifdef IOR_HAVE_KQUEUE
    case Backend::kKqueue:
      return NewKqueueSelector(err);
#endif
#ifdef IOR_HAVE_POLL
    case Backend::kPoll:
      return NewPollSelector(err);
#endif
#ifdef IOR_HAVE_SELECT
    case Backend::kSelect:
      return NewSelectSelector(err);
#endif
    default:
      break;
  }
  *err = -ENOSYS;
  return nullptr;
}

}  // namespace core
}  // namespace ioreactor
