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
