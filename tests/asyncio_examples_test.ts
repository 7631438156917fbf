/**
 * The ports of PyZMQ's examples/asyncio (examples/asyncio/*.ts) run to the
 * end: each completes its exchange, prints `closed` and exits 0 within a
 * bounded time; a bad count exits 1 with one line; Ctrl-C exits 0.
 */

import assert from "node:assert/strict";
import { runDeno } from "./_helpers.ts";

const example = (name: string) =>
  new URL(`../examples/asyncio/${name}`, import.meta.url).pathname;

const run = (name: string, ...args: string[]) =>
  runDeno(["run", "--allow-ffi", "--allow-env", example(name), ...args], {
    timeoutMs: 20_000,
  });

const count = (text: string, pattern: RegExp) =>
  text.match(new RegExp(pattern, "g"))?.length ?? 0;

Deno.test("examples/asyncio/coroutines.ts: a poller-driven receiver gets every send", async () => {
  const r = await run("coroutines.ts", "tcp://127.0.0.1:*", "4");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(count(r.stdout, /coroutines: received \d+\.\d+\n/), 4);
  assert.equal(count(r.stdout, /coroutines: sending\n/), 4);
  assert.match(r.stdout, /coroutines: \.\n/); // the idle task ran meanwhile
  assert.match(r.stdout, /exchanged 4 messages\ncoroutines: closed\n$/);
});

Deno.test("examples/asyncio/router_router.ts: both ROUTER clients get each reply", async () => {
  const r = await run("router_router.ts", "inproc://router-router", "3");
  assert.equal(r.code, 0, r.stderr);
  for (const name of ["romeo", "sierra"]) {
    assert.equal(
      count(
        r.stdout,
        new RegExp(`server received \\["${name}","","cheers"\\]`),
      ),
      3,
    );
    assert.equal(
      count(
        r.stdout,
        new RegExp(`${name} received \\["server","","whatup"\\]`),
      ),
      3,
    );
  }
  assert.match(r.stdout, /6 round trips\nrouter_router: closed\n$/);
});

Deno.test("examples/asyncio/router_router.ts: also over tcp", async () => {
  const r = await run("router_router.ts", "tcp://127.0.0.1:*", "2");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /4 round trips\nrouter_router: closed\n$/);
});

Deno.test("examples/asyncio/helloworld_pubsub_dealerrouter.ts: the dealer's command switches the published language", async () => {
  const r = await run(
    "helloworld_pubsub_dealerrouter.ts",
    "tcp://127.0.0.1:*",
    "5",
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /world sub; topic: world\tmessage: Hello World/);
  assert.match(r.stdout, /message: Change that language!/);
  assert.match(r.stdout, /New language is: jap/);
  assert.match(r.stdout, /world sub; topic: world\tmessage: Hello Sekai/);
  // Sekai only after the first change
  assert.ok(
    r.stdout.indexOf("message: Hello Sekai") >
      r.stdout.indexOf("New language is: jap"),
  );
  const received = Number(r.stdout.match(/received (\d+) messages/)?.[1]);
  assert.ok(received >= 5, r.stdout);
  assert.equal(count(r.stdout, /world sub; topic/), received);
  assert.match(r.stdout, /helloworld: closed\n$/);
});

Deno.test("examples/asyncio/tornado_asyncio.ts: awaited sends and receives beside a PeriodicCallback", async () => {
  const r = await run("tornado_asyncio.ts", "tcp://127.0.0.1:*", "3");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(count(r.stdout, /tornado: Hello \(ticks so far: \d+\)/), 3);
  const ticks = Number(r.stdout.match(/pulled 3 greetings, (\d+) ticks/)?.[1]);
  assert.ok(ticks > 0, r.stdout);
  assert.match(r.stdout, /tornado: closed\n$/);
});

Deno.test("examples/asyncio: a bad count or endpoint exits 1 with one line", async () => {
  const bad = await run("coroutines.ts", "tcp://127.0.0.1:*", "-2");
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^coroutines: Cannot parse the count: .*"-2"\n$/);
  const endpoint = await run("router_router.ts", "nope://x", "1");
  assert.equal(endpoint.code, 1);
  assert.match(endpoint.stderr, /^router_router: .*nope:\/\/x/);
  assert.equal(endpoint.stderr.trim().split("\n").length, 1, endpoint.stderr);
});

Deno.test("examples/asyncio: Ctrl-C ends an endless run with exit 0 (3 runs of each, 12 in all)", async () => {
  for (
    const name of [
      "coroutines.ts",
      "helloworld_pubsub_dealerrouter.ts",
      "router_router.ts",
      "tornado_asyncio.ts",
    ]
  ) {
    for (let i = 0; i < 3; i++) {
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-ffi",
          "--allow-env",
          example(name),
          "tcp://127.0.0.1:*",
          "0",
        ],
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).spawn();
      const kill = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const reader = child.stdout.pipeThrough(new TextDecoderStream())
        .getReader();
      let out = "";
      // wait until the exchange is under way
      while (!/(received|world sub;|Hello)/.test(out)) {
        const { value, done } = await reader.read();
        if (done) break;
        out += value;
      }
      child.kill("SIGINT");
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        out += value;
      }
      const status = await child.status;
      clearTimeout(kill);
      const err = await new Response(child.stderr).text();
      assert.equal(status.code, 0, `${name} run ${i}: ${err}`);
      assert.match(out, /: closed\n$/, `${name} run ${i}`);
    }
  }
});
