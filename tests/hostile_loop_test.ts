/**
 * The loop under a careless or hostile user (issue 11's loop points, and
 * what attacking the loop API turned up): far deadlines, async callbacks
 * that reject, close() with work pending, blocked writers, foreign
 * timeouts, bad PeriodicCallback arguments, and the loop mutated from
 * inside its own callbacks.
 */

import assert from "node:assert/strict";
import {
  Context,
  IOLoop,
  LoopClosedError,
  PeriodicCallback,
  PUB,
  PULL,
  PUSH,
  SNDHWM,
  type Socket,
  SUB,
  SUBSCRIBE,
  XPUB,
  XPUB_NODROP,
  ZMQStream,
} from "../mod.ts";
import { addCloseListener, callUser } from "../loop/_internal.ts";
import {
  MOD_URL,
  runDeno,
  type RunResult,
  tempScript,
  until,
} from "./_helpers.ts";

function pushPull(ctx: Context) {
  const push = ctx.socket(PUSH), pull = ctx.socket(PULL);
  const addr = `inproc://h-${crypto.randomUUID()}`;
  pull.bind(addr);
  push.connect(addr);
  return { push, pull };
}

/** Runs a script `times` times at once, each bounded. */
function runScript(script: string, times: number): Promise<RunResult[]> {
  return Promise.all(
    Array.from(
      { length: times },
      () =>
        runDeno(["run", "--allow-ffi", "--allow-env", script], {
          timeoutMs: 20_000,
        }),
    ),
  );
}

Deno.test("IOLoop far deadlines neither crash nor fire (subprocess, 4 runs)", async () => {
  // Each of these killed the process with "Invalid FFI i32 type" when the
  // loop parked with a timeout of 2^31 ms or more.
  const script = await tempScript(`
    import { IOLoop, PeriodicCallback } from "${MOD_URL}";
    const loop = new IOLoop({ spinWindow: 0 });
    let unhandled = 0;
    globalThis.addEventListener("unhandledrejection", () => unhandled++);
    const errors = [];
    loop.errorHandler = (e) => errors.push(e);
    let fired = 0;
    loop.callLater(Infinity, () => fired++);
    loop.callLater(30 * 24 * 3600e3, () => fired++);
    loop.callAt(Infinity, () => fired++);
    const pending = loop.runSync(() => new Promise(() => {}), { timeout: 3e9 });
    pending.catch(() => {});
    const infinite = loop.runSync(() => 5, { timeout: Infinity });
    const pc = new PeriodicCallback(() => fired++, 3e9, { ioLoop: loop });
    pc.start();
    // Let it park with those deadlines, then prove it still runs.
    const waitFor = async (check) => {
      const end = Date.now() + 10_000;
      while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 1));
    };
    await waitFor(() => loop.stats.parks >= 1);
    const parks = loop.stats.parks;
    let soon = false;
    loop.callLater(5, () => soon = true);
    await waitFor(() => soon);
    pc.stop();
    const value = await infinite;
    loop.close();
    console.log(JSON.stringify({ fired, soon, parks, value, unhandled, errors: errors.length }));
  `);
  try {
    for (const r of await runScript(script, 4)) {
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout.trim());
      assert.deepEqual(out, {
        fired: 0,
        soon: true,
        parks: out.parks,
        value: 5,
        unhandled: 0,
        errors: 0,
      });
      assert.ok(out.parks >= 1, "it parked with the far deadlines");
    }
  } finally {
    await Deno.remove(script);
  }
});

Deno.test("IOLoop async callbacks that reject go to errorHandler (subprocess, 4 runs)", async () => {
  const script = await tempScript(`
    import { Context, IOLoop, PeriodicCallback, PULL, PUSH } from "${MOD_URL}";
    const loop = new IOLoop();
    const seen = new Set();
    loop.errorHandler = (e) => seen.add(e.message);
    const ctx = new Context();
    const push = ctx.socket(PUSH), pull = ctx.socket(PULL);
    pull.bind("inproc://x"); push.connect("inproc://x");
    const fail = (what) => async () => { await null; throw new Error(what); };
    loop.addCallback(fail("addCallback"));
    loop.spawnCallback(fail("spawnCallback"));
    loop.callLater(1, fail("callLater"));
    loop.callAt(loop.time() + 2, fail("callAt"));
    loop.addHandler(pull, async (s) => { s.recv(); await null; throw new Error("addHandler"); }, IOLoop.READ);
    push.send("go");
    let beats = 0;
    const pc = new PeriodicCallback(async () => { beats++; throw new Error("periodic"); }, 2, { ioLoop: loop });
    pc.start();
    const end = Date.now() + 5000;
    while ((seen.size < 6 || beats < 3) && Date.now() < end) await new Promise((r) => setTimeout(r, 2));
    pc.stop();
    // The loop still runs after all that.
    const after = await loop.runSync(() => "alive", { timeout: 2000 });
    loop.close();
    pull.close(); push.close(); ctx.term();
    console.log(JSON.stringify({ seen: [...seen].sort(), beats: beats >= 3, after }));
  `);
  try {
    for (const r of await runScript(script, 4)) {
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout.trim()), {
        seen: [
          "addCallback",
          "addHandler",
          "callAt",
          "callLater",
          "periodic",
          "spawnCallback",
        ],
        beats: true,
        after: "alive",
      });
    }
  } finally {
    await Deno.remove(script);
  }
});

Deno.test("callUser reports throws, rejections and bad thenables; returns the result", async () => {
  const loop = new IOLoop();
  const errors: unknown[] = [];
  loop.errorHandler = (e) => errors.push(e);
  assert.equal(callUser(loop, (a: number, b: number) => a + b, 2, 3), 5);
  assert.equal(
    callUser(loop, () => {
      throw new Error("sync");
    }),
    undefined,
  );
  const p = callUser(loop, () => Promise.reject(new Error("async")));
  assert.ok(p instanceof Promise);
  callUser(loop, () => ({
    then() {
      throw new Error("then threw");
    },
  }));
  callUser(loop, () => ({
    then(_ok: unknown, bad: (e: unknown) => void) {
      bad(new Error("thenable"));
    },
  }));
  await until(() => errors.length === 4);
  assert.deepEqual(
    errors.map((e) => (e as Error).message).sort(),
    ["async", "sync", "then threw", "thenable"],
  );
  // An error handler that throws is printed, not propagated.
  loop.errorHandler = () => {
    throw new Error("handler");
  };
  const printed: unknown[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => printed.push(args);
  try {
    callUser(loop, () => {
      throw new Error("x");
    });
  } finally {
    console.error = original;
  }
  assert.equal(printed.length, 1);
  await loop.closeAndWait();
});

Deno.test("IOLoop.close() settles runSync() and runs close listeners", async (t) => {
  await t.step("runSync with and without a timeout rejects", async () => {
    const loop = new IOLoop();
    const never = () => new Promise<never>(() => {});
    const a = loop.runSync(never, { timeout: 60_000 });
    const b = loop.runSync(never);
    await new Promise((r) => setTimeout(r, 10)); // let fn start
    const t0 = performance.now();
    loop.close();
    await assert.rejects(a, LoopClosedError);
    await assert.rejects(
      b,
      /Cannot finish IOLoop.runSync\(\): the IOLoop is closed/,
    );
    assert.ok(performance.now() - t0 < 1000);
    await loop.closeAndWait();
  });

  await t.step("a runSync whose fn has not started rejects too", async () => {
    const loop = new IOLoop();
    let ran = false;
    const a = loop.runSync(() => ran = true);
    loop.close(); // before the loop's next pass
    await assert.rejects(a, LoopClosedError);
    assert.equal(ran, false);
  });

  await t.step("addCloseListener: once, removable, at once when closed", () => {
    const loop = new IOLoop();
    const calls: string[] = [];
    addCloseListener(loop, () => calls.push("a"));
    const remove = addCloseListener(loop, () => calls.push("b"));
    addCloseListener(loop, () => {
      throw new Error("listener");
    });
    const errors: unknown[] = [];
    loop.errorHandler = (e) => errors.push(e);
    remove();
    loop.close();
    loop.close();
    assert.deepEqual(calls, ["a"]);
    assert.equal(errors.length, 1);
    addCloseListener(loop, () => calls.push("late"));
    assert.deepEqual(calls, ["a", "late"]);
  });

  await t.step(
    "close() inside a callback, timeout or handler stops the pass",
    async () => {
      using ctx = new Context();
      for (const where of ["callback", "timeout", "handler"] as const) {
        const loop = new IOLoop();
        const { push, pull } = pushPull(ctx);
        let after = 0;
        const later = () => void after++;
        const closeIt = () => {
          // Work queued just before the close, and work due in the same
          // pass, must not run.
          loop.addCallback(later);
          loop.callLater(0, later);
          loop.close();
        };
        if (where === "callback") {
          loop.addCallback(closeIt);
          loop.addCallback(later); // same batch, after the closer
        }
        if (where === "timeout") {
          loop.callLater(0, closeIt);
          loop.callLater(0, later); // due in the same pass
        }
        if (where === "handler") {
          loop.addHandler(pull, closeIt, IOLoop.READ);
          push.send("x");
        }
        await until(() => loop.closed);
        await new Promise((r) => setTimeout(r, 5));
        assert.equal(after, 0, `${where}: ran ${after} later callbacks`);
        await loop.closeAndWait();
        push.close(0);
        pull.close(0);
      }
    },
  );
});

Deno.test("IOLoop: a blocked writer parks, XPUB_NODROP at its HWM included", async () => {
  using ctx = new Context();
  const loop = new IOLoop({ spinWindow: 0 });
  const xpub = ctx.socket(XPUB);
  xpub.setsockopt(XPUB_NODROP, 1);
  xpub.setsockopt(SNDHWM, 10);
  const addr = `inproc://nodrop-${crypto.randomUUID()}`;
  xpub.bind(addr);
  const sub = ctx.socket(SUB);
  sub.setsockopt(SUBSCRIBE, "");
  sub.connect(addr);
  // The subscription reaches the XPUB before we start writing.
  await until(() => {
    try {
      return xpub.tryRecvMultipart() !== null;
    } catch {
      return false;
    }
  });
  let sent = 0, calls = 0;
  // XPUB always says POLLOUT; with NODROP at the HWM the send fails with
  // EAGAIN. The handler says "no progress" by returning false.
  loop.addHandler(xpub, (s: Socket) => {
    calls++;
    let moved = false;
    while (s.trySendMultipart(["m"]) !== false) {
      sent++;
      moved = true;
    }
    return moved;
  }, IOLoop.WRITE);
  await until(() => sent > 0);
  await new Promise((r) => setTimeout(r, 20));
  const c0 = calls, p0 = loop.stats.passes;
  await new Promise((r) => setTimeout(r, 100));
  const passes = loop.stats.passes - p0;
  assert.ok(
    passes < 50,
    `a blocked XPUB writer ran ${passes} passes (${
      calls - c0
    } handler calls) in 100 ms`,
  );
  // Draining the subscriber wakes the writer again.
  const before = sent;
  while (sub.tryRecvMultipart() !== null); // below the low-water mark
  await until(() => sent > before, 2000);
  await loop.closeAndWait();
  sub.close(0);
  xpub.close(0);
});

Deno.test("ZMQStream on an XPUB with XPUB_NODROP at its HWM parks, then resumes", async () => {
  // The stream's handler returns false when its write fails: the loop's
  // rule (false is no progress) is all a blocked stream needs.
  using ctx = new Context();
  const loop = new IOLoop({ spinWindow: 0 });
  const xpub = ctx.socket(XPUB);
  xpub.setsockopt(XPUB_NODROP, 1);
  xpub.setsockopt(SNDHWM, 10);
  const addr = `inproc://nodrop-stream-${crypto.randomUUID()}`;
  xpub.bind(addr);
  const sub = ctx.socket(SUB);
  sub.setsockopt(SUBSCRIBE, "");
  sub.connect(addr);
  const stream = new ZMQStream(xpub, loop);
  let subscriptions = 0;
  stream.onRecv(() => subscriptions++);
  await until(() => subscriptions === 1);
  for (let i = 0; i < 5000; i++) stream.send("m");
  await until(() => stream.sendQueueLength < 5000);
  await new Promise((r) => setTimeout(r, 20));
  const p0 = loop.stats.passes;
  await new Promise((r) => setTimeout(r, 100));
  const passes = loop.stats.passes - p0;
  assert.ok(
    passes < 50,
    `a blocked XPUB stream ran ${passes} passes in 100 ms`,
  );
  const queued = stream.sendQueueLength;
  assert.ok(queued > 0);
  while (sub.tryRecvMultipart() !== null); // drain below the low-water mark
  await until(() => stream.sendQueueLength < queued, 2000);
  stream.close(0);
  sub.close(0);
  await loop.closeAndWait();
});

Deno.test("IOLoop.removeTimeout refuses another loop's timeout", async () => {
  const a = new IOLoop(), b = new IOLoop();
  let firedA = 0;
  a.callLater(20, () => firedA++);
  const tb = b.callLater(10_000, () => {});
  assert.throws(() => a.removeTimeout(tb), RangeError);
  assert.throws(() => a.removeTimeout(tb), /another IOLoop/);
  await until(() => firedA === 1, 2000);
  b.removeTimeout(tb); // its own loop cancels it
  assert.ok(tb.cancelled);
  a.close();
  a.removeTimeout(tb); // a closed loop ignores it
  await a.closeAndWait();
  await b.closeAndWait();
});

Deno.test("PeriodicCallback validates before any state change", async () => {
  const loop = new IOLoop();
  const bad: [number, object][] = [
    [Infinity, {}],
    [-Infinity, {}],
    [NaN, {}],
    [-1, {}],
    [0, {}],
    [10, { jitter: Infinity }],
    [10, { jitter: NaN }],
    [10, { jitter: -0.1 }],
    [10, { jitter: 1.5 }],
  ];
  for (const [time, options] of bad) {
    assert.throws(
      () => new PeriodicCallback(() => {}, time, { ...options, ioLoop: loop }),
      RangeError,
      `${time} ${JSON.stringify(options)}`,
    );
  }
  assert.throws(
    () => new PeriodicCallback(() => {}, 10, { jitter: "0.1" as never }),
    RangeError,
  );
  assert.throws(
    () => new PeriodicCallback(() => {}, 10, { ioLoop: {} as never }),
    TypeError,
  );
  assert.throws(
    () => new PeriodicCallback(() => {}, 10, null as never),
    TypeError,
  );
  // A valid jitter keeps the schedule alive (it died with jitter Infinity).
  let beats = 0;
  const pc = new PeriodicCallback(() => void beats++, 2, {
    ioLoop: loop,
    jitter: 1,
  });
  pc.start();
  await until(() => beats >= 3);
  assert.ok(pc.isRunning());
  pc.stop();
  // start() on a closed loop throws and leaves it stopped.
  loop.close();
  const late = new PeriodicCallback(() => {}, 10, { ioLoop: loop });
  assert.throws(() => late.start(), LoopClosedError);
  assert.equal(late.isRunning(), false);
  // One running when its loop closes reports not running.
  const loop2 = new IOLoop();
  const pc2 = new PeriodicCallback(() => {}, 10, { ioLoop: loop2 });
  pc2.start();
  loop2.close();
  assert.equal(pc2.isRunning(), false);
  await loop.closeAndWait();
  await loop2.closeAndWait();
});

Deno.test("IOLoop bad arguments: wrong types and non-finite options", async () => {
  assert.throws(() => new IOLoop({ spinWindow: Infinity }), RangeError);
  assert.throws(() => new IOLoop({ turnBudget: Infinity }), RangeError);
  assert.throws(() => new IOLoop({ turnBudget: 0 }), RangeError);
  assert.throws(() => new IOLoop({ spinWindow: "1" as never }), RangeError);
  assert.throws(() => new IOLoop(null as never), TypeError);
  const loop = new IOLoop();
  assert.throws(() => loop.callLater("5" as never, () => {}), TypeError);
  assert.throws(() => loop.callAt(undefined as never, () => {}), TypeError);
  assert.throws(
    () => loop.runSync(() => {}, { timeout: NaN }),
    RangeError,
  );
  assert.throws(() => loop.addHandler(1.5, () => {}, IOLoop.READ), TypeError);
  assert.throws(() => loop.addHandler(0, () => {}, NaN), RangeError);
  assert.throws(() => loop.addHandler(0, () => {}, 1.5), RangeError);
  await loop.closeAndWait();
});

Deno.test("IOLoop handlers mutating the loop from inside", async (t) => {
  using ctx = new Context();
  await t.step(
    "removeHandler inside its own handler: never called again",
    async () => {
      const loop = new IOLoop();
      const { push, pull } = pushPull(ctx);
      let calls = 0;
      loop.addHandler(pull, () => {
        calls++;
        loop.removeHandler(pull);
        return true; // "hot": must not bring it back
      }, IOLoop.READ);
      push.send("a");
      push.send("b");
      await until(() => calls === 1);
      await loop.runSync(() => new Promise((r) => setTimeout(r, 20)));
      assert.equal(calls, 1);
      await loop.closeAndWait();
      push.close(0);
      pull.close(0);
    },
  );

  await t.step(
    "remove and re-add inside the handler: the new one runs",
    async () => {
      const loop = new IOLoop();
      const { push, pull } = pushPull(ctx);
      const got: string[] = [];
      const second = (s: Socket) => void got.push(`2:${s.recvString()}`);
      loop.addHandler(pull, (s: Socket) => {
        got.push(`1:${s.recvString()}`);
        loop.removeHandler(pull);
        loop.addHandler(pull, second, IOLoop.READ);
        return true;
      }, IOLoop.READ);
      push.send("a");
      push.send("b");
      push.send("c");
      await until(() => got.length === 3);
      assert.deepEqual(got, ["1:a", "2:b", "2:c"]);
      await loop.closeAndWait();
      push.close(0);
      pull.close(0);
    },
  );

  await t.step("a handler that removes another target's handler", async () => {
    const loop = new IOLoop();
    const a = pushPull(ctx), b = pushPull(ctx);
    let bCalls = 0, aCalls = 0;
    loop.addHandler(a.pull, (s: Socket) => {
      aCalls++;
      s.recv();
      loop.removeHandler(b.pull);
    }, IOLoop.READ);
    loop.addHandler(b.pull, () => void bCalls++, IOLoop.READ);
    a.push.send("x");
    b.push.send("y");
    await until(() => aCalls === 1);
    await loop.runSync(() => new Promise((r) => setTimeout(r, 20)));
    assert.ok(bCalls <= 1, `b's removed handler ran ${bCalls} times`);
    const frozen = bCalls;
    b.push.send("z");
    await loop.runSync(() => new Promise((r) => setTimeout(r, 20)));
    assert.equal(bCalls, frozen);
    await loop.closeAndWait();
    for (const s of [a.push, a.pull, b.push, b.pull]) s.close(0);
  });

  await t.step("stop() and close() from errorHandler", async () => {
    const loop = new IOLoop();
    let stopped = false;
    loop.errorHandler = () => {
      loop.stop();
      loop.close();
    };
    loop.addCallback(() => {
      throw new Error("x");
    });
    await loop.start().then(() => stopped = true);
    assert.ok(stopped && loop.closed);
    await loop.closeAndWait();
  });

  await t.step(
    "a PUB handler on a PUSH/PUB mix keeps going after throws",
    async () => {
      const loop = new IOLoop();
      const pub = ctx.socket(PUB);
      let calls = 0;
      const errors: unknown[] = [];
      loop.errorHandler = (e) => errors.push(e);
      loop.addHandler(pub, () => {
        calls++;
        if (calls < 3) throw new Error("again");
        loop.updateHandler(pub, 0);
      }, IOLoop.WRITE);
      await until(() => calls === 3);
      assert.equal(errors.length, 2);
      await loop.closeAndWait();
      pub.close(0);
    },
  );
});
