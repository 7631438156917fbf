// What keeps the process alive (issue 17): ref()/unref() on IOLoop,
// ZMQStream and AsyncSocket, signals on the loop's waits, and
// `await using loop`. Exit behaviour runs in subprocesses.

import assert from "node:assert/strict";
import {
  AsyncSocket,
  Context,
  IOLoop,
  PULL,
  PUSH,
  RCVHWM,
  SNDHWM,
  ZMQStream,
} from "../mod.ts";
import { MOD_URL, runDeno, tempScript } from "./_helpers.ts";

async function exitsWithin(source: string, ms: number) {
  const script = await tempScript(source);
  try {
    const started = performance.now();
    const r = await runDeno(["run", "--allow-ffi", "--allow-env", script], {
      timeoutMs: ms,
    });
    return { ...r, elapsed: performance.now() - started };
  } finally {
    await Deno.remove(script);
  }
}

const setup = `
  import { AsyncSocket, Context, IOLoop, PULL, ZMQStream } from "${MOD_URL}";
  const ctx = new Context();
  const pull = new ZMQStream(ctx.socket(PULL));
  pull.bind("tcp://127.0.0.1:*");
`;

Deno.test("ref/unref: what keeps the process alive", async (t) => {
  await t.step(
    "a stream waiting for messages keeps it alive (a listener)",
    async () => {
      const r = await exitsWithin(`${setup} pull.onRecv(() => {});`, 1500);
      assert.notEqual(r.code, 0, "killed after 1.5 s: it was kept alive");
    },
  );
  for (
    const [what, code] of [
      ["an unref'ed stream", "pull.onRecv(() => {}); pull.unref();"],
      ["an unref'ed loop", "pull.onRecv(() => {}); IOLoop.instance().unref();"],
      ["a stream waiting for nothing", ""],
      [
        "an unref'ed AsyncSocket with a pending receive",
        `
      const s = new AsyncSocket(ctx.socket(PULL)); s.bind("tcp://127.0.0.1:*");
      s.unref(); s.recvMultipart().catch(() => {});`,
      ],
    ]
  ) {
    for (let i = 0; i < 3; i++) {
      await t.step(`${what} lets it exit (${i + 1}/3)`, async () => {
        const r = await exitsWithin(`${setup} ${code}`, 10_000);
        assert.equal(r.code, 0, r.stderr);
        assert.ok(r.elapsed < 5000, `exited after ${r.elapsed} ms`);
      });
    }
  }
});

Deno.test("an unref'ed stream still delivers while the process runs", async () => {
  const ctx = new Context();
  const loop = new IOLoop();
  const pull = new ZMQStream(ctx.socket(PULL), loop);
  pull.bind("inproc://unref-delivers");
  pull.unref();
  const push = ctx.socket(PUSH);
  push.connect("inproc://unref-delivers");
  const got = new Promise<string>((resolve) =>
    pull.onRecv((m) => resolve(new TextDecoder().decode(m[0])))
  );
  setTimeout(() => push.send("late"), 20); // after the loop went to sleep
  const timer = setTimeout(() => {}, 5000); // what keeps this process alive
  assert.equal(await got, "late");
  clearTimeout(timer);
  pull.close();
  pull.unref(); // after close: a no-op
  push.close();
  loop.unref();
  loop.ref();
  await loop.closeAndWait();
  loop.unref(); // after close: a no-op
  ctx.term();
});

Deno.test("IOLoop waits take a signal; timeouts say TimeoutError", async () => {
  const loop = new IOLoop();
  const ac = new AbortController();
  const started = loop.start({ signal: ac.signal });
  ac.abort(new Error("stop it"));
  await assert.rejects(started, /stop it/);
  loop.stop();
  await loop.start(); // usable again: a stop() before start() resolves at once
  await assert.rejects(
    loop.start({ signal: AbortSignal.abort(new Error("already")) }),
    /already/,
  );
  const never = new AbortController();
  const run = loop.runSync(() => new Promise(() => {}), {
    signal: never.signal,
  });
  never.abort(new Error("enough"));
  await assert.rejects(run, /enough/);
  await assert.rejects(
    loop.runSync(() => new Promise(() => {}), { timeout: 10 }),
    (e: DOMException) => e.name === "TimeoutError" && /10 ms/.test(e.message),
  );
  assert.equal(await loop.runSync(() => 42), 42, "the loop stays usable");
  await loop.closeAndWait();
});

Deno.test("await using an IOLoop writes its streams' queues first", async () => {
  const ctx = new Context();
  const sink = new IOLoop();
  const pull = new AsyncSocket(ctx.socket(PULL), sink);
  pull.setsockopt(RCVHWM, 1);
  pull.bind("inproc://loop-dispose");
  let reader: Promise<number>;
  {
    await using loop = new IOLoop();
    const push = new ZMQStream(ctx.socket(PUSH), loop);
    push.setsockopt(SNDHWM, 1);
    push.connect("inproc://loop-dispose");
    for (let i = 0; i < 50; i++) push.send(String(i));
    reader = (async () => {
      let n = 0;
      for (; n < 50; n++) {
        await pull.recvMultipart({ signal: AbortSignal.timeout(5000) });
      }
      return n;
    })();
  } // the loop waits for push's queue, then closes
  assert.equal(await reader, 50);
  pull.close(0);
  await sink.closeAndWait();
  ctx.destroy(0);
});

Deno.test("await using a Context terminates on a pool thread: timers run meanwhile", async () => {
  let ticks = 0;
  const tick = setInterval(() => ticks++, 5);
  const started = performance.now();
  {
    await using ctx = new Context();
    const push = ctx.socket(PUSH);
    push.setsockopt(SNDHWM, 10);
    push.linger = 200;
    push.connect("tcp://127.0.0.1:9"); // nobody there: the message lingers
    push.send("undeliverable", 1 /* NOBLOCK */);
  }
  const waited = performance.now() - started;
  clearInterval(tick);
  assert.ok(waited >= 150, `terminated after ${waited} ms (linger 200)`);
  assert.ok(ticks >= 10, `${ticks} timer ticks while libzmq lingered`);
});
