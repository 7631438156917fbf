/**
 * The libzmq symbol table: every C function zmqloop calls, with its C
 * signature in the comments. Symbols that some libzmq builds lack are
 * `optional: true`; their call sites check for them.
 *
 * @module
 */

/** libzmq functions bound through `Deno.dlopen`. */
export const symbols = {
  // void zmq_version(int *major, int *minor, int *patch)
  zmq_version: { parameters: ["buffer", "buffer", "buffer"], result: "void" },
  // int zmq_errno(void)
  zmq_errno: { parameters: [], result: "i32" },
  // const char *zmq_strerror(int errnum)
  zmq_strerror: { parameters: ["i32"], result: "pointer" },
  // int zmq_has(const char *capability)
  zmq_has: { parameters: ["buffer"], result: "i32", optional: true },

  // void *zmq_ctx_new(void)
  zmq_ctx_new: { parameters: [], result: "pointer" },
  // int zmq_ctx_term(void *context)
  zmq_ctx_term: { parameters: ["pointer"], result: "i32" },
  // zmq_ctx_term on a pool thread: it waits up to the sockets' linger
  zmq_ctx_term_async: {
    name: "zmq_ctx_term",
    parameters: ["pointer"],
    result: "i32",
    nonblocking: true,
  },
  // int zmq_ctx_shutdown(void *context)
  zmq_ctx_shutdown: { parameters: ["pointer"], result: "i32" },
  // int zmq_ctx_set(void *context, int option, int optval)
  zmq_ctx_set: { parameters: ["pointer", "i32", "i32"], result: "i32" },
  // int zmq_ctx_get(void *context, int option)
  zmq_ctx_get: { parameters: ["pointer", "i32"], result: "i32" },

  // void *zmq_socket(void *context, int type)
  zmq_socket: { parameters: ["pointer", "i32"], result: "pointer" },
  // int zmq_close(void *socket)
  zmq_close: { parameters: ["pointer"], result: "i32" },
  // int zmq_setsockopt(void *socket, int option, const void *optval, size_t optvallen)
  zmq_setsockopt: {
    parameters: ["pointer", "i32", "buffer", "usize"],
    result: "i32",
  },
  // int zmq_getsockopt(void *socket, int option, void *optval, size_t *optvallen)
  zmq_getsockopt: {
    parameters: ["pointer", "i32", "buffer", "buffer"],
    result: "i32",
  },
  // the same with value and length given by address: the EVENTS read, hot
  // in every loop ("pointer" arguments cost ~10 ns, "buffer" ones 25-50)
  zmq_getsockopt_at: {
    name: "zmq_getsockopt",
    parameters: ["pointer", "i32", "pointer", "pointer"],
    result: "i32",
  },
  // int zmq_bind(void *socket, const char *endpoint)
  zmq_bind: { parameters: ["pointer", "buffer"], result: "i32" },
  // int zmq_connect(void *socket, const char *endpoint)
  zmq_connect: { parameters: ["pointer", "buffer"], result: "i32" },
  // int zmq_unbind(void *socket, const char *endpoint)
  zmq_unbind: { parameters: ["pointer", "buffer"], result: "i32" },
  // int zmq_disconnect(void *socket, const char *endpoint)
  zmq_disconnect: { parameters: ["pointer", "buffer"], result: "i32" },
  // int zmq_send(void *socket, const void *buf, size_t len, int flags)
  zmq_send: {
    parameters: ["pointer", "buffer", "usize", "i32"],
    result: "i32",
  },
  // int zmq_proxy_steerable(void *frontend, void *backend, void *capture,
  //                         void *control): runs on its own thread
  zmq_proxy_steerable: {
    parameters: ["pointer", "pointer", "pointer", "pointer"],
    result: "i32",
    nonblocking: true,
  },
  // int zmq_socket_monitor(void *socket, const char *endpoint, int events)
  zmq_socket_monitor: {
    parameters: ["pointer", "buffer", "i32"],
    result: "i32",
  },

  // int zmq_msg_init(zmq_msg_t *msg)
  zmq_msg_init: { parameters: ["buffer"], result: "i32" },
  // int zmq_msg_init_data(zmq_msg_t *msg, void *data, size_t size, zmq_free_fn *ffn, void *hint)
  zmq_msg_init_data: {
    parameters: ["buffer", "pointer", "usize", "function", "pointer"],
    result: "i32",
  },
  // int zmq_msg_copy(zmq_msg_t *dest, zmq_msg_t *src)
  zmq_msg_copy: { parameters: ["buffer", "buffer"], result: "i32" },
  // int zmq_msg_send(zmq_msg_t *msg, void *socket, int flags)
  zmq_msg_send: { parameters: ["buffer", "pointer", "i32"], result: "i32" },
  // int zmq_msg_recv(zmq_msg_t *msg, void *socket, int flags)
  zmq_msg_recv: { parameters: ["buffer", "pointer", "i32"], result: "i32" },
  // the same, the message given by address: the scratch message's receive
  // (a "pointer" argument costs ~10 ns, a "buffer" one 25-50 ns)
  zmq_msg_recv_at: {
    name: "zmq_msg_recv",
    parameters: ["pointer", "pointer", "i32"],
    result: "i32",
  },
  // int zmq_msg_init_size(zmq_msg_t *msg, size_t size)
  zmq_msg_init_size: { parameters: ["buffer", "usize"], result: "i32" },
  // size_t zmq_msg_size(const zmq_msg_t *msg): the true size (zmq_msg_recv's
  // int result stops at INT_MAX for messages of 2 GiB and more)
  zmq_msg_size: { parameters: ["buffer"], result: "usize" },
  // int zmq_msg_close(zmq_msg_t *msg)
  zmq_msg_close: { parameters: ["buffer"], result: "i32" },
  // void *zmq_msg_data(zmq_msg_t *msg)
  zmq_msg_data: { parameters: ["buffer"], result: "pointer" },
  // void *zmq_msg_data(zmq_msg_t *msg), only the low 32 bits: a cheap test of
  // "is the payload stored inside the zmq_msg_t" (a full pointer costs ~50 ns)
  zmq_msg_data_low: {
    name: "zmq_msg_data",
    parameters: ["buffer"],
    result: "u32",
  },
  // int zmq_recv(void *socket, void *buf, size_t len, int flags)
  zmq_recv: {
    parameters: ["pointer", "buffer", "usize", "i32"],
    result: "i32",
  },
  // int zmq_msg_more(const zmq_msg_t *msg)
  zmq_msg_more: { parameters: ["buffer"], result: "i32" },
  // the same, the message given by address (the scratch message's)
  zmq_msg_more_at: {
    name: "zmq_msg_more",
    parameters: ["pointer"],
    result: "i32",
  },
  // const char *zmq_msg_gets(const zmq_msg_t *msg, const char *property)
  zmq_msg_gets: { parameters: ["buffer", "buffer"], result: "pointer" },

  // int zmq_poll(zmq_pollitem_t *items, int nitems, long timeout)
  zmq_poll: { parameters: ["buffer", "i32", "i64"], result: "i32" },

  // char *zmq_z85_encode(char *dest, const uint8_t *data, size_t size)
  zmq_z85_encode: {
    parameters: ["buffer", "buffer", "usize"],
    result: "pointer",
  },
  // uint8_t *zmq_z85_decode(uint8_t *dest, const char *string)
  zmq_z85_decode: { parameters: ["buffer", "buffer"], result: "pointer" },
  // int zmq_curve_keypair(char *z85_public_key, char *z85_secret_key)
  zmq_curve_keypair: {
    parameters: ["buffer", "buffer"],
    result: "i32",
    optional: true,
  },
  // int zmq_curve_public(char *z85_public_key, const char *z85_secret_key)
  zmq_curve_public: {
    parameters: ["buffer", "buffer"],
    result: "i32",
    optional: true,
  },
} as const satisfies Deno.ForeignLibraryInterface;

/** The loaded library's symbols. */
export type ZmqSymbols = Deno.DynamicLibrary<typeof symbols>["symbols"];
