/**
 * `IOLoop`: a tornado-style event loop for ZeroMQ sockets and raw file
 * descriptors, driven by Deno's own event loop.
 *
 * One pass: run the ready callbacks (the queue is swapped, so callbacks added
 * now run in the next pass), then the due timeouts, then the handlers of the
 * registrations that may be ready. Those are only: the ones whose fd the
 * kernel reported (a socket's `ZMQ_FD`, or a raw fd), the ones whose handler
 * ran in the last pass (re-checked, since `ZMQ_FD` does not fire again for
 * messages already queued: a "hot" one, whose handler returned `true`, is
 * called again at once, any other has its `ZMQ_EVENTS` read), and the ones
 * added or updated since. So a pass costs the same with 10 or 10,000 idle
 * sockets registered, and handlers still see level-triggered readiness
 * although `ZMQ_FD` is edge-triggered. While passes find work, repeat, up to
 * a time budget, then yield with `setImmediate` so Deno's other I/O is
 * served. With nothing ready: spin briefly with `setImmediate` hops if there
 * was recent activity and a handler waits to read, then park in one native
 * wait (Linux: `epoll_wait` on a set holding every fd and a wake fd; other
 * POSIX systems: `poll()`), on Deno's thread pool, bounded by the next
 * deadline. `loop/_parker.ts` holds both waits.
 *
 * A socket touched by code outside its handler (a `send` from another
 * socket's handler, say) can have its `ZMQ_FD` reset without the loop
 * seeing it. Two things cover that: a socket that calls
 * `socket[SOCKET_TOUCHED]?.()` after each native call gets re-checked at
 * once, and a sweep re-reads every registration's readiness at most every
 * 100 ms while the loop is active (and once more before it parks with no
 * limit), so nothing waits longer.
 *
 * Over 500 lines because it is tornado's whole IOLoop API with its JSDoc and
 * the engine that runs it; the native wait is `_parker.ts`, timeouts
 * `timeouts.ts`.
 * @module
 */

import { setImmediate } from "node:timers";
import { kTouched, Socket } from "../ffi/socket.ts";
import { POLLERR, POLLIN, POLLOUT } from "../ffi/constants.ts";
import { describe } from "../ffi/bytes.ts";
import { native } from "./native.ts";
import { newParker, type Parker, pollNow } from "./_parker.ts";
import { Timeout, TimeoutHeap } from "./timeouts.ts";
import {
  addCloseListener,
  callUser,
  checkFunction,
  checkOptionsObject,
  drainAll,
  reportError,
  runCloseListeners,
  watch,
} from "./_internal.ts";

/** The longest single native wait (libc takes an `int` of ms). */
const MAX_PARK_MS = 2 ** 31 - 1;
/**
 * While active, re-read every registration at most this often (ms), and
 * at most 1/SWEEP_SHARE of the time: with 10,000 sockets a sweep takes
 * ~15 ms, so it then runs every ~0.75 s.
 */
const SWEEP_MS = 100;
const SWEEP_SHARE = 50;
/**
 * With at most this many registrations, all of them sockets, a pass that
 * would ask the kernel reads every socket's `ZMQ_EVENTS` instead: that costs
 * ~0.3 µs a socket, an `epoll_wait` 1-4 µs here. A handler's send on one
 * socket that readies another on the same loop (inproc REQ/REP) is then seen
 * on the next pass.
 */
const FEW = 4;
/**
 * During busy passes, ask the kernel which fds fired every this many units
 * of work (a pass, or a message beyond the first that a handler moved in
 * one call, see kWorked): each ask is a syscall of a few µs on this VM, and
 * every 32 passes cost a busy stream pair a fifth of its speed. Always when
 * nothing else is queued.
 */
const KERNEL_EVERY = 128;
/** Units of work between two looks at the clock (~90 ns each) in a turn. */
const CLOCK_EVERY = 32;

/**
 * The key of the function a registered zmq `Socket` may call after each
 * native call on it (send, receive, `ZMQ_EVENTS`, close), so the loop
 * re-checks it: `socket[SOCKET_TOUCHED]?.()`. Internal.
 */
export const SOCKET_TOUCHED: typeof kTouched = kTouched;

/**
 * Internal, for tests: an `IOLoopOptions` key setting the sweep's interval
 * in ms (`Infinity` turns the safety net off, to prove a case needs none).
 */
export const SWEEP_INTERVAL: unique symbol = Symbol("zmqloop.sweepInterval");

/** What a handler is registered on: a zmq `Socket` or a raw file descriptor. */
export type Target = Socket | number;

/**
 * A handler: called with its target and the ready events. A handler on a zmq
 * socket may return `true` to say it consumed an event and may find more:
 * the loop then calls it again on its next pass with its whole event mask,
 * without reading `ZMQ_EVENTS` (which costs a syscall in libzmq, ~0.5 µs),
 * so it must cope with nothing being ready (use non-blocking calls).
 * `ZMQStream` works this way; returning nothing keeps plain level semantics.
 *
 * `T` is the target's type: `Handler` (a handler on a zmq `Socket`, the
 * common case) or `Handler<number>` (a raw file descriptor). `addHandler`
 * checks it against the target it is given: a handler that takes a
 * `Socket` is refused for a file descriptor.
 *
 * @example
 * ```ts
 * import { type Handler, IOLoop, type Socket } from "@zmqloop/zmq";
 * const echo: Handler = (sock: Socket, events: number) => {
 *   if (events & IOLoop.READ) sock.sendMultipart(sock.recvMultipart());
 * };
 * const onFd: Handler<number> = (fd, events) => console.log(fd, events);
 * console.log(typeof echo, typeof onFd); // "function function"
 * ```
 */
export type Handler<T extends Target = Socket> = (
  target: T,
  events: number,
) => unknown;

/**
 * A function the loop calls later (`addCallback`, `callLater`, ...) with the
 * arguments it was given, `A`. `A` is read from those arguments only, so
 * they type an unannotated callback's parameters. Given none, it is called
 * with none, so its parameters must accept `undefined`.
 *
 * @example
 * ```ts
 * import { type Callback, IOLoop } from "@zmqloop/zmq";
 * const loop = new IOLoop();
 * const greet: Callback<[string]> = (name) => console.log(`hi ${name}`);
 * loop.addCallback(greet, "ann"); // greet(1) would not type-check
 * await new Promise((r) => loop.callLater(5, r)); // r gets no argument
 * loop.close();
 * ```
 */
export type Callback<A extends unknown[]> = [A] extends [[]]
  ? (...args: undefined[]) => unknown
  : (...args: NoInfer<A>) => unknown;
/** A call stored beside its own arguments (checked in the public signature). */
type StoredCall = Callback<unknown[]>;

/** Options of a new `IOLoop`. */
export interface IOLoopOptions {
  /**
   * After activity (a message moved, or a handler starting to wait for
   * one), keep checking for this many ms with cheap `setImmediate` hops,
   * each yielding the core first, before parking in a native wait (a park
   * costs about 70 µs of latency), when some handler waits to read. 0 parks
   * at once.
   * @default 0.3
   */
  spinWindow?: number;
  /**
   * Longest run of passes in one turn before yielding to Deno's other I/O (ms).
   * @default 4
   */
  turnBudget?: number;
}

/** Counters of an `IOLoop`'s work (see `IOLoop.stats`). */
export interface LoopStats {
  /** Turns run (each is one macrotask of Deno's event loop). */
  turns: number;
  /** Passes over callbacks, timeouts and handlers. */
  passes: number;
  /** Native waits (`epoll_wait` or `poll()` on the thread pool). */
  parks: number;
  /**
   * Registrations examined (readiness read or handler called), summed over
   * passes: with idle sockets registered, this grows with the busy ones only.
   */
  examined: number;
  /** Sweeps: passes that re-read every registration (see the module doc). */
  sweeps: number;
}

/**
 * An error raised when a closed `IOLoop` is used.
 *
 * @example
 * ```ts
 * import { IOLoop, LoopClosedError } from "@zmqloop/zmq";
 * const loop = new IOLoop();
 * loop.close();
 * try {
 *   loop.addCallback(() => {});
 * } catch (error) {
 *   console.log(error instanceof LoopClosedError); // true
 * }
 * ```
 */
export class LoopClosedError extends Error {
  /**
   * Creates the error.
   *
   * @param what what was being attempted
   */
  constructor(what: string) {
    super(`Cannot ${what}: the IOLoop is closed`);
    this.name = "LoopClosedError";
  }
}

interface Registration {
  target: Target;
  socket: Socket | null;
  fd: number;
  events: number;
  /** Called with `target` (whose type it was checked against in `addHandler`). */
  handler: Handler<Target>;
  /** Raw fds: readiness the kernel reported. */
  ready: number;
  /** The handler said it may have more: call it without reading EVENTS. */
  hot: boolean;
  /** In the list of registrations the next pass examines. */
  queued: boolean;
  /** Removed (or replaced): skip it. */
  removed: boolean;
  /** Keeps the process alive while it waits for something (see `ref()`). */
  ref: boolean;
  /**
   * Its last `ZMQ_EVENTS` read failed (ETERM, a context shut down): only a
   * sweep or its fd retries it, not every pass of a loop of few sockets.
   */
  failing: boolean;
}

type Touchable = Socket & { [SOCKET_TOUCHED]?: (() => void) | null };

// idle: nothing pending; running: inside a turn (it re-checks everything);
// scheduled: a setImmediate turn is pending; parked: in the native wait;
// sleeping: an unref'ed timer will look again (nothing holds the process).
type State = "idle" | "running" | "scheduled" | "parked" | "sleeping";

/**
 * How often a loop that holds nothing (unref'ed, or whose waiting
 * registrations all are) looks at its sockets: it cannot park, since a
 * native wait keeps the process alive.
 */
const UNREF_POLL_MS = 10;

/** @internal `loop[kSetRef](target, ref)`: whether a registration keeps the process alive. */
export const kSetRef: unique symbol = Symbol("zmqloop.setRef");
/**
 * @internal `loop[kWorked](n)`: a handler moved `n` messages more than one
 * in this call (a stream's batch), so the turn's budget and the kernel
 * asks count them as passes.
 */
export const kWorked: unique symbol = Symbol("zmqloop.worked");
/**
 * @internal `loop[kAlone]()`: whether nothing else waits for this pass (no
 * other registration left to examine or queued, no callback, no timeout
 * due), so the running handler may move another message without being
 * unfair.
 */
export const kAlone: unique symbol = Symbol("zmqloop.alone");

let defaultLoop: IOLoop | undefined;

/** A time in ms: any number but NaN (Infinity means never). */
function checkTime(value: unknown, what: string): number {
  if (typeof value !== "number") {
    throw new TypeError(
      `Cannot ${what}: expected a number of milliseconds, got ${
        describe(value)
      }`,
    );
  }
  if (Number.isNaN(value)) {
    throw new RangeError(
      `Cannot ${what}: expected a number of milliseconds, got ${
        typeof value === "number" ? value : describe(value)
      }`,
    );
  }
  return value;
}

/**
 * A tornado-style event loop. Handlers, callbacks and timeouts run as soon as
 * they are registered; `start()` only keeps the process alive until `stop()`.
 *
 * @example A REP echo driven by a handler
 * ```ts
 * import { Context, IOLoop, REP, REQ } from "@zmqloop/zmq";
 * const ctx = new Context();
 * const rep = ctx.socket(REP), req = ctx.socket(REQ);
 * const port = rep.bindToRandomPort("tcp://127.0.0.1");
 * req.connect(`tcp://127.0.0.1:${port}`);
 * const loop = new IOLoop();
 * loop.addHandler(rep, (sock: typeof rep) => {
 *   sock.sendMultipart(sock.recvMultipart()); // echo
 * }, IOLoop.READ);
 * req.send("hi");
 * await loop.runSync(async () => {
 *   while (!(req.events & IOLoop.READ)) await new Promise((r) => setTimeout(r, 1));
 * }, { timeout: 5000 });
 * console.log(req.recvString()); // "hi"
 * loop.close();
 * ctx.destroy();
 * ```
 */
export class IOLoop {
  /** Readable (`POLLIN`). */
  static readonly READ: number = POLLIN;
  /** Writable (`POLLOUT`). */
  static readonly WRITE: number = POLLOUT;
  /** Error (`POLLERR`). */
  static readonly ERROR: number = POLLERR;

  #handlers = new Map<Target, Registration>();
  /** Registrations by fd (two may share one: a closed socket's, reused). */
  #byFd = new Map<number, Registration[]>();
  /** What the next pass examines (and a spare list, swapped per pass). */
  #examine: (Registration | null)[] = [];
  #examineLen = 0;
  #spare: (Registration | null)[] = [];
  /** Registrations whose interest includes READ (for the spin rule). */
  #readers = 0;
  #rawCount = 0;
  /** Registrations waiting for something (interest not 0). */
  #interested = 0;
  /** ... of which keep the process alive. */
  #holding = 0;
  #ref = true;
  #sleep: ReturnType<typeof setTimeout> | undefined;
  #kernelDue = false;
  /** Whether the current pass asked the kernel. */
  #asked = false;
  #lastSweep = -Infinity;
  #sweepMs: number;
  /** How long the last sweep's pass took (ms); -1 while one is queued. */
  #sweepCost = 0;
  /** The registration whose EVENTS or handler runs (its touches are the loop's own). */
  #current: Registration | null = null;
  /** Something ran since the last sweep. */
  #dirty = false;
  #callbacks: [StoredCall, unknown[]][] = [];
  #timeouts = new TimeoutHeap();
  #seq = 0;
  #state: State = "idle";
  #closed = false;
  #parker: Parker | null = null;
  #park: Promise<unknown> | null = null;
  #lastActivity = -Infinity;
  #spinWindow: number;
  /** Registrations this pass has yet to examine after the current one. */
  #left = 0;
  /** Units of work done (passes, plus batched messages: kWorked). */
  #work = 0;
  /** When the turn next reads the clock. */
  #clockAt = CLOCK_EVERY;
  /** When a busy pass next asks the kernel. */
  #kernelAt = KERNEL_EVERY;
  #turnBudget: number;
  #stopRequested = false;
  #startResolve: (() => void) | null = null;
  #keepAlive: ReturnType<typeof setInterval> | undefined;
  #stats: LoopStats = {
    turns: 0,
    passes: 0,
    parks: 0,
    examined: 0,
    sweeps: 0,
  };
  #run = () => this.#turn();

  /**
   * Called with every error thrown by a handler, callback or timeout. The
   * default reports it with `console.error` (stack included); the loop keeps
   * running either way.
   */
  errorHandler: (error: unknown) => void = (error) => {
    console.error("IOLoop: uncaught error in a callback:", error);
  };

  /**
   * Creates a separate loop; most programs use `IOLoop.instance()`.
   *
   * @param options spin window and turn budget
   */
  constructor(options: IOLoopOptions = {}) {
    checkOptionsObject(options, "create an IOLoop");
    const spinWindow = options.spinWindow ?? 0.3;
    const turnBudget = options.turnBudget ?? 4;
    if (
      typeof spinWindow !== "number" || !(spinWindow >= 0) ||
      typeof turnBudget !== "number" || !(turnBudget > 0) ||
      !Number.isFinite(spinWindow) || !Number.isFinite(turnBudget)
    ) {
      throw new RangeError(
        `Cannot create an IOLoop: spinWindow must be a finite number >= 0 and turnBudget a finite number > 0, got ${
          String(spinWindow)
        } and ${String(turnBudget)}`,
      );
    }
    this.#spinWindow = spinWindow;
    this.#turnBudget = turnBudget;
    this.#sweepMs =
      (options as { [SWEEP_INTERVAL]?: number })[SWEEP_INTERVAL] ?? SWEEP_MS;
  }

  /** The process-wide default loop (a new one once the last was closed). */
  static instance(): IOLoop {
    if (!defaultLoop || defaultLoop.closed) defaultLoop = new IOLoop();
    return defaultLoop;
  }

  /** Same as `instance()` (there is one thread). */
  static current(): IOLoop {
    return IOLoop.instance();
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Counters since the loop was made: turns (macrotasks), passes, native
   * parks, registrations examined and sweeps. Under load, passes far
   * outnumber turns and parks.
   */
  get stats(): Readonly<LoopStats> {
    return { ...this.#stats };
  }

  #live(what: string): void {
    if (this.#closed) throw new LoopClosedError(what);
  }

  // ---- handlers ----

  /**
   * Calls `handler(target, events)` while `target` is ready for any of
   * `events` (`IOLoop.READ`, `IOLoop.WRITE`; errors are always reported).
   *
   * @param target a zmq Socket or a raw file descriptor
   * @param handler the function to call
   * @param events the events of interest
   * @throws {Error} when the target already has a handler
   * @throws {ZMQError} ENOTSOCK for a closed socket
   */
  addHandler<T extends Target>(
    target: T,
    handler: Handler<T>,
    events: number,
  ): void {
    this.#live("add a handler");
    checkFunction(handler, "add a handler");
    checkEvents(events, "add a handler");
    let socket: Socket | null = null, fd: number;
    if (target instanceof Socket) {
      socket = target;
      fd = target.fd; // throws ENOTSOCK when closed
    } else if (
      typeof target === "number" && Number.isInteger(target) && target >= 0
    ) {
      fd = target;
    } else {
      throw new TypeError(
        `Cannot add a handler: expected a Socket or a file descriptor >= 0, got ${
          typeof target === "number" ? target : describe(target)
        }`,
      );
    }
    if (this.#handlers.has(target)) {
      throw new Error(
        `Cannot add a handler: ${
          socket ? "this socket" : `fd ${fd}`
        } already has one (use updateHandler)`,
      );
    }
    const reg: Registration = {
      target,
      socket,
      fd,
      events,
      // Sound: the loop calls it with this target only.
      handler: handler as Handler<Target>,
      ready: 0,
      hot: false,
      queued: false,
      removed: false,
      ref: true,
      failing: false,
    };
    // Watch first: a bad fd throws before anything changed.
    const parker = this.#parker ??= newParker();
    const shared = this.#byFd.get(fd);
    parker.watch(fd, shared ? unionEvents([...shared, reg]) : watchOf(reg));
    if (shared) shared.push(reg);
    else this.#byFd.set(fd, [reg]);
    this.#handlers.set(target, reg);
    this.#count(reg, 1);
    if (events & POLLIN) this.#readers++;
    if (socket) {
      (socket as Touchable)[SOCKET_TOUCHED] = () => {
        if (this.#current !== reg) this.#queue(reg);
      };
    } else this.#rawCount++;
    this.#queue(reg);
    this.#kernelDue = true;
    this.#wake();
  }

  /**
   * Changes the events a handler waits for.
   *
   * @param target a target with a handler
   * @param events the new events of interest
   */
  updateHandler(target: Target, events: number): void {
    this.#live("update a handler");
    checkEvents(events, "update a handler");
    const reg = this.#handlers.get(target);
    if (!reg) {
      throw new Error("Cannot update a handler: the target has none");
    }
    if (!reg.socket && reg.events !== events) {
      // A raw fd: tell the kernel first (a closed fd throws, nothing changed).
      const others = this.#byFd.get(reg.fd)!.filter((r) => r !== reg);
      this.#parker!.watch(
        reg.fd,
        unionEvents(others) | (events & (POLLIN | POLLOUT)),
      );
      this.#kernelDue = true;
    }
    if (events & POLLIN) this.#readers++;
    if (reg.events & POLLIN) this.#readers--;
    else if (events & POLLIN) {
      // Someone starts to wait for a message (an awaited receive after a
      // send, often): the reply may be close, so the spin window starts now.
      this.#lastActivity = performance.now();
    }
    this.#count(reg, -1);
    reg.events = events;
    this.#count(reg, 1);
    reg.hot = false;
    this.#queue(reg);
    this.#wake();
  }

  /**
   * Removes a target's handler; a target without one is ignored.
   *
   * @param target the target
   */
  removeHandler(target: Target): void {
    const reg = this.#handlers.get(target);
    if (!reg) return;
    this.#handlers.delete(target);
    this.#forget(reg);
    this.#wake();
  }

  /** Drops a registration from every index (not from #handlers). */
  #forget(reg: Registration): void {
    this.#count(reg, -1);
    reg.removed = true;
    reg.hot = false;
    if (reg.events & POLLIN) this.#readers--;
    if (reg.socket) {
      const s = reg.socket as Touchable;
      if (s[SOCKET_TOUCHED]) s[SOCKET_TOUCHED] = null;
    } else this.#rawCount--;
    const shared = this.#byFd.get(reg.fd);
    if (!shared) return;
    const rest = shared.filter((r) => r !== reg);
    if (rest.length) {
      this.#byFd.set(reg.fd, rest);
      try {
        this.#parker?.watch(reg.fd, unionEvents(rest));
      } catch {
        // the fd was closed meanwhile: the others will find out
      }
    } else {
      this.#byFd.delete(reg.fd);
      this.#parker?.unwatch(reg.fd);
    }
  }

  /** Makes the next pass examine `reg`. */
  #queue(reg: Registration): void {
    if (reg.queued || reg.removed) return;
    reg.queued = true;
    this.#examine[this.#examineLen++] = reg;
    if (this.#state === "parked") this.#wake();
  }

  // ---- callbacks and timeouts ----

  /**
   * Runs `callback(...args)` on the next pass of the loop (never inside this
   * call). FIFO. A callback that throws, or returns a Promise that rejects,
   * is reported to `errorHandler`.
   *
   * @param callback the function
   * @param args its arguments
   */
  addCallback<A extends unknown[]>(callback: Callback<A>, ...args: A): void {
    this.#live("add a callback");
    checkFunction(callback, "add a callback");
    this.#callbacks.push([callback as StoredCall, args]);
    this.#wake();
  }

  /**
   * Same as `addCallback` (tornado's name for a callback detached from the
   * caller's context).
   *
   * @param callback the function
   * @param args its arguments
   */
  spawnCallback<A extends unknown[]>(callback: Callback<A>, ...args: A): void {
    this.addCallback(callback, ...args);
  }

  /**
   * Calls `callback(promise)` on the loop once the promise settles.
   *
   * @param promise the promise
   * @param callback receives the settled promise
   */
  addFuture<T>(
    promise: Promise<T>,
    callback: (settled: Promise<T>) => void,
  ): void {
    this.#live("add a future");
    checkFunction(callback, "add a future");
    if (!(promise instanceof Promise)) {
      throw new TypeError(
        `Cannot add a future: expected a Promise, got ${describe(promise)}`,
      );
    }
    const done = () => {
      if (!this.#closed) this.addCallback(callback, promise);
    };
    promise.then(done, done);
  }

  /**
   * Runs `callback(...args)` after `delay` ms (negative: as soon as possible;
   * `Infinity`: never, as in tornado). A callback that throws, or returns a
   * Promise that rejects, is reported to `errorHandler`.
   *
   * @param delay milliseconds
   * @param callback the function
   * @param args its arguments
   * @returns a handle for `removeTimeout`
   */
  callLater<A extends unknown[]>(
    delay: number,
    callback: Callback<A>,
    ...args: A
  ): Timeout {
    checkTime(delay, "schedule a call");
    return this.callAt(this.time() + Math.max(0, delay), callback, ...args);
  }

  /**
   * Runs `callback(...args)` at `when`, on the `time()` clock.
   *
   * @param when a deadline from `time()`
   * @param callback the function
   * @param args its arguments
   * @returns a handle for `removeTimeout`
   */
  callAt<A extends unknown[]>(
    when: number,
    callback: Callback<A>,
    ...args: A
  ): Timeout {
    this.#live("schedule a call");
    checkTime(when, "schedule a call");
    checkFunction(callback, "schedule a call");
    const timeout = new Timeout(
      when,
      this.#seq++,
      callback as StoredCall,
      args,
    );
    const earliest = this.#timeouts.peekDeadline();
    this.#timeouts.push(timeout);
    if (earliest === undefined || when < earliest) this.#wake();
    return timeout;
  }

  /**
   * Same as `callAt` (tornado's older name).
   *
   * @param deadline a deadline from `time()`
   * @param callback the function
   * @param args its arguments
   * @returns a handle for `removeTimeout`
   */
  addTimeout<A extends unknown[]>(
    deadline: number,
    callback: Callback<A>,
    ...args: A
  ): Timeout {
    return this.callAt(deadline, callback, ...args);
  }

  /**
   * Cancels a timeout; safe twice, after it fired and once the loop is
   * closed.
   *
   * @param timeout a handle from this loop's `callLater`, `callAt` or `addTimeout`
   * @throws {TypeError} when timeout is not a Timeout
   * @throws {RangeError} when it belongs to another loop (it would not be
   * cancelled, so this is a bug worth hearing about)
   */
  removeTimeout(timeout: Timeout): void {
    if (!(timeout instanceof Timeout)) {
      throw new TypeError(
        `Cannot remove a timeout: expected a Timeout, got ${describe(timeout)}`,
      );
    }
    if (!this.#timeouts.owns(timeout) && !this.#closed) {
      throw new RangeError(
        "Cannot remove a timeout: it was scheduled on another IOLoop (call that loop's removeTimeout)",
      );
    }
    this.#timeouts.cancel(timeout);
  }

  /** The loop's clock: monotonic milliseconds. */
  time(): number {
    return performance.now();
  }

  // ---- lifecycle ----

  /**
   * Keeps the process alive until `stop()`; resolves then. A `stop()` made
   * before `start()` makes this resolve at once.
   *
   * @returns a Promise that resolves when the loop is stopped
   */
  start(options: { signal?: AbortSignal } = {}): Promise<void> {
    this.#live("start the loop");
    if (this.#startResolve) {
      throw new Error("Cannot start the IOLoop: it is already started");
    }
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#stopRequested) {
      this.#stopRequested = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        // As stop(), but the start() rejects with the signal's reason.
        this.#startResolve = null;
        clearInterval(this.#keepAlive);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#startResolve = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      this.#keepAlive = setInterval(() => {}, 1 << 30);
    });
  }

  /** Makes `start()` resolve (or the next `start()`, if not started). */
  stop(): void {
    const resolve = this.#startResolve;
    if (!resolve) {
      this.#stopRequested = true;
      return;
    }
    this.#startResolve = null;
    clearInterval(this.#keepAlive);
    resolve();
  }

  /**
   * Runs `fn` on the loop and returns its result (awaited when a Promise).
   *
   * @param fn the function
   * @param options `timeout` in ms: reject when `fn` takes longer (`Infinity`: never)
   * @returns fn's result
   * @throws {Error} (as a rejection) fn's error, or a timeout naming the time
   * @throws {LoopClosedError} (as a rejection) when the loop closes first
   */
  runSync<T>(
    fn: () => T | Promise<T>,
    options: { timeout?: number; signal?: AbortSignal } = {},
  ): Promise<T> {
    this.#live("run a function");
    checkFunction(fn, "run a function");
    const limit = options.timeout;
    if (limit !== undefined) checkTime(limit, "run a function");
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
      let timer: Timeout | undefined;
      let settled = false;
      const finish = (ok: boolean, value: unknown) => {
        if (settled) return;
        settled = true;
        if (timer) this.#timeouts.cancel(timer);
        unlisten();
        signal?.removeEventListener("abort", onAbort);
        if (ok) resolve(value as T);
        else reject(value);
      };
      const onAbort = () => finish(false, signal!.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      const unlisten = addCloseListener(
        this,
        () => finish(false, new LoopClosedError("finish IOLoop.runSync()")),
      );
      if (limit !== undefined) {
        timer = this.callLater(limit, () =>
          finish(
            false,
            new DOMException(
              `Timed out after ${limit} ms in IOLoop.runSync()`,
              "TimeoutError",
            ),
          ));
      }
      this.addCallback(() => {
        try {
          Promise.resolve(fn()).then(
            (v) => finish(true, v),
            (e) => finish(false, e),
          );
        } catch (error) {
          finish(false, error);
        }
      });
    });
  }

  /**
   * Removes every handler, callback and timeout, ends any native wait and
   * releases the wake fd; the process can then exit by itself. Idempotent.
   *
   * @param options `allFds: true` also closes every registered socket (and raw fd)
   */
  close(options: { allFds?: boolean } = {}): void {
    if (this.#closed) return;
    this.#closed = true;
    const regs = [...this.#handlers.values()];
    this.#handlers.clear();
    for (const reg of regs) {
      reg.removed = true;
      if (reg.socket) (reg.socket as Touchable)[SOCKET_TOUCHED] = null;
    }
    this.#byFd.clear();
    this.#examine = [];
    this.#examineLen = 0;
    this.#readers =
      this.#rawCount =
      this.#interested =
      this.#holding =
        0;
    clearTimeout(this.#sleep);
    this.#callbacks = [];
    this.#timeouts.clear();
    this.stop();
    this.#stopRequested = false;
    runCloseListeners(this);
    if (options.allFds) {
      for (const reg of regs) {
        if (reg.socket) reg.socket.close();
        else native().close(reg.fd);
      }
    }
    // The park's end closes the parker (its fds are in use until then).
    if (this.#state === "parked") this.#parker?.wake();
    else this.#closeParker();
  }

  /** Same as `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * `await using`: waits for the streams on this loop to write their queued
   * sends (each bounded by its socket's `LINGER`), then closes the loop and
   * waits for its native wait to end. The thread stays free meanwhile.
   *
   * @returns a Promise that resolves once closed
   */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#closed) return;
    await drainAll(this);
    await this.closeAndWait();
  }

  /**
   * Closes the loop like `close()`, then waits until its native wait has
   * ended (the pool thread has returned), so nothing is left behind.
   *
   * @param options as for `close()`
   * @returns a Promise that resolves when no native wait remains
   */
  async closeAndWait(options: { allFds?: boolean } = {}): Promise<void> {
    this.close(options);
    while (this.#park) await this.#park;
  }

  #closeParker(): void {
    this.#parker?.close();
    this.#parker = null;
  }

  // ---- the engine ----

  /** Something changed: make sure a turn will run soon. */
  #wake(): void {
    this.#dirty = true;
    if (this.#state === "parked") this.#parker!.wake();
    else if (this.#state === "sleeping") {
      clearTimeout(this.#sleep);
      this.#sleep = undefined;
      this.#state = "scheduled";
      setImmediate(this.#run);
    } else if (this.#state === "idle") {
      // (while "running", the turn's next pass sees the change)
      this.#state = "scheduled";
      setImmediate(this.#run);
    }
  }

  #report(error: unknown): void {
    reportError(this, error);
  }

  /** One turn: passes until idle or out of budget, then spin, park or sleep. */
  #turn(): void {
    if (this.#closed) {
      this.#state = "idle";
      return;
    }
    this.#state = "running";
    this.#stats.turns++;
    const start = performance.now();
    const end = start + this.#turnBudget;
    for (;;) {
      this.#stats.passes++;
      this.#asked = false;
      const worked = this.#pass();
      if (this.#closed) {
        this.#state = "idle";
        return;
      }
      if (!worked) {
        // Before giving up the turn, ask the kernel if this pass did not:
        // a handler's send may have readied another socket (inproc REQ/REP
        // on one loop), and a turn costs a setImmediate hop.
        if (this.#asked || !this.#byFd.size) break;
        this.#kernelDue = true;
        continue;
      }
      // Reading the clock costs ~90 ns: look every CLOCK_EVERY units.
      if (++this.#work >= this.#clockAt) {
        this.#clockAt = this.#work + CLOCK_EVERY;
        const now = performance.now();
        this.#lastActivity = now;
        if (this.#sweepDue(now)) this.#sweep(now);
        if (now >= end) {
          this.#state = "scheduled";
          setImmediate(this.#run);
          return;
        }
      }
      // for the spin window: any pass that worked is activity (the first
      // pass may find nothing and the kernel ask after it the reply)
      if (this.#lastActivity < start) this.#lastActivity = start;
    }
    this.#idle();
  }

  /** One pass; returns whether anything ran. */
  #pass(): boolean {
    let worked = false;
    // 1. callbacks queued before this pass
    if (this.#callbacks.length) {
      const batch = this.#callbacks;
      this.#callbacks = [];
      for (const [fn, args] of batch) {
        callUser(this, fn, ...args);
        if (this.#closed) return true;
      }
      worked = true;
    }
    // 2. due timeouts, earliest first
    if (this.#timeouts.size) {
      const now = this.time();
      for (
        let t = this.#timeouts.popDue(now);
        t;
        t = this.#timeouts.popDue(now)
      ) {
        const fn = t.callback!, args = t.args;
        t.callback = null;
        t.args = [];
        callUser(this, fn, ...args);
        worked = true;
        if (this.#closed) return true;
      }
    }
    // 3. the kernel's news: every pass when nothing else is queued, else
    // every KERNEL_EVERY units of work (a syscall; hot sockets need none)
    if (
      this.#byFd.size &&
      (this.#kernelDue || this.#examineLen === 0 ||
        this.#work >= this.#kernelAt)
    ) {
      this.#kernelDue = false;
      this.#kernelAt = this.#work + KERNEL_EVERY;
      this.#asked = true;
      if (!this.#queueFew()) {
        const parker = this.#parker!;
        this.#fired(parker, parker.check());
      }
    }
    // 4. the registrations that may be ready, once each
    if (this.#examineLen) {
      const batch = this.#examine, count = this.#examineLen;
      this.#examine = this.#spare;
      this.#examineLen = 0;
      let examined = 0;
      const sweepStart = this.#sweepCost < 0 ? performance.now() : 0;
      for (let i = 0; i < count; i++) {
        const reg = batch[i]!;
        batch[i] = null;
        reg.queued = false;
        this.#left = count - i - 1;
        if (reg.removed) continue;
        examined++;
        let ready: number;
        if (!reg.socket) {
          ready = reg.ready & (reg.events | POLLERR);
          reg.ready = 0;
        } else if (reg.hot && reg.events) ready = reg.events;
        else {
          this.#current = reg;
          try {
            ready = reg.socket.events & reg.events;
          } catch (error) {
            this.#current = null;
            if (reg.socket.closed) {
              // Closed underneath: tell the handler once, then forget it.
              this.removeHandler(reg.target);
              this.#call(reg, POLLERR);
              if (this.#closed) return true;
            } else {
              reg.failing = true; // keep it: it may recover (a sweep retries)
              this.#report(error);
            }
            worked = true;
            continue;
          }
          this.#current = null;
          if (reg.failing) reg.failing = false;
        }
        if (!ready) continue;
        // A handler that returns false made no progress (a writer whose
        // peer is full, say): that is not work, so the loop may park, and
        // its fd tells when to look again.
        const progressed = this.#call(reg, ready);
        if (this.#closed) return true;
        if (progressed) {
          worked = true;
          // Its own send/recv may have reset ZMQ_FD: look again next pass.
          if (reg.socket) this.#queue(reg);
        }
      }
      this.#left = 0;
      this.#spare = batch;
      this.#stats.examined += examined;
      if (sweepStart) this.#sweepCost = performance.now() - sweepStart;
    }
    if (worked) this.#dirty = true;
    return worked;
  }

  /**
   * Queues every registration when there are few and all are sockets (see
   * FEW); false when the kernel must be asked instead.
   */
  #queueFew(): boolean {
    if (this.#handlers.size > FEW) return false;
    for (const reg of this.#handlers.values()) if (!reg.socket) return false;
    for (const reg of this.#handlers.values()) {
      if (!reg.failing) this.#queue(reg);
    }
    return true;
  }

  /** Queues the registrations of the `n` fds the parker reported. */
  #fired(parker: Parker, n: number): void {
    const { fds, revents } = parker;
    for (let i = 0; i < n; i++) {
      const regs = this.#byFd.get(fds[i]!);
      if (!regs) continue;
      for (const reg of regs) {
        if (!reg.socket) reg.ready |= revents[i]!;
        this.#queue(reg);
      }
    }
  }

  /** Calls a handler; returns false when it said it made no progress. */
  #call(reg: Registration, events: number): boolean {
    this.#current = reg;
    // callUser's work, inlined: this is the per-message path (no rest array)
    let result: unknown;
    try {
      result = reg.handler(reg.target, events);
    } catch (error) {
      result = undefined;
      this.#report(error);
    }
    if (typeof result === "object" && result !== null) watch(this, result);
    this.#current = null;
    // (a handler that set its interest to 0 is not hot: with nothing to
    // call it for, its EVENTS must be read, which resets its ZMQ_FD)
    reg.hot = result === true && reg.socket !== null && reg.events !== 0;
    return result !== false;
  }

  #sweepDue(now: number): boolean {
    return this.#dirty && now - this.#lastSweep >= this.#sweepInterval() &&
      this.#handlers.size > 0;
  }

  #sweepInterval(): number {
    return Math.max(this.#sweepMs, SWEEP_SHARE * this.#sweepCost);
  }

  /**
   * Queues every registration (raw fds with what poll() says of them now):
   * the safety net for sockets touched outside their handlers.
   */
  #sweep(now: number): void {
    this.#lastSweep = now;
    this.#dirty = false;
    this.#stats.sweeps++;
    this.#sweepCost = -1; // the next pass measures it
    const raws: Registration[] = [];
    for (const reg of this.#handlers.values()) {
      if (reg.socket) this.#queue(reg);
      else raws.push(reg);
    }
    if (raws.length) {
      const revents = pollNow(
        raws.map((r) => r.fd),
        raws.map((r) => r.events),
      );
      raws.forEach((reg, i) => {
        if (revents[i]) {
          reg.ready |= revents[i]!;
          this.#queue(reg);
        }
      });
    }
  }

  /** Nothing ran: spin a little after activity, else park (or go idle). */
  #idle(): void {
    const now = performance.now();
    let deadline = this.#timeouts.peekDeadline();
    if (deadline === Infinity) deadline = undefined; // never: nothing to wait for
    if (
      this.#callbacks.length || this.#examineLen ||
      (deadline !== undefined && deadline - now < 1)
    ) {
      // Due within a millisecond: hop rather than park, for precise timers.
      this.#hop();
      return;
    }
    if (this.#interested === 0 && deadline === undefined) {
      this.#state = "idle"; // nothing to wait for: hold nothing
      return;
    }
    // Spin only when something may be about to arrive (a reply): a socket
    // that only waits to write waits for its peer to drain half its queue,
    // and spinning would take the CPU that peer's I/O thread needs.
    // Each spin hop first offers the core to runnable threads (the I/O
    // threads carrying the reply, the peer's): on 2 cores a spinner that
    // does not yield delays them (REP echo round trip, median of 10
    // alternating runs: 268 -> 168 µs).
    if (now - this.#lastActivity < this.#spinWindow && this.#readers > 0) {
      native().sched_yield?.();
      this.#hop();
      return;
    }
    let limit = deadline === undefined ? Infinity : deadline - now;
    if (this.#dirty && this.#handlers.size && this.#sweepMs !== Infinity) {
      // Something ran since the last sweep: sweep before parking for long.
      const wait = this.#lastSweep + this.#sweepInterval() - now;
      if (wait <= 0) {
        this.#sweep(now);
        this.#hop();
        return;
      }
      limit = Math.min(limit, wait);
    }
    if (!this.#ref || (this.#holding === 0 && deadline === undefined)) {
      // Nothing may hold the process: look again on an unref'ed timer.
      this.#state = "sleeping";
      this.#sleep = setTimeout(() => {
        this.#sleep = undefined;
        this.#kernelDue = true;
        this.#turn();
      }, Math.max(0, Math.min(limit, UNREF_POLL_MS)));
      Deno.unrefTimer(this.#sleep);
      return;
    }
    this.#parkNow(
      limit === Infinity
        ? -1
        : Math.min(MAX_PARK_MS, Math.max(0, Math.floor(limit))),
    );
  }

  #count(reg: Registration, sign: 1 | -1): void {
    if (reg.removed || reg.events === 0) return;
    this.#interested += sign;
    if (reg.ref) this.#holding += sign;
  }

  /** @internal whether the running handler is alone (see kAlone). */
  [kAlone](): boolean {
    // (only inside the call of a registration still on the loop)
    const reg = this.#current;
    if (!reg || reg.removed) return false;
    // (the caller itself queued for the next pass is no one else: a stream
    // whose callback sends on it, an echo, updates its own interest)
    const others = this.#examineLen - (reg.queued ? 1 : 0);
    if (this.#left || others || this.#callbacks.length) return false;
    // A timeout due is waiting too (a pass per message ran it before the
    // next one): the clock is read only while timeouts are pending, as the
    // pass itself does.
    const timeouts = this.#timeouts;
    return timeouts.size === 0 || timeouts.peekDeadline()! > this.time();
  }

  /** @internal a handler moved `n` messages more than one (see kWorked). */
  [kWorked](n: number): void {
    this.#work += n;
  }

  /** @internal whether a registration keeps the process alive (ZMQStream.ref/unref). */
  [kSetRef](target: Target, ref: boolean): void {
    const reg = this.#handlers.get(target);
    if (!reg || reg.ref === ref) return;
    this.#count(reg, -1);
    reg.ref = ref;
    this.#count(reg, 1);
    this.#wake();
  }

  /**
   * Lets the loop keep the process alive again (the default): while a
   * registration waits for something, or a timeout is pending, the process
   * does not exit. As `Deno.Listener.ref()`.
   */
  ref(): void {
    if (this.#closed || this.#ref) return;
    this.#ref = true;
    this.#wake();
  }

  /**
   * Stops the loop from keeping the process alive: with nothing else
   * pending the process exits, whatever is registered. An unref'ed loop
   * still serves its sockets while the process runs, looking every 10 ms
   * when idle instead of parking. A no-op once closed.
   */
  unref(): void {
    if (this.#closed || !this.#ref) return;
    this.#ref = false;
    this.#wake();
  }

  #hop(): void {
    this.#state = "scheduled";
    setImmediate(this.#run);
  }

  #parkNow(timeoutMs: number): void {
    const parker = this.#parker ??= newParker();
    this.#state = "parked";
    this.#stats.parks++;
    let park: Promise<number>;
    try {
      park = parker.park(timeoutMs);
    } catch (error) {
      park = Promise.reject(error);
    }
    const after = (n: number) => {
      this.#park = null;
      if (this.#closed) {
        this.#state = "idle";
        this.#closeParker();
        return;
      }
      if (n > 0) this.#fired(parker, n);
      this.#turn();
    };
    this.#park = park.then(after, (error) => {
      // A wait that failed: report it, then go on after a short sleep (not
      // at once, so a wait that keeps failing does not spin).
      this.#report(error);
      return new Promise((r) => setTimeout(r, 10)).then(() => after(0));
    });
  }
}

function checkEvents(events: unknown, what: string): void {
  if (
    typeof events !== "number" || !Number.isInteger(events) || events < 0 ||
    (events & ~(POLLIN | POLLOUT | POLLERR)) !== 0
  ) {
    throw new RangeError(
      `Cannot ${what}: events must combine IOLoop.READ, WRITE and ERROR, got ${
        typeof events === "number" ? events : describe(events)
      }`,
    );
  }
}

/** What a registration asks the kernel for: a socket's ZMQ_FD, for reading. */
function watchOf(reg: Registration): number {
  return reg.socket ? POLLIN : reg.events & (POLLIN | POLLOUT);
}

function unionEvents(regs: Registration[]): number {
  let events = 0;
  for (const reg of regs) events |= watchOf(reg);
  return events;
}
