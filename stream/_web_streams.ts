/**
 * Web Streams over a message source and sink: what `ZMQStream.readable`,
 * `ZMQStream.writable`, `AsyncSocket.readable` and `AsyncSocket.writable`
 * are made of.
 *
 * @module
 */

import { describe, type Payload } from "../ffi/bytes.ts";

/** A message as written to a `writable`: one part, or a list of parts. */
export type WritableMessage = Payload | Payload[];

/**
 * A `ReadableStream` that receives only when its consumer pulls
 * (`highWaterMark` 0): messages not asked for stay in libzmq, so the
 * socket's HWM applies. Cancelling aborts a pending receive (which then
 * consumes nothing) and leaves the socket open.
 *
 * @param receive receives the next message; null once the source closed
 * @returns the stream
 */
export function readableOf(
  receive: (signal: AbortSignal) => Promise<Uint8Array[] | null>,
): ReadableStream<Uint8Array[]> {
  const cancelled = new AbortController();
  return new ReadableStream<Uint8Array[]>({
    async pull(controller) {
      let msg: Uint8Array[] | null;
      try {
        msg = await receive(cancelled.signal);
      } catch (error) {
        if (cancelled.signal.aborted) return;
        throw error; // errors the stream
      }
      if (msg === null) controller.close();
      else controller.enqueue(msg);
    },
    cancel(reason) {
      cancelled.abort(reason ?? new DOMException("Cancelled", "AbortError"));
    },
  }, { highWaterMark: 0 });
}

/**
 * A `WritableStream` whose `write()` resolves once libzmq has taken the
 * message (one write at a time: backpressure reaches the writer). A chunk
 * that is not bytes, a string or a non-empty list of them errors the stream
 * with a `TypeError` naming it, before anything of it is sent. `close()`
 * waits for earlier writes; neither it nor `abort()` closes the socket.
 *
 * @param send sends one message and resolves when libzmq took it
 * @returns the stream
 */
export function writableOf(
  send: (parts: Payload[], signal: AbortSignal) => Promise<unknown>,
): WritableStream<WritableMessage> {
  const aborted = new AbortController();
  return new WritableStream<WritableMessage>({
    async write(chunk) {
      const parts = Array.isArray(chunk) ? chunk : [chunk];
      const bad = parts.findIndex((p) =>
        typeof p !== "string" && !(p instanceof Uint8Array)
      );
      if (parts.length === 0 || bad >= 0) {
        throw new TypeError(
          `Cannot write ${
            bad < 0
              ? "an empty list"
              : Array.isArray(chunk)
              ? `${describe(parts[bad])} (part ${bad} of a message)`
              : describe(chunk)
          } to a socket: expected bytes, a string or a non-empty list of them`,
        );
      }
      await send(parts, aborted.signal);
    },
    abort(reason) {
      aborted.abort(reason ?? new DOMException("Aborted", "AbortError"));
    },
  }, { highWaterMark: 1 });
}
