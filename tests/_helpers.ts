/** Shared test helpers: subprocess runs and waits, every one bounded. */

import {
  Context,
  IOLoop,
  PAIR,
  POLLIN,
  PULL,
  PUSH,
  type Socket,
  ZMQStream,
} from "../mod.ts";

/** Result of a subprocess. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `deno` with arguments, killing it after `timeoutMs`. */
export async function runDeno(
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number; cwd?: string } =
    {},
): Promise<RunResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    env: { NO_COLOR: "1", ...options.env },
    cwd: options.cwd,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }, options.timeoutMs ?? 20_000);
  const out = await child.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

/** Writes a temporary script and returns its path. */
export async function tempScript(source: string): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(path, source);
  return path;
}

/** The repository's mod.ts as a file URL. */
export const MOD_URL: string = new URL("../mod.ts", import.meta.url).href;

/**
 * Runs `loop` until `work()` settles, or until something calls
 * `loop.stop()`, bounded by `ms`. A callback that throws (an assertion in an
 * `onRecv`, say) fails at once: it is rethrown here, as are `work`'s error
 * and the timeout. Resolves with `work`'s value (undefined when the loop was
 * stopped first).
 */
export async function runLoop<T>(
  loop: IOLoop,
  work?: () => Promise<T>,
  ms = 30_000,
): Promise<T | undefined> {
  let failure: unknown = null;
  let value: T | undefined;
  const fail = (error: unknown) => {
    failure ??= error;
    loop.stop();
  };
  const timer = setTimeout(
    () => fail(new Error(`Timed out after ${ms} ms`)),
    ms,
  );
  loop.errorHandler = fail;
  work?.().then((v) => {
    value = v;
    loop.stop();
  }, fail);
  await loop.start();
  clearTimeout(timer);
  if (failure) throw failure;
  return value;
}

/**
 * Resolves once `check()` returns true, polling every millisecond (the loop
 * runs in between); rejects after `ms`, naming the condition (`what`, or the
 * check's source) so a regression fails with a message instead of hanging.
 */
export async function until(
  check: () => boolean,
  ms = 5000,
  what: string = check.toString(),
): Promise<void> {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) {
      throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
}

/**
 * Settles as `promise` does, or rejects naming `what` when `ms` pass first:
 * for awaits of promises that would hang forever on a regression.
 */
export function within<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A bound and a connected PAIR of `ctx` on `ep` (tcp `:*` works too). */
export function pairOn(ctx: Context, ep: string): [Socket, Socket] {
  const a = ctx.socket(PAIR), b = ctx.socket(PAIR);
  a.bind(ep);
  b.connect(a.lastEndpoint!);
  return [a, b];
}

/**
 * A raw PUSH with `n` messages ("0".."n-1") waiting at a PULL stream on
 * `loop` (a new one by default); errors the loop reports are collected.
 * Disposing closes both sockets, the loop and the context.
 */
export async function waitingAtPull(n: number, loop: IOLoop = new IOLoop()) {
  const ctx = new Context();
  const push = ctx.socket(PUSH);
  const ep = `inproc://waiting-${crypto.randomUUID()}`;
  push.bind(ep);
  const pull = new ZMQStream(ctx.socket(PULL), loop);
  pull.connect(ep);
  for (let i = 0; i < n; i++) push.send(String(i));
  await until(() => (pull.socket.events & POLLIN) !== 0);
  const errors: unknown[] = [];
  loop.errorHandler = (e) => errors.push(e);
  return {
    loop,
    pull,
    errors,
    async [Symbol.asyncDispose]() {
      pull.close(0);
      push.close(0);
      await within(loop.closeAndWait(), 5000, "the loop to close");
      ctx.destroy(0);
    },
  };
}

/** The first part of a message, as text. */
export const firstText = (m: Uint8Array[]): string =>
  new TextDecoder().decode(m[0]);
