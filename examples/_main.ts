/**
 * What every example shares: argument parsing, one Context and one IOLoop,
 * Ctrl-C (SIGINT) closing everything and exiting 0, and a bad endpoint
 * reported as one line with exit code 1.
 *
 * Each example takes `[endpoint] [count]`: the endpoint to bind (default
 * `tcp://127.0.0.1:*`, a free port) and how many messages to exchange
 * before exiting by itself (`0` runs until Ctrl-C).
 *
 * @module
 */

import {
  Context,
  IOLoop,
  LAST_ENDPOINT,
  type Socket,
  type ZMQStream,
} from "../mod.ts";

/**
 * What `own` accepts: closed (streams, sockets), stopped (timers,
 * authenticators) or disposed and awaited (a running proxy) at exit.
 */
export type Owned = ZMQStream | Socket | { stop(): void } | AsyncDisposable;

/** What an example's setup receives. */
export interface Example {
  /** The shared context. */
  context: Context;
  /** The loop everything runs on. */
  loop: IOLoop;
  /** Where to bind (first argument). */
  endpoint: string;
  /** Messages to exchange before exiting; `Infinity` when 0 was given. */
  count: number;
  /** Prints one line prefixed by the example's name. */
  log(line: string): void;
  /** Registers a stream, socket, timer or authenticator to end at exit. */
  own<T extends Owned>(closeable: T): T;
  /** Ends the example: stops the loop, then everything is closed. */
  finish(): void;
  /** Runs `fn` at exit (also after a setup error), after closing. */
  atExit(fn: () => void): void;
}

/** Parses `[endpoint] [count]` with the example's default count. */
export function parseArgs(
  args: string[],
  defaultCount: number,
): { endpoint: string; count: number } {
  const endpoint = args[0] ?? "tcp://127.0.0.1:*";
  const raw = args[1];
  const n = raw === undefined ? defaultCount : Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(
      `Cannot parse the count: expected an integer >= 0, got "${raw}"`,
    );
  }
  return { endpoint, count: n === 0 ? Infinity : n };
}

/** The endpoint a bound socket really listens on (resolves `:*`). */
export function boundEndpoint(target: ZMQStream | Socket): string {
  return String(target.getsockopt(LAST_ENDPOINT));
}

/**
 * Runs an example: calls `setup`, runs the loop until `finish()` or Ctrl-C,
 * then closes what was registered with `own`, the loop and the context, and
 * prints `<name>: closed`. A setup error prints `<name>: <message>` and
 * exits 1.
 */
export async function runExample(
  name: string,
  defaultCount: number,
  setup: (example: Example) => void | Promise<void>,
): Promise<void> {
  const context = new Context();
  const loop = new IOLoop();
  const owned: Owned[] = [];
  const exits: (() => void)[] = [];
  const cleanUp = async () => {
    for (const c of owned.reverse()) {
      if (Symbol.asyncDispose in c) await c[Symbol.asyncDispose]();
      else if ("close" in c) c.close(0);
      else c.stop();
    }
    loop.close();
    context.destroy(0);
    for (const fn of exits) fn();
  };
  const stop = () => loop.stop();
  try {
    const { endpoint, count } = parseArgs(Deno.args, defaultCount);
    Deno.addSignalListener("SIGINT", stop);
    await setup({
      context,
      loop,
      endpoint,
      count,
      log: (line) => console.log(`${name}: ${line}`),
      own: (c) => (owned.push(c), c),
      finish: stop,
      atExit: (fn) => exits.push(fn),
    });
  } catch (error) {
    console.error(`${name}: ${(error as Error).message}`);
    Deno.removeSignalListener("SIGINT", stop);
    await cleanUp();
    Deno.exit(1);
  }
  await loop.start();
  Deno.removeSignalListener("SIGINT", stop);
  await cleanUp();
  console.log(`${name}: closed`);
}
