/**
 * Interop with real PyZMQ peers (Debian's python3-zmq on /usr/bin/python3).
 * Skipped, with the reason shown, when pyzmq is missing; `deno task test`
 * installs it when run as root.
 */

import assert from "node:assert/strict";
import {
  Context,
  createCertificates,
  CURVE_SECRETKEY,
  CURVE_SERVER,
  curveKeypair,
  IOLoop,
  loadCertificate,
  PULL,
  REP,
  REQ,
  ROUTER,
  SUB,
  ZMQStream,
} from "../mod.ts";
import { hasPyzmq, pyzmq } from "./_pyzmq.ts";
import { runLoop } from "./_helpers.ts";

const ignore = !hasPyzmq;
const name = (what: string) =>
  ignore ? `${what} (skipped: pyzmq missing for /usr/bin/python3)` : what;
const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

/** A context, a loop and a bound on the whole test, all released at the end. */
function harness(timeoutMs = 20_000) {
  const context = new Context();
  const loop = new IOLoop();
  return {
    context,
    loop,
    /** Runs the loop until `work` settles or `loop.stop()` (see runLoop). */
    run<T>(work?: () => Promise<T>): Promise<T | undefined> {
      return runLoop(loop, work, timeoutMs);
    },
    [Symbol.dispose]() {
      loop.close();
      context.destroy(0);
    },
  };
}

Deno.test({
  name: name("interop: zmqloop REQ stream <-> PyZMQ REP"),
  ignore,
  async fn() {
    await using peer = await pyzmq("rep", "tcp://127.0.0.1:*");
    using h = harness();
    const req = new ZMQStream(h.context.socket(REQ), h.loop);
    req.connect(peer.endpoint);
    let i = 0;
    req.onRecv((reply) => {
      assert.deepEqual(reply.map(text), ["py", "hello", String(i)]);
      if (++i === 200) h.loop.stop();
      else req.sendMultipart(["hello", String(i)]);
    });
    req.sendMultipart(["hello", "0"]);
    await h.run();
    assert.equal(i, 200);
    req.close();
  },
});

Deno.test({
  name: name("interop: PyZMQ REQ <-> zmqloop REP stream"),
  ignore,
  async fn() {
    using h = harness();
    const rep = new ZMQStream(h.context.socket(REP), h.loop);
    const port = rep.socket.bindToRandomPort("tcp://127.0.0.1");
    rep.onRecv((msg) => rep.sendMultipart(["js", ...msg]));
    await using peer = await pyzmq("req", `tcp://127.0.0.1:${port}`, 200);
    const result = await h.run(() => peer.next());
    assert.deepEqual(result, { done: 200 });
    rep.close();
  },
});

Deno.test({
  name: name("interop: PyZMQ PUB -> zmqloop SUB stream with topic filters"),
  ignore,
  async fn() {
    await using peer = await pyzmq("pub", "tcp://127.0.0.1:*");
    using h = harness();
    const socket = h.context.socket(SUB);
    socket.subscribe("weather.");
    socket.subscribe("sports.");
    socket.connect(peer.endpoint);
    const sub = new ZMQStream(socket, h.loop);
    const seen: string[] = [];
    sub.onRecv(([topic, body]) => {
      seen.push(text(topic));
      assert.equal(text(body), "body");
      if (seen.length === 40) h.loop.stop();
    });
    await h.run();
    assert.ok(
      seen.every((t) => /^(weather|sports)\.\d+$/.test(t)),
      seen.join(),
    );
    assert.ok(seen.some((t) => t.startsWith("weather.")));
    assert.ok(seen.some((t) => t.startsWith("sports.")));
    sub.close();
  },
});

Deno.test({
  name: name(
    "interop: zmqloop ROUTER stream <-> PyZMQ DEALER, identities and multipart",
  ),
  ignore,
  async fn() {
    using h = harness();
    const router = new ZMQStream(h.context.socket(ROUTER), h.loop);
    const port = router.socket.bindToRandomPort("tcp://127.0.0.1");
    const identities = new Set<string>();
    router.onRecv(([id, ...rest]) => {
      identities.add(text(id));
      // rest: ["", "part-a", i, ""]: empty frames survive both ways
      assert.equal(rest.length, 4);
      router.sendMultipart([id!, "", "ack", id!, ...rest.slice(1)]);
    });
    await using peer = await pyzmq("dealer", `tcp://127.0.0.1:${port}`, 50);
    const result = await h.run(() => peer.next());
    assert.deepEqual(result, { done: 50, ok: true });
    assert.deepEqual([...identities], ["py-dealer"]);
    router.close();
  },
});

/** What the PyZMQ pusher sends as message `i`. */
function payload(i: number): Uint8Array {
  const head = new TextEncoder().encode(`${i}:`);
  const out = new Uint8Array(head.length + (i % 64));
  out.set(head);
  for (let k = 0; k < i % 64; k++) out[head.length + k] = (i * 7 + k) % 256;
  return out;
}

Deno.test({
  name: name(
    "interop: PyZMQ PUSH -> zmqloop PULL stream, 100k messages checked",
  ),
  ignore,
  async fn() {
    const N = 100_000;
    using h = harness(60_000);
    const pull = new ZMQStream(h.context.socket(PULL), h.loop);
    const port = pull.socket.bindToRandomPort("tcp://127.0.0.1");
    let i = 0;
    let bad = -1;
    pull.onRecv(([msg]) => {
      if (bad < 0 && !equal(msg!, payload(i))) bad = i;
      if (++i === N) h.loop.stop();
    });
    await using _peer = await pyzmq("push", `tcp://127.0.0.1:${port}`, N);
    await h.run();
    assert.equal(bad, -1, `message ${bad} differs`);
    assert.equal(i, N);
    pull.close();
  },
});

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

Deno.test({
  name: name(
    "interop: CURVE between a zmqloop REP server and a PyZMQ client, keys made by zmqloop",
  ),
  ignore,
  async fn() {
    const [serverPublic, serverSecret] = curveKeypair();
    const [clientPublic, clientSecret] = curveKeypair();
    using h = harness();
    const socket = h.context.socket(REP);
    socket.setsockopt(CURVE_SERVER, 1);
    socket.setsockopt(CURVE_SECRETKEY, serverSecret);
    const port = socket.bindToRandomPort("tcp://127.0.0.1");
    const rep = new ZMQStream(socket, h.loop);
    rep.onRecv(([msg]) => rep.send(`js ${text(msg)}`));
    await using peer = await pyzmq(
      "curve-req",
      `tcp://127.0.0.1:${port}`,
      serverPublic,
      clientPublic,
      clientSecret,
      20,
    );
    const result = await h.run(() => peer.next());
    assert.deepEqual(result, { done: 20, z85_public_ok: true });
    rep.close();
  },
});

Deno.test({
  name: name("interop: a PyZMQ peer killed mid-test does not hang the test"),
  ignore,
  async fn() {
    await using peer = await pyzmq("rep", "tcp://127.0.0.1:*");
    using h = harness();
    const req = new ZMQStream(h.context.socket(REQ), h.loop);
    req.connect(peer.endpoint);
    const exchange = async () => {
      req.sendMultipart(["ping"]);
      const reply = await req.recvMultipart({
        signal: AbortSignal.timeout(500),
      });
      assert.deepEqual(reply.map(text), ["py", "ping"]);
      peer.child.kill("SIGKILL");
      await peer.child.status;
      req.sendMultipart(["lost"]);
      await assert.rejects(
        req.recvMultipart({ signal: AbortSignal.timeout(300) }),
        { name: "TimeoutError" },
      );
    };
    await h.run(exchange);
    req.close();
  },
});

Deno.test({
  name: name(
    "interop: certificates written by zmqloop load in PyZMQ, and the reverse",
  ),
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const [, secretFile] = await createCertificates(dir, "js");
      const ours = await loadCertificate(secretFile);
      await using peer = await pyzmq("certs", "-", dir);
      const r = await peer.next();
      assert.deepEqual(r.loaded, { "js.key_secret": ours });
      const [pyPublic, pySecret] = r.py as [string, string];
      assert.deepEqual(await loadCertificate(`${dir}/py.key_secret`), [
        pyPublic,
        pySecret,
      ]);
      assert.deepEqual(await loadCertificate(`${dir}/py.key`), [
        pyPublic,
        null,
      ]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
