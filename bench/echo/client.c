/* Closed-loop TCP echo load generator for bench/echo.
 *
 * Opens C connections to HOST:PORT; each keeps exactly one message of SIZE bytes in
 * flight: it sends, waits for the whole echo, checks every byte, and sends the next.
 * After WARMUP seconds it measures for DURATION seconds and prints one JSON line:
 * messages echoed in the window, msgs/s, p50/p99 round-trip latency, the largest gap
 * between two replies on one connection (a connection still waiting at the end of the
 * window counts too), and the total messages echoed over the whole run (for server CPU
 * per message).
 *
 * With a seventh argument `flood`, every connection instead sends SIZE-byte writes
 * whenever the socket takes them and reads the echo as it comes, discarding it (the
 * noisy neighbour of bench/fairness.mjs); the JSON line then reports bytes sent and
 * received.
 *
 * usage: echo_client HOST PORT CONNECTIONS SIZE DURATION_S WARMUP_S [flood]
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
  uint32_t id;
  uint32_t seq;
  size_t sent;
  size_t received;
  uint64_t start_ns;
  uint64_t last_reply_ns;
  uint8_t* out;
  uint8_t* in;
} Conn;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char* what) {
  fprintf(stderr, "echo_client: %s: %s\n", what, strerror(errno));
  exit(2);
}

/* Latency histogram: 1 µs buckets up to 100 ms, then one overflow bucket. */
#define kBuckets 100001
static uint64_t histogram[kBuckets];
static uint64_t window_count;

static void fill(Conn* c, size_t size) {
  for (size_t i = 0; i < size; i++) c->out[i] = (uint8_t)(c->id * 31u + c->seq * 7u + i);
}

static int send_more(Conn* c, size_t size) {
  while (c->sent < size) {
    ssize_t n = send(c->fd, c->out + c->sent, size - c->sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN) return 1; /* wait for EPOLLOUT */
      if (errno == EINTR) continue;
      die("send");
    }
    c->sent += (size_t)n;
  }
  return 0;
}

/* Flood mode: keep the server's receive side full and drain whatever it echoes. */
static int flood(Conn* conns, int nconn, int ep, size_t size, uint64_t window_end) {
  static uint8_t sink[1 << 18];
  uint64_t sent = 0;
  uint64_t received = 0;
  for (int i = 0; i < nconn; i++) {
    memset(conns[i].out, 'f', size);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = (uint32_t)i};
    if (epoll_ctl(ep, EPOLL_CTL_MOD, conns[i].fd, &ev) != 0) die("epoll_ctl");
  }
  struct epoll_event events[1024];
  for (;;) {
    uint64_t now = now_ns();
    if (now >= window_end) break;
    int n = epoll_wait(ep, events, 1024, (int)((window_end - now) / 1000000) + 1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int k = 0; k < n; k++) {
      Conn* c = &conns[events[k].data.u32];
      if (events[k].events & EPOLLOUT) {
        ssize_t w = send(c->fd, c->out, size, MSG_NOSIGNAL);
        if (w > 0) sent += (uint64_t)w;
        else if (w < 0 && errno != EAGAIN && errno != EINTR) die("send");
      }
      if (events[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        ssize_t r = recv(c->fd, sink, sizeof(sink), 0);
        if (r == 0) {
          fprintf(stderr, "echo_client: server closed connection %u\n", c->id);
          return 1;
        }
        if (r > 0) received += (uint64_t)r;
        else if (errno != EAGAIN && errno != EINTR) die("recv");
      }
    }
  }
  for (int i = 0; i < nconn; i++) close(conns[i].fd);
  printf("{\"flood_bytes_sent\":%llu,\"flood_bytes_received\":%llu}\n", (unsigned long long)sent,
         (unsigned long long)received);
  return 0;
}

static double percentile(double p) {
  uint64_t target = (uint64_t)(p * (double)window_count);
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; i++) {
    seen += histogram[i];
    if (seen > target) return (double)i;
  }
  return (double)(kBuckets - 1);
}

int main(int argc, char** argv) {
  if (argc != 7 && !(argc == 8 && strcmp(argv[7], "flood") == 0)) {
    fprintf(stderr, "usage: echo_client HOST PORT CONNECTIONS SIZE DURATION_S WARMUP_S [flood]\n");
    return 2;
  }
  const char* host = argv[1];
  const int port = atoi(argv[2]);
  const int nconn = atoi(argv[3]);
  const size_t size = (size_t)atol(argv[4]);
  const double duration = atof(argv[5]);
  const double warmup = atof(argv[6]);
  if (nconn <= 0 || size == 0 || duration <= 0 || warmup < 0) {
    fprintf(stderr, "echo_client: bad arguments\n");
    return 2;
  }

  struct sockaddr_in addr;
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
    fprintf(stderr, "echo_client: HOST must be a numeric IPv4 address\n");
    return 2;
  }
  /* Loopback only: refuse anything outside 127.0.0.0/8. */
  if ((ntohl(addr.sin_addr.s_addr) >> 24) != 127) {
    fprintf(stderr, "echo_client: only 127.0.0.0/8 targets are allowed\n");
    return 2;
  }

  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  Conn* conns = calloc((size_t)nconn, sizeof(Conn));
  if (conns == NULL) die("calloc");
  for (int i = 0; i < nconn; i++) {
    Conn* c = &conns[i];
    c->id = (uint32_t)i;
    c->out = malloc(size);
    c->in = malloc(size);
    if (c->out == NULL || c->in == NULL) die("malloc");
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0) die("socket");
    if (connect(c->fd, (struct sockaddr*)&addr, sizeof(addr)) != 0) die("connect");
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0) die("epoll_ctl");
  }

  const uint64_t t0 = now_ns();
  const uint64_t window_start = t0 + (uint64_t)(warmup * 1e9);
  const uint64_t window_end = window_start + (uint64_t)(duration * 1e9);
  if (argc == 8) return flood(conns, nconn, ep, size, window_end);
  uint64_t total = 0;
  uint64_t mismatches = 0;
  uint64_t max_gap_ns = 0;
  for (int i = 0; i < nconn; i++) {
    Conn* c = &conns[i];
    fill(c, size);
    c->start_ns = now_ns();
    c->last_reply_ns = c->start_ns;
    if (send_more(c, size)) {
      struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = (uint32_t)i};
      epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    }
  }

  struct epoll_event events[1024];
  for (;;) {
    uint64_t now = now_ns();
    if (now >= window_end) break;
    int n = epoll_wait(ep, events, 1024, (int)((window_end - now) / 1000000) + 1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int k = 0; k < n; k++) {
      Conn* c = &conns[events[k].data.u32];
      if (events[k].events & EPOLLOUT) {
        if (!send_more(c, size)) {
          struct epoll_event ev = {.events = EPOLLIN, .data.u32 = c->id};
          epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        }
      }
      if (!(events[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      ssize_t r = recv(c->fd, c->in + c->received, size - c->received, 0);
      if (r == 0) {
        fprintf(stderr, "echo_client: server closed connection %u\n", c->id);
        return 1;
      }
      if (r < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        die("recv");
      }
      c->received += (size_t)r;
      if (c->received < size) continue;
      if (memcmp(c->in, c->out, size) != 0) mismatches++;
      uint64_t done = now_ns();
      total++;
      if (done >= window_start && done < window_end) {
        uint64_t us = (done - c->start_ns) / 1000;
        histogram[us < kBuckets - 1 ? us : kBuckets - 1]++;
        window_count++;
        if (done - c->last_reply_ns > max_gap_ns) max_gap_ns = done - c->last_reply_ns;
      }
      c->last_reply_ns = done;
      c->seq++;
      c->sent = 0;
      c->received = 0;
      fill(c, size);
      c->start_ns = now_ns();
      if (send_more(c, size)) {
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = c->id};
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
      }
    }
  }
  /* A connection still waiting when the window closes has a gap that is still open. */
  for (int i = 0; i < nconn; i++) {
    if (conns[i].last_reply_ns < window_end && window_end - conns[i].last_reply_ns > max_gap_ns) {
      max_gap_ns = window_end - conns[i].last_reply_ns;
    }
    close(conns[i].fd);
  }
  printf("{\"window_msgs\":%llu,\"msgs_per_s\":%.1f,\"p50_us\":%.0f,\"p99_us\":%.0f,"
         "\"max_gap_us\":%llu,\"total_msgs\":%llu,\"mismatches\":%llu}\n",
         (unsigned long long)window_count, (double)window_count / duration, percentile(0.5),
         percentile(0.99), (unsigned long long)(max_gap_ns / 1000), (unsigned long long)total,
         (unsigned long long)mismatches);
  return mismatches == 0 ? 0 : 1;
}
