/**
 * Decoding of socket monitor messages.
 *
 * @module
 */

import { fromUtf8 } from "./bytes.ts";
import { EVENT_NAMES } from "./constants.ts";

/** One socket monitor event. */
export interface MonitorEvent {
  /** The event number (`EVENT_CONNECTED`, ...). */
  event: number;
  /** The event's value: an fd, an errno or a retry interval. */
  value: number;
  /** The endpoint concerned. */
  endpoint: string;
}

/**
 * Decodes a monitor message (two parts: 6 bytes of event and value, then the
 * endpoint).
 *
 * @example
 * ```ts
 * import { Context, EVENT_LISTENING, parseMonitorMessage, PUB } from "@zmqloop/zmq";
 * const ctx = new Context();
 * const pub = ctx.socket(PUB);
 * const monitor = pub.getMonitorSocket(EVENT_LISTENING);
 * pub.bind("tcp://127.0.0.1:*");
 * const { event, endpoint } = parseMonitorMessage(monitor.recvMultipart());
 * console.log(event === EVENT_LISTENING, endpoint.startsWith("tcp://")); // true true
 * ctx.destroy();
 * ```
 *
 * @param parts the two parts received from a monitor socket
 * @returns the event, its value and the endpoint
 * @throws {TypeError} when the parts do not look like a monitor message
 */
export function parseMonitorMessage(parts: Uint8Array[]): MonitorEvent {
  const head = parts?.[0], tail = parts?.[1];
  if (
    !Array.isArray(parts) || parts.length !== 2 ||
    !(head instanceof Uint8Array) || head.length !== 6 ||
    !(tail instanceof Uint8Array)
  ) {
    throw new TypeError(
      "Cannot parse a monitor message: expected 2 parts, the first of 6 bytes",
    );
  }
  const view = new DataView(head.buffer, head.byteOffset, 6);
  return {
    event: view.getUint16(0, true),
    value: view.getUint32(2, true),
    endpoint: fromUtf8(tail),
  };
}

/**
 * The name of a monitor event (`"CONNECTED"`), or its number as text.
 *
 * @example
 * ```ts
 * import { EVENT_CONNECTED, eventName } from "@zmqloop/zmq";
 * console.log(eventName(EVENT_CONNECTED)); // "CONNECTED"
 * ```
 */
export function eventName(event: number): string {
  return EVENT_NAMES[event] ?? String(event);
}
