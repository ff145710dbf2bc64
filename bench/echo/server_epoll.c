/* The C ceiling for bench/echo: a single-threaded, level-triggered epoll echo
 * server. One recv per readiness, one send of what arrived; a short send keeps
 * the rest and waits for EPOLLOUT.
 *
 * usage: echo_server_epoll PORT   (prints "port N" once listening on 127.0.0.1)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define kBuf 65536

typedef struct {
  char* pending;
  size_t pending_len;
} Conn;

static Conn* conns;
static int max_conns;

int main(int argc, char** argv) {
  int port = argc > 1 ? atoi(argv[1]) : 0;
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(lfd, (struct sockaddr*)&addr, sizeof(addr)) != 0 || listen(lfd, 4096) != 0) {
    perror("bind/listen");
    return 1;
  }
  socklen_t len = sizeof(addr);
  getsockname(lfd, (struct sockaddr*)&addr, &len);
  printf("port %d\n", ntohs(addr.sin_port));
  fflush(stdout);

  max_conns = 65536;
  conns = calloc((size_t)max_conns, sizeof(Conn));
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  static char buf[kBuf];
  struct epoll_event events[1024];
  for (;;) {
    int n = epoll_wait(ep, events, 1024, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("epoll_wait");
      return 1;
    }
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      if (fd == lfd) {
        for (;;) {
          int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (cfd < 0) break;
          if (cfd >= max_conns) {
            close(cfd);
            continue;
          }
          setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
          struct epoll_event cev = {.events = EPOLLIN, .data.fd = cfd};
          epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &cev);
        }
        continue;
      }
      Conn* c = &conns[fd];
      if (events[i].events & EPOLLOUT) {
        ssize_t w = send(fd, c->pending, c->pending_len, MSG_NOSIGNAL);
        if (w > 0) {
          memmove(c->pending, c->pending + w, c->pending_len - (size_t)w);
          c->pending_len -= (size_t)w;
        }
        if (c->pending_len == 0) {
          struct epoll_event cev = {.events = EPOLLIN, .data.fd = fd};
          epoll_ctl(ep, EPOLL_CTL_MOD, fd, &cev);
        }
        continue;
      }
      ssize_t r = recv(fd, buf, kBuf, 0);
      if (r <= 0) {
        if (r < 0 && errno == EAGAIN) continue;
        epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
        close(fd);
        free(c->pending);
        c->pending = NULL;
        c->pending_len = 0;
        continue;
      }
      ssize_t w = send(fd, buf, (size_t)r, MSG_NOSIGNAL);
      if (w < 0) w = 0;
      if (w < r) {
        c->pending = realloc(c->pending, c->pending_len + (size_t)(r - w));
        memcpy(c->pending + c->pending_len, buf + w, (size_t)(r - w));
        c->pending_len += (size_t)(r - w);
        struct epoll_event cev = {.events = EPOLLOUT, .data.fd = fd};
        epoll_ctl(ep, EPOLL_CTL_MOD, fd, &cev);
      }
    }
  }
}
