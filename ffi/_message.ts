/**
 * The message fast paths: sending a part from JavaScript memory, receiving
 * one into JavaScript memory, and the zero-copy send. They reuse one set of
 * scratch buffers (`Scratch`) and allocate nothing beyond the received
 * payload. Every failure goes through `recover`, the one EINTR checkpoint.
 *
 * @module
 */

import type { ZmqSymbols } from "./symbols.ts";
import { type Payload, toBytes } from "./bytes.ts";
import { recover } from "./errors.ts";
import { EAGAIN, EFSM } from "./errno.ts";
import { DONTWAIT, PAIR, SNDMORE } from "./constants.ts";
import { LINGER } from "./_option_ids.ts";
import { cString } from "./bytes.ts";
import { allocBytes, copyBytes } from "./pool.ts";
import {
  FINISHED_TRACKER,
  initZeroCopy,
  MessageTracker,
  MSG_T_BYTES,
} from "./frame.ts";

/** Payloads under this size are copied even with `copy: false` (PyZMQ's threshold). */
export const COPY_THRESHOLD = 65536;

/** Options of a send. */
export interface SendOptions {
  /** `false`: hand the buffer to libzmq without copying (64 KiB and up). @default true */
  copy?: boolean;
  /** Return a `MessageTracker` that completes when libzmq releases the buffer. @default false */
  track?: boolean;
}

// Received messages above this size are released as soon as they are copied
// out, so a peer's large (maybe zero-copy) buffer is not kept until the next
// receive; smaller ones live inside the zmq_msg_t itself.
const RELEASE_ABOVE = 1024;

// libzmq stores small payloads inside the zmq_msg_t, at this offset (checked
// at run time against zmq_msg_data's low 32 bits, see `inlineLow`): those are
// read straight from the scratch message without an FFI copy. 56 bytes is
// libzmq 4.3's largest inline payload on 64-bit builds.
const INLINE_OFFSET = 8;
const INLINE_MAX = 56;

/** `zmq_msg_recv`'s result for messages of 2 GiB and more (INT_MAX). */
const INT_MAX = 2147483647;

/** "Not now" for a non-blocking try: EAGAIN, or EFSM (not this REQ/REP socket's turn). */
export const notNow = (errno: number): boolean =>
  errno === EAGAIN || errno === EFSM;

/** libzmq's message types (msg.hpp): payload inside the `zmq_msg_t`, and on the heap. */
const TYPE_VSM = 101, TYPE_LMSG = 102;

/** Receives cross-checked against libzmq's own answers before the layout is trusted. */
const VERIFY = 64;

/**
 * Where this libzmq keeps a message's type byte inside the `zmq_msg_t` (its
 * flags byte, with MORE in bit 0, follows it: libzmq's `msg_t` has had
 * `type; flags;` side by side since 3.x), or -1 when that cannot be told.
 * Found at run time from `zmq_msg_init_size` messages, small (inline) and
 * large, in memory prefilled with two patterns so that stale bytes cannot
 * pass for a type. Reading these two bytes saves a receive two FFI calls
 * (`zmq_msg_more` and `zmq_msg_data`, ~30 ns each).
 */
export function findTypeOffset(
  sym: ZmqSymbols,
  inlineLow: number,
  msg: Uint8Array,
): number {
  const samples: { bytes: Uint8Array; type: number }[] = [];
  try {
    for (const fill of [0xaa, 0x55]) {
      for (const size of [0, 1, 16, 30, 4096]) {
        msg.fill(fill, 0, 64);
        if (sym.zmq_msg_init_size(msg, sizeArg(size)) !== 0) return -1;
        const inline = sym.zmq_msg_data_low(msg) === inlineLow;
        samples.push({
          bytes: msg.slice(0, 64),
          type: size <= 30 ? TYPE_VSM : TYPE_LMSG,
        });
        sym.zmq_msg_close(msg);
        // the inline payload sits where INLINE_OFFSET says, exactly for the small ones
        if (inline !== size <= 30) return -1;
      }
    }
  } finally {
    // `msg` is the scratch message receives go into: whatever was found,
    // it must leave here a valid empty message (a closed or pattern-filled
    // one makes every zmq_msg_recv fail with EFAULT)
    sym.zmq_msg_init(msg);
  }
  let found = -1;
  for (let at = 0; at < 63; at++) {
    if (samples.every((x) => x.bytes[at] === x.type && x.bytes[at + 1] === 0)) {
      if (found >= 0) return -1; // two candidates: not sure
      found = at;
    }
  }
  return found;
}

/**
 * Sends a two-part message through a PAIR of a private context (inproc) and
 * checks that the flags byte after the type byte at `typeAt` says MORE for
 * the first part and not for the second, as `zmq_msg_more` does: the proof
 * that a program receiving only single parts cannot give. Any failure:
 * false (MORE stays asked of libzmq). Costs ~2 ms, once per thread.
 */
export function moreByteWorks(sym: ZmqSymbols, typeAt: number): boolean {
  const ctx = sym.zmq_ctx_new();
  if (!ctx) return false;
  const msg = new Uint8Array(MSG_T_BYTES);
  sym.zmq_msg_init(msg);
  const socks: Deno.PointerValue[] = [];
  try {
    const a = sym.zmq_socket(ctx, PAIR), b = sym.zmq_socket(ctx, PAIR);
    socks.push(a, b);
    if (!a || !b) return false;
    const ep = cString("inproc://zmqloop-msg-layout");
    if (sym.zmq_bind(a, ep) !== 0 || sym.zmq_connect(b, ep) !== 0) return false;
    const part = new Uint8Array(72);
    if (
      sym.zmq_send(b, part, 1n, SNDMORE | DONTWAIT) < 0 ||
      sym.zmq_send(b, part, 1n, DONTWAIT) < 0
    ) return false;
    const flags = () => (msg[typeAt + 1]! & 1) === 1;
    if (sym.zmq_msg_recv(msg, a, DONTWAIT) < 0) return false;
    const first = flags() && sym.zmq_msg_more(msg) === 1;
    if (sym.zmq_msg_recv(msg, a, DONTWAIT) < 0) return false;
    return first && !flags() && sym.zmq_msg_more(msg) === 0;
  } catch {
    return false;
  } finally {
    sym.zmq_msg_close(msg);
    const zero = new Uint8Array(72); // LINGER 0: the term below never waits
    for (const s of socks) {
      if (!s) continue;
      sym.zmq_setsockopt(s, LINGER, zero, 4n);
      sym.zmq_close(s);
    }
    sym.zmq_ctx_term(ctx);
  }
}

/**
 * Memory the fast paths reuse. All of it is over 64 bytes, so V8 keeps it
 * off its moving heap and libzmq may hold pointers into it during a call.
 */
export class Scratch {
  /** The `zmq_msg_t` receives go into. */
  readonly recv: Uint8Array = new Uint8Array(MSG_T_BYTES);
  /** `recv` as 32-bit words, for the inline payload's copy. */
  readonly recvWords: Int32Array = new Int32Array(this.recv.buffer);
  /** `recv`'s address (a pointer argument is cheaper than a buffer one). */
  readonly recvAt: Deno.PointerObject;
  /** The `zmq_msg_t` zero-copy sends are built in. */
  readonly send: Uint8Array = new Uint8Array(MSG_T_BYTES);
  /** Strings are encoded here before a send. */
  readonly text: Uint8Array = new Uint8Array(64 * 1024);
  /** Whether the part received last had more parts after it. */
  more = false;
  /** Low 32 bits of the address of `recv`'s inline payload. */
  readonly inlineLow: number;
  /** Offset of the type byte in `recv` (the flags byte follows), or -1. */
  typeAt: number;
  /**
   * MORE is read from the flags byte (verified over 64 parts, one of them
   * at least with MORE set), not asked of libzmq.
   */
  fastMore = false;
  /** "Inline?" is read from the type byte (verified), not asked of libzmq. */
  fastInline = false;
  #moreChecks = VERIFY;
  #moreSeen = false;
  #proved = false;
  #inlineChecks = VERIFY;

  /**
   * Initialises the receive message and finds the message layout.
   *
   * @param sym libzmq's symbols
   */
  constructor(readonly sym: ZmqSymbols) {
    this.recvAt = Deno.UnsafePointer.of(this.recv)!;
    const addr = BigInt(Deno.UnsafePointer.value(this.recvAt));
    this.inlineLow = Number((addr + BigInt(INLINE_OFFSET)) & 0xffffffffn);
    this.typeAt = findTypeOffset(sym, this.inlineLow, this.recv);
  }

  /**
   * MORE of the part in `recv`, asked of libzmq, and checked against the
   * flags byte until the layout is trusted (a mismatch: never trusted).
   */
  slowMore(): boolean {
    const more = this.sym.zmq_msg_more_at(this.recvAt) === 1;
    if (this.typeAt >= 0) {
      if (((this.recv[this.typeAt + 1]! & 1) === 1) !== more) this.#distrust();
      else {
        if (more) this.#moreSeen = true;
        // trusted only once the byte was also seen to say MORE: a byte
        // that was 0 for 64 single parts proves nothing about multipart,
        // so single-part traffic gets its proof from a private pair, once
        if (--this.#moreChecks <= 0) {
          if (this.#moreSeen) this.fastMore = true;
          else if (!this.#proved) {
            this.#proved = true;
            this.fastMore = moreByteWorks(this.sym, this.typeAt);
          }
        }
      }
    }
    return more;
  }

  /** The bytes disagreed with libzmq once: never read them again. */
  #distrust(): void {
    this.typeAt = -1;
    this.fastMore = false;
    this.fastInline = false;
  }

  /** Whether the part in `recv` is stored inline, asked and checked as `slowMore`. */
  slowInline(): boolean {
    const inline = this.sym.zmq_msg_data_low(this.recv) === this.inlineLow;
    if (this.typeAt >= 0) {
      if ((this.recv[this.typeAt] === TYPE_VSM) !== inline) this.#distrust();
      else if (--this.#inlineChecks === 0) this.fastInline = true;
    }
    return inline;
  }
}

let scratch: Scratch | undefined;

/** The process's scratch memory (made on first use). */
export function scratchFor(sym: ZmqSymbols): Scratch {
  return scratch ??= new Scratch(sym);
}

// size_t arguments must be BigInts (the fast FFI path); each BigInt() is a
// heap allocation, so the common sizes are made once.
const SIZE_ARGS: bigint[] = [];

/** A size as a `size_t` argument (cached below 4 KiB). */
export function sizeArg(n: number): bigint {
  if (n >= 4096) return BigInt(n);
  return SIZE_ARGS[n] ??= BigInt(n);
}

/** A received message's true size: `rc`, or `zmq_msg_size` past INT_MAX. */
export function fullSize(sym: ZmqSymbols, msg: Uint8Array, rc: number): number {
  return rc === INT_MAX ? Number(sym.zmq_msg_size(msg)) : rc;
}

const encoder = new TextEncoder();

/**
 * Sends one part from JavaScript memory (libzmq copies it). With `soft`, "not
 * now" (EAGAIN, EFSM) returns false instead of throwing.
 */
export function sendPart(
  s: Scratch,
  h: Deno.PointerValue,
  data: Payload,
  flags: number,
  soft = false,
): boolean {
  let buf: Uint8Array, len: number;
  if (typeof data === "string") {
    const r = encoder.encodeInto(data, s.text);
    if (r.read === data.length) {
      buf = s.text;
      len = r.written;
    } else {
      buf = encoder.encode(data);
      len = buf.length;
    }
  } else if (data instanceof Uint8Array) {
    buf = data;
    len = data.length;
  } else {
    buf = toBytes(data, "send");
    len = buf.length;
  }
  const size = sizeArg(len);
  if (s.sym.zmq_send(h, buf, size, flags) >= 0) return true;
  return sendFailed(s.sym, h, buf, size, flags, soft, s.sym.zmq_errno());
}

// The failure paths live in functions of their own: a closure in the hot
// function would make V8 allocate a context for its variables on every call.
// The errno is read before them, before anything is allocated (see recover).
function sendFailed(
  sym: ZmqSymbols,
  h: Deno.PointerValue,
  buf: Uint8Array,
  size: bigint,
  flags: number,
  soft: boolean,
  errno: number,
): boolean {
  return recover(
    () => sym.zmq_send(h, buf, size, flags),
    "Cannot send",
    soft ? notNow : undefined,
    errno,
  ) >= 0;
}

/**
 * Sends a message whose large parts (64 KiB and up) go zero-copy when
 * `options.copy` is false; returns the tracker asked for.
 */
export function sendTracked(
  s: Scratch,
  h: Deno.PointerValue,
  parts: Payload[],
  flags: number,
  options: SendOptions,
): MessageTracker | undefined {
  const sym = s.sym;
  const zeroCopy = options.copy === false;
  const big = zeroCopy
    ? parts.filter((p) => typeof p !== "string" && p.length >= COPY_THRESHOLD)
      .length
    : 0;
  const tracker = options.track
    ? (big > 0 ? new MessageTracker(big) : FINISHED_TRACKER)
    : undefined;
  const last = parts.length - 1;
  for (let i = 0; i <= last; i++) {
    const part = parts[i]!;
    const f = i < last ? flags | SNDMORE : flags;
    if (zeroCopy && typeof part !== "string" && part.length >= COPY_THRESHOLD) {
      if (initZeroCopy(s.send, part, tracker)) {
        const send = () => sym.zmq_msg_send(s.send, h, f);
        if (send() < 0) {
          try {
            recover(send, "Cannot send");
          } catch (error) {
            sym.zmq_msg_close(s.send); // drops libzmq's reference
            throw error;
          }
        }
        continue;
      }
      tracker?._release(); // layout unknown: copied instead
    }
    sendPart(s, h, part, f);
  }
  return tracker;
}

/**
 * Receives one part into `s.recv` and returns its size; -1 when `soft`
 * accepts the errno. Sets `s.more`.
 */
export function recvIntoScratch(
  s: Scratch,
  h: Deno.PointerValue,
  flags: number,
  soft?: (errno: number) => boolean,
  needMore = true,
): number {
  const sym = s.sym;
  let rc = sym.zmq_msg_recv_at(s.recvAt, h, flags);
  if (rc < 0) {
    rc = recvFailed(sym, h, s.recv, flags, soft, sym.zmq_errno());
    if (rc < 0) return -1;
  }
  const size = fullSize(sym, s.recv, rc);
  // Only a multipart read asks for MORE.
  if (needMore) {
    s.more = s.fastMore ? (s.recv[s.typeAt + 1]! & 1) === 1 : s.slowMore();
  }
  return size;
}

/** Copies the part in `s.recv` out (releasing it when large). */
export function copyOut(s: Scratch, size: number): Uint8Array {
  const sym = s.sym;
  const msg = s.recv;
  if (
    size <= INLINE_MAX &&
    (s.fastInline ? msg[s.typeAt] === TYPE_VSM : s.slowInline())
  ) {
    return copyBytes(s.recvWords, INLINE_OFFSET, size);
  }
  const out = allocBytes(size);
  if (size > 0) {
    Deno.UnsafePointerView.copyInto(sym.zmq_msg_data(msg)!, out);
    if (size > RELEASE_ABOVE) {
      sym.zmq_msg_close(msg);
      sym.zmq_msg_init(msg);
    }
  }
  return out;
}

/**
 * Receives one part into a fresh `Uint8Array` (null when `soft` accepts the
 * errno); sets `s.more` unless `needMore` is false.
 */
export function recvPart(
  s: Scratch,
  h: Deno.PointerValue,
  flags: number,
  soft?: (errno: number) => boolean,
  needMore = true,
): Uint8Array | null {
  const size = recvIntoScratch(s, h, flags, soft, needMore);
  return size < 0 ? null : copyOut(s, size);
}

/**
 * Receives one part into `msg` (a Frame's own `zmq_msg_t`); returns its true
 * size, or -1 when `soft` accepts the errno.
 */
export function recvMsg(
  sym: ZmqSymbols,
  h: Deno.PointerValue,
  msg: Uint8Array,
  flags: number,
  soft?: (errno: number) => boolean,
): number {
  let rc = sym.zmq_msg_recv(msg, h, flags);
  if (rc < 0) {
    rc = recvFailed(sym, h, msg, flags, soft, sym.zmq_errno());
    if (rc < 0) return -1;
  }
  return fullSize(sym, msg, rc);
}

/** Receives one part into a buffer of the caller's (`zmq_recv`, truncating). */
export function recvBuffer(
  sym: ZmqSymbols,
  h: Deno.PointerValue,
  buffer: Uint8Array,
  flags: number,
): number {
  const size = sizeArg(buffer.length);
  const rc = sym.zmq_recv(h, buffer, size, flags);
  return rc >= 0
    ? rc
    : recvBufferFailed(sym, h, buffer, size, flags, sym.zmq_errno());
}

function recvBufferFailed(
  sym: ZmqSymbols,
  h: Deno.PointerValue,
  buffer: Uint8Array,
  size: bigint,
  flags: number,
  errno: number,
): number {
  return recover(
    () => sym.zmq_recv(h, buffer, size, flags),
    "Cannot receive",
    undefined,
    errno,
  );
}

function recvFailed(
  sym: ZmqSymbols,
  h: Deno.PointerValue,
  msg: Uint8Array,
  flags: number,
  soft: ((errno: number) => boolean) | undefined,
  errno: number,
): number {
  return recover(
    () => sym.zmq_msg_recv(msg, h, flags),
    "Cannot receive",
    soft,
    errno,
  );
}
