/**
 * Socket monitor events as an async iterable served by the loop.
 *
 * @module
 */

import { EVENT_ALL, EVENT_MONITOR_STOPPED } from "../ffi/constants.ts";
import {
  eventName,
  type MonitorEvent,
  parseMonitorMessage,
} from "../ffi/monitor.ts";
import type { Socket } from "../ffi/socket.ts";
import { IOLoop } from "../loop/ioloop.ts";
import { ZMQStream } from "./zmqstream.ts";

/** A monitor event with its name (`"CONNECTED"`, `"HANDSHAKE_SUCCEEDED"`, ...). */
export interface NamedMonitorEvent extends MonitorEvent {
  /** The event's name, without the `EVENT_` prefix. */
  name: string;
}

/** Options of `monitorEvents`. */
export interface MonitorOptions {
  /** The events to report (a mask of `EVENT_*`). @default EVENT_ALL */
  events?: number;
  /** The loop that reads them. @default IOLoop.instance() */
  ioLoop?: IOLoop;
}

/** An iteration over monitor events; `using` (or `break`) stops the monitor. */
export interface MonitorIterator
  extends AsyncIterableIterator<NamedMonitorEvent>, Disposable {}

/**
 * Monitors a socket: yields its events (connections, handshakes,
 * disconnections, ...) as the loop reads them. The iteration ends when the
 * monitor stops: `socket.disableMonitor()`, closing the socket, `break`, or
 * disposing the iterator.
 *
 * @param socket the socket to watch
 * @param options the event mask and the loop
 * @returns an async iterator of events
 *
 * @example
 * ```ts
 * import { Context, IOLoop, monitorEvents, PULL, PUSH } from "@zmqloop/zmq";
 * using ctx = new Context();
 * const loop = new IOLoop();
 * const server = ctx.socket(PULL);
 * const port = server.bindToRandomPort("tcp://127.0.0.1");
 * const client = ctx.socket(PUSH);
 * const names: string[] = [];
 * const watching = (async () => {
 *   for await (const e of monitorEvents(client, { ioLoop: loop })) {
 *     names.push(e.name);
 *     if (e.name === "HANDSHAKE_SUCCEEDED") client.disableMonitor();
 *   }
 *   loop.stop();
 * })();
 * client.connect(`tcp://127.0.0.1:${port}`);
 * await loop.start();
 * await watching;
 * console.log(names.includes("CONNECTED")); // true
 * client.close();
 * server.close();
 * loop.close();
 * ```
 */
export function monitorEvents(
  socket: Socket,
  options: MonitorOptions = {},
): MonitorIterator {
  // MONITOR_STOPPED is always asked for: it is what ends the iteration.
  const pair = socket.getMonitorSocket(
    (options.events ?? EVENT_ALL) | EVENT_MONITOR_STOPPED,
  );
  let stream: ZMQStream;
  try {
    stream = new ZMQStream(pair, options.ioLoop ?? IOLoop.instance());
  } catch (error) {
    // getMonitorSocket() hands back the running monitor's PAIR socket, which
    // an earlier monitorEvents() already reads.
    throw new Error(
      "Cannot monitor the socket: a monitorEvents() iteration already reads its events (end it first)",
      { cause: error },
    );
  }
  const messages = stream[Symbol.asyncIterator]();
  const stop = () => {
    if (stream.isClosed) return;
    if (!socket.closed) socket.disableMonitor();
    stream.close(0);
  };
  const done = { done: true, value: undefined } as const;
  const iterator: MonitorIterator = {
    async next(): Promise<IteratorResult<NamedMonitorEvent>> {
      const r = await messages.next();
      if (r.done) return done;
      const event = parseMonitorMessage(r.value);
      if (event.event === EVENT_MONITOR_STOPPED) {
        stop();
        return done;
      }
      return { done: false, value: { ...event, name: eventName(event.event) } };
    },
    return(): Promise<IteratorResult<NamedMonitorEvent>> {
      stop();
      return Promise.resolve(done);
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
    [Symbol.dispose]: stop,
  };
  return iterator;
}
