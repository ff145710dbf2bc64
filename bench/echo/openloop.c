/* Open-loop TCP echo load generator for the latency cells of `npm run bench`.
 *
 * Sends RATE messages of SIZE bytes per second in total, spread round-robin over
 * CONNECTIONS connections, on a fixed schedule: message i is due at t0 + i / RATE whether
 * or not earlier replies have come back (an open loop; a closed loop would wait, send
 * less when the server is slow, and hide the queueing). Each reply's latency is measured
 * from the message's *scheduled* send time, not from when it was actually written, so a
 * stall in the client or the server is charged to every message it delayed (no
 * coordinated omission). Echo servers keep each connection's bytes in order, so the
 * k-th SIZE bytes back on a connection answer the k-th message sent on it.
 *
 * After WARMUP seconds it records the replies to messages scheduled in the next DURATION
 * seconds, waits up to 2 s more for the last of them, and prints one JSON line: messages
 * scheduled and answered in the window, the rate achieved, p50/p99/p99.9/max latency
 * (1 µs buckets up to 100 ms, 1 ms buckets beyond), messages still unanswered, and the
 * total echoed over the whole run (for server CPU per message).
 *
 * Written in C rather than JS so the client's own pauses (GC, JIT) and per-message cost
 * stay far below what it measures, at rates up to the fastest server's saturation.
 *
 * usage: echo_openloop HOST PORT CONNECTIONS SIZE RATE DURATION_S WARMUP_S
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  int fd;
  uint64_t* due;      /* ring of scheduled send times of messages awaiting their echo */
  size_t head, count, cap;
  size_t out_pending; /* bytes of whole messages not yet written */
  size_t out_offset;  /* bytes of the current message already written */
  size_t in_bytes;    /* bytes of the current reply received */
  int want_out;
} Conn;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char* what) {
  fprintf(stderr, "echo_openloop: %s: %s\n", what, strerror(errno));
  exit(2);
}

#define kFine 100000   /* 1 µs buckets below 100 ms */
#define kCoarse 100000 /* then 1 ms buckets up to 100 s */
static uint64_t fine[kFine];
static uint64_t coarse[kCoarse];
static uint64_t recorded;
static uint64_t max_us;

static void record(uint64_t us) {
  if (us < kFine) fine[us]++;
  else coarse[us / 1000 < kCoarse ? us / 1000 : kCoarse - 1]++;
  if (us > max_us) max_us = us;
  recorded++;
}

static double percentile(double p) {
  uint64_t target = (uint64_t)(p * (double)recorded);
  uint64_t seen = 0;
  for (int i = 0; i < kFine; i++) {
    seen += fine[i];
    if (seen > target) return (double)i;
  }
  for (int i = 0; i < kCoarse; i++) {
    seen += coarse[i];
    if (seen > target) return (double)i * 1000.0;
  }
  return (double)max_us;
}

static uint8_t* message;
static size_t size;
static int ep;

static void set_out(Conn* c, int idx, int want) {
  if (c->want_out == want) return;
  c->want_out = want;
  struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.u32 = (uint32_t)idx};
  if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0) die("epoll_ctl");
}

static void flush(Conn* c, int idx) {
  while (c->out_pending > 0) {
    ssize_t n = send(c->fd, message + c->out_offset, size - c->out_offset, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN) break;
      if (errno == EINTR) continue;
      die("send");
    }
    c->out_offset += (size_t)n;
    if (c->out_offset == size) {
      c->out_offset = 0;
      c->out_pending--;
    }
  }
  set_out(c, idx, c->out_pending > 0);
}

int main(int argc, char** argv) {
  if (argc != 8) {
    fprintf(stderr, "usage: echo_openloop HOST PORT CONNECTIONS SIZE RATE DURATION_S WARMUP_S\n");
    return 2;
  }
  const int port = atoi(argv[2]);
  const int nconn = atoi(argv[3]);
  size = (size_t)atol(argv[4]);
  const double rate = atof(argv[5]);
  const double duration = atof(argv[6]);
  const double warmup = atof(argv[7]);
  if (nconn <= 0 || size == 0 || rate <= 0 || duration <= 0 || warmup < 0) {
    fprintf(stderr, "echo_openloop: bad arguments\n");
    return 2;
  }
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1 || (ntohl(addr.sin_addr.s_addr) >> 24) != 127) {
    fprintf(stderr, "echo_openloop: HOST must be a numeric address in 127.0.0.0/8\n");
    return 2;
  }
  message = malloc(size);
  if (message == NULL) die("malloc");
  for (size_t i = 0; i < size; i++) message[i] = (uint8_t)(i * 7u + 1u);
  static uint8_t sink[1 << 16];

  ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  Conn* conns = calloc((size_t)nconn, sizeof(Conn));
  if (conns == NULL) die("calloc");
  for (int i = 0; i < nconn; i++) {
    Conn* c = &conns[i];
    c->cap = 1024;
    c->due = malloc(c->cap * sizeof(uint64_t));
    if (c->due == NULL) die("malloc");
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0) die("socket");
    if (connect(c->fd, (struct sockaddr*)&addr, sizeof(addr)) != 0) die("connect");
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0) die("epoll_ctl");
  }

  const double interval = 1e9 / rate;
  const uint64_t t0 = now_ns();
  const uint64_t window_start = t0 + (uint64_t)(warmup * 1e9);
  const uint64_t window_end = window_start + (uint64_t)(duration * 1e9);
  const uint64_t hard_end = window_end + 2000000000u; /* wait for stragglers */
  uint64_t next = 0;                                   /* index of the next message to send */
  uint64_t window_sent = 0, total = 0;
  struct epoll_event events[1024];
  for (;;) {
    uint64_t now = now_ns();
    /* Send everything due by now (catching up after a stall: the schedule does not wait). */
    for (;;) {
      uint64_t due = t0 + (uint64_t)((double)next * interval);
      if (due > now || due >= window_end) break;
      Conn* c = &conns[next % (uint64_t)nconn];
      if (c->count == c->cap) {
        uint64_t* grown = malloc(2 * c->cap * sizeof(uint64_t));
        if (grown == NULL) die("malloc");
        for (size_t k = 0; k < c->count; k++) grown[k] = c->due[(c->head + k) % c->cap];
        free(c->due);
        c->due = grown;
        c->head = 0;
        c->cap *= 2;
      }
      c->due[(c->head + c->count) % c->cap] = due;
      c->count++;
      c->out_pending++;
      if (due >= window_start) window_sent++;
      flush(c, (int)(next % (uint64_t)nconn));
      next++;
    }
    uint64_t next_due = t0 + (uint64_t)((double)next * interval);
    int sending = next_due < window_end;
    uint64_t outstanding = 0;
    if (!sending) {
      for (int i = 0; i < nconn; i++) outstanding += conns[i].count;
      if (outstanding == 0 || now >= hard_end) break;
    }
    uint64_t wake = sending ? next_due : hard_end;
    struct timespec timeout = {0, 0};
    if (wake > now) {
      timeout.tv_sec = (time_t)((wake - now) / 1000000000u);
      timeout.tv_nsec = (long)((wake - now) % 1000000000u);
    }
    int n = epoll_pwait2(ep, events, 1024, &timeout, NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_pwait2");
    }
    for (int k = 0; k < n; k++) {
      int idx = (int)events[k].data.u32;
      Conn* c = &conns[idx];
      if (events[k].events & EPOLLOUT) flush(c, idx);
      if (!(events[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      ssize_t r = recv(c->fd, sink, sizeof(sink), 0);
      if (r == 0) {
        fprintf(stderr, "echo_openloop: server closed a connection\n");
        return 1;
      }
      if (r < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        die("recv");
      }
      uint64_t done = now_ns();
      c->in_bytes += (size_t)r;
      while (c->in_bytes >= size && c->count > 0) {
        c->in_bytes -= size;
        uint64_t due = c->due[c->head];
        c->head = (c->head + 1) % c->cap;
        c->count--;
        total++;
        if (due >= window_start && due < window_end) record((done - due) / 1000);
      }
    }
  }
  uint64_t unanswered = 0;
  for (int i = 0; i < nconn; i++) {
    unanswered += conns[i].count;
    close(conns[i].fd);
  }
  printf("{\"window_sent\":%llu,\"window_answered\":%llu,\"rate_achieved\":%.1f,\"p50_us\":%.0f,"
         "\"p99_us\":%.0f,\"p999_us\":%.0f,\"max_us\":%llu,\"unanswered\":%llu,\"total_msgs\":%llu}\n",
         (unsigned long long)window_sent, (unsigned long long)recorded, (double)recorded / duration,
         percentile(0.5), percentile(0.99), percentile(0.999), (unsigned long long)max_us,
         (unsigned long long)unanswered, (unsigned long long)total);
  return 0;
}
