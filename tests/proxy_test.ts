import assert from "node:assert/strict";
import {
  Context,
  DEALER,
  IOLoop,
  POLLIN,
  proxy,
  PULL,
  PUSH,
  REP,
  REQ,
  ROUTER,
  SteerableProxy,
  ZMQStream,
} from "../mod.ts";
import { runLoop, until, within } from "./_helpers.ts";

const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

Deno.test("proxy: a ROUTER/DEALER broker between REQ clients and REP workers", async (t) => {
  const ctx = new Context();
  const loop = new IOLoop();
  const frontend = ctx.socket(ROUTER);
  const front = `tcp://127.0.0.1:${
    frontend.bindToRandomPort("tcp://127.0.0.1")
  }`;
  const backend = ctx.socket(DEALER);
  const back = `tcp://127.0.0.1:${backend.bindToRandomPort("tcp://127.0.0.1")}`;
  const capture = ctx.socket(PUSH);
  capture.bind("inproc://capture");
  const captured = new ZMQStream(ctx.socket(PULL), loop);
  captured.connect("inproc://capture");
  // The last part of each captured message (requests and replies carry the
  // ROUTER envelope before it).
  const copies: string[] = [];
  captured.onRecv((msg) => copies.push(text(msg.at(-1))));

  const broker = new SteerableProxy(frontend, backend, capture);

  const workers = [1, 2].map((i) => {
    const w = new ZMQStream(ctx.socket(REP), loop);
    w.connect(back);
    w.onRecv(([req]) => w.sendString(`${text(req)} by worker-${i}`));
    return w;
  });
  const clients = [1, 2, 3].map(() => {
    const c = new ZMQStream(ctx.socket(REQ), loop);
    c.connect(front);
    return c;
  });
  const ask = (c: ZMQStream, what: string, ms = 5000) => {
    c.sendString(what);
    return c.recvMultipart({ signal: AbortSignal.timeout(ms) }).then(
      ([r]) => text(r),
    );
  };
  const during = async <T>(work: () => Promise<T>): Promise<T> =>
    (await runLoop(loop, work, 10_000)) as T;

  try {
    await t.step("requests go through, spread over the workers", async () => {
      const replies = await during(() =>
        Promise.all(
          clients.flatMap((c, i) => [ask(c, `r${i}`)]),
        )
      );
      assert.deepEqual(replies.map((r) => r.split(" by ")[0]), [
        "r0",
        "r1",
        "r2",
      ]);
      const more = await during(async () => {
        const out: string[] = [];
        for (let k = 0; k < 6; k++) out.push(await ask(clients[0]!, `k${k}`));
        return out;
      });
      assert.ok(more.some((r) => r.endsWith("worker-1")), more.join());
      assert.ok(more.some((r) => r.endsWith("worker-2")), more.join());
    });

    await t.step("the sockets belong to the proxy while it runs", () => {
      for (
        const use of [
          () => frontend.send("x"),
          () => backend.recv(),
          () => frontend.close(),
        ]
      ) {
        assert.throws(use, {
          name: "BusyError",
          code: "EBUSY",
          message: /the socket is in use by a running proxy/,
        });
      }
      assert.equal(frontend.closed, false);
      assert.throws(() => new SteerableProxy(frontend, backend), {
        code: "EBUSY",
      });
      assert.throws(() => ctx.destroy(0), {
        code: "EBUSY",
        message:
          /Cannot destroy the context: 4 socket\(s\) in use by a running proxy/, // with its control socket,
      });
    });

    await t.step("pause holds requests, resume releases them", async () => {
      broker.pause();
      const c = clients[1]!;
      c.sendString("held");
      const early = await during(() =>
        c.recvMultipart({ signal: AbortSignal.timeout(200) }).then(
          () => "replied",
          (e) => e.name,
        )
      );
      assert.equal(early, "TimeoutError");
      broker.resume();
      const late = await during(() =>
        c.recvMultipart({ signal: AbortSignal.timeout(5000) })
      );
      assert.match(text(late[0]), /^held by worker-\d$/);
    });

    await t.step("terminate ends it and gives the sockets back", async () => {
      await within(broker.terminate(), 5000, "the proxy to terminate");
      await within(broker.terminate(), 5000, "a second terminate()"); // idempotent
      assert.ok(broker.ended);
      assert.equal(frontend.lentTo, null);
      // 3 + 6 + 1 requests and as many replies, each copied once, and the
      // three control commands (libzmq copies those too). The proxy has
      // ended, so every copy is in the inproc capture pipe already.
      const requests = ["r0", "r1", "r2", "k0", "k1", "k2", "k3", "k4", "k5"];
      const expected = [
        ...[...requests, "held"].flatMap((r) => [r, `${r} by worker-N`]),
        "PAUSE",
        "RESUME",
        "TERMINATE",
      ].sort();
      await during(() => until(() => copies.length >= expected.length));
      assert.equal(captured.flush(POLLIN), 0, "no copy beyond those");
      assert.deepEqual(
        copies.map((c) => c.replace(/worker-\d$/, "worker-N")).sort(),
        expected,
      );
    });
  } finally {
    for (const s of [...clients, ...workers, captured]) s.close(0);
    for (const s of [frontend, backend, capture]) if (!s.lentTo) s.close(0);
    if (!broker.ended) {
      await within(broker.terminate(), 5000, "the proxy to terminate");
    }
    loop.close();
    ctx.destroy(0);
  }
});

Deno.test("proxy(): an AbortSignal ends it; bad input is refused", async () => {
  using ctx = new Context();
  const [a, b] = [ctx.socket(PULL), ctx.socket(PUSH)];
  a.bind("inproc://a");
  b.bind("inproc://b");
  await assert.rejects(proxy(a, b, a), TypeError); // capture = frontend
  await assert.rejects(proxy(a, b, ctx.socket(PULL)), { code: "ENOTSUP" });
  const stop = new AbortController();
  const running = proxy(a, b, null, { signal: stop.signal });
  assert.equal(a.lentTo, "a running proxy");
  stop.abort();
  await within(running, 5000, "the aborted proxy to end");
  assert.equal(a.lentTo, null);
  // An already-aborted signal: refused with its reason, nothing lent.
  await assert.rejects(
    proxy(a, b, null, { signal: AbortSignal.abort(new Error("too late")) }),
    /too late/,
  );
  assert.equal(a.lentTo, null);
  b.close();
  await assert.rejects(proxy(a, b), { code: "ENOTSOCK" });
  a.close();
});
