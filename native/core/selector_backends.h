// Factories for the concrete backends; each exists only where platform.h says so.
#ifndef IOREACTOR_NATIVE_CORE_SELECTOR_BACKENDS_H_
#define IOREACTOR_NATIVE_CORE_SELECTOR_BACKENDS_H_

#include <memory>

#include "platform.h"
#include "selector.h"

namespace ioreactor {
namespace core {

#ifdef IOR_HAVE_EPOLL
std::unique_ptr<Selector> NewEpollSelector(int* err);
#endif
#ifdef IOR_HAVE_KQUEUE
std::unique_ptr<Selector> NewKqueueSelector(int* err);
#endif
#ifdef IOR_HAVE_POLL
std::unique_ptr<Selector> NewPollSelector(int* err);
#endif
#ifdef IOR_HAVE_SELECT
std::unique_ptr<Selector> NewSelectSelector(int* err);
#endif

}  // namespace core
}  // namespace ioreactor

#endif  // IOREACTOR_NATIVE_CORE_SELECTOR_BACKENDS_H_
