/* The libuv reference for bench/echo: a single-threaded echo server on libuv's own C
 * API (uv_listen / uv_accept / uv_read_start / uv_write), the layer node:net is built
 * on, without Node's JS on top. Each read is written back as it arrived; the write
 * request owns a copy of the bytes until its callback frees it. TCP_NODELAY is set on
 * every accepted connection, as the other servers do.
 *
 * build: cc -O2 -o echo_server_libuv server_libuv.c -luv   (Debian: libuv1-dev)
 * usage: echo_server_libuv PORT   (prints "port N" once listening on 127.0.0.1)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

typedef struct {
  uv_write_t req;
  uv_buf_t buf;
} WriteReq;

static uv_loop_t* loop;

/* Read buffers: 64 KiB each, handed from a read to the write that echoes it and back to
 * this free list when the write completes (plain malloc/free of 64 KiB per message made
 * glibc grow and trim the heap with brk() every few messages). */
#define kBufSize 65536
#define kPoolMax 1024
static char* pool[kPoolMax];
static int pooled;

static char* take_buffer(void) { return pooled > 0 ? pool[--pooled] : malloc(kBufSize); }

static void give_buffer(char* base) {
  if (base == NULL) return;
  if (pooled < kPoolMax) pool[pooled++] = base;
  else free(base);
}

static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) {
  (void)handle;
  (void)suggested;
  buf->base = take_buffer();
  buf->len = buf->base ? kBufSize : 0;
}

static void on_close(uv_handle_t* handle) { free(handle); }

static void on_write(uv_write_t* req, int status) {
  WriteReq* w = (WriteReq*)req;
  uv_handle_t* stream = (uv_handle_t*)req->handle;
  give_buffer(w->buf.base);
  free(w);
  if (status < 0 && !uv_is_closing(stream)) uv_close(stream, on_close);
}

static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  if (nread > 0) {
    WriteReq* w = malloc(sizeof(WriteReq));
    if (w == NULL) {
      give_buffer(buf->base);
      uv_close((uv_handle_t*)stream, on_close);
      return;
    }
    w->buf = uv_buf_init(buf->base, (unsigned int)nread);
    if (uv_write(&w->req, stream, &w->buf, 1, on_write) != 0) {
      give_buffer(buf->base);
      free(w);
      uv_close((uv_handle_t*)stream, on_close);
    }
    return;
  }
  give_buffer(buf->base);
  if (nread < 0 && !uv_is_closing((uv_handle_t*)stream)) uv_close((uv_handle_t*)stream, on_close);
}

static void on_connection(uv_stream_t* server, int status) {
  if (status < 0) return;
  uv_tcp_t* client = malloc(sizeof(uv_tcp_t));
  if (client == NULL) return;
  uv_tcp_init(loop, client);
  if (uv_accept(server, (uv_stream_t*)client) != 0) {
    uv_close((uv_handle_t*)client, on_close);
    return;
  }
  uv_tcp_nodelay(client, 1);
  uv_read_start((uv_stream_t*)client, on_alloc, on_read);
}

static void on_signal(uv_signal_t* handle, int signum) {
  (void)signum;
  uv_stop(handle->loop);
}

int main(int argc, char** argv) {
  int port = argc > 1 ? atoi(argv[1]) : 0;
  loop = uv_default_loop();
  uv_tcp_t server;
  uv_tcp_init(loop, &server);
  struct sockaddr_in addr;
  uv_ip4_addr("127.0.0.1", port, &addr);
  int rc = uv_tcp_bind(&server, (const struct sockaddr*)&addr, 0);
  if (rc == 0) rc = uv_listen((uv_stream_t*)&server, 4096, on_connection);
  if (rc != 0) {
    fprintf(stderr, "echo_server_libuv: %s\n", uv_strerror(rc));
    return 1;
  }
  struct sockaddr_in bound;
  int len = sizeof(bound);
  uv_tcp_getsockname(&server, (struct sockaddr*)&bound, &len);
  printf("port %d\n", ntohs(bound.sin_port));
  fflush(stdout);
  uv_signal_t sigterm;
  uv_signal_init(loop, &sigterm);
  uv_signal_start(&sigterm, on_signal, SIGTERM);
  uv_unref((uv_handle_t*)&sigterm);
  uv_run(loop, UV_RUN_DEFAULT);
  return 0;
}
