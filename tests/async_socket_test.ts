import assert from "node:assert/strict";
import {
  Again,
  AsyncPoller,
  AsyncSocket,
  Context,
  ENOTSOCK,
  Frame,
  IOLoop,
  LoopClosedError,
  PAIR,
  POLLIN,
  POLLOUT,
  PULL,
  PUSH,
  RCVHWM,
  RCVTIMEO,
  REP,
  REQ,
  SNDHWM,
  SNDTIMEO,
  ZMQStream,
} from "../mod.ts";
import type { ZMQError } from "../mod.ts";

const text = (parts: Uint8Array[]) =>
  parts.map((p) => new TextDecoder().decode(p));

function fixture(name: string) {
  const ctx = new Context();
  const loop = new IOLoop();
  const x = ctx.socket(PAIR), y = ctx.socket(PAIR);
  x.bind(`inproc://${name}`);
  y.connect(`inproc://${name}`);
  const a = new AsyncSocket(x, loop), b = new AsyncSocket(y, loop);
  return {
    ctx,
    loop,
    a,
    b,
    async [Symbol.asyncDispose]() {
      a.close(0);
      b.close(0);
      await loop.closeAndWait();
      ctx.destroy(0);
    },
  };
}

const bounded = () => AbortSignal.timeout(5000);

Deno.test("AsyncSocket sends and receives with promises", async (t) => {
  await t.step("send, recv, recvMultipart, strings and JSON", async () => {
    await using f = fixture("as-basic");
    await f.a.send("one");
    await f.a.sendMultipart(["two", new Uint8Array([1, 2])]);
    await f.a.sendString("three");
    await f.a.sendJson({ n: 4 });
    assert.deepEqual(text(await f.b.recvMultipart()), ["one"]);
    assert.equal(new TextDecoder().decode(await f.b.recv()), "two");
    assert.deepEqual([...await f.b.recv()], [1, 2]); // the rest of that message
    assert.equal(await f.b.recvString(), "three");
    assert.deepEqual(await f.b.recvJson(), { n: 4 });
  });

  await t.step("recv() keeps the other parts for recvMultipart()", async () => {
    await using f = fixture("as-partial");
    await f.a.sendMultipart(["h", "p1", "p2"]);
    assert.equal(new TextDecoder().decode(await f.b.recv()), "h");
    assert.deepEqual(text(await f.b.recvMultipart()), ["p1", "p2"]);
  });

  await t.step("many pending receives settle in order", async () => {
    await using f = fixture("as-fifo-recv");
    const pending = Array.from(
      { length: 50 },
      () => f.b.recvMultipart({ signal: bounded() }),
    );
    for (let i = 0; i < 50; i++) f.a.send(String(i));
    const got = (await Promise.all(pending)).map((m) => text(m)[0]);
    assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => String(i)));
  });

  await t.step(
    "many pending sends past the HWM settle in order, never EBUSY",
    async () => {
      const ctx = new Context();
      const loop = new IOLoop();
      const push = ctx.socket(PUSH);
      push.setsockopt(SNDHWM, 5);
      const port = push.bindToRandomPort("tcp://127.0.0.1");
      const out = new AsyncSocket(push, loop);
      const order: number[] = [];
      const sends = Array.from(
        { length: 200 },
        (_, i) => out.send(String(i)).then(() => order.push(i)),
      );
      const pull = new AsyncSocket(ctx.socket(PULL), loop);
      pull.connect(`tcp://127.0.0.1:${port}`);
      const got: string[] = [];
      for (let i = 0; i < 200; i++) {
        got.push(text(await pull.recvMultipart({ signal: bounded() }))[0]!);
      }
      await Promise.all(sends);
      assert.deepEqual(
        order,
        Array.from({ length: 200 }, (_, i) => i),
      );
      assert.deepEqual(got, Array.from({ length: 200 }, (_, i) => String(i)));
      out.close(0);
      pull.close(0);
      await loop.closeAndWait();
      ctx.term();
    },
  );

  await t.step("REQ/REP round trips with await", async () => {
    const ctx = new Context();
    const loop = new IOLoop();
    const rep = new AsyncSocket(ctx.socket(REP), loop);
    const port = rep.socket.bindToRandomPort("tcp://127.0.0.1");
    const req = new AsyncSocket(ctx.socket(REQ), loop);
    req.connect(`tcp://127.0.0.1:${port}`);
    const server = (async () => {
      for (let i = 0; i < 100; i++) {
        await rep.sendMultipart(await rep.recvMultipart({ signal: bounded() }));
      }
    })();
    for (let i = 0; i < 100; i++) {
      await req.send(`r${i}`);
      assert.deepEqual(text(await req.recvMultipart({ signal: bounded() })), [
        `r${i}`,
      ]);
    }
    await server;
    req.close(0);
    rep.close(0);
    await loop.closeAndWait();
    ctx.term();
  });

  await t.step("copy: false gives Frames; track: true a tracker", async () => {
    await using f = fixture("as-frames");
    const big = new Uint8Array(128 * 1024).fill(7);
    const tracker = await f.a.send(big, 0, { copy: false, track: true });
    assert.ok(tracker);
    const frames = await f.b.recvMultipart({ copy: false });
    assert.ok(frames[0] instanceof Frame);
    assert.equal(frames[0]!.length, big.length);
    assert.equal(frames[0]!.buffer[1000], 7);
    frames[0]!.close();
    await tracker.wait(5000);
    assert.equal(tracker.done, true);
  });

  await t.step("for await ends when the socket closes", async () => {
    await using f = fixture("as-iter");
    for (const m of ["1", "2", "3"]) await f.a.send(m);
    const got: string[] = [];
    for await (const msg of f.b) {
      got.push(text(msg)[0]!);
      if (got.length === 3) setTimeout(() => f.b.close(), 5);
    }
    assert.deepEqual(got, ["1", "2", "3"]);
  });
});

Deno.test("AsyncSocket timeouts, aborts and close", async (t) => {
  await t.step("RCVTIMEO rejects with Again and consumes nothing", async () => {
    await using f = fixture("as-rcvtimeo");
    f.b.setsockopt(RCVTIMEO, 30);
    const started = performance.now();
    await assert.rejects(f.b.recvMultipart(), Again);
    assert.ok(performance.now() - started >= 25);
    f.b.setsockopt(RCVTIMEO, -1);
    await f.a.send("later");
    assert.deepEqual(text(await f.b.recvMultipart({ signal: bounded() })), [
      "later",
    ]);
  });

  await t.step("SNDTIMEO rejects with Again and sends nothing", async () => {
    const ctx = new Context();
    const loop = new IOLoop();
    const push = new AsyncSocket(ctx.socket(PUSH), loop);
    push.setsockopt(SNDTIMEO, 30);
    push.bind("inproc://as-sndtimeo"); // no peer yet: not writable
    await assert.rejects(push.send("lost"), Again);
    push.setsockopt(SNDTIMEO, -1);
    const pull = new AsyncSocket(ctx.socket(PULL), loop);
    pull.connect("inproc://as-sndtimeo");
    await push.send("kept");
    assert.deepEqual(text(await pull.recvMultipart({ signal: bounded() })), [
      "kept",
    ]);
    push.close(0);
    pull.close(0);
    await loop.closeAndWait();
    ctx.term();
  });

  await t.step(
    "an aborted receive consumes nothing; an aborted signal rejects at once",
    async () => {
      await using f = fixture("as-abort-recv");
      const ac = new AbortController();
      const p = f.b.recvMultipart({ signal: ac.signal });
      ac.abort(new Error("gave up"));
      await assert.rejects(p, /gave up/);
      await assert.rejects(f.b.recv({ signal: AbortSignal.abort() }));
      await f.a.send("kept");
      assert.deepEqual(text(await f.b.recvMultipart({ signal: bounded() })), [
        "kept",
      ]);
    },
  );

  await t.step("an aborted send writes nothing", async () => {
    const ctx = new Context();
    const loop = new IOLoop();
    const push = new AsyncSocket(ctx.socket(PUSH), loop);
    push.bind("inproc://as-abort-send");
    const ac = new AbortController();
    const p = push.send("never", 0, { signal: ac.signal });
    ac.abort(new Error("cancelled"));
    await assert.rejects(p, /cancelled/);
    await assert.rejects(push.send("x", 0, { signal: AbortSignal.abort() }));
    const pull = new AsyncSocket(ctx.socket(PULL), loop);
    pull.connect("inproc://as-abort-send");
    await push.send("after");
    assert.deepEqual(text(await pull.recvMultipart({ signal: bounded() })), [
      "after",
    ]);
    push.close(0);
    pull.close(0);
    await loop.closeAndWait();
    ctx.term();
  });

  await t.step(
    "close() rejects pending sends, receives and polls with ENOTSOCK",
    async () => {
      const ctx = new Context();
      const loop = new IOLoop();
      const push = new AsyncSocket(ctx.socket(PUSH), loop);
      push.bind("inproc://as-close");
      const pull = new AsyncSocket(ctx.socket(PULL), loop);
      const send = push.send("stuck");
      const recv = pull.recvMultipart();
      const poll = pull.poll();
      push.close(0);
      pull.close(0);
      const isClosed = (e: ZMQError) => e.errno === ENOTSOCK;
      await assert.rejects(send, isClosed);
      await assert.rejects(recv, isClosed);
      await assert.rejects(poll, isClosed);
      await assert.rejects(push.send("x"), isClosed);
      await assert.rejects(pull.recv(), isClosed);
      assert.equal(push.closed, true);
      await loop.closeAndWait();
      ctx.term();
    },
  );

  await t.step("poll() waits without consuming; 0 on timeout", async () => {
    await using f = fixture("as-poll");
    assert.equal(await f.b.poll(10), 0);
    assert.equal(await f.a.poll(0, POLLOUT), POLLOUT);
    const p = f.b.poll(5000);
    await f.a.send("x");
    assert.equal(await p, POLLIN);
    assert.equal(await f.b.poll(), POLLIN); // still there
    assert.deepEqual(text(await f.b.recvMultipart()), ["x"]);
  });

  await t.step("bad input", async () => {
    await using f = fixture("as-bad");
    await assert.rejects(f.a.send(5 as never), TypeError);
    await assert.rejects(f.a.sendMultipart([]), RangeError);
    await assert.rejects(f.a.send("x", NaN), TypeError);
    await assert.rejects(f.a.sendString(1 as never), TypeError);
    await assert.rejects(f.b.poll(NaN), TypeError);
    await assert.rejects(f.b.poll(0, 99), RangeError);
    assert.throws(() => new AsyncSocket(f.a.socket, f.loop), /already has one/);
    assert.throws(() => new ZMQStream(f.a.socket, f.loop), /already has one/);
  });

  await t.step("a closed loop is refused, as a rejection", async () => {
    const ctx = new Context();
    const loop = new IOLoop();
    const s = new AsyncSocket(ctx.socket(PAIR), loop);
    loop.close();
    await assert.rejects(s.send("x"), LoopClosedError);
    await assert.rejects(s.recvMultipart(), LoopClosedError);
    s.close();
    ctx.term();
  });

  await t.step(
    "await using writes what was queued before closing",
    async () => {
      const ctx = new Context();
      const loop = new IOLoop();
      const pull = new AsyncSocket(ctx.socket(PULL), loop);
      pull.setsockopt(RCVHWM, 1);
      pull.bind("inproc://as-dispose");
      let reader: Promise<string[]>;
      {
        await using push = new AsyncSocket(ctx.socket(PUSH), loop);
        push.setsockopt(SNDHWM, 1);
        push.connect("inproc://as-dispose");
        for (let i = 0; i < 20; i++) push.send(String(i)).catch(() => {});
        assert.equal(push.socket.events, 0, "the pipe is full: sends queue");
        reader = (async () => {
          const got: string[] = [];
          for (let i = 0; i < 20; i++) {
            got.push(text(await pull.recvMultipart({ signal: bounded() }))[0]!);
          }
          return got;
        })();
      } // dispose: waits for the queue (bounded by LINGER), then closes
      assert.deepEqual(
        await reader,
        Array.from({ length: 20 }, (_, i) => String(i)),
      );
      pull.close(0);
      await loop.closeAndWait();
      ctx.term();
    },
  );
});

Deno.test("AsyncSocket does not starve timers", async () => {
  // 20k messages already waiting: a for await over them must still let a
  // timer due meanwhile run before it is done.
  const ctx = new Context();
  const loop = new IOLoop();
  const x = ctx.socket(PAIR), y = ctx.socket(PAIR);
  x.setsockopt(SNDHWM, 0);
  x.bind("inproc://as-starve");
  y.connect("inproc://as-starve");
  const N = 20_000;
  for (let i = 0; i < N; i++) x.send("m");
  const s = new AsyncSocket(y, loop);
  let timerAt = -1, got = 0;
  setTimeout(() => timerAt = got, 0);
  while (got < N) {
    await s.recvMultipart();
    got++;
  }
  assert.ok(timerAt >= 0 && timerAt < N, `the timer ran at message ${timerAt}`);
  s.close(0);
  x.close(0);
  await loop.closeAndWait();
  ctx.term();
});

Deno.test("AsyncSocket property: random sends, receives, aborts, timeouts and close against a model", async () => {
  const seed = Number(Deno.env.get("PROPERTY_SEED") ?? Date.now() % 100000);
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  for (let round = 0; round < 20; round++) {
    const ctx = new Context();
    const loop = new IOLoop();
    const push = ctx.socket(PUSH), pull = ctx.socket(PULL);
    push.setsockopt(SNDHWM, 1 + Math.floor(random() * 4));
    push.bind(`inproc://as-prop-${round}`);
    pull.connect(`inproc://as-prop-${round}`);
    const out = new AsyncSocket(push, loop),
      inbox = new AsyncSocket(pull, loop);
    const sent: number[] = []; // model: resolved sends, in order
    const received: number[] = [];
    const settles: Promise<unknown>[] = [];
    let next = 0;
    const steps = 40 + Math.floor(random() * 60);
    for (let i = 0; i < steps; i++) {
      const r = random();
      if (r < 0.45) {
        const n = next++;
        const ac = random() < 0.2 ? new AbortController() : undefined;
        settles.push(
          out.send(String(n), 0, { signal: ac?.signal }).then(
            () => sent.push(n),
            () => {},
          ),
        );
        if (ac) setTimeout(() => ac.abort(), random() * 3);
      } else if (r < 0.9) {
        const ac = random() < 0.2 ? new AbortController() : undefined;
        settles.push(
          inbox.recvMultipart({ signal: ac?.signal }).then(
            (m) => received.push(Number(text(m)[0])),
            () => {},
          ),
        );
        if (ac) setTimeout(() => ac.abort(), random() * 3);
      } else {
        await new Promise((r) => setTimeout(r, random() * 2));
      }
    }
    // drain: receive until every resolved send has arrived, bounded
    const deadline = performance.now() + 5000;
    await new Promise((r) => setTimeout(r, 5));
    while (received.length < sent.length && performance.now() < deadline) {
      const m = await inbox.recvMultipart({ signal: AbortSignal.timeout(200) })
        .catch(() => null);
      if (m) received.push(Number(text(m)[0]));
    }
    out.close(0);
    inbox.close(0);
    const all = await Promise.race([
      Promise.allSettled(settles).then(() => "settled"),
      new Promise((r) => setTimeout(r, 5000, "hung")),
    ]);
    assert.equal(all, "settled", `seed ${seed}: every promise settles`);
    const sorted = [...received].sort((a, b) => a - b);
    assert.deepEqual(received, sorted, `seed ${seed}: in order`);
    assert.equal(
      new Set(received).size,
      received.length,
      `seed ${seed}: no duplicate`,
    );
    for (const n of received) {
      assert.ok(
        sent.includes(n),
        `seed ${seed}: ${n} received but its send did not resolve`,
      );
    }
    for (const n of sent) {
      assert.ok(received.includes(n), `seed ${seed}: ${n} sent but lost`);
    }
    await loop.closeAndWait();
    ctx.term();
  }
});

Deno.test("AsyncPoller", async (t) => {
  const libc = Deno.dlopen("libc.so.6", {
    pipe: { parameters: ["buffer"], result: "i32" },
    write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
    close: { parameters: ["i32"], result: "i32" },
  });
  await t.step(
    "sockets, AsyncSockets and raw fds; timeout; signal",
    async () => {
      await using f = fixture("ap-mixed");
      const ctx = f.ctx;
      const raw1 = ctx.socket(PAIR), raw2 = ctx.socket(PAIR);
      raw1.bind("inproc://ap-raw");
      raw2.connect("inproc://ap-raw");
      const fds = new Int32Array(2);
      assert.equal(libc.symbols.pipe(new Uint8Array(fds.buffer)), 0);
      const poller = new AsyncPoller(f.loop);
      poller.register(f.b, POLLIN);
      poller.register(raw2, POLLIN);
      poller.register(fds[0]!, POLLIN);
      assert.deepEqual(await poller.poll(10), []);
      setTimeout(() => raw1.send("r"), 5);
      assert.deepEqual(await poller.poll(5000), [[raw2, POLLIN]]);
      raw2.recv();
      setTimeout(() => f.a.send("a"), 5);
      assert.deepEqual(await poller.poll(5000), [[f.b, POLLIN]]);
      await f.b.recv();
      setTimeout(() => libc.symbols.write(fds[1]!, new Uint8Array([1]), 1n), 5);
      assert.deepEqual(await poller.poll(5000), [[fds[0]!, POLLIN]]);
      poller.unregister(fds[0]!);
      const ac = new AbortController();
      const p = poller.poll(-1, { signal: ac.signal });
      ac.abort(new Error("stop"));
      await assert.rejects(p, /stop/);
      await assert.rejects(poller.poll(NaN), TypeError);
      assert.throws(() => poller.register("x" as never), TypeError);
      assert.throws(() => poller.register(raw2, 99), RangeError);
      assert.throws(() => poller.unregister(fds[1]!), /not registered/);
      libc.symbols.close(fds[0]!);
      libc.symbols.close(fds[1]!);
      raw1.close(0);
      raw2.close(0);
    },
  );
  libc.close();
});
