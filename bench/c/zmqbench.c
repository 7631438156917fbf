// C baselines for `deno task bench`, built with gcc at bench time.
// Every mode prints JSON lines: {"endpoint": ...} once bound, then the result.
//   inproc N             sync PUSH->PULL over inproc, 16 B: {"rate": msg/s}
//   inproc-threads N [WARM [HWM]]  PUSH (main thread) -> PULL (a second pthread) over
//                        inproc, 16 B: WARM messages first, then N timed from the first
//                        send to the last receive: {"rate": msg/s}; HWM 0 is libzmq's default
//   rep EP N             blocking REP echo for N requests (binds EP, e.g. tcp://127.0.0.1:*)
//   req EP N SIZE        REQ client: N round trips: {"rtt_us": mean}
//   pull EP N            PULL receiver: {"rate": msg/s, "mbps": MB/s} first to last message
//   push EP N SIZE       PUSH sender (connects): sends N messages
#include <zmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>

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

struct pull_job { void *ctx; long n, warm; int hwm; pthread_barrier_t *warmed; double end; };

static void *pull_thread(void *arg) {
  struct pull_job *job = arg;
  char buf[64];
  void *pull = zmq_socket(job->ctx, ZMQ_PULL);
  if (job->hwm) zmq_setsockopt(pull, ZMQ_RCVHWM, &job->hwm, sizeof job->hwm);
  zmq_connect(pull, "inproc://threads");
  for (long i = 0; i < job->warm; i++) zmq_recv(pull, buf, sizeof buf, 0);
  pthread_barrier_wait(job->warmed);
  for (long i = 0; i < job->n; i++) zmq_recv(pull, buf, sizeof buf, 0);
  job->end = now_s();
  zmq_close(pull);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: zmqbench MODE ...\n"); return 2; }
  const char *mode = argv[1];
  void *ctx = zmq_ctx_new();
  char buf[1 << 17];
  if (!strcmp(mode, "inproc")) {
    long n = atol(argv[2]);
    void *pull = zmq_socket(ctx, ZMQ_PULL), *push = zmq_socket(ctx, ZMQ_PUSH);
    zmq_bind(pull, "inproc://bench");
    zmq_connect(push, "inproc://bench");
    memset(buf, 'x', 16);
    double best = 0;
    for (int round = 0; round < 5; round++) {  // round 0 warms up, as on the Deno side
      double t0 = now_s();
      for (long i = 0; i < n; i += 100) {
        for (int j = 0; j < 100; j++) zmq_send(push, buf, 16, 0);
        for (int j = 0; j < 100; j++) zmq_recv(pull, buf, sizeof buf, 0);
      }
      double rate = n / (now_s() - t0);
      if (round && rate > best) best = rate;
    }
    printf("{\"rate\": %.0f}\n", best);
    zmq_close(pull); zmq_close(push);
  } else if (!strcmp(mode, "inproc-threads")) {
    long n = atol(argv[2]);
    long warm = argc > 3 ? atol(argv[3]) : 0;  // messages before the clock starts
    int hwm = argc > 4 ? atoi(argv[4]) : 0;    // 0: libzmq's default (1000)
    void *push = zmq_socket(ctx, ZMQ_PUSH);
    if (hwm) zmq_setsockopt(push, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_bind(push, "inproc://threads");
    memset(buf, 'x', 16);
    pthread_barrier_t warmed;
    pthread_barrier_init(&warmed, NULL, 2);
    struct pull_job job = { ctx, n, warm + 1, hwm, &warmed, 0 };
    pthread_t t;
    pthread_create(&t, NULL, pull_thread, &job);
    // the first message also waits for the connection; warm-up ones follow
    for (long i = 0; i <= warm; i++) zmq_send(push, buf, 16, 0);
    pthread_barrier_wait(&warmed);
    double t0 = now_s();
    for (long i = 0; i < n; i++) zmq_send(push, buf, 16, 0);
    pthread_join(t, NULL);
    printf("{\"rate\": %.0f}\n", n / (job.end - t0));
    zmq_close(push);
    pthread_barrier_destroy(&warmed);
  } else if (!strcmp(mode, "rep")) {
    long n = atol(argv[3]);
    void *rep = zmq_socket(ctx, ZMQ_REP);
    zmq_bind(rep, argv[2]);
    print_endpoint(rep);
    for (long i = 0; i < n; i++) {
      int size = zmq_recv(rep, buf, sizeof buf, 0);
      zmq_send(rep, buf, size, 0);
    }
    zmq_close(rep);
  } else if (!strcmp(mode, "req")) {
    long n = atol(argv[3]);
    int size = atoi(argv[4]);
    void *req = zmq_socket(ctx, ZMQ_REQ);
    zmq_connect(req, argv[2]);
    memset(buf, 'x', size);
    // warm up: the connection and the first messages
    for (int i = 0; i < 100; i++) { zmq_send(req, buf, size, 0); zmq_recv(req, buf, sizeof buf, 0); }
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
      zmq_send(req, buf, size, 0);
      zmq_recv(req, buf, sizeof buf, 0);
    }
    printf("{\"rtt_us\": %.2f}\n", (now_s() - t0) * 1e6 / n);
    zmq_close(req);
  } else if (!strcmp(mode, "pull")) {
    long n = atol(argv[3]);
    void *pull = zmq_socket(ctx, ZMQ_PULL);
    zmq_bind(pull, argv[2]);
    print_endpoint(pull);
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    int size = zmq_msg_recv(&msg, pull, 0);
    double t0 = now_s();
    for (long i = 1; i < n; i++) zmq_msg_recv(&msg, pull, 0);
    double dt = now_s() - t0;
    printf("{\"rate\": %.0f, \"mbps\": %.1f}\n", (n - 1) / dt, (n - 1) * (double)size / dt / 1e6);
    zmq_msg_close(&msg);
    zmq_close(pull);
  } else if (!strcmp(mode, "push")) {
    long n = atol(argv[3]);
    int size = atoi(argv[4]);
    void *push = zmq_socket(ctx, ZMQ_PUSH);
    int linger = -1;
    zmq_setsockopt(push, ZMQ_LINGER, &linger, sizeof linger);
    zmq_connect(push, argv[2]);
    char *payload = malloc(size);
    memset(payload, 'x', size);
    double t0 = now_s();
    for (long i = 0; i < n; i++) zmq_send(push, payload, size, 0);
    printf("{\"rate\": %.0f}\n", n / (now_s() - t0));
    fflush(stdout);
    zmq_close(push);
    free(payload);
  } else {
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
  }
  zmq_ctx_term(ctx);
  return 0;
}
