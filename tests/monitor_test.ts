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

Deno.test("monitorEvents: connect, handshake, disconnect; disableMonitor ends it", async () => {
  using ctx = new Context();
  const loop = new IOLoop();
  const server = ctx.socket(PULL);
  const port = server.bindToRandomPort("tcp://127.0.0.1");
  const client = ctx.socket(PUSH);
  const seen: NamedMonitorEvent[] = [];
  const timer = setTimeout(() => loop.stop(), 5000);
  const watching = (async () => {
    for await (const e of monitorEvents(client, { ioLoop: loop })) {
      seen.push(e);
      if (e.event === EVENT_HANDSHAKE_SUCCEEDED) server.close(0);
      if (e.event === EVENT_DISCONNECTED) client.disableMonitor();
    }
    loop.stop();
  })();
  client.connect(`tcp://127.0.0.1:${port}`);
  await loop.start();
  await watching;
  clearTimeout(timer);
  const names = seen.map((e) => e.name);
  const order = ["CONNECTED", "HANDSHAKE_SUCCEEDED", "DISCONNECTED"];
  assert.deepEqual(names.filter((n) => order.includes(n)), order, names.join());
  const connected = seen.find((e) => e.event === EVENT_CONNECTED)!;
  assert.equal(connected.endpoint, `tcp://127.0.0.1:${port}`);
  client.close(0);
  loop.close();
});

Deno.test("monitorEvents: break stops the monitor; closing the socket ends the iteration", async () => {
  using ctx = new Context();
  const loop = new IOLoop();
  const server = ctx.socket(PULL);
  const port = server.bindToRandomPort("tcp://127.0.0.1");
  const client = ctx.socket(PUSH);
  const timer = setTimeout(() => loop.stop(), 5000);
  let first = "";
  let ended = false;
  const watching = (async () => {
    for await (const e of monitorEvents(client, { ioLoop: loop })) {
      first = e.name;
      break; // disables the monitor and closes its PAIR socket
    }
    // A new monitor can start after the first stopped; closing the socket ends it.
    const again = monitorEvents(server, { ioLoop: loop });
    server.close(0);
    for await (const _ of again) {
      // CLOSED etc. may arrive before MONITOR_STOPPED
    }
    ended = true;
    loop.stop();
  })();
  client.connect(`tcp://127.0.0.1:${port}`);
  await loop.start();
  await watching;
  clearTimeout(timer);
  assert.notEqual(first, "");
  assert.ok(ended);
  client.close(0);
  loop.close();
});
