/**
 * The process-wide registry of zmq contexts and sockets, shared by every
 * isolate (the main module and each Worker) of the process.
 *
 * Why: a Worker that is terminated runs no more JavaScript, and Deno gives
 * no event for it, so its sockets and contexts (libzmq threads and fds)
 * would leak. Each isolate records here, in native memory all isolates see,
 * which OS thread (`gettid`) made each context and socket. Any live isolate
 * can then find the records of dead threads (`tgkill(pid, tid, 0)` fails)
 * and release them: close their sockets (linger 0) and terminate the
 * contexts they owned. The same records answer, for `Context.shadow()`,
 * whether an address is a live context of this process, and count the
 * sockets shadows hold, so the owner's `term()` can refuse instead of hanging.
 *
 * Finding the memory: the first isolate allocates it (`calloc`, never freed)
 * and publishes its address with a compare-and-swap into libc's `optarg`
 * (getopt's result slot, unused in a Deno process); a magic word guards
 * against anything else found there. Without libc (Windows) or without
 * `gettid`/`tgkill` (macOS) the registry is per isolate or never reaps:
 * everything else works the same.
 *
 * Every record is claimed and released with atomic operations (no lock), so
 * an isolate terminated halfway through an update leaves a record that a
 * later reap frees, never a lock that others wait on forever.
 *
 * @module
 */

import { type Libc, libc } from "./_libc.ts";
import type { ZmqSymbols } from "./symbols.ts";
import { retryEintr } from "./errors.ts";
import { LINGER } from "./options.ts";

const MAGIC = 0x315245474c514d5an; // "ZMQLREG1"
const CTX_CAP = 512, CTX_WORDS = 8; // i32 words per context record
const TERM_CAP = 256;
const SOCK_CAP = 16384, SOCK_WORDS = 6;
const FD_CAP = 1024, FD_WORDS = 2;
// Header (i32 words): 0-1 magic, 2 next terminated index, 3 socket high mark, 4 fd high mark
const HEADER_WORDS = 16;
const CTX_OFF = HEADER_WORDS;
const TERM_OFF = CTX_OFF + CTX_CAP * CTX_WORDS; // u64 entries (2 words each)
const SOCK_OFF = TERM_OFF + TERM_CAP * 2;
const FD_OFF = SOCK_OFF + SOCK_CAP * SOCK_WORDS;
const TOTAL_WORDS = FD_OFF + FD_CAP * FD_WORDS;

// Context record (i32 words): 0 owner tid (claim), 1 state, 2 shadow sockets,
// 3 untracked sockets, 4-5 address (u64)
const C_TID = 0, C_STATE = 1, C_SHADOWS = 2, C_UNTRACKED = 3, C_ADDR = 4;
const LIVE = 1, TERMINATING = 2;
// Socket record: 0 tid (claim), 1 flags, 2-3 socket address, 4-5 context address
const S_TID = 0, S_FLAGS = 1, S_SOCK = 2, S_CTX = 4;
const SHADOW = 1;

interface Memory {
  i32: Int32Array;
  u64: BigUint64Array;
}

let memory: Memory | undefined;
let me = 0; // this isolate's OS thread id (1 when unknown)
let pid = 0;
let sys: Libc | null = null;

function mem(): Memory {
  if (memory) return memory;
  sys = libc();
  pid = sys?.getpid?.() ?? 0;
  me = sys?.gettid?.() || 1;
  memory = shared() ?? local();
  return memory;
}

function view(ptr: Deno.PointerObject): Memory {
  const buffer = Deno.UnsafePointerView.getArrayBuffer(ptr, TOTAL_WORDS * 4);
  return { i32: new Int32Array(buffer), u64: new BigUint64Array(buffer) };
}

function local(): Memory {
  const buffer = new ArrayBuffer(TOTAL_WORDS * 4);
  const m = { i32: new Int32Array(buffer), u64: new BigUint64Array(buffer) };
  m.u64[0] = MAGIC;
  return m;
}

/** The process-wide block, published in libc's `optarg`; undefined when unavailable. */
function shared(): Memory | undefined {
  const slotPtr = sys?.optarg;
  if (!slotPtr || !sys?.calloc) return undefined;
  const slot = new BigUint64Array(
    Deno.UnsafePointerView.getArrayBuffer(slotPtr, 8),
  );
  let address = Atomics.load(slot, 0);
  if (address === 0n) {
    const block = sys.calloc(BigInt(TOTAL_WORDS), 4n);
    if (!block) return undefined;
    const mine = view(block);
    mine.u64[0] = MAGIC;
    const before = Atomics.compareExchange(
      slot,
      0,
      0n,
      Deno.UnsafePointer.value(block) as bigint,
    );
    if (before === 0n) return mine;
    address = before; // another isolate won the race: use its block (ours is a one-off leak)
  }
  const found = Deno.UnsafePointer.create(address);
  if (!found) return undefined;
  if (new Deno.UnsafePointerView(found).getBigUint64(0) !== MAGIC) {
    return undefined;
  }
  return view(found);
}

function addressOf(pointer: Deno.PointerValue): bigint {
  return BigInt(Deno.UnsafePointer.value(pointer));
}

function alive(tid: number, cache: Map<number, boolean>): boolean {
  if (tid === me || !sys?.tgkill || !sys.gettid) return true;
  let known = cache.get(tid);
  if (known === undefined) {
    known = sys.tgkill(pid, tid, 0) === 0;
    cache.set(tid, known);
  }
  return known;
}

/** The OS thread id of this isolate (1 where it cannot be known). */
export function threadId(): number {
  mem();
  return me;
}

// ---- contexts ----

/** Records a context this isolate made; returns its record index (-1 when the table is full). */
export function registerContext(pointer: Deno.PointerValue): number {
  const { i32, u64 } = mem();
  const addr = addressOf(pointer);
  for (let i = 0; i < CTX_CAP; i++) {
    const base = CTX_OFF + i * CTX_WORDS;
    if (Atomics.compareExchange(i32, base + C_TID, 0, me) !== 0) continue;
    Atomics.store(i32, base + C_SHADOWS, 0);
    Atomics.store(i32, base + C_UNTRACKED, 0);
    Atomics.store(i32, base + C_STATE, LIVE);
    Atomics.store(u64, (base + C_ADDR) / 2, addr);
    forgetTerminated(addr);
    return i;
  }
  return -1;
}

/** What the registry knows of an address. */
export type ContextLookup =
  | { kind: "live"; index: number }
  | { kind: "terminated" }
  | { kind: "unknown" };

/** Finds the record of a context by address. */
export function findContext(addr: bigint): ContextLookup {
  const { i32, u64 } = mem();
  for (let i = 0; i < CTX_CAP; i++) {
    const base = CTX_OFF + i * CTX_WORDS;
    if (
      Atomics.load(u64, (base + C_ADDR) / 2) === addr &&
      Atomics.load(i32, base + C_STATE) === LIVE
    ) return { kind: "live", index: i };
  }
  for (let i = 0; i < TERM_CAP; i++) {
    if (Atomics.load(u64, (TERM_OFF + i * 2) / 2) === addr) {
      return { kind: "terminated" };
    }
  }
  return { kind: "unknown" };
}

/**
 * Starts terminating a context: from now on no shadow may add a socket.
 * Returns how many sockets shadows still hold; when not 0 nothing changed
 * (the caller refuses to terminate).
 */
export function beginTerm(index: number): number {
  if (index < 0) return 0;
  const { i32 } = mem();
  const base = CTX_OFF + index * CTX_WORDS;
  Atomics.store(i32, base + C_STATE, TERMINATING);
  const held = Atomics.load(i32, base + C_SHADOWS);
  if (held > 0) Atomics.store(i32, base + C_STATE, LIVE);
  return held;
}

/** Forgets a context that was terminated, remembering its address for error messages. */
export function endTerm(index: number): void {
  if (index < 0) return;
  const { i32, u64 } = mem();
  const base = CTX_OFF + index * CTX_WORDS;
  const addr = Atomics.load(u64, (base + C_ADDR) / 2);
  const at = Atomics.add(i32, 2, 1) % TERM_CAP;
  Atomics.store(u64, (TERM_OFF + at * 2) / 2, addr);
  Atomics.store(u64, (base + C_ADDR) / 2, 0n);
  Atomics.store(i32, base + C_STATE, 0);
  Atomics.store(i32, base + C_TID, 0);
}

function forgetTerminated(addr: bigint): void {
  const { u64 } = memory!;
  for (let i = 0; i < TERM_CAP; i++) {
    Atomics.compareExchange(u64, (TERM_OFF + i * 2) / 2, addr, 0n);
  }
}

/** Counts a socket a shadow is about to open; false when the context is no longer live. */
export function addShadowSocket(index: number): boolean {
  const { i32 } = mem();
  const base = CTX_OFF + index * CTX_WORDS;
  Atomics.add(i32, base + C_SHADOWS, 1);
  if (Atomics.load(i32, base + C_STATE) === LIVE) return true;
  Atomics.sub(i32, base + C_SHADOWS, 1);
  return false;
}

/** Uncounts a shadow's socket. */
export function removeShadowSocket(index: number): void {
  Atomics.sub(mem().i32, CTX_OFF + index * CTX_WORDS + C_SHADOWS, 1);
}

/** Sockets that shadows hold in a context. */
export function shadowSockets(index: number): number {
  return Atomics.load(mem().i32, CTX_OFF + index * CTX_WORDS + C_SHADOWS);
}

// ---- sockets ----

let socketHint = 0;

/**
 * Records an open socket of a context (context record `ctxIndex`, -1 when
 * the context is not recorded). Returns the socket's record index, or -1.
 */
export function registerSocket(
  pointer: Deno.PointerValue,
  ctx: Deno.PointerValue,
  ctxIndex: number,
  shadow: boolean,
): number {
  const { i32, u64 } = mem();
  for (let n = 0; n < SOCK_CAP; n++) {
    const i = (socketHint + n) % SOCK_CAP;
    const base = SOCK_OFF + i * SOCK_WORDS;
    if (Atomics.compareExchange(i32, base + S_TID, 0, me) !== 0) continue;
    socketHint = i + 1;
    Atomics.store(i32, base + S_FLAGS, shadow ? SHADOW : 0);
    Atomics.store(u64, (base + S_CTX) / 2, addressOf(ctx));
    Atomics.store(u64, (base + S_SOCK) / 2, addressOf(pointer));
    let high = Atomics.load(i32, 3);
    while (high < i + 1) {
      const was = Atomics.compareExchange(i32, 3, high, i + 1);
      if (was === high) break;
      high = was;
    }
    return i;
  }
  // Table full: the context can no longer be reaped safely (a term would wait on this socket).
  if (ctxIndex >= 0) {
    Atomics.add(i32, CTX_OFF + ctxIndex * CTX_WORDS + C_UNTRACKED, 1);
  }
  return -1;
}

/** Forgets a closed socket. */
export function unregisterSocket(index: number, ctxIndex: number): void {
  const { i32, u64 } = mem();
  if (index < 0) {
    if (ctxIndex >= 0) {
      Atomics.sub(i32, CTX_OFF + ctxIndex * CTX_WORDS + C_UNTRACKED, 1);
    }
    return;
  }
  const base = SOCK_OFF + index * SOCK_WORDS;
  Atomics.store(u64, (base + S_SOCK) / 2, 0n);
  Atomics.store(u64, (base + S_CTX) / 2, 0n);
  Atomics.store(i32, base + S_FLAGS, 0);
  Atomics.store(i32, base + S_TID, 0);
}

// ---- file descriptors released with their thread ----

/**
 * Asks that `fd` be woken (8 bytes written, as to an eventfd) and closed
 * once the calling thread is dead, e.g. an IOLoop's wake fd, so a Worker
 * that is terminated while parked leaves no fd and no parked pool thread.
 * Returns a handle for `forgetFd`, -1 when not recorded.
 */
export function closeWithThread(fd: number): number {
  const { i32 } = mem();
  for (let i = 0; i < FD_CAP; i++) {
    const base = FD_OFF + i * FD_WORDS;
    if (Atomics.compareExchange(i32, base, 0, me) !== 0) continue;
    Atomics.store(i32, base + 1, fd);
    return i;
  }
  return -1;
}

/** Cancels `closeWithThread` (the owner closed the fd itself). */
export function forgetFd(handle: number): void {
  if (handle < 0) return;
  const { i32 } = mem();
  Atomics.store(i32, FD_OFF + handle * FD_WORDS + 1, -1);
  Atomics.store(i32, FD_OFF + handle * FD_WORDS, 0);
}

// ---- reaping ----

const one = new BigUint64Array([1n]);
/** How long a shut-down context's other threads get to leave libzmq (µs). */
const GRACE_US = 50_000;
const lingerZero = new Int32Array([0]);

/**
 * Releases what dead threads left: closes their sockets with linger 0, then
 * terminates the contexts they owned once no live thread holds a socket in
 * them, and wakes and closes their recorded fds. Cheap when nothing died (a
 * scan and one `tgkill` per distinct thread). Returns how many sockets and
 * contexts were released.
 */
export function reapDeadThreads(zmq: ZmqSymbols): number {
  const { i32, u64 } = mem();
  if (!sys?.tgkill || !sys.gettid) return 0;
  const cache = new Map<number, boolean>();
  let released = 0;
  let shutDown = 0;
  const high = Math.min(Atomics.load(i32, 3), SOCK_CAP);
  const linger0 = new Uint8Array(lingerZero.buffer);
  // Linger 0 on every socket of a dead thread, while setting it still works
  // (after a shutdown libzmq refuses options with ETERM), so nothing waits.
  for (let i = 0; i < high; i++) {
    const base = SOCK_OFF + i * SOCK_WORDS;
    const tid = Atomics.load(i32, base + S_TID);
    if (tid <= 0 || alive(tid, cache)) continue;
    const pointer = Deno.UnsafePointer.create(
      Atomics.load(u64, (base + S_SOCK) / 2),
    );
    if (pointer) zmq.zmq_setsockopt(pointer, LINGER, linger0, 4n);
  }
  // Contexts whose owner died: shut them down before their sockets are
  // closed, so anything still running in them on another native thread (a
  // proxy of the dead Worker) returns ETERM first.
  for (let i = 0; i < CTX_CAP; i++) {
    const base = CTX_OFF + i * CTX_WORDS;
    const tid = Atomics.load(i32, base + C_TID);
    if (tid <= 0 || Atomics.load(i32, base + C_STATE) !== LIVE) continue;
    if (alive(tid, cache)) continue;
    const pointer = Deno.UnsafePointer.create(
      Atomics.load(u64, (base + C_ADDR) / 2),
    );
    if (pointer) {
      zmq.zmq_ctx_shutdown(pointer);
      shutDown++;
    }
  }
  // A proxy the dead thread ran is now returning ETERM on a pool thread,
  // still inside libzmq with those sockets: closing them under it makes
  // libzmq abort (signaler.cpp "pfd.revents & POLLIN", seen 1 run in 3 of
  // the terminate test). Give it time to leave first; this runs once per
  // dead Worker.
  if (shutDown > 0) sys.usleep?.(GRACE_US);
  for (let i = 0; i < high; i++) {
    const base = SOCK_OFF + i * SOCK_WORDS;
    const tid = Atomics.load(i32, base + S_TID);
    if (tid <= 0 || alive(tid, cache)) continue;
    if (Atomics.compareExchange(i32, base + S_TID, tid, -me) !== tid) continue;
    const sock = Atomics.load(u64, (base + S_SOCK) / 2);
    const ctx = Atomics.load(u64, (base + S_CTX) / 2);
    const flags = Atomics.load(i32, base + S_FLAGS);
    const pointer = Deno.UnsafePointer.create(sock);
    if (pointer) {
      zmq.zmq_setsockopt(
        pointer,
        LINGER,
        new Uint8Array(lingerZero.buffer),
        4n,
      );
      zmq.zmq_close(pointer);
      released++;
    }
    if (flags & SHADOW) {
      const found = findContext(ctx);
      if (found.kind === "live") removeShadowSocket(found.index);
    }
    unregisterSocket(i, -1);
  }
  for (let i = 0; i < CTX_CAP; i++) {
    const base = CTX_OFF + i * CTX_WORDS;
    const tid = Atomics.load(i32, base + C_TID);
    if (tid <= 0 || Atomics.load(i32, base + C_STATE) !== LIVE) continue;
    if (alive(tid, cache) || Atomics.load(i32, base + C_UNTRACKED) > 0) {
      continue;
    }
    if (Atomics.compareExchange(i32, base + C_TID, tid, -me) !== tid) continue;
    if (beginTerm(i) > 0) {
      Atomics.store(i32, base + C_TID, tid); // shadows still hold sockets: later
      continue;
    }
    const pointer = Deno.UnsafePointer.create(
      Atomics.load(u64, (base + C_ADDR) / 2),
    );
    if (pointer) {
      retryEintr(() => zmq.zmq_ctx_term(pointer));
      released++;
    }
    endTerm(i);
  }
  for (let i = 0; i < FD_CAP; i++) {
    const base = FD_OFF + i * FD_WORDS;
    const tid = Atomics.load(i32, base);
    if (tid <= 0 || alive(tid, cache)) continue;
    if (Atomics.compareExchange(i32, base, tid, -me) !== tid) continue;
    const fd = Atomics.load(i32, base + 1);
    if (fd >= 0) {
      sys.write?.(fd, new Uint8Array(one.buffer), 8n);
      sys.close?.(fd);
      released++;
    }
    Atomics.store(i32, base + 1, -1);
    Atomics.store(i32, base, 0);
  }
  return released;
}
