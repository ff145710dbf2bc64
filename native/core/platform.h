// The one place that maps the target OS to the backends compiled for it.
#ifndef IOREACTOR_NATIVE_CORE_PLATFORM_H_
#define IOREACTOR_NATIVE_CORE_PLATFORM_H_

#if defined(__linux__)
#define IOR_HAVE_EPOLL 1
#endif

#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || \
    defined(__NetBSD__) || defined(__DragonFly__)
#define IOR_HAVE_KQUEUE 1
#endif

#if defined(__unix__) || defined(__APPLE__)
#define IOR_HAVE_POLL 1
#define IOR_HAVE_SELECT 1
#endif

#endif  // IOREACTOR_NATIVE_CORE_PLATFORM_H_
