// C libzmq peer for `deno task bench:curves` (bench/curves.ts compiles it into
// bench/bin/ when missing or older than this file). It follows libzmq's perf/
// tools: local_thr/remote_thr for throughput (the receiver binds and times
// from the first message to the last), local_lat/remote_lat for latency (the
// REQ side times round trips; one way is half of one). JSON lines on stdout:
// {"endpoint": ...} once bound, then the result.
//   pull EP N             PULL receiver of N (multipart) messages: {"rate": msg/s, "mbps": MB/s}
//   push EP N SIZE PARTS  PUSH sender (connects): N messages of PARTS parts of SIZE bytes
//   rep EP N              blocking REP echo of N messages (binds EP)
//   req EP N SIZE         REQ client: 100 warm-up then N round trips: {"rtt_us", "one_way_us"}
#include <zmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void print_endpoint(void *s) {
  char ep[256];
  size_t len = sizeof ep;
  zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &len);
  printf("{\"endpoint\": \"%s\"}\n", ep);
  fflush(stdout);
}

// Receives one whole message (all its parts); returns its size in bytes.
static long recv_message(void *s, zmq_msg_t *msg) {
  long bytes = 0;
  do {
    if (zmq_msg_recv(msg, s, 0) < 0) { perror("zmq_msg_recv"); exit(1); }
    bytes += zmq_msg_size(msg);
  } while (zmq_msg_more(msg));
  return bytes;
}

static void check(int rc, const char *what) {
  if (rc < 0) { fprintf(stderr, "curves: %s: %s\n", what, zmq_strerror(zmq_errno())); exit(1); }
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: curves MODE EP N ...\n"); return 2; }
  const char *mode = argv[1], *ep = argv[2];
  long n = atol(argv[3]);
  void *ctx = zmq_ctx_new();
  zmq_msg_t msg;
  zmq_msg_init(&msg);
  if (!strcmp(mode, "pull")) {
    void *pull = zmq_socket(ctx, ZMQ_PULL);
    check(zmq_bind(pull, ep), "bind");
    print_endpoint(pull);
    recv_message(pull, &msg);
    double t0 = now_s();
    long bytes = 0;
    for (long i = 1; i < n; i++) bytes += recv_message(pull, &msg);
    double dt = now_s() - t0;
    printf("{\"rate\": %.0f, \"mbps\": %.2f}\n", (n - 1) / dt, bytes / dt / 1e6);
    zmq_close(pull);
  } else if (!strcmp(mode, "push") && argc >= 6) {
    int size = atoi(argv[4]), parts = atoi(argv[5]);
    void *push = zmq_socket(ctx, ZMQ_PUSH);
    int linger = -1;
    zmq_setsockopt(push, ZMQ_LINGER, &linger, sizeof linger);
    check(zmq_connect(push, ep), "connect");
    char *payload = malloc(size ? size : 1);
    memset(payload, 'x', size);
    for (long i = 0; i < n; i++) {
      for (int p = 0; p < parts; p++) {
        check(zmq_send(push, payload, size, p + 1 < parts ? ZMQ_SNDMORE : 0), "send");
      }
    }
    printf("{\"sent\": %ld}\n", n);
    zmq_close(push);
    free(payload);
  } else if (!strcmp(mode, "rep")) {
    void *rep = zmq_socket(ctx, ZMQ_REP);
    check(zmq_bind(rep, ep), "bind");
    print_endpoint(rep);
    for (long i = 0; i < n; i++) {
      check(zmq_msg_recv(&msg, rep, 0), "recv");
      check(zmq_msg_send(&msg, rep, 0), "send");
    }
    printf("{\"echoed\": %ld}\n", n);
    zmq_close(rep);
  } else if (!strcmp(mode, "req") && argc >= 5) {
    int size = atoi(argv[4]);
    void *req = zmq_socket(ctx, ZMQ_REQ);
    check(zmq_connect(req, ep), "connect");
    char *payload = malloc(size ? size : 1);
    memset(payload, 'x', size);
    double t0 = 0;
    for (long i = -100; i < n; i++) {  // 100 warm-up round trips first
      if (i == 0) t0 = now_s();
      check(zmq_send(req, payload, size, 0), "send");
      check(zmq_msg_recv(&msg, req, 0), "recv");
    }
    double rtt = (now_s() - t0) * 1e6 / n;
    printf("{\"rtt_us\": %.2f, \"one_way_us\": %.2f}\n", rtt, rtt / 2);
    zmq_close(req);
    free(payload);
  } else {
    fprintf(stderr, "curves: unknown mode or missing arguments: %s\n", mode);
    return 2;
  }
  zmq_msg_close(&msg);
  zmq_ctx_term(ctx);
  return 0;
}
