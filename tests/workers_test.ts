/**
 * Threads and Workers: one zmq context shared through `Context.shadow()`,
 * inproc across threads, the owner's term() refusing while shadows hold
 * sockets, and Workers that end (normally or by `terminate()`) leaving no
 * threads, fds or contexts behind. Crash and leak checks run in subprocesses.
 */

import assert from "node:assert/strict";
import {
  CertificateError,
  Context,
  ContextTerminated,
  EVENT_HANDSHAKE_FAILED_AUTH,
  EVENT_HANDSHAKE_SUCCEEDED,
  PAIR,
  parseMonitorMessage,
  PLAIN_PASSWORD,
  PLAIN_SERVER,
  PLAIN_USERNAME,
  PULL,
  PUSH,
  type Socket,
  ThreadAuthenticator,
  ZMQError,
} from "../mod.ts";
import { MOD_URL, runDeno } from "./_helpers.ts";

/** Writes a Worker module as plain JavaScript (no type check per Worker). */
async function jsModule(source: string): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".js" });
  await Deno.writeTextFile(path, source);
  return path;
}

/** A test's Worker: every message and error is kept until `nextMessage` takes it. */
type TestWorker = Worker & {
  inbox: { value?: unknown; error?: Error }[];
  waiting: (() => void) | null;
  [Symbol.asyncDispose](): Promise<void>;
};

/** Starts a module Worker from source; disposing terminates it. */
async function worker(source: string): Promise<TestWorker> {
  const path = await jsModule(source);
  const w = new Worker(new URL(`file://${path}`).href, { type: "module" });
  const tw: TestWorker = Object.assign(w, {
    inbox: [],
    waiting: null,
    async [Symbol.asyncDispose]() {
      w.terminate();
      await Deno.remove(path);
    },
  });
  const arrived = (item: { value?: unknown; error?: Error }) => {
    tw.inbox.push(item);
    tw.waiting?.();
  };
  w.addEventListener("message", (e) => arrived({ value: e.data }));
  w.addEventListener("error", (e) => {
    e.preventDefault();
    arrived({ error: new Error(`Worker failed: ${e.message}`) });
  });
  return tw;
}

/**
 * The next message from a Worker (kept since it arrived), bounded; an error
 * in the Worker rejects. Generous: a first Worker compiles mod.ts's graph,
 * which took over 10 s at a load average of 7.5.
 */
async function nextMessage<T = unknown>(
  w: TestWorker,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  while (!w.inbox.length) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`No message from the Worker in ${ms} ms`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, left);
      w.waiting = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    w.waiting = null;
  }
  const { value, error } = w.inbox.shift()!;
  if (error) throw error;
  return value as T;
}

Deno.test("Context.shadow() shares one zmq context: inproc main <-> Worker both ways", async () => {
  const ctx = new Context();
  await using w = await worker(`
    import { Context, PAIR } from "${MOD_URL}";
    self.onmessage = (e) => {
      const ctx = Context.shadow(e.data.address);
      const s = ctx.socket(PAIR);
      s.connect("inproc://main-worker");
      s.send("from the worker");       // Worker -> main
      self.postMessage("sent");
      const back = s.recvString();     // main -> Worker (blocking is fine here)
      s.close();
      ctx.term();                      // a shadow's term closes only what it made
      self.postMessage(back);
    };
  `);
  const pair = ctx.socket(PAIR);
  pair.bind("inproc://main-worker");
  w.postMessage({ address: ctx.underlying });
  assert.equal(await nextMessage(w), "sent");
  assert.equal(pair.recvString(), "from the worker");
  pair.send("from main");
  assert.equal(await nextMessage(w), "from main");
  pair.close();
  ctx.term();
  assert.equal(ctx.closed, true);
});

Deno.test("Context.shadow() connects Worker <-> Worker over inproc", async () => {
  const ctx = new Context();
  const body = (role: "bind" | "connect") => `
    import { Context, PAIR } from "${MOD_URL}";
    self.onmessage = (e) => {
      const ctx = Context.shadow(e.data);
      const s = ctx.socket(PAIR);
      s.${role}("inproc://worker-worker");
      self.postMessage("ready");
      if ("${role}" === "connect") s.send("ping");
      const got = s.recvString();
      if ("${role}" === "bind") s.send("pong:" + got);
      ctx.destroy();
      self.postMessage(got);
    };
  `;
  await using a = await worker(body("bind"));
  await using b = await worker(body("connect"));
  a.postMessage(ctx.underlying);
  assert.equal(await nextMessage(a), "ready");
  b.postMessage(ctx.underlying);
  assert.equal(await nextMessage(b), "ready");
  assert.deepEqual(
    await Promise.all([nextMessage(a), nextMessage(b)]),
    ["ping", "pong:ping"],
  );
  ctx.term();
});

Deno.test("Context.term() refuses with EBUSY while a Worker's shadow holds sockets, never hangs", async () => {
  const ctx = new Context();
  await using w = await worker(`
    import { Context, PULL } from "${MOD_URL}";
    let ctx, s;
    self.onmessage = (e) => {
      if (e.data === "close") { s.close(); self.postMessage("closed"); return; }
      ctx = Context.shadow(e.data);
      s = ctx.socket(PULL);
      self.postMessage("open");
    };
  `);
  w.postMessage(ctx.underlying);
  assert.equal(await nextMessage(w), "open");
  assert.throws(() => ctx.term(), (e: unknown) => {
    assert.ok(e instanceof ZMQError);
    assert.equal(e.code, "EBUSY");
    assert.match(
      e.message,
      /1 socket\(s\) of shadow contexts \(other threads\) still open/,
    );
    return true;
  });
  assert.equal(ctx.closed, false, "a refused term() changes nothing");
  const own = ctx.socket(PUSH);
  assert.throws(
    () => ctx.destroy(),
    /shadow contexts \(other threads\) still open/,
  );
  assert.equal(own.closed, false, "a refused destroy() closes nothing");
  own.close();
  w.postMessage("close");
  assert.equal(await nextMessage(w), "closed");
  ctx.term();
  assert.throws(() => Context.shadow(ctx.underlying), ContextTerminated);
});

Deno.test("Context.term() releases the sockets of a terminated Worker's shadow", async () => {
  const ctx = new Context();
  const w = await worker(`
    import { Context, PULL } from "${MOD_URL}";
    self.onmessage = (e) => {
      const s = Context.shadow(e.data).socket(PULL);
      s.bind("inproc://left-behind");
      self.postMessage("open");
    };
  `);
  try {
    w.postMessage(ctx.underlying);
    assert.equal(await nextMessage(w), "open");
  } finally {
    await w[Symbol.asyncDispose]();
  }
  // The Worker's thread ends shortly after terminate(); term() then reaps its socket.
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      ctx.term();
      break;
    } catch (error) {
      if (
        !(error instanceof ZMQError) || error.code !== "EBUSY" ||
        Date.now() > deadline
      ) throw error;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  assert.equal(ctx.closed, true);
});

Deno.test("Context.shadow() rejects bad addresses with clear errors", async (t) => {
  await t.step("not a bigint", () => {
    for (const bad of [0, 12345, "0x1", null, undefined, {}]) {
      assert.throws(
        () => Context.shadow(bad as unknown as bigint),
        (e: unknown) =>
          e instanceof TypeError && /must be a bigint/.test(e.message),
      );
    }
  });
  await t.step(
    "0, negative, huge, or an address this process never made",
    () => {
      const ctx = new Context();
      for (
        const bad of [0n, -1n, 2n ** 70n, ctx.underlying + 8n, 0xdeadbeefn]
      ) {
        assert.throws(() => Context.shadow(bad), (e: unknown) => {
          assert.ok(e instanceof ZMQError, String(e));
          assert.equal(e.code, "EFAULT");
          assert.match(e.message, /^Cannot shadow the context at 0x/);
          return true;
        });
      }
      ctx.term();
    },
  );
  await t.step("a terminated context", () => {
    const ctx = new Context();
    const address = ctx.underlying;
    ctx.term();
    assert.throws(() => Context.shadow(address), /Context was terminated/);
    assert.throws(() => ctx.underlying, ContextTerminated);
  });
  await t.step(
    "a shadow stops making sockets once the owner terminated",
    () => {
      const ctx = new Context();
      const shadow = Context.shadow(ctx.underlying);
      assert.equal(shadow.shadowed, true);
      ctx.term();
      assert.equal(shadow.closed, true);
      assert.throws(() => shadow.socket(PAIR), ContextTerminated);
      shadow.term(); // idempotent, touches nothing
    },
  );
});

Deno.test("Context() validates every option before creating anything", () => {
  const bad: Record<string, unknown>[] = [
    { linger: 2 ** 31 },
    { linger: -2 },
    { linger: 1.5 },
    { linger: NaN },
    { ioThreads: NaN },
    { ioThreads: -1 },
    { ioThreads: 2 ** 31 },
    { ioThreads: 1.5 },
    { ioThreads: "2" },
  ];
  for (const options of bad) {
    assert.throws(
      () => new Context(options),
      (e: unknown) =>
        e instanceof RangeError && /^Cannot create a context: /.test(e.message),
      JSON.stringify(options),
    );
  }
  assert.throws(() => new Context(null as never), TypeError);
  const ctx = new Context({ linger: 2 ** 31 - 1, ioThreads: 0 });
  const s = ctx.socket(PAIR);
  assert.equal(ctx.sockets.length, 1);
  s.close();
  assert.equal(ctx.sockets.length, 0);
  ctx.term();
});

Deno.test("mtrelay: a PAIR chain across three threads on one context (zguide)", async () => {
  // step 1 (Worker) -> step 2 (Worker) -> step 3 (main), as in the guide's mtrelay.
  const ctx = new Context();
  const step = (n: number) => `
    import { Context, PAIR } from "${MOD_URL}";
    self.onmessage = (e) => {
      const ctx = Context.shadow(e.data);
      const up = ctx.socket(PAIR);
      up.connect("inproc://step${n + 1}");
      ${
    n === 2
      ? `const down = ctx.socket(PAIR);
      down.bind("inproc://step2");
      self.postMessage("bound");
      down.recv();          // wait for step 1
      down.close();`
      : ""
  }
      up.send("READY");
      up.close();
      ctx.term();
      self.postMessage("done");
    };
  `;
  const receiver = ctx.socket(PAIR);
  receiver.bind("inproc://step3");
  await using two = await worker(step(2));
  two.postMessage(ctx.underlying);
  assert.equal(await nextMessage(two), "bound");
  await using one = await worker(step(1));
  one.postMessage(ctx.underlying);
  assert.equal(receiver.recvString(), "READY");
  assert.deepEqual(await Promise.all([nextMessage(one), nextMessage(two)]), [
    "done",
    "done",
  ]);
  receiver.close();
  ctx.term();
});

// ---- Workers that end: no crash, nothing left behind (subprocesses) ----

const COUNTS = `
async function counts() {
  const ls = async (dir) => {
    const out = await new Deno.Command("ls", { args: ["-l", "/proc/" + Deno.pid + "/" + dir] }).output();
    return new TextDecoder().decode(out.stdout).trim().split("\\n").slice(1);
  };
  const fds = await ls("fd");
  return {
    threads: (await ls("task")).length,
    fds: fds.length,
    eventfds: fds.filter((l) => l.includes("[eventfd]")).length,
  };
}
`;

async function cycles(
  mainLoads: boolean,
  ending: "terminate" | "return",
  n: number,
  /** run n cycles more after `mid` (else `mid` is taken with `after`'s cycles done) */
  twice = false,
) {
  const workerPath = await jsModule(`
    import { Context, DEALER, IOLoop, PUB, PULL, PUSH, ROUTER, SteerableProxy, ZMQStream } from "${MOD_URL}";
    const ctx = new Context();
    const pull = new ZMQStream(ctx.socket(PULL));
    const port = pull.socket.bindToRandomPort("tcp://127.0.0.1");
    pull.onRecv(() => {});
    const push = new ZMQStream(ctx.socket(PUSH));
    push.connect("tcp://127.0.0.1:" + port);
    for (let i = 0; i < 10; i++) push.send("queued " + i);
    ctx.socket(PUB).bind("inproc://pub");
    // a proxy running on its native thread, in use when the Worker is terminated
    const front = ctx.socket(ROUTER);
    front.bind("tcp://127.0.0.1:*");
    const back = ctx.socket(DEALER);
    back.bind("inproc://back");
    const proxy = new SteerableProxy(front, back);
    const loop = IOLoop.instance();
    const timer = loop.callLater(60_000, () => {});
    self.onmessage = async () => {
      // end normally: close everything, wait for the loop's native wait to end, finish
      loop.removeTimeout(timer);
      await proxy.terminate();
      ctx.destroy(0);
      await loop.closeAndWait();
      self.postMessage("ended");
      self.close();
    };
    self.postMessage("parked");
  `);
  const main = await jsModule(`
    ${
    mainLoads
      ? `import { Context, PAIR } from "${MOD_URL}"; new Context().socket(PAIR).close();`
      : ""
  }
    ${COUNTS}
    const url = new URL("file://${workerPath}").href;
    async function cycle() {
      const w = new Worker(url, { type: "module" });
      await new Promise((resolve, reject) => { w.onmessage = resolve; w.onerror = reject; });
      ${
    ending === "terminate" ? "w.terminate();" : `w.postMessage("end");
      await new Promise((resolve) => { w.onmessage = resolve; });`
  }
    }
    for (let i = 0; i < 5; i++) await cycle();
    await new Promise((r) => setTimeout(r, 200));
    const before = await counts();
    for (let i = 0; i < ${n}; i++) await cycle();
    await new Promise((r) => setTimeout(r, 200));
    const mid = await counts();
    for (let i = 0; i < ${twice ? n : 0}; i++) await cycle();
    if (${twice}) await new Promise((r) => setTimeout(r, 200));
    ${
    mainLoads
      ? "new Context().term(); // any zmq call here reaps what dead Workers left"
      : ""
  }
    const after = await counts();
    console.log(JSON.stringify({ before, mid, after }));
  `);
  try {
    const r = await runDeno(["run", "-A", main], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, `the process died: ${r.stderr}`);
    type Counts = { threads: number; fds: number; eventfds: number };
    return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as {
      before: Counts;
      mid: Counts;
      after: Counts;
    };
  } finally {
    await Deno.remove(workerPath);
    await Deno.remove(main);
  }
}

function assertFlat(
  r: Awaited<ReturnType<typeof cycles>>,
  n: number,
  what: string,
) {
  const { before, after } = r;
  if (Deno.env.get("WORKERS_VERBOSE")) console.log(what, JSON.stringify(r));
  assert.ok(
    after.threads <= before.threads + 2,
    `${what}: threads ${before.threads} -> ${after.threads}`,
  );
  // Only the IOLoop's own wake fd (an eventfd the loop opens with libc) may be left per
  // terminated Worker until the loop records it with ffi's closeWithThread(); every zmq fd
  // (sockets, mailboxes, epoll) must be released.
  const other = (c: typeof before) => c.fds - c.eventfds;
  assert.ok(
    other(after) <= other(before) + 3,
    `${what}: non-eventfd fds ${other(before)} -> ${other(after)}`,
  );
  assert.ok(
    after.eventfds <= before.eventfds + n + 3,
    `${what}: eventfds ${before.eventfds} -> ${after.eventfds}`,
  );
}

Deno.test("Worker.terminate() of Workers parked with sockets, streams, timers and a proxy: alive, flat threads and fds", async (t) => {
  const N = 30;
  await t.step("libzmq loaded only in the Workers", async () => {
    assertFlat(await cycles(false, "terminate", N), N, "Workers only");
  });
  await t.step("libzmq loaded in the main thread too", async () => {
    assertFlat(await cycles(true, "terminate", N), N, "main and Workers");
  });
});

Deno.test("A Worker that closes its sockets and ends normally leaves nothing behind", async () => {
  const { before, mid, after } = await cycles(true, "return", 10, true);
  const seen = `${before.fds} -> ${mid.fds} -> ${after.fds}`;
  assert.ok(
    after.threads <= before.threads + 2,
    `threads ${before.threads} -> ${mid.threads} -> ${after.threads}`,
  );
  // Deno opens a few fds of its own once, lazily, at some point of the first
  // cycles (a unix socket pair, an eventfd and an epoll set were seen): allow
  // those once, but the second 10 cycles must leave nothing (a leak of one
  // fd a Worker would show 10).
  assert.ok(after.fds <= before.fds + 6, `fds ${seen}`);
  assert.ok(after.fds <= mid.fds + 2, `fds ${seen}`);
});

// ---- ThreadAuthenticator ----

const SECURITY = [
  "ironhouse",
  "stonehouse",
  "strawhouse",
  "woodhouse",
] as const;

for (const name of SECURITY) {
  Deno.test(`examples/security/${name}.ts runs PyZMQ's example with blocking calls and refuses the bad client`, async () => {
    const path =
      new URL(`../examples/security/${name}.ts`, import.meta.url).pathname;
    const r = await runDeno(
      [
        "run",
        "--allow-ffi",
        "--allow-env",
        "--allow-read",
        "--allow-write",
        path,
      ],
      { timeoutMs: 30_000 },
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const title = name[0]!.toUpperCase() + name.slice(1);
    assert.match(r.stdout, new RegExp(`\\[INFO\\] ${title} test OK`));
    // the refusal itself, from the server's monitor (EVENT_HANDSHAKE_FAILED_AUTH, ZAP status 400)
    assert.match(
      r.stdout,
      new RegExp(`\\[INFO\\] ${title} refused .* \\(ZAP 400\\)`),
    );
    assert.doesNotMatch(r.stdout, /ERROR|FAIL/);
  });
}

/** A PLAIN client/server pair; resolves with the server's first handshake outcome. */
function plainHandshake(
  ctx: Context,
  user: string,
  password: string,
): "accepted" | "refused" {
  const server = ctx.socket(PUSH);
  server.setsockopt(PLAIN_SERVER, 1);
  const port = server.bindToRandomPort("tcp://127.0.0.1");
  const monitor = server.getMonitorSocket(
    EVENT_HANDSHAKE_SUCCEEDED | EVENT_HANDSHAKE_FAILED_AUTH,
  );
  const client = ctx.socket(PULL);
  client.setsockopt(PLAIN_USERNAME, user);
  client.setsockopt(PLAIN_PASSWORD, password);
  client.connect(`tcp://127.0.0.1:${port}`);
  try {
    assert.ok(monitor.poll(10_000), "a handshake outcome within 10 s");
    const { event } = parseMonitorMessage(monitor.recvMultipart());
    return event === EVENT_HANDSHAKE_SUCCEEDED ? "accepted" : "refused";
  } finally {
    server.disableMonitor();
    for (const s of [monitor, client, server]) s.close(0);
  }
}

Deno.test("ThreadAuthenticator applies a configuration change to the next handshake", async () => {
  const ctx = new Context();
  try {
    await using auth = new ThreadAuthenticator(ctx);
    await auth.start();
    assert.equal(auth.running, true);
    auth.configurePlain("*", { admin: "secret" });
    assert.equal(plainHandshake(ctx, "admin", "secret"), "accepted");
    assert.equal(plainHandshake(ctx, "admin", "other"), "refused");
    auth.configurePlain("*", { admin: "other" }); // no wait: the very next handshake sees it
    assert.equal(plainHandshake(ctx, "admin", "other"), "accepted");
    assert.equal(plainHandshake(ctx, "admin", "secret"), "refused");
    auth.deny("127.0.0.1");
    assert.equal(plainHandshake(ctx, "admin", "other"), "refused");
  } finally {
    ctx.destroy(0);
  }
});

Deno.test("ThreadAuthenticator start/stop: EADDRINUSE, EBUSY on term, abort, restart", async (t) => {
  const ctx = new Context();
  await t.step("a second one on the same context is refused", async () => {
    await using first = new ThreadAuthenticator(ctx);
    await first.start();
    const second = new ThreadAuthenticator(ctx);
    await assert.rejects(() => second.start(), (e: unknown) => {
      assert.ok(e instanceof ZMQError);
      assert.equal(e.code, "EADDRINUSE");
      return true;
    });
    assert.equal(second.running, false);
  });
  await t.step(
    "term() refuses while it runs; stop() releases every socket",
    async () => {
      const auth = new ThreadAuthenticator(ctx);
      await auth.start();
      assert.throws(
        () => ctx.term(),
        (e: unknown) => e instanceof ZMQError && e.code === "EBUSY",
      );
      await auth.stop();
      await auth.stop(); // idempotent
      assert.equal(auth.running, false);
      assert.equal(ctx.sockets.length, 0);
      await auth.start(); // restart at once: the ZAP endpoint is free again
      await auth.stop();
    },
  );
  await t.step(
    "start({ signal }) rejects with the reason and leaves nothing",
    async () => {
      const auth = new ThreadAuthenticator(ctx);
      const aborted = new AbortController();
      aborted.abort(new Error("not now"));
      await assert.rejects(
        () => auth.start({ signal: aborted.signal }),
        /not now/,
      );
      const later = new AbortController();
      const starting = auth.start({ signal: later.signal });
      later.abort(new Error("changed my mind"));
      await assert.rejects(() => starting, /changed my mind/);
      assert.equal(auth.running, false);
      assert.equal(ctx.sockets.length, 0);
    },
  );
  await t.step(
    "aborting start() at any moment leaves the context terminable",
    async () => {
      const other = new Context();
      for (let i = 0; i < 12; i++) {
        const auth = new ThreadAuthenticator(other);
        const ac = new AbortController();
        const starting = auth.start({ signal: ac.signal });
        setTimeout(() => ac.abort(new Error("late")), i * 4);
        await starting.catch(() => {});
        await auth.stop();
      }
      // Workers given up on stop by themselves (within their 250 ms wake) and are reaped.
      const deadline = Date.now() + 10_000;
      for (;;) {
        try {
          other.term();
          break;
        } catch (error) {
          if (
            !(error instanceof ZMQError) || error.code !== "EBUSY" ||
            Date.now() > deadline
          ) throw error;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    },
  );
  await t.step("bad configuration throws on the calling thread", () => {
    const auth = new ThreadAuthenticator(ctx);
    assert.throws(
      () => auth.configureCurve("*", "/no/such/folder"),
      CertificateError,
    );
    assert.throws(() => auth.configureCurve("*", ["short"]), RangeError);
    auth.allow("127.0.0.1");
    assert.throws(
      () => auth.deny("10.0.0.1"),
      (e: unknown) => e instanceof ZMQError && e.code === "EINVAL",
    );
  });
  ctx.term();
});

Deno.test("examples/mtserver.ts: ROUTER tcp, proxy, DEALER inproc, REP Workers on the shared context", async () => {
  const path = new URL("../examples/mtserver.ts", import.meta.url).pathname;
  const r = await runDeno(
    [
      "run",
      "--allow-ffi",
      "--allow-env",
      "--allow-read",
      path,
      "tcp://127.0.0.1:*",
      "30",
      "3",
    ],
    { timeoutMs: 30_000 },
  );
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^30 replies from 3 of 3 workers$/m);
  const counts = [...r.stdout.matchAll(/^(\d+) x World from worker-(\d)$/gm)];
  assert.equal(counts.reduce((sum, m) => sum + Number(m[1]), 0), 30);
});

Deno.test("A context whose owning Worker was terminated is shut down, then terminated once its shadows close", async () => {
  const w = await worker(`
    import { Context } from "${MOD_URL}";
    const ctx = new Context();
    self.postMessage(ctx.underlying);
  `);
  let address: bigint, shadow: Context, pull: Socket;
  try {
    address = await nextMessage<bigint>(w);
    shadow = Context.shadow(address);
    pull = shadow.socket(PULL);
    pull.bind("inproc://orphaned");
  } finally {
    await w[Symbol.asyncDispose]();
  }
  // Wait (bounded) until a reap has seen the owner's thread gone: the shadow's socket then fails.
  const deadline = Date.now() + 5_000;
  for (;;) {
    new Context().term(); // any new context reaps
    try {
      pull.poll(0);
    } catch (error) {
      assert.ok(error instanceof ContextTerminated, String(error));
      break;
    }
    if (Date.now() > deadline) {
      throw new Error("The orphaned context was never shut down");
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  pull.close(); // (close(0) would throw: libzmq refuses options once the context is shut down)
  shadow.term();
  new Context().term();
  assert.throws(() => Context.shadow(address), /Context was terminated/);
});
