/**
 * zmqloop: ZeroMQ for Deno. The real libzmq through Deno FFI, with PyZMQ's
 * API and event-loop model.
 *
 * ```ts
 * import { Context, REP, REQ } from "@zmqloop/zmq";
 * using ctx = new Context();
 * const rep = ctx.socket(REP);
 * const port = rep.bindToRandomPort("tcp://127.0.0.1");
 * const req = ctx.socket(REQ);
 * req.connect(`tcp://127.0.0.1:${port}`);
 * req.send("hello");
 * rep.send(rep.recv());
 * console.log(req.recvString()); // "hello"
 * ```
 *
 * Run with `--allow-ffi` (libzmq) and `--allow-env` (the `LIBZMQ_PATH`
 * override).
 *
 * @module
 */

export * from "./ffi/constants.ts";
export * from "./ffi/options.ts";
export {
  EADDRINUSE,
  EADDRNOTAVAIL,
  EAFNOSUPPORT,
  EAGAIN,
  EBUSY,
  ECONNABORTED,
  ECONNREFUSED,
  ECONNRESET,
  EDEADLK,
  EFAULT,
  EFSM,
  EHOSTUNREACH,
  EINPROGRESS,
  EINTR,
  EINVAL,
  EMFILE,
  EMSGSIZE,
  EMTHREAD,
  ENETDOWN,
  ENETRESET,
  ENETUNREACH,
  ENOBUFS,
  ENOCOMPATPROTO,
  ENOMEM,
  ENOTCONN,
  ENOTSOCK,
  ENOTSUP,
  EPROTONOSUPPORT,
  type ErrnoName,
  errnoName,
  type ErrnoTable,
  errnoTable,
  ETERM,
  ETIMEDOUT,
} from "./ffi/errno.ts";
export { Again, BusyError, ContextTerminated, ZMQError } from "./ffi/errors.ts";
export { Context, type ContextOptions } from "./ffi/context.ts";
export {
  COPY_THRESHOLD,
  type OptionInput,
  type OptionOutput,
  type SendOptions,
  Socket,
  type SocketOwner,
} from "./ffi/socket.ts";
export { Frame, MessageTracker } from "./ffi/frame.ts";
export { Poller } from "./ffi/poller.ts";
export { proxy, SteerableProxy } from "./ffi/proxy.ts";
export { curveKeypair, curvePublic, z85Decode, z85Encode } from "./ffi/z85.ts";
export { has, zmqVersion, zmqVersionInfo } from "./ffi/version.ts";
export {
  eventName,
  type MonitorEvent,
  parseMonitorMessage,
} from "./ffi/monitor.ts";
export type { Payload } from "./ffi/bytes.ts";
export { LIBZMQ_PATH_ENV } from "./ffi/library.ts";
export {
  type Callback,
  type Handler,
  IOLoop,
  type IOLoopOptions,
  LoopClosedError,
  type LoopStats,
  type Target,
} from "./loop/ioloop.ts";
export {
  PeriodicCallback,
  type PeriodicCallbackOptions,
} from "./loop/periodic.ts";
export { Timeout } from "./loop/timeouts.ts";
export {
  type SendCallback,
  type SendStatus,
  type StreamSendOptions,
  ZMQStream,
} from "./stream/zmqstream.ts";
export {
  type AuthDecision,
  Authenticator,
  type AuthenticatorOptions,
  CURVE_ALLOW_ANY,
  type CurveCallback,
  ZAP_ENDPOINT,
} from "./auth/authenticator.ts";
export {
  ThreadAuthenticator,
  type ThreadAuthenticatorStartOptions,
} from "./auth/thread_authenticator.ts";
export {
  CertificateError,
  createCertificates,
  loadCertificate,
  loadCertificates,
} from "./auth/certs.ts";
export {
  type AsyncRecvOptions,
  type AsyncSendOptions,
  AsyncSocket,
} from "./stream/async_socket.ts";
export { AsyncPoller, type PollTarget } from "./stream/async_poller.ts";
export type { WritableMessage } from "./stream/_web_streams.ts";
export {
  monitorEvents,
  type MonitorIterator,
  type MonitorOptions,
  type NamedMonitorEvent,
} from "./stream/monitor.ts";
