import assert from "node:assert/strict";
import {
  Context,
  EVENT_CONNECTED,
  EVENT_DISCONNECTED,
  EVENT_HANDSHAKE_SUCCEEDED,
  IOLoop,
  monitorEvents,
  type NamedMonitorEvent,
  PULL,
  PUSH,
} from "../mod.ts";
import { runLoop } from "./_helpers.ts";

/** Every wait of these tests: connecting on loopback takes milliseconds. */
const BOUND_MS = 5000;

Deno.test("monitorEvents: connect, handshake, disconnect; disableMonitor ends it", async () => {
  using ctx = new Context();
  const loop = new IOLoop();
  const server = ctx.socket(PULL);
  const port = server.bindToRandomPort("tcp://127.0.0.1");
  const client = ctx.socket(PUSH);
  const seen: NamedMonitorEvent[] = [];
  try {
    await runLoop(loop, async () => {
      const events = monitorEvents(client, { ioLoop: loop });
      client.connect(`tcp://127.0.0.1:${port}`);
      for await (const e of events) {
        seen.push(e);
        if (e.event === EVENT_HANDSHAKE_SUCCEEDED) server.close(0);
        if (e.event === EVENT_DISCONNECTED) client.disableMonitor();
      }
    }, BOUND_MS);
  } finally {
    client.close(0);
    loop.close();
  }
  const names = seen.map((e) => e.name);
  const order = ["CONNECTED", "HANDSHAKE_SUCCEEDED", "DISCONNECTED"];
  assert.deepEqual(names.filter((n) => order.includes(n)), order, names.join());
  const connected = seen.find((e) => e.event === EVENT_CONNECTED)!;
  assert.equal(connected.endpoint, `tcp://127.0.0.1:${port}`);
});

Deno.test("monitorEvents: break stops the monitor; closing the socket ends the iteration", async () => {
  using ctx = new Context();
  const loop = new IOLoop();
  const server = ctx.socket(PULL);
  const port = server.bindToRandomPort("tcp://127.0.0.1");
  const client = ctx.socket(PUSH);
  let first: NamedMonitorEvent | undefined;
  const afterClose: string[] = [];
  try {
    await runLoop(loop, async () => {
      const events = monitorEvents(client, { ioLoop: loop });
      client.connect(`tcp://127.0.0.1:${port}`);
      for await (const e of events) {
        first = e;
        break; // disables the monitor and closes its PAIR socket
      }
      // The monitor stopped: a new one on the same socket can start (a
      // running one would make this throw).
      monitorEvents(client, { ioLoop: loop })[Symbol.dispose]();
      // Closing the socket ends an iteration by itself.
      const again = monitorEvents(server, { ioLoop: loop });
      server.close(0);
      for await (const e of again) afterClose.push(e.name);
    }, BOUND_MS);
  } finally {
    client.close(0);
    loop.close();
  }
  assert.ok(first, "an event arrived before the break");
  assert.equal(first.endpoint, `tcp://127.0.0.1:${port}`);
  // What the closed server reports before MONITOR_STOPPED ends the iteration.
  assert.ok(afterClose.includes("CLOSED"), afterClose.join());
});
