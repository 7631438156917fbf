/**
 * What the asyncio examples share: `[endpoint] [count]` arguments (as the
 * other examples take), one Context and one IOLoop, every AsyncSocket
 * closed at the end, Ctrl-C (SIGINT) ending the example with exit code 0,
 * and an error printed as one line with exit code 1.
 *
 * @module
 */

import { AsyncSocket, Context, ENOTSOCK, IOLoop, ZMQError } from "../../mod.ts";
import { parseArgs } from "../_main.ts";

/** What an asyncio example's body receives. */
export interface AsyncExample {
  /** The shared context. */
  context: Context;
  /** The loop every AsyncSocket runs on. */
  loop: IOLoop;
  /** Where to bind (first argument, default `tcp://127.0.0.1:*`). */
  endpoint: string;
  /** Messages to exchange before ending; `Infinity` when 0 was given. */
  count: number;
  /** Prints one line prefixed by the example's name. */
  log(line: string): void;
  /** A new AsyncSocket of `type`, closed when the example ends. */
  socket(type: number): AsyncSocket;
  /** Resolves after `ms` (ends early, at Ctrl-C). */
  sleep(ms: number): Promise<void>;
  /** Whether Ctrl-C was pressed. */
  stopping(): boolean;
}

/**
 * Runs `body`, then closes every socket, the loop and the context and
 * prints `<name>: closed`. Ctrl-C closes the sockets, so pending calls
 * reject with ENOTSOCK and the body ends.
 */
export async function runAsyncExample(
  name: string,
  defaultCount: number,
  body: (example: AsyncExample) => Promise<void>,
): Promise<void> {
  const context = new Context();
  const loop = new IOLoop();
  const sockets: AsyncSocket[] = [];
  const timers = new Set<() => void>();
  let stopping = false;
  const closeAll = () => {
    for (const s of sockets.reverse()) s.close(0);
    sockets.length = 0;
  };
  const stop = () => {
    stopping = true;
    for (const wake of [...timers]) wake();
    closeAll();
  };
  let failed: unknown = null;
  try {
    const { endpoint, count } = parseArgs(Deno.args, defaultCount);
    Deno.addSignalListener("SIGINT", stop);
    await body({
      context,
      loop,
      endpoint,
      count,
      log: (line) => console.log(`${name}: ${line}`),
      socket: (type) => {
        const s = new AsyncSocket(context.socket(type), loop);
        sockets.push(s);
        return s;
      },
      sleep: (ms) =>
        new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            timers.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, ms);
          timers.add(wake);
        }),
      stopping: () => stopping,
    });
  } catch (error) {
    const closedByStop = stopping && error instanceof ZMQError &&
      error.errno === ENOTSOCK;
    if (!closedByStop) failed = error;
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
    closeAll();
    loop.close();
    context.destroy(0);
  }
  if (failed !== null) {
    console.error(`${name}: ${(failed as Error).message ?? failed}`);
    Deno.exit(1);
  }
  console.log(`${name}: closed`);
}
