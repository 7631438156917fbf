import assert from "node:assert/strict";
import {
  Again,
  Context,
  ContextTerminated,
  COPY_THRESHOLD,
  curveKeypair,
  curvePublic,
  DEALER,
  EADDRINUSE,
  EAGAIN,
  EINVAL,
  ENOTSOCK,
  EPROTONOSUPPORT,
  errnoName,
  errnoTable,
  ETERM,
  EVENT_ACCEPTED,
  EVENT_ALL,
  EVENT_CONNECTED,
  EVENT_HANDSHAKE_SUCCEEDED,
  EVENT_LISTENING,
  EVENTS,
  FD,
  Frame,
  has,
  IDENTITY,
  IO_THREADS,
  LAST_ENDPOINT,
  LINGER,
  MAXMSGSIZE,
  NOBLOCK,
  PAIR,
  parseMonitorMessage,
  Poller,
  POLLIN,
  POLLOUT,
  PUB,
  PULL,
  PUSH,
  RCVMORE,
  RCVTIMEO,
  REP,
  REQ,
  ROUTER,
  ROUTING_ID,
  SNDHWM,
  SUB,
  SUBSCRIBE,
  TYPE,
  z85Decode,
  z85Encode,
  ZMQError,
  zmqVersion,
  zmqVersionInfo,
} from "../mod.ts";
import { MOD_URL, runDeno, tempScript } from "./_helpers.ts";

const dec = new TextDecoder();

/** Why CURVE tests are skipped: libzmq can be built without it. */
const NO_CURVE = has("curve")
  ? ""
  : " (skipped: this libzmq was built without CURVE)";

/** A PUSH/PULL (or other) pair over inproc in a fresh context. */
function pair(a = PAIR, b = PAIR) {
  const ctx = new Context();
  const x = ctx.socket(a), y = ctx.socket(b);
  const addr = `inproc://t-${crypto.randomUUID()}`;
  x.bind(addr);
  y.connect(addr);
  return { ctx, x, y };
}

Deno.test("library discovery", async (t) => {
  await t.step("zmqVersion() reports the loaded libzmq", () => {
    const [major, minor] = zmqVersionInfo();
    assert.ok(major > 4 || (major === 4 && minor >= 1));
    assert.match(zmqVersion(), /^\d+\.\d+\.\d+$/);
    assert.equal(zmqVersion(), zmqVersionInfo().join("."));
  });

  await t.step("has() answers capabilities", () => {
    assert.equal(has("ipc"), true);
    // CURVE is optional in a libzmq build: has() must agree with what works.
    if (has("curve")) {
      assert.equal(curveKeypair()[0].length, 40);
    } else {
      assert.throws(() => curveKeypair(), { code: "ENOTSUP" });
    }
    assert.equal(has("no-such-thing"), false);
    assert.throws(() => has(1 as unknown as string), TypeError);
  });

  await t.step(
    "a LIBZMQ_PATH that does not load is named, without fallback",
    async () => {
      const script = await tempScript(
        `import { Context } from "${MOD_URL}";\nnew Context();\n`,
      );
      const r = await runDeno(["run", "--allow-ffi", "--allow-env", script], {
        env: { LIBZMQ_PATH: "/nonexistent/libzmq.so" },
      });
      await Deno.remove(script);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /Cannot load libzmq/);
      assert.match(r.stderr, /\/nonexistent\/libzmq\.so/);
      assert.match(r.stderr, /LIBZMQ_PATH is set/);
      assert.doesNotMatch(r.stderr, /libzmq\.so\.5:/); // no fallback tried
    },
  );

  await t.step("works without --allow-env", async () => {
    const script = await tempScript(
      `import { zmqVersion } from "${MOD_URL}";\nconsole.log(zmqVersion());\n`,
    );
    const r = await runDeno(["run", "--allow-ffi", script]);
    await Deno.remove(script);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\d+\.\d+\.\d+/);
  });

  await t.step("without --allow-ffi, Deno's own permission error", async () => {
    const script = await tempScript(
      `import { zmqVersion } from "${MOD_URL}";\ntry { zmqVersion(); } catch (e) { console.log(e.constructor.name); }\n`,
    );
    const r = await runDeno(["run", "--no-prompt", script]);
    await Deno.remove(script);
    assert.match(r.stdout, /NotCapable|PermissionDenied/);
  });

  await t.step("importing mod.ts loads nothing", async () => {
    const script = await tempScript(
      `import { PUB, z85Encode } from "${MOD_URL}";\nconsole.log(PUB, z85Encode(new Uint8Array(4)));\n`,
    );
    // No --allow-ffi: works as long as nothing touches libzmq.
    const r = await runDeno(["run", "--no-prompt", script]);
    await Deno.remove(script);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), "1 00000");
  });
});

Deno.test("errno tables", () => {
  assert.equal(errnoTable("linux").EAGAIN, 11);
  assert.equal(errnoTable("darwin").EAGAIN, 35);
  assert.equal(errnoTable("windows").ENOTSOCK, 128);
  assert.equal(errnoTable("linux").ETERM, 156384712 + 53);
  assert.equal(errnoName(EAGAIN), "EAGAIN");
  assert.equal(errnoName(ETERM), "ETERM");
  assert.equal(errnoName(99999), "E99999");
});

Deno.test("ZMQError", async (t) => {
  await t.step("has errno, code and libzmq's text", () => {
    const e = new ZMQError(EINVAL, "Cannot do it");
    assert.equal(e.code, "EINVAL");
    assert.equal(e.errno, EINVAL);
    assert.equal(e.message, "Cannot do it: Invalid argument");
    assert.ok(e instanceof Error);
  });
  await t.step("Again and ContextTerminated are ZMQErrors", () => {
    assert.ok(new Again() instanceof ZMQError);
    assert.equal(new Again().code, "EAGAIN");
    assert.equal(new ContextTerminated().code, "ETERM");
  });
});

Deno.test("Context", async (t) => {
  await t.step("options and term", () => {
    const ctx = new Context({ ioThreads: 2 });
    assert.equal(ctx.get(IO_THREADS), 2);
    ctx.set(IO_THREADS, 1);
    assert.equal(ctx.closed, false);
    ctx.term();
    assert.equal(ctx.closed, true);
    ctx.term(); // idempotent
  });

  await t.step("term() with open sockets throws instead of hanging", () => {
    const ctx = new Context();
    const s = ctx.socket(PUSH);
    assert.throws(() => ctx.term(), (e: ZMQError) => {
      assert.equal(e.code, "EBUSY");
      assert.match(e.message, /1 socket\(s\) still open.*destroy\(\)/);
      return true;
    });
    s.close();
    ctx.term();
  });

  await t.step("term() does not hang on undelivered messages", () => {
    const ctx = new Context();
    const push = ctx.socket(PUSH);
    push.connect("tcp://127.0.0.1:1"); // nobody there
    push.send("lost", NOBLOCK);
    push.close(0);
    ctx.term();
  });

  await t.step("sockets get a bounded default linger", () => {
    const ctx = new Context();
    assert.equal(ctx.socket(PUSH).getsockopt(LINGER), 1000);
    ctx.destroy();
    const ctx2 = new Context({ linger: -1 });
    assert.equal(ctx2.socket(PUSH).getsockopt(LINGER), -1);
    ctx2.destroy(0);
    assert.throws(() => new Context({ linger: -5 }), RangeError);
  });

  await t.step("destroy() closes every socket", () => {
    const ctx = new Context();
    const a = ctx.socket(PUB), b = ctx.socket(SUB);
    assert.equal(ctx.sockets.length, 2);
    ctx.destroy(0);
    assert.ok(a.closed && b.closed && ctx.closed);
    ctx.destroy(); // idempotent
  });

  await t.step("a terminated context refuses new sockets with ETERM", () => {
    const ctx = new Context();
    ctx.term();
    assert.throws(() => ctx.socket(PUB), ContextTerminated);
    assert.throws(() => ctx.get(IO_THREADS), ContextTerminated);
  });

  await t.step("instance() is shared until terminated", () => {
    const a = Context.instance();
    assert.equal(Context.instance(), a);
    a.destroy();
    const b = Context.instance();
    assert.notEqual(b, a);
    b.destroy();
  });

  await t.step("Symbol.dispose destroys", () => {
    let s;
    {
      using ctx = new Context();
      s = ctx.socket(PAIR);
    }
    assert.equal(s.closed, true);
  });

  await t.step("bad socket types", () => {
    const ctx = new Context();
    assert.throws(() => ctx.socket(99), (e: ZMQError) => e.code === "EINVAL");
    assert.throws(() => ctx.socket("PUB" as unknown as number), TypeError);
    ctx.term();
  });
});

Deno.test("Socket endpoints", async (t) => {
  const ctx = new Context();
  const s = ctx.socket(PULL);

  await t.step(
    "bad endpoints give EINVAL / EPROTONOSUPPORT naming the endpoint",
    () => {
      for (
        const [addr, errno] of [
          ["tcp://127.0.0.1", EINVAL],
          ["tcp://127.0.0.1:notaport", EINVAL],
          ["bogus://x", EPROTONOSUPPORT],
        ] as const
      ) {
        assert.throws(() => s.bind(addr), (e: ZMQError) => {
          assert.ok(e instanceof ZMQError);
          assert.equal(e.errno, errno);
          assert.ok(e.message.includes(`"${addr}"`), e.message);
          return true;
        });
        assert.throws(() => s.connect(addr), ZMQError);
      }
      assert.throws(() => s.bind(5 as unknown as string), TypeError);
    },
  );

  await t.step("bindToRandomPort picks a port, in range when asked", () => {
    const port = s.bindToRandomPort("tcp://127.0.0.1");
    assert.ok(port > 0 && port < 65536);
    assert.equal(s.getsockopt(LAST_ENDPOINT), `tcp://127.0.0.1:${port}`);
    const p2 = s.bindToRandomPort("tcp://127.0.0.1", 40000, 41000);
    assert.ok(p2 >= 40000 && p2 < 41000);
    const other = ctx.socket(PULL);
    assert.throws(
      () => other.bindToRandomPort("tcp://127.0.0.1", p2, p2 + 1, 3),
      (e: ZMQError) => e.errno === EADDRINUSE,
    );
    assert.throws(
      () => other.bindToRandomPort("tcp://127.0.0.1", 5, 5),
      RangeError,
    );
    s.unbind(`tcp://127.0.0.1:${p2}`);
    other.close();
  });

  await t.step("unbind and disconnect", () => {
    const c = ctx.socket(PUSH);
    c.connect("tcp://127.0.0.1:5");
    c.disconnect("tcp://127.0.0.1:5");
    assert.throws(() => c.disconnect("tcp://127.0.0.1:5"), ZMQError);
    c.close();
  });

  ctx.destroy();
});

Deno.test("Socket options", async (t) => {
  const ctx = new Context();
  const s = ctx.socket(DEALER);

  await t.step("typed get and set", () => {
    s.setsockopt(SNDHWM, 123);
    assert.equal(s.getsockopt(SNDHWM), 123);
    s.setsockopt(ROUTING_ID, "me");
    assert.deepEqual(s.getsockopt(IDENTITY), new TextEncoder().encode("me"));
    s.setsockopt(MAXMSGSIZE, 1n << 40n);
    assert.equal(s.getsockopt(MAXMSGSIZE), 2 ** 40);
    s.setsockopt(MAXMSGSIZE, -1);
    assert.equal(s.getsockopt(TYPE), DEALER);
    assert.equal(typeof s.getsockopt(FD), "number");
    assert.equal(s.getsockopt(EVENTS), 0);
    assert.equal(s.getsockopt(RCVMORE), 0);
    s.setsockopt(RCVTIMEO, true);
    assert.equal(s.getsockopt(RCVTIMEO), 1);
  });

  await t.step("wrong value types are TypeErrors", () => {
    assert.throws(() => s.setsockopt(LINGER, "100"), TypeError);
    assert.throws(() => s.setsockopt(LINGER, 1.5), TypeError);
    assert.throws(() => s.setsockopt(ROUTING_ID, 5), TypeError);
    assert.throws(() => s.setsockopt(MAXMSGSIZE, "x"), TypeError);
    assert.throws(() => s.setsockopt(LINGER, 2 ** 40), RangeError);
  });

  await t.step("unknown and wrong-direction options are EINVAL", () => {
    for (
      const fn of [
        () => s.setsockopt(9999, 1),
        () => s.getsockopt(9999),
        () => s.getsockopt(SUBSCRIBE),
        () => s.setsockopt(EVENTS, 1),
      ]
    ) {
      assert.throws(fn, (e: ZMQError) => {
        assert.equal(e.code, "EINVAL");
        assert.match(e.message, /^Cannot (set|get) socket option/);
        return true;
      });
    }
  });

  await t.step("libzmq refusals are ZMQErrors", () => {
    assert.throws(() => s.setsockopt(SUBSCRIBE, "x"), ZMQError); // not a SUB
  });

  ctx.destroy();
});

Deno.test("Socket send and recv", async (t) => {
  await t.step(
    "single and multipart, strings and bytes, empty parts kept",
    () => {
      const { ctx, x, y } = pair(PUSH, PULL);
      x.send("héllo");
      assert.equal(y.recvString(), "héllo");
      x.sendMultipart(["a", new Uint8Array([1, 2]), new Uint8Array(0), "z"]);
      const parts = y.recvMultipart();
      assert.equal(parts.length, 4);
      assert.deepEqual(parts[1], new Uint8Array([1, 2]));
      assert.equal(parts[2]!.length, 0);
      x.sendJson({ n: 1, s: ["x"] });
      assert.deepEqual(y.recvJson(), { n: 1, s: ["x"] });
      const big = new Uint8Array(200_000).map((_, i) => i & 0xff);
      x.send(big);
      assert.deepEqual(y.recv(), big);
      const long = "x".repeat(100_000); // beyond the string scratch buffer
      x.sendString(long);
      assert.equal(y.recvString(), long);
      ctx.destroy();
    },
  );

  await t.step("recv(NOBLOCK) with nothing there throws Again", () => {
    const { ctx, y } = pair(PUSH, PULL);
    assert.throws(() => y.recv(NOBLOCK), Again);
    assert.throws(
      () => y.recvMultipart(NOBLOCK),
      (e: ZMQError) => e.errno === EAGAIN,
    );
    ctx.destroy();
  });

  await t.step("RCVTIMEO bounds a blocking recv", () => {
    const { ctx, y } = pair(PUSH, PULL);
    y.setsockopt(RCVTIMEO, 20);
    assert.throws(() => y.recv(), Again);
    ctx.destroy();
  });

  await t.step(
    "numbers and objects are TypeErrors before anything is sent",
    () => {
      const { ctx, x, y } = pair(PUSH, PULL);
      assert.throws(() => x.send(42 as unknown as string), TypeError);
      assert.throws(() => x.send({} as unknown as string), TypeError);
      assert.throws(
        () => x.sendMultipart(["ok", 1 as unknown as string]),
        TypeError,
      );
      assert.throws(
        () => x.sendMultipart("ab" as unknown as string[]),
        TypeError,
      );
      assert.throws(() => x.sendMultipart([]), RangeError);
      assert.throws(() => x.sendString(5 as unknown as string), TypeError);
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      assert.throws(() => x.sendJson(cyclic), TypeError);
      assert.throws(() => x.sendJson(1n), TypeError);
      assert.throws(() => y.recv(NOBLOCK), Again); // nothing went out
      ctx.destroy();
    },
  );

  await t.step("REQ state errors are EFSM", () => {
    const { ctx, x } = pair(REP, REQ);
    assert.throws(
      () => x.send("x", NOBLOCK),
      (e: ZMQError) => e.code === "EFSM",
    );
    ctx.destroy();
  });

  await t.step("ROUTER/DEALER with identities", () => {
    const ctx = new Context();
    const router = ctx.socket(ROUTER), dealer = ctx.socket(DEALER);
    const addr = `inproc://t-${crypto.randomUUID()}`;
    router.bind(addr);
    router.setsockopt(RCVTIMEO, 5000);
    dealer.setsockopt(RCVTIMEO, 5000);
    dealer.setsockopt(ROUTING_ID, "d1"); // only a connect after this uses it
    dealer.connect(addr);
    dealer.send("hi");
    const [id, body] = router.recvMultipart();
    assert.equal(dec.decode(id), "d1", "the ROUTER sees the routing id");
    assert.equal(dec.decode(body), "hi");
    router.sendMultipart(["d1", "back"]);
    assert.equal(dealer.recvString(), "back");
    ctx.destroy();
  });

  await t.step("poll() reports readiness and times out", () => {
    const { ctx, x, y } = pair(PUSH, PULL);
    assert.equal(y.poll(0), 0);
    assert.equal(x.poll(0, POLLOUT), POLLOUT);
    x.send("x");
    assert.equal(y.poll(1000), POLLIN);
    ctx.destroy();
  });
});

Deno.test("closed sockets", async (t) => {
  const ctx = new Context();
  const s = ctx.socket(PUSH);
  s.close();
  await t.step("every call throws ENOTSOCK", () => {
    const calls: (() => unknown)[] = [
      () => s.send("x"),
      () => s.sendMultipart(["x"]),
      () => s.recv(),
      () => s.recvMultipart(),
      () => s.recvFrame(),
      () => s.bind("inproc://x"),
      () => s.connect("inproc://x"),
      () => s.setsockopt(LINGER, 0),
      () => s.getsockopt(LINGER),
      () => s.events,
      () => s.poll(0),
      () => s.getMonitorSocket(),
      () => s.subscribe("x"),
    ];
    for (const call of calls) {
      assert.throws(call, (e: ZMQError) => {
        assert.equal(e.errno, ENOTSOCK);
        assert.match(e.message, /the socket is closed/);
        return true;
      });
    }
  });
  await t.step("close() twice is a no-op", () => {
    s.close();
    s.close(0);
    assert.equal(s.closed, true);
  });
  ctx.term();
});

Deno.test("Frame", async (t) => {
  await t.step("receive with properties, payload copied on first read", () => {
    const ctx = new Context();
    const pull = ctx.socket(PULL), push = ctx.socket(PUSH);
    const port = pull.bindToRandomPort("tcp://127.0.0.1");
    push.connect(`tcp://127.0.0.1:${port}`);
    push.sendMultipart(["head", new Uint8Array(100_000).fill(9), ""]);
    const frames = pull.recvMultipart(0, { copy: false });
    assert.equal(frames.length, 3);
    assert.ok(frames.every((f) => f instanceof Frame));
    assert.deepEqual(frames.map((f) => f.more), [true, true, false]);
    assert.equal(frames[0]!.toString(), "head");
    assert.equal(frames[1]!.buffer[99_999], 9);
    assert.equal(frames[0]!.get("Peer-Address"), "127.0.0.1");
    assert.equal(frames[2]!.get("Socket-Type"), "PUSH");
    assert.throws(() => frames[0]!.get("No-Such"), ZMQError);
    const copy = frames[1]!.bytes;
    const view = frames[1]!.buffer;
    assert.equal(frames[1]!.length, 100_000);
    frames[1]!.close();
    assert.equal(
      view.length,
      100_000,
      "a buffer read before close stays valid",
    );
    assert.equal(view[99_999], 9);
    assert.equal(copy.length, 100_000);
    frames[1]!.close(); // idempotent
    assert.throws(
      () => frames[1]!.get("Peer-Address"),
      (e: ZMQError) => e.errno === ENOTSOCK,
    );
    for (const f of frames) f.close();
    ctx.destroy();
  });

  await t.step(
    "frames dropped without close are released after GC",
    async () => {
      const script = await tempScript(`
      import { Context, PULL, PUSH } from "${MOD_URL}";
      const ctx = new Context();
      const pull = ctx.socket(PULL), push = ctx.socket(PUSH);
      pull.bind("inproc://gc"); push.connect("inproc://gc");
      const payload = new Uint8Array(1 << 20);
      const rss = () => Deno.memoryUsage().rss;
      for (let i = 0; i < 50; i++) { push.send(payload); pull.recvFrame(); }
      const gc = (globalThis as unknown as { gc: () => void }).gc;
      for (let i = 0; i < 3; i++) { gc(); await new Promise((r) => setTimeout(r, 10)); }
      const before = rss();
      for (let i = 0; i < 400; i++) {
        push.send(payload); pull.recvFrame();
        if (i % 50 === 0) { gc(); await new Promise((r) => setTimeout(r, 0)); }
      }
      for (let i = 0; i < 3; i++) { gc(); await new Promise((r) => setTimeout(r, 10)); }
      console.log(Math.round((rss() - before) / 1048576));
      ctx.destroy();
    `);
      const r = await runDeno([
        "run",
        "--allow-ffi",
        "--allow-env",
        "--v8-flags=--expose-gc",
        script,
      ]);
      await Deno.remove(script);
      assert.equal(r.code, 0, r.stderr);
      const grewMb = Number(r.stdout.trim());
      assert.ok(
        grewMb < 100,
        `400 MB of dropped frames grew RSS by ${grewMb} MB`,
      );
    },
  );
});

Deno.test("zero-copy send with a tracker", async (t) => {
  await t.step("the buffer is handed over and released", async () => {
    const ctx = new Context();
    const pull = ctx.socket(PULL), push = ctx.socket(PUSH);
    const port = pull.bindToRandomPort("tcp://127.0.0.1");
    push.connect(`tcp://127.0.0.1:${port}`);
    pull.setsockopt(RCVTIMEO, 5000);
    const big = new Uint8Array(COPY_THRESHOLD * 4).fill(3);
    const tracker = push.send(big, 0, { copy: false, track: true })!;
    const got = pull.recv(); // a blocking call while in flight is fine
    assert.equal(got.length, big.length);
    assert.equal(got[1000], 3);
    await tracker.wait(5000);
    assert.equal(tracker.done, true);
    ctx.destroy();
  });

  await t.step("small payloads are copied and their tracker is done", () => {
    const { ctx, x, y } = pair(PUSH, PULL);
    const tracker = x.send(new Uint8Array(10), 0, {
      copy: false,
      track: true,
    })!;
    assert.equal(tracker.done, true);
    assert.equal(x.send("x", 0, { copy: false }), undefined);
    assert.equal(y.recv(NOBLOCK).length, 10);
    assert.equal(dec.decode(y.recv(NOBLOCK)), "x");
    ctx.destroy();
  });

  await t.step("multipart tracker waits for every big part", async () => {
    const { ctx, x, y } = pair(PUSH, PULL);
    const a = new Uint8Array(COPY_THRESHOLD),
      b = new Uint8Array(COPY_THRESHOLD * 2);
    const tracker = x.sendMultipart(["h", a, b], 0, {
      copy: false,
      track: true,
    })!;
    assert.equal(
      tracker.done,
      false,
      "inproc holds the buffers until received",
    );
    const parts = y.recvMultipart();
    assert.deepEqual(parts.map((p) => p.length), [1, a.length, b.length]);
    await tracker.wait(5000);
    assert.equal(tracker.done, true);
    ctx.destroy();
  });

  await t.step("wait() times out with a clear error", async () => {
    const { ctx, x, y } = pair(PUSH, PULL);
    const tracker = x.send(new Uint8Array(COPY_THRESHOLD), 0, {
      copy: false,
      track: true,
    })!;
    await assert.rejects(tracker.wait(5), (e: DOMException) => {
      assert.equal(e.name, "TimeoutError");
      assert.match(e.message, /5 ms/);
      return true;
    });
    await assert.rejects(tracker.wait(-1), RangeError);
    await assert.rejects(tracker.wait({ timeout: NaN }), RangeError);
    const ac = new AbortController();
    const waiting = tracker.wait({ signal: ac.signal });
    ac.abort(new Error("stop waiting"));
    await assert.rejects(waiting, /stop waiting/);
    await assert.rejects(
      tracker.wait({ signal: AbortSignal.abort(new Error("already")) }),
      /already/,
    );
    assert.equal(tracker.done, false, "aborting the wait changes nothing");
    y.recv();
    await tracker.wait(5000);
    ctx.destroy();
  });

  await t.step("term() releases buffers of unsent messages", async () => {
    const ctx = new Context();
    const push = ctx.socket(PUSH);
    push.setsockopt(SNDHWM, 10);
    push.connect("tcp://127.0.0.1:1");
    const tracker = push.send(new Uint8Array(COPY_THRESHOLD), NOBLOCK, {
      copy: false,
      track: true,
    })!;
    assert.equal(tracker.done, false);
    ctx.destroy(0);
    await tracker.wait(1000);
    assert.equal(tracker.done, true);
  });
});

Deno.test("Poller", async (t) => {
  await t.step("sockets and raw fds", () => {
    const { ctx, x, y } = pair(PUSH, PULL);
    const poller = new Poller();
    poller.register(y, POLLIN);
    poller.register(x); // POLLIN | POLLOUT
    assert.deepEqual(poller.poll(0), [[x, POLLOUT]]);
    x.send("m");
    const ready = new Map(poller.poll(1000));
    assert.equal(ready.get(y), POLLIN);
    poller.modify(x, POLLIN);
    assert.deepEqual(poller.poll(0), [[y, POLLIN]]);
    poller.unregister(y);
    assert.deepEqual(poller.poll(10), []);
    ctx.destroy();
    // A raw fd: a socket's ZMQ_FD turns readable when a message arrives.
    const p2 = pair(PUSH, PULL);
    const raw = new Poller();
    raw.register(p2.y.fd, POLLIN);
    assert.equal(p2.y.events, 0); // consumes pending signals
    assert.deepEqual(raw.poll(0), []);
    p2.x.send("m");
    assert.deepEqual(raw.poll(1000).map(([fd]) => fd), [p2.y.fd]);
    p2.ctx.destroy();
  });

  await t.step("bad input", () => {
    const poller = new Poller();
    assert.throws(() => poller.register(-1), TypeError);
    assert.throws(() => poller.register("x" as unknown as number), TypeError);
    assert.throws(() => poller.register(0, -1), RangeError);
    assert.throws(() => poller.unregister(3), /not registered/);
    const { ctx, x } = pair();
    x.close();
    assert.throws(
      () => poller.register(x),
      (e: ZMQError) => e.errno === ENOTSOCK,
    );
    ctx.destroy();
  });
});

Deno.test("monitor", async (t) => {
  await t.step("events of a connect and handshake arrive", () => {
    const ctx = new Context();
    const server = ctx.socket(REP);
    const monitor = server.getMonitorSocket(EVENT_ALL);
    const port = server.bindToRandomPort("tcp://127.0.0.1");
    const client = ctx.socket(REQ);
    const clientMon = client.getMonitorSocket(
      EVENT_CONNECTED | EVENT_HANDSHAKE_SUCCEEDED,
    );
    client.connect(`tcp://127.0.0.1:${port}`);
    client.send("x");
    server.recv();
    monitor.setsockopt(RCVTIMEO, 5000);
    clientMon.setsockopt(RCVTIMEO, 5000);
    const seen = new Set<number>();
    while (!seen.has(EVENT_ACCEPTED)) {
      const ev = parseMonitorMessage(monitor.recvMultipart());
      seen.add(ev.event);
      assert.match(ev.endpoint, /^tcp:\/\/127\.0\.0\.1:/);
    }
    assert.ok(seen.has(EVENT_LISTENING));
    const first = parseMonitorMessage(clientMon.recvMultipart());
    assert.equal(first.event, EVENT_CONNECTED);
    assert.equal(first.endpoint, `tcp://127.0.0.1:${port}`);
    server.disableMonitor();
    ctx.destroy(0);
  });

  await t.step("parseMonitorMessage rejects junk", () => {
    assert.throws(() => parseMonitorMessage([]), TypeError);
    assert.throws(
      () => parseMonitorMessage([new Uint8Array(3), new Uint8Array(0)]),
      TypeError,
    );
  });
});

Deno.test("z85", async (t) => {
  await t.step("RFC 32 test vector round trip", () => {
    const bytes = new Uint8Array([
      0x86,
      0x4f,
      0xd2,
      0x6f,
      0xb5,
      0x59,
      0xf7,
      0x5b,
    ]);
    assert.equal(z85Encode(bytes), "HelloWorld");
    assert.deepEqual(z85Decode("HelloWorld"), bytes);
    const random = crypto.getRandomValues(new Uint8Array(32));
    assert.deepEqual(z85Decode(z85Encode(random)), random);
    assert.equal(z85Encode(new Uint8Array(0)), "");
  });
  await t.step("bad input", () => {
    assert.throws(() => z85Encode(new Uint8Array(3)), RangeError);
    assert.throws(() => z85Encode("abcd" as unknown as Uint8Array), TypeError);
    assert.throws(() => z85Decode("abc"), RangeError);
    assert.throws(() => z85Decode("Hello Worl"), /not a Z85 character/);
    assert.throws(() => z85Decode("#####"), /exceeds 32 bits/);
    assert.throws(() => z85Decode(5 as unknown as string), TypeError);
  });
});

Deno.test({
  name: `CURVE keys${NO_CURVE}`,
  ignore: !has("curve"),
}, async (t) => {
  await t.step("keypair and public key derivation", () => {
    const [pub, sec] = curveKeypair();
    assert.equal(pub.length, 40);
    assert.equal(z85Decode(sec).length, 32);
    assert.equal(curvePublic(sec), pub);
  });
  await t.step("bad secret keys", () => {
    assert.throws(() => curvePublic("short"), RangeError);
    assert.throws(() => curvePublic(" ".repeat(40)), RangeError);
    assert.throws(() => curvePublic(undefined as unknown as string), TypeError);
  });
});
