import assert from "node:assert/strict";
import {
  Again,
  Context,
  ENOTSOCK,
  IOLoop,
  LoopClosedError,
  NOBLOCK,
  PAIR,
  PeriodicCallback,
  PULL,
  PUSH,
  RCVHWM,
  SNDHWM,
  type Socket,
  type ZMQError,
} from "../mod.ts";
import { native } from "../loop/native.ts";
import { MOD_URL, runDeno, tempScript } from "./_helpers.ts";

/** Resolves when `check()` is true, polling on the given loop; bounded. */
function until(loop: IOLoop, check: () => boolean, ms = 5000): Promise<void> {
  return loop.runSync(async () => {
    while (!check()) await new Promise((r) => setTimeout(r, 1));
  }, { timeout: ms });
}

function pushPull() {
  const ctx = new Context();
  const push = ctx.socket(PUSH), pull = ctx.socket(PULL);
  const addr = `inproc://l-${crypto.randomUUID()}`;
  pull.bind(addr);
  push.connect(addr);
  return { ctx, push, pull };
}

/** A pipe made with libc: [readFd, writeFd]. */
function pipe(): [number, number] {
  const fds = new Int32Array(2);
  assert.equal(native().pipe(new Uint8Array(fds.buffer)), 0);
  return [fds[0]!, fds[1]!];
}

Deno.test("IOLoop handlers on zmq sockets", async (t) => {
  await t.step("level semantics: called while messages remain", async () => {
    const { ctx, push, pull } = pushPull();
    const loop = new IOLoop();
    const got: string[] = [];
    // Two messages arrive before the loop looks; the handler reads one per
    // call, so it must be called again although ZMQ_FD fired only once.
    push.send("a");
    push.send("b");
    loop.addHandler(pull, (s: Socket, events: number) => {
      assert.equal(events, IOLoop.READ);
      got.push(s.recvString());
    }, IOLoop.READ);
    await until(loop, () => got.length === 2);
    push.send("c"); // while parked
    await until(loop, () => got.length === 3);
    assert.deepEqual(got, ["a", "b", "c"]);
    await loop.closeAndWait();
    ctx.destroy();
  });

  await t.step(
    "addHandler twice throws; updateHandler changes the mask",
    async () => {
      const { ctx, push, pull } = pushPull();
      const loop = new IOLoop();
      const seen: number[] = [];
      loop.addHandler(push, (_s: Socket, ev: number) => {
        seen.push(ev);
        loop.updateHandler(push, 0);
      }, IOLoop.WRITE);
      assert.throws(
        () => loop.addHandler(push, () => {}, IOLoop.READ),
        /already has one/,
      );
      await until(loop, () => seen.length === 1);
      assert.deepEqual(seen, [IOLoop.WRITE]);
      loop.updateHandler(push, IOLoop.WRITE);
      await until(loop, () => seen.length === 2);
      loop.removeHandler(push);
      loop.removeHandler(push); // unknown: no-op
      loop.removeHandler(pull);
      assert.throws(() => loop.updateHandler(push, 0), /has none/);
      await loop.closeAndWait();
      ctx.destroy();
    },
  );

  await t.step(
    "a handler added while parked takes effect at once",
    async () => {
      const a = pushPull(), b = pushPull();
      const loop = new IOLoop({ spinWindow: 0 });
      let gotA = 0, gotB = 0;
      loop.addHandler(a.pull, (s: Socket) => {
        s.recv();
        gotA++;
      }, IOLoop.READ);
      a.push.send("1");
      await until(loop, () => gotA === 1);
      b.push.send("x");
      loop.addHandler(b.pull, (s: Socket) => {
        s.recv();
        gotB++;
      }, IOLoop.READ);
      await until(loop, () => gotB === 1, 2000);
      await loop.closeAndWait();
      a.ctx.destroy();
      b.ctx.destroy();
    },
  );

  await t.step(
    "an earlier timeout added while parked takes effect at once",
    async () => {
      const { ctx, pull } = pushPull();
      const loop = new IOLoop({ spinWindow: 0 });
      loop.addHandler(pull, () => {}, IOLoop.READ);
      loop.callLater(60_000, () => {});
      await new Promise((r) => setTimeout(r, 20)); // let it park
      assert.ok(loop.stats.parks >= 1, "parked");
      let fired = false;
      loop.callLater(5, () => fired = true);
      await until(loop, () => fired, 2000);
      await loop.closeAndWait();
      ctx.destroy();
    },
  );

  await t.step(
    "a socket closed underneath gets ERROR once and is dropped",
    async () => {
      const { ctx, pull } = pushPull();
      const loop = new IOLoop();
      const events: number[] = [];
      loop.addHandler(
        pull,
        (_s: Socket, ev: number) => events.push(ev),
        IOLoop.READ,
      );
      pull.close();
      loop.addCallback(() => {});
      await until(loop, () => events.length === 1);
      await loop.runSync(() => {});
      assert.deepEqual(events, [IOLoop.ERROR]);
      await loop.closeAndWait();
      ctx.destroy();
    },
  );
});

Deno.test("IOLoop handlers on raw fds", async () => {
  const [r, w] = pipe();
  const loop = new IOLoop();
  const seen: number[] = [];
  loop.addHandler(r, (fd: number, ev: number) => {
    seen.push(ev);
    native().read(fd, new Uint8Array(72), 64n);
  }, IOLoop.READ);
  let writable = 0;
  loop.addHandler(w, (_fd: number, ev: number) => {
    assert.equal(ev & IOLoop.WRITE, IOLoop.WRITE);
    writable++;
    loop.removeHandler(w);
  }, IOLoop.WRITE);
  await until(loop, () => writable === 1);
  assert.equal(seen.length, 0, "nothing to read yet");
  native().write(w, new Uint8Array(72), 1n);
  await until(loop, () => seen.length === 1);
  assert.equal(seen[0], IOLoop.READ);
  await loop.closeAndWait({ allFds: true }); // closes r
  native().close(w);
});

Deno.test("IOLoop: a raw fd beside a few busy sockets is still asked of the kernel", async () => {
  // With at most 4 registrations, all sockets, a pass reads their EVENTS
  // instead of asking epoll; a raw fd among them must make it ask epoll,
  // even while the sockets are busy every pass.
  const [r, w] = pipe();
  const { ctx, push, pull } = pushPull();
  const loop = new IOLoop();
  let received = 0, sent = 0, piped = -1;
  const payload = new Uint8Array(16);
  loop.addHandler(pull, () => {
    while (pull.tryRecvMultipart()) received++;
  }, IOLoop.READ);
  loop.addHandler(push, () => {
    // keep the pair busy: some messages every pass
    for (let i = 0; i < 8; i++) push.send(payload);
    sent += 8;
    if (sent === 800) native().write(w, new Uint8Array(72), 1n);
    return piped < 0; // stay hot until the pipe was seen
  }, IOLoop.WRITE);
  loop.addHandler(r, (fd: number) => {
    native().read(fd, new Uint8Array(72), 64n);
    piped = sent;
  }, IOLoop.READ);
  await until(loop, () => piped >= 0, 10_000);
  // seen within a few kernel asks of the write (one every 128 passes)
  assert.ok(
    piped - 800 <= 8 * 1024,
    `pipe seen after ${piped - 800} more sends`,
  );
  loop.removeHandler(push);
  await until(loop, () => received === sent);
  await loop.closeAndWait({ allFds: true }); // closes r
  native().close(w);
  push.close(0);
  pull.close(0);
  ctx.term();
});

Deno.test("IOLoop callbacks", async (t) => {
  await t.step(
    "FIFO; callbacks added during a batch run in the next",
    async () => {
      const loop = new IOLoop();
      const order: string[] = [];
      loop.addCallback(() => {
        order.push("a");
        loop.addCallback(() => order.push("c"));
      });
      loop.spawnCallback((x: string) => order.push(x), "b");
      assert.deepEqual(order, [], "never inside addCallback");
      await until(loop, () => order.length === 3);
      assert.deepEqual(order, ["a", "b", "c"]);
      await loop.closeAndWait();
    },
  );

  await t.step(
    "a callback re-adding itself does not starve timeouts or I/O",
    async () => {
      const { ctx, push, pull } = pushPull();
      const loop = new IOLoop();
      let spins = 0, fired = false, received = false;
      const again = () => {
        spins++;
        if (!(fired && received)) loop.addCallback(again);
      };
      loop.addCallback(again);
      loop.callLater(5, () => fired = true);
      loop.addHandler(pull, (s: Socket) => {
        s.recv();
        received = true;
      }, IOLoop.READ);
      push.send("x");
      await until(loop, () => fired && received);
      assert.ok(spins > 1);
      await loop.closeAndWait();
      ctx.destroy();
    },
  );

  await t.step("addFuture calls back with the settled promise", async () => {
    const loop = new IOLoop();
    const settled: Promise<number>[] = [];
    const ok = Promise.resolve(1), bad = Promise.reject(new Error("no"));
    bad.catch(() => {});
    loop.addFuture(ok, (p) => settled.push(p));
    loop.addFuture(bad, (p) => settled.push(p));
    await until(loop, () => settled.length === 2);
    assert.equal(await settled[0], 1);
    await assert.rejects(settled[1]!, /no/);
    await loop.closeAndWait();
  });
});

Deno.test("IOLoop timeouts", async (t) => {
  await t.step(
    "earliest first, FIFO on equal deadlines, negative = asap",
    async () => {
      const loop = new IOLoop();
      const order: number[] = [];
      const when = loop.time() + 20;
      loop.callAt(when, () => order.push(3));
      loop.addTimeout(when, () => order.push(4));
      loop.callLater(5, (x: number) => order.push(x), 2);
      loop.callLater(-10, () => order.push(1));
      await until(loop, () => order.length === 4);
      assert.deepEqual(order, [1, 2, 3, 4]);
      await loop.closeAndWait();
    },
  );

  await t.step("removeTimeout is safe twice and after firing", async () => {
    const loop = new IOLoop();
    let ran = 0;
    const t1 = loop.callLater(1, () => ran++);
    const t2 = loop.callLater(2, () => ran += 10);
    loop.removeTimeout(t2);
    loop.removeTimeout(t2);
    await until(loop, () => ran === 1);
    loop.removeTimeout(t1);
    assert.equal(t1.cancelled, true);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(ran, 1);
    await loop.closeAndWait();
  });

  await t.step("time() is monotonic milliseconds", () => {
    const loop = new IOLoop();
    const a = loop.time(), b = loop.time();
    assert.ok(b >= a);
    loop.close();
  });
});

Deno.test("PeriodicCallback", async (t) => {
  await t.step(
    "first call one period after start, then on the grid",
    async () => {
      const loop = new IOLoop();
      const times: number[] = [];
      const started = loop.time();
      const pc = new PeriodicCallback(() => times.push(loop.time()), 20, {
        ioLoop: loop,
      });
      pc.start();
      assert.equal(pc.isRunning(), true);
      await until(loop, () => times.length === 3);
      pc.stop();
      assert.equal(pc.isRunning(), false);
      assert.ok(
        times[0]! - started >= 19,
        `first call at ${times[0]! - started} ms`,
      );
      assert.ok(times[2]! - started >= 59);
      await loop.closeAndWait();
    },
  );

  await t.step("missed slots are skipped, not caught up", async () => {
    const loop = new IOLoop();
    const times: number[] = [];
    const pc = new PeriodicCallback(
      () => {
        times.push(loop.time());
        if (times.length === 1) {
          const until = performance.now() + 35; // block through 3 slots
          while (performance.now() < until) { /* busy */ }
        }
      },
      10,
      { ioLoop: loop },
    );
    pc.start();
    await until(loop, () => times.length === 2);
    pc.stop();
    assert.ok(times[1]! - times[0]! >= 35, "no burst of catch-up calls");
    await loop.closeAndWait();
  });

  await t.step(
    "keeps running when the callback throws; awaits promises",
    async () => {
      const loop = new IOLoop();
      const errors: unknown[] = [];
      loop.errorHandler = (e) => errors.push(e);
      let calls = 0, inFlight = 0, overlap = false;
      const thrower = new PeriodicCallback(
        () => {
          calls++;
          throw new Error("boom");
        },
        2,
        { ioLoop: loop },
      );
      const slow = new PeriodicCallback(
        async () => {
          if (inFlight++) overlap = true;
          await new Promise((r) => setTimeout(r, 8));
          inFlight--;
        },
        1,
        { ioLoop: loop },
      );
      thrower.start();
      slow.start();
      await until(loop, () => calls >= 3);
      thrower.stop();
      slow.stop();
      assert.equal(errors.length, calls);
      assert.match(String(errors[0]), /boom/);
      assert.equal(overlap, false, "async runs never overlap");
      await loop.closeAndWait();
    },
  );

  await t.step("jitter stays within the tornado range", async () => {
    const loop = new IOLoop();
    const times: number[] = [];
    const pc = new PeriodicCallback(() => times.push(loop.time()), 10, {
      ioLoop: loop,
      jitter: 0.5,
    });
    const t0 = loop.time();
    pc.start();
    await until(loop, () => times.length === 5);
    pc.stop();
    // Each run is scheduled from the last deadline (not from when it ran),
    // at 0.75 to 1.25 periods: the k-th can be late, never early. (Gaps
    // between runs are no bound: a late run shortens the next gap.)
    for (let k = 1; k <= times.length; k++) {
      const at = times[k - 1]! - t0;
      assert.ok(at >= k * 7.5 - 1, `run ${k} at ${at.toFixed(2)} ms`);
    }
    assert.ok(times[4]! - t0 < 5 * 12.5 + 200, "not stuck");
    await loop.closeAndWait();
  });

  await t.step("bad input", () => {
    const loop = new IOLoop();
    assert.throws(
      () => new PeriodicCallback(() => {}, 0, { ioLoop: loop }),
      RangeError,
    );
    assert.throws(
      () => new PeriodicCallback(() => {}, -5, { ioLoop: loop }),
      RangeError,
    );
    assert.throws(
      () => new PeriodicCallback(() => {}, NaN, { ioLoop: loop }),
      RangeError,
    );
    assert.throws(
      () =>
        new PeriodicCallback("x" as unknown as () => void, 10, {
          ioLoop: loop,
        }),
      TypeError,
    );
    assert.throws(
      () => new PeriodicCallback(() => {}, 10, { ioLoop: loop, jitter: -1 }),
      RangeError,
    );
    loop.close();
  });
});

Deno.test("IOLoop lifecycle", async (t) => {
  await t.step(
    "start() resolves on stop(); stop() before start()",
    async () => {
      const loop = new IOLoop();
      loop.callLater(5, () => loop.stop());
      await loop.start();
      loop.stop();
      await loop.start(); // resolves at once
      await loop.closeAndWait();
    },
  );

  await t.step("runSync returns, rethrows and times out", async () => {
    const loop = new IOLoop();
    assert.equal(await loop.runSync(() => 42), 42);
    assert.equal(await loop.runSync(() => Promise.resolve(7)), 7);
    await assert.rejects(
      loop.runSync(() => {
        throw new Error("inside");
      }),
      /inside/,
    );
    await assert.rejects(
      loop.runSync(() => new Promise((r) => setTimeout(r, 200)), {
        timeout: 10,
      }),
      /Timed out after 10 ms/,
    );
    await new Promise((r) => setTimeout(r, 200));
    await loop.closeAndWait();
  });

  await t.step("errors are reported and the loop keeps going", async () => {
    const loop = new IOLoop();
    const errors: unknown[] = [];
    loop.errorHandler = (e) => errors.push(e);
    let after = false;
    loop.addCallback(() => {
      throw new Error("cb");
    });
    loop.callLater(1, () => {
      throw new Error("timeout");
    });
    loop.callLater(3, () => after = true);
    await until(loop, () => after);
    assert.deepEqual(errors.map((e) => (e as Error).message), [
      "cb",
      "timeout",
    ]);
    await loop.closeAndWait();
  });

  await t.step("the default error handler prints the stack", async () => {
    const script = await tempScript(`
      import { IOLoop } from "${MOD_URL}";
      const loop = IOLoop.instance();
      loop.addCallback(() => { throw new Error("reported"); });
      loop.callLater(20, () => { console.log("still running"); loop.close(); });
    `);
    const r = await runDeno(["run", "--allow-ffi", "--allow-env", script]);
    await Deno.remove(script);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Error: reported\n\s+at /);
    assert.match(r.stdout, /still running/);
  });

  await t.step(
    "close() ends the native wait: the process exits by itself",
    async () => {
      const script = await tempScript(`
      import { Context, IOLoop, PULL } from "${MOD_URL}";
      const ctx = new Context();
      const loop = IOLoop.instance();
      const socks = Array.from({ length: 5 }, () => ctx.socket(PULL));
      for (const s of socks) loop.addHandler(s, () => {}, IOLoop.READ);
      loop.callLater(60_000, () => {});
      setTimeout(() => { loop.close(); ctx.destroy(); console.log("closed"); }, 50);
    `);
      const t0 = performance.now();
      const r = await runDeno(["run", "--allow-ffi", "--allow-env", script], {
        timeoutMs: 10_000,
      });
      await Deno.remove(script);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /closed/);
      assert.ok(performance.now() - t0 < 9000, "exited by itself");
    },
  );

  await t.step("instance() and current() are the default loop", () => {
    const a = IOLoop.instance();
    assert.equal(IOLoop.current(), a);
    a.close();
    assert.notEqual(IOLoop.instance(), a);
    IOLoop.instance().close();
  });

  await t.step("a closed loop refuses work clearly", () => {
    const loop = new IOLoop();
    loop.close();
    loop.close(); // idempotent
    assert.equal(loop.closed, true);
    for (
      const fn of [
        () => loop.addCallback(() => {}),
        () => loop.callLater(1, () => {}),
        () => loop.addHandler(3, () => {}, IOLoop.READ),
        () => loop.start(),
        () => loop.runSync(() => 1),
      ]
    ) {
      assert.throws(fn, LoopClosedError);
    }
    loop.removeHandler(3); // no-op, no throw
  });
});

Deno.test("IOLoop bad input", async () => {
  const loop = new IOLoop();
  const ctx = new Context();
  const s = ctx.socket(PAIR);
  assert.throws(() => loop.addCallback(5 as unknown as () => void), TypeError);
  assert.throws(
    () => loop.callLater(1, null as unknown as () => void),
    TypeError,
  );
  assert.throws(
    () => loop.addHandler(s, "x" as unknown as () => void, IOLoop.READ),
    TypeError,
  );
  assert.throws(() => loop.callLater(NaN, () => {}), RangeError);
  assert.throws(() => loop.callAt(NaN, () => {}), RangeError);
  assert.throws(() => loop.addHandler(-1, () => {}, IOLoop.READ), TypeError);
  assert.throws(() => loop.addHandler(NaN, () => {}, IOLoop.READ), TypeError);
  assert.throws(() => loop.addHandler(s, () => {}, 64), RangeError);
  assert.throws(() => loop.removeTimeout({} as never), TypeError);
  assert.throws(() => new IOLoop({ spinWindow: -1 }), RangeError);
  assert.throws(() => new IOLoop(null as never), {
    name: "TypeError",
    message: "Cannot create an IOLoop: expected an options object, got null",
  });
  assert.throws(() => new PeriodicCallback(() => {}, 10, 5 as never), {
    name: "TypeError",
    message:
      "Cannot create a PeriodicCallback: expected an options object, got a number (5)",
  });
  assert.throws(() => new PeriodicCallback("x" as never, 10), {
    name: "TypeError",
    message:
      'Cannot create a PeriodicCallback: expected a function, got a string ("x")',
  });
  assert.throws(() => loop.addCallback(5 as never), {
    name: "TypeError",
    message: "Cannot add a callback: expected a function, got a number (5)",
  });
  s.close();
  assert.throws(
    () => loop.addHandler(s, () => {}, IOLoop.READ),
    (e: ZMQError) => e.errno === ENOTSOCK,
  );
  await loop.closeAndWait();
  ctx.destroy();
});

Deno.test("IOLoop beside Deno.serve: both stay responsive", async () => {
  const { ctx, push, pull } = pushPull();
  const loop = new IOLoop();
  const N = 100_000;
  let received = 0;
  loop.addHandler(pull, (s: Socket) => {
    s.recv();
    received++;
  }, IOLoop.READ);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response(`received ${received}`),
  );
  const port = server.addr.port;
  let sent = 0;
  // Feed the PUSH from the loop in chunks, while HTTP requests run.
  const feed = () => {
    try {
      for (let i = 0; i < 1000 && sent < N; i++, sent++) {
        push.send("0123456789abcdef", NOBLOCK);
      }
    } catch (error) {
      if (!(error instanceof Again)) throw error; // HWM: try again later
    }
    if (sent < N) loop.addCallback(feed);
  };
  loop.addCallback(feed);
  let ok = 0;
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`http://127.0.0.1:${port}/`);
    if (res.ok && (await res.text()).startsWith("received")) ok++;
  }
  await until(loop, () => received === N, 30_000);
  assert.equal(ok, 100);
  assert.equal(received, N);
  await server.shutdown();
  await loop.closeAndWait();
  ctx.destroy();
});

Deno.test("IOLoop spins after activity only for readers; a blocked writer parks at once", async () => {
  using ctx = new Context();
  /** Turns the loop takes from 4 to 29 ms after activity. */
  const turnsAfterActivity = async (kind: "writer" | "reader") => {
    const loop = new IOLoop({ spinWindow: 50 }); // wide, to make a spin show
    const push = ctx.socket(PUSH);
    push.setsockopt(SNDHWM, 1);
    push.bind(`inproc://spin-${kind}`);
    const pull = ctx.socket(PULL); // never read: the writer stays blocked
    pull.setsockopt(RCVHWM, 1);
    pull.connect(`inproc://spin-${kind}`);
    let sent = 0;
    let idle: Socket | null = null;
    if (kind === "writer") {
      loop.addHandler(push, () => {
        while (push.trySendMultipart(["x"]) !== false) sent++;
      }, IOLoop.WRITE);
    } else {
      idle = ctx.socket(PULL); // nothing will ever arrive
      idle.bind(`inproc://spin-idle`);
      loop.addHandler(idle, () => {}, IOLoop.READ);
      sent = 1;
    }
    // Activity at 1 ms (a loop timer), then count turns from 5 to 30 ms with
    // Deno's own timers: loop timers would add their own hops (the loop hops
    // instead of parking in the last millisecond before a deadline).
    loop.callLater(1, () => {});
    let before = 0, after = 0;
    const t1 = setTimeout(() => before = loop.stats.turns, 5);
    const t2 = setTimeout(() => after = loop.stats.turns, 30);
    const t3 = setTimeout(() => loop.stop(), 35);
    await loop.start();
    clearTimeout(t1), clearTimeout(t2), clearTimeout(t3);
    const turns = after - before;
    loop.close();
    idle?.close(0);
    push.close(0);
    pull.close(0);
    assert.ok(sent > 0);
    return turns;
  };
  const writer = await turnsAfterActivity("writer");
  const reader = await turnsAfterActivity("reader");
  assert.ok(writer < 5, `a blocked writer took ${writer} turns in 25 ms`);
  assert.ok(reader > 3 * writer, `a waiting reader spun only ${reader} turns`);
});
