import assert from "node:assert/strict";
import { Context, RCVTIMEO, REQ } from "../mod.ts";
import { runDeno } from "./_helpers.ts";

const example = (name: string) =>
  new URL(`../examples/${name}`, import.meta.url).pathname;

Deno.test("examples/demo.ts prints the echoed exchange", async () => {
  const r = await runDeno([
    "run",
    "--allow-ffi",
    "--allow-env",
    example("demo.ts"),
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /sent "hello", echoed "hello"/);
  assert.match(r.stdout, /sent "on Deno", echoed "on Deno"/);
});

Deno.test("examples/echo.ts echoes, and exits 0 on SIGINT", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-ffi",
      "--allow-env",
      example("echo.ts"),
      "tcp://127.0.0.1:*",
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  const deadline = setTimeout(() => child.kill("SIGKILL"), 15_000);
  while (!/serving on (\S+)/.test(out)) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  const endpoint = out.match(/serving on (\S+)/)![1]!;
  const ctx = new Context();
  const req = ctx.socket(REQ);
  req.setsockopt(RCVTIMEO, 5000);
  req.connect(endpoint);
  req.sendMultipart(["a", "b"]);
  assert.deepEqual(
    req.recvMultipart().map((p) => new TextDecoder().decode(p)),
    ["a", "b"],
  );
  ctx.destroy(0);
  child.kill("SIGINT");
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  const status = await child.status;
  clearTimeout(deadline);
  await child.stderr.cancel();
  assert.equal(status.code, 0);
  assert.match(out, /echo: closed/);
});

Deno.test("examples/echo.ts with a bad endpoint prints one line and exits non-zero", async () => {
  const r = await runDeno([
    "run",
    "--allow-ffi",
    "--allow-env",
    example("echo.ts"),
    "bogus://x",
  ]);
  assert.notEqual(r.code, 0);
  assert.equal(r.stderr.trim().split("\n").length, 1);
  assert.match(r.stderr, /echo: Cannot bind to "bogus:\/\/x"/);
});

/** The pattern examples: what a run with the default count must print. */
const patterns: Record<string, RegExp[]> = {
  hello: [/client received reply 5: World/, /server received Hello/],
  pubsub: [
    /weather\. subscriber got weather\.paris #\d+/,
    /sports\. subscriber got sports\.tennis #\d+/,
  ],
  pipeline: [/all 30 tasks done \(worker-1=\d+ worker-2=\d+ worker-3=\d+\)/],
  broker: [/request \d+ from client-\d handled by worker-\d/, /12 replies/],
  heartbeat: [/pong #1 \(peer alive\)/, /peer lost: 3 heartbeats missed/],
  iterate: [/got item 5/, /iterated over 5 messages/],
  secure_pubsub: [/trusted received 3 encrypted updates/],
  proxy_broker: [
    /pausing the proxy/,
    /resuming/,
    /10 replies through the proxy/,
  ],
};

/** Flags beyond --allow-ffi --allow-env (certificates are files). */
const extraFlags: Record<string, string[]> = {
  secure_pubsub: ["--allow-read", "--allow-write"],
};
const flags = (name: string) => [
  "--allow-ffi",
  "--allow-env",
  ...(extraFlags[name] ?? []),
];

/** Spawns an example; resolves once its stdout matches `until`. */
async function spawnUntil(name: string, args: string[], until: RegExp) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags(name), example(`${name}.ts`), ...args],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).spawn();
  const deadline = setTimeout(() => child.kill("SIGKILL"), 15_000);
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!until.test(out)) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  return {
    child,
    /** Reads the rest of stdout, then the exit status. */
    async finish() {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        out += value;
      }
      const stderr = await new Response(child.stderr).text();
      const status = await child.status;
      clearTimeout(deadline);
      return { out, stderr, code: status.code };
    },
  };
}

for (const [name, expected] of Object.entries(patterns)) {
  Deno.test(`examples/${name}.ts`, async (t) => {
    await t.step("runs its exchange and exits 0 by itself", async () => {
      const r = await runDeno(["run", ...flags(name), example(`${name}.ts`)]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, "");
      for (const re of expected) assert.match(r.stdout, re);
      assert.match(r.stdout, new RegExp(`${name}: closed\\n$`));
      if (name === "pubsub") assert.doesNotMatch(r.stdout, /news/);
      if (name === "secure_pubsub") {
        assert.doesNotMatch(r.stdout, /stranger got/);
      }
    });

    await t.step("runs until Ctrl-C, then closes and exits 0", async () => {
      const run = await spawnUntil(name, ["tcp://127.0.0.1:*", "0"], /\n/);
      run.child.kill("SIGINT");
      const r = await run.finish();
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.out, new RegExp(`${name}: closed\\n$`));
    });

    await t.step("a bad endpoint prints one line and exits 1", async () => {
      const r = await runDeno([
        "run",
        ...flags(name),
        example(`${name}.ts`),
        "bogus://x",
      ]);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, "");
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(`^${name}: Cannot bind to "bogus://x"`),
      );
    });
  });
}

Deno.test("examples take a count; a bad one is one clear line", async () => {
  const r = await runDeno([
    "run",
    "--allow-ffi",
    "--allow-env",
    example("hello.ts"),
    "tcp://127.0.0.1:*",
    "two",
  ]);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr.trim(),
    'hello: Cannot parse the count: expected an integer >= 0, got "two"',
  );
});
