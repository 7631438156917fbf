/**
 * Type-level tests of the IOLoop's signatures: what type-checks and what is
 * refused. `deno check` (in `deno task check` and before `deno test`) fails
 * when a `@ts-expect-error` line is accepted, or when an accepted line stops
 * type-checking; the runtime steps prove the well-typed calls also run.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  type Callback,
  Context,
  type Frame,
  type Handler,
  IOLoop,
  PAIR,
  type Socket,
  type Target,
  type ZMQStream,
} from "../mod.ts";

/** true when X and Y are the same type (neither is `any` unless both are). */
type Equals<X, Y> = (<T>() => T extends X ? 1 : 2) extends
  (<T>() => T extends Y ? 1 : 2) ? true : false;
/** true only for `any`. */
type IsAny<T> = 0 extends 1 & T ? true : false;

/** Compile-time assertion: `expect<true>(...)` with a computed type. */
function expect<T extends true>(_ok: T): void {}

/** Never called: only type-checked. Each refused line must stay refused. */
function refused(loop: IOLoop, sock: Socket, fd: number): void {
  // @ts-expect-error: a socket handler on a raw file descriptor
  loop.addHandler(fd, (s: Socket) => s.recv(), IOLoop.READ);
  // @ts-expect-error: a file descriptor handler on a socket
  loop.addHandler(sock, (n: number) => n + 1, IOLoop.READ);
  const onSocket: Handler = (s) => s.recv();
  // @ts-expect-error: a Handler (on a Socket) on a raw file descriptor
  loop.addHandler(fd, onSocket, IOLoop.READ);
  // @ts-expect-error: the handler's second parameter is the events, a number
  loop.addHandler(sock, (_s: Socket, e: string) => e, IOLoop.READ);
  // @ts-expect-error: a target that is neither a Socket nor a number
  loop.addHandler("tcp://x", () => {}, IOLoop.READ);

  // @ts-expect-error: the argument is a string, the callback wants a number
  loop.addCallback((n: number) => n + 1, "1");
  // @ts-expect-error: no argument given, the callback wants a number
  loop.addCallback((n: number) => n + 1);
  // @ts-expect-error: one argument too few
  loop.spawnCallback((a: number, b: number) => a + b, 1);
  // @ts-expect-error: wrong argument type
  loop.callLater(5, (s: string) => s.length, 5);
  // @ts-expect-error: wrong argument type
  loop.callAt(loop.time(), (s: string) => s.length, true);
  // @ts-expect-error: missing argument
  loop.addTimeout(loop.time(), (s: string) => s.length);
  // @ts-expect-error: an unannotated parameter is typed by the argument
  loop.addCallback((n) => n.toUpperCase(), 1);
  const onNumber: Callback<[number]> = (n) => n.toFixed();
  // @ts-expect-error: a Callback<[number]> given a string
  loop.addCallback(onNumber, "1");
}

/** Never called: ZMQStream's receive callbacks are typed by `copy`. */
function streamCallbacks(stream: ZMQStream): void {
  stream.onRecvStream((_s, msg) => {
    expect<Equals<typeof msg, Uint8Array[]>>(true);
  });
  stream.onRecvStream((_s, msg) => {
    expect<Equals<typeof msg, Frame[]>>(true);
  }, false);
}

/** Never called: the forms existing code uses, which must keep compiling. */
function accepted(loop: IOLoop, sock: Socket, fd: number): void {
  loop.addHandler(sock, (s: Socket, events: number) => s.poll(0, events), 1);
  loop.addHandler(sock, (s) => s.recv(), IOLoop.READ); // s: Socket
  loop.addHandler(fd, (n, events) => n + events, IOLoop.READ); // n: number
  loop.addHandler(3, (n: number) => n, IOLoop.READ);
  loop.addHandler(sock, () => {}, IOLoop.READ);
  const either: Target = Math.random() < 0.5 ? sock : fd;
  loop.addHandler(either, (t: Target) => typeof t, IOLoop.READ);
  const onFd: Handler<number> = (n) => n;
  loop.addHandler(fd, onFd, IOLoop.READ);
  loop.addHandler(sock, async (s) => {
    s.recv();
    await null;
  }, IOLoop.READ);

  loop.addCallback(() => {});
  loop.addCallback((a: number, b: string) => a + b, 1, "x");
  loop.addCallback((n) => n.toFixed(), 1); // n: number, from the argument
  loop.addCallback((n?: number) => n);
  loop.spawnCallback(async () => {});
  const callback: (...args: unknown[]) => unknown = () => {};
  const args: unknown[] = [];
  loop.addCallback(callback, ...args);
  void new Promise((r) => loop.callLater(5, r));
  void new Promise<void>((r) => loop.callAt(loop.time(), r));
  void new Promise<void>((r) => loop.addTimeout(loop.time(), r));
  loop.callLater(5, (s: string) => s.length, "abc");
  const onNumber: Callback<[number]> = (n) => n.toFixed();
  loop.callLater(5, onNumber, 1);
}

Deno.test("IOLoop signatures: no any, Handler defaults to a Socket handler", () => {
  expect<Equals<Parameters<Handler>[0], Socket>>(true);
  expect<Equals<Parameters<Handler<number>>[0], number>>(true);
  expect<Equals<Parameters<Handler>[1], number>>(true);
  expect<Equals<IsAny<Parameters<Handler>[0]>, false>>(true);
  type AddHandler = Parameters<IOLoop["addHandler"]>;
  expect<Equals<IsAny<AddHandler[0]>, false>>(true);
  expect<Equals<IsAny<Parameters<IOLoop["addCallback"]>[1]>, false>>(true);
  expect<Equals<IsAny<Parameters<IOLoop["callLater"]>[2]>, false>>(true);
  // The type-only functions above are referenced, not run.
  assert.equal(typeof refused, "function");
  assert.equal(typeof streamCallbacks, "function");
  assert.equal(typeof accepted, "function");
});

Deno.test("IOLoop well-typed handlers and callbacks run with their arguments", async () => {
  const ctx = new Context();
  const loop = new IOLoop();
  try {
    const a = ctx.socket(PAIR), b = ctx.socket(PAIR);
    const addr = `inproc://types-${crypto.randomUUID()}`;
    a.bind(addr);
    b.connect(addr);
    const got: string[] = [];
    const received = new Promise<void>((resolve) => {
      loop.addHandler(b, (s, events) => {
        assert.equal(s, b);
        assert.ok(events & IOLoop.READ);
        got.push(s.recvString());
        resolve();
      }, IOLoop.READ);
    });
    const called = new Promise<[number, string]>((resolve) =>
      loop.addCallback((n, t) => resolve([n, t]), 7, "seven")
    );
    const later = new Promise((r) => loop.callLater(1, r));
    a.send("hello");
    const [calledWith] = await loop.runSync(
      () => Promise.all([called, received, later]),
      { timeout: 5000 },
    );
    assert.deepEqual(calledWith, [7, "seven"]);
    assert.deepEqual(got, ["hello"]);
  } finally {
    loop.close();
    ctx.destroy();
  }
});

/**
 * Explicit `any`s allowed in library code, by file (lint refuses an `any`
 * without a `deno-lint-ignore no-explicit-any` above it, so counting those
 * counts them): none.
 */
const ANY_LEFT: Record<string, number> = {};

Deno.test("library code: no explicit any", async () => {
  const root = new URL("../", import.meta.url);
  const found: Record<string, number> = {};
  async function scan(dir: string): Promise<void> {
    for await (const entry of Deno.readDir(new URL(dir, root))) {
      const path = `${dir}${entry.name}`;
      if (entry.isDirectory) await scan(`${path}/`);
      else if (entry.name.endsWith(".ts")) {
        const text = await Deno.readTextFile(new URL(path, root));
        const count = text.split("no-explicit-any").length - 1;
        if (count) found[path] = count;
      }
    }
  }
  for (const dir of ["ffi/", "loop/", "stream/", "auth/"]) await scan(dir);
  for (const [path, count] of Object.entries(found)) {
    assert.ok(
      count <= (ANY_LEFT[path] ?? 0),
      `${path} has ${count} explicit any (allowed: ${ANY_LEFT[path] ?? 0})`,
    );
  }
});
