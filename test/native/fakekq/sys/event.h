// A user-space stand-in for <sys/event.h>, so the kqueue backend can be compiled and
// tested on Linux (test/native/fake_kqueue.cc implements it over poll(2)). Field types
// follow macOS; the backend must also build against the BSDs' real header.
#ifndef IOREACTOR_TEST_NATIVE_FAKEKQ_SYS_EVENT_H_
#define IOREACTOR_TEST_NATIVE_FAKEKQ_SYS_EVENT_H_

#include <stdint.h>
#include <time.h>

struct kevent {
  uintptr_t ident;
  int16_t filter;
  uint16_t flags;
  uint32_t fflags;
  intptr_t data;
  void* udata;
};

#define EVFILT_READ (-1)
#define EVFILT_WRITE (-2)
#define EV_ADD 0x0001
#define EV_DELETE 0x0002
#define EV_EOF 0x8000
#define EV_ERROR 0x4000
// macOS values; the emulation accepts them but implements none (the waker and the
// edge/one-shot flags are tested on the real kernels only).
// IOR_FAKE_NO_EVFILT_USER models a kqueue without it (older OpenBSD): the backend then
// falls back to a pipe waker.
#ifndef IOR_FAKE_NO_EVFILT_USER
#define EVFILT_USER (-10)
#endif
#define EV_ENABLE 0x0004
#define EV_DISABLE 0x0008
#define EV_CLEAR 0x0020
#define EV_DISPATCH 0x0080
#define NOTE_TRIGGER 0x01000000

#define EV_SET(kevp, a, b, c, d, e, f) \
  do {                                 \
    struct kevent* ev_ = (kevp);       \
    ev_->ident = (a);                  \
    ev_->filter = (b);                 \
    ev_->flags = (c);                  \
    ev_->fflags = (d);                 \
    ev_->data = (e);                   \
    ev_->udata = (f);                  \
  } while (0)

int kqueue(void);
int kevent(int kq, const struct kevent* changelist, int nchanges, struct kevent* eventlist,
           int nevents, const struct timespec* timeout);

// Test hooks: the nevents of the last kevent() call that asked for events; and making
// the next kevent() call fail with -1 without setting errno (some kqueue implementations
// fail a repeated EV_ADD that way; libkqueue's knote modify once returned -1 regardless,
// mheily/libkqueue#8).
int FakeKqueueLastNevents(void);
void FakeKqueueFailNextCall(void);

#endif  // IOREACTOR_TEST_NATIVE_FAKEKQ_SYS_EVENT_H_
