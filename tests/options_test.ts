import assert from "node:assert/strict";
import {
  AFFINITY,
  Context,
  EINVAL,
  LAST_ENDPOINT,
  LINGER,
  optionProperty,
  PUB,
  ROUTING_ID,
  SNDHWM,
  Socket,
  SOCKET_OPTIONS,
  SUB,
  type ZMQError,
} from "../mod.ts";

Deno.test("getsockopt is typed by the option table", () => {
  using ctx = new Context();
  const s = ctx.socket(PUB);
  s.bind("inproc://typed-options");
  // These lines compile only with the right types (deno check runs first).
  const endpoint: string = s.getsockopt(LAST_ENDPOINT);
  const linger: number = s.getsockopt(LINGER);
  const affinity: number | bigint = s.getsockopt(AFFINITY);
  const id: Uint8Array = s.getsockopt(ROUTING_ID);
  assert.equal(endpoint, "inproc://typed-options");
  assert.equal(linger, 1000);
  assert.equal(affinity, 0);
  assert.ok(id instanceof Uint8Array);
  const anyOption: number = SNDHWM as number;
  const loose = s.getsockopt(anyOption); // a plain number: the union
  assert.equal(loose, 1000);
});

Deno.test("options are typed properties of Socket", async (t) => {
  using ctx = new Context();
  const s = ctx.socket(SUB);
  await t.step("read and write through the table", () => {
    s.linger = 0;
    assert.equal(s.getsockopt(LINGER), 0);
    assert.equal(s.linger, 0);
    s.sndhwm = 42;
    assert.equal(s.sndhwm, 42);
    s.routingId = new TextEncoder().encode("me");
    assert.equal(new TextDecoder().decode(s.routingId), "me");
    s.bind("inproc://option-properties");
    assert.equal(s.lastEndpoint, "inproc://option-properties");
    assert.equal(s.curveServer, 0);
    s.heartbeatIvl = 250;
    assert.equal(s.heartbeatIvl, 250);
  });
  await t.step("bad values and access are refused, the old value kept", () => {
    assert.throws(() => s.linger = "x" as unknown as number, TypeError);
    assert.throws(() => s.linger = 2 ** 31, RangeError);
    assert.equal(s.linger, 0);
    assert.throws(
      () => (s as unknown as { lastEndpoint: string }).lastEndpoint = "x",
      (e: ZMQError) => e.errno === EINVAL && /read-only/.test(e.message),
    );
    assert.throws(
      () => s.xpubNodrop,
      (e: ZMQError) => e.errno === EINVAL && /write-only/.test(e.message),
    );
  });
  await t.step("every option is a property or has a member of its own", () => {
    for (const spec of SOCKET_OPTIONS.values()) {
      const name = optionProperty(spec.name);
      assert.ok(name in Socket.prototype, `${spec.name} -> ${name}`);
    }
    assert.equal(optionProperty("TCP_KEEPALIVE_CNT"), "tcpKeepaliveCnt");
  });
  s.close();
});
