import assert from "node:assert/strict";
import {
  Context,
  EVENT_CONNECTED,
  EVENT_DISCONNECTED,
  EVENT_HANDSHAKE_SUCCEEDED,
  IOLoop,
  monitorEvents,
  type MonitorIterator,
  type NamedMonitorEvent,
  PULL,
  PUSH,
  type Socket,
} from "../mod.ts";
import { runLoop } from "./_helpers.ts";

/** Every wait of these tests: connecting on loopback takes milliseconds. */
const BOUND_MS = 5000;

/** What `watchClient` hands to the test. */
interface Watched {
  loop: IOLoop;
  server: Socket;
  client: Socket;
  endpoint: string;
}

/**
 * Runs `watch` on a loop, bounded, with the monitor of a PUSH client that
 * connects to a PULL server over tcp loopback; releases everything after.
 */
async function watchClient(
  watch: (events: MonitorIterator, w: Watched) => Promise<void>,
): Promise<void> {
  using ctx = new Context();
  const loop = new IOLoop();
  const server = ctx.socket(PULL);
  const port = server.bindToRandomPort("tcp://127.0.0.1");
  const endpoint = `tcp://127.0.0.1:${port}`;
  const client = ctx.socket(PUSH);
  try {
    await runLoop(loop, () => {
      const events = monitorEvents(client, { ioLoop: loop });
      client.connect(endpoint);
      return watch(events, { loop, server, client, endpoint });
    }, BOUND_MS);
  } finally {
    client.close(0);
    loop.close();
  }
}

Deno.test("monitorEvents: connect, handshake, disconnect; disableMonitor ends it", async () => {
  const seen: NamedMonitorEvent[] = [];
  let endpoint = "";
  await watchClient(async (events, w) => {
    endpoint = w.endpoint;
    for await (const e of events) {
      seen.push(e);
      if (e.event === EVENT_HANDSHAKE_SUCCEEDED) w.server.close(0);
      if (e.event === EVENT_DISCONNECTED) w.client.disableMonitor();
    }
  });
  const names = seen.map((e) => e.name);
  const order = ["CONNECTED", "HANDSHAKE_SUCCEEDED", "DISCONNECTED"];
  assert.deepEqual(names.filter((n) => order.includes(n)), order, names.join());
  const connected = seen.find((e) => e.event === EVENT_CONNECTED)!;
  assert.equal(connected.endpoint, endpoint);
});

Deno.test("monitorEvents: break stops the monitor; closing the socket ends the iteration", async () => {
  let first: NamedMonitorEvent | undefined;
  let endpoint = "";
  const afterClose: string[] = [];
  await watchClient(async (events, w) => {
    endpoint = w.endpoint;
    for await (const e of events) {
      first = e;
      break; // disables the monitor and closes its PAIR socket
    }
    // The monitor stopped: a new one on the same socket can start (a
    // running one would make this throw).
    monitorEvents(w.client, { ioLoop: w.loop })[Symbol.dispose]();
    // Closing the socket ends an iteration by itself.
    const again = monitorEvents(w.server, { ioLoop: w.loop });
    w.server.close(0);
    for await (const e of again) afterClose.push(e.name);
  });
  assert.ok(first, "an event arrived before the break");
  assert.equal(first.endpoint, endpoint);
  // What the closed server reports before MONITOR_STOPPED ends the iteration.
  assert.ok(afterClose.includes("CLOSED"), afterClose.join());
});
