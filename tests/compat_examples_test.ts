/**
 * The zeromq.js programs in examples/zeromqjs/ run on Deno unchanged: they
 * import "zeromq", which deno.json maps to compat/zeromq.ts.
 */

import assert from "node:assert/strict";
import { runDeno } from "./_helpers.ts";

const ROOT = new URL("..", import.meta.url).pathname;

async function run(name: string, ...args: string[]): Promise<string> {
  const r = await runDeno(
    ["run", "--allow-ffi", "--allow-env", `examples/zeromqjs/${name}`, ...args],
    { cwd: ROOT, timeoutMs: 30_000 },
  );
  assert.equal(r.code, 0, `${name} failed: ${r.stderr}`);
  return r.stdout;
}

const lines = (out: string) => out.trim().split("\n");

Deno.test("examples/zeromqjs/push_pull.ts: a producer feeds a worker", async () => {
  const out = await run("push_pull.ts", "4");
  assert.deepEqual(lines(out), [
    "Producer bound",
    "Worker connected",
    "work: some work 0",
    "work: some work 1",
    "work: some work 2",
    "work: some work 3",
  ]);
});

Deno.test("examples/zeromqjs/pub_sub.ts: the subscriber gets its topic only", async () => {
  const out = lines(await run("pub_sub.ts", "3"));
  assert.deepEqual(out.slice(0, 2), [
    "Publisher bound",
    "Subscriber connected",
  ]);
  assert.deepEqual(
    out.slice(2),
    Array(3).fill(
      "received a message related to: kitty cats containing message: meow!",
    ),
  );
});

Deno.test("examples/zeromqjs/req_rep.ts: each request gets its reply", async () => {
  assert.deepEqual(lines(await run("req_rep.ts", "3")), [
    "Client connected",
    "1 * 2 = 2",
    "2 * 2 = 4",
    "3 * 2 = 6",
  ]);
});

Deno.test("examples/zeromqjs/queue.ts: queued messages arrive in order", async () => {
  assert.deepEqual(lines(await run("queue.ts")), [
    "queued 3 messages",
    "received: hello",
    "received: queued",
    "received: world",
  ]);
});

Deno.test("examples/zeromqjs/events.ts: listeners and for await see the events", async () => {
  // events arrive asynchronously: their order against the replies varies
  const out = lines(await run("events.ts")).sort();
  assert.deepEqual(out, [
    "client: connected",
    "client: got ping",
    "client: handshake done",
    "client: observer ended",
    "server: accepted a peer",
    "server: bound to tcp://127.0.0.1:PORT",
  ]);
});

Deno.test("examples/zeromqjs/majordomo.ts: a broker routes to service workers", async () => {
  const out = lines(await run("majordomo.ts"));
  assert.equal(out.length, 3, out.join("\n"));
  assert.match(out[0]!, /^oolong: oolong \(by tea-[12]\)$/);
  assert.equal(out[1], "cola: cola (by soda-1)");
  assert.equal(out[2], "teas: sencha, darjeeling");
});
