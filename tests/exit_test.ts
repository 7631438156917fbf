/**
 * Exit behaviour, in subprocesses: a program that ends without `term()`, or
 * with sockets still open, exits 0 by itself (libzmq stays mapped while its
 * threads run), every time. EXIT_RUNS sets the number of runs of each
 * script (25 here, enough to catch a 1-in-10 crash; `deno task soak` runs 100).
 */

import assert from "node:assert/strict";
import { MOD_URL, runDeno, tempScript } from "./_helpers.ts";

const RUNS = Number(Deno.env.get("EXIT_RUNS") ?? "25");
const BATCH = 6;

/** Runs a script RUNS times (BATCH at once); returns the failures, described. */
async function runMany(
  source: string,
  flags: string[] = [],
): Promise<string[]> {
  const path = await tempScript(source);
  const failures: string[] = [];
  try {
    for (let done = 0; done < RUNS; done += BATCH) {
      const batch = Array.from(
        { length: Math.min(BATCH, RUNS - done) },
        () =>
          runDeno(["run", "--allow-ffi", "--allow-env", ...flags, path], {
            timeoutMs: 20_000,
          }),
      );
      for (const r of await Promise.all(batch)) {
        if (r.code !== 0 || r.stdout.trim() !== "done") {
          failures.push(
            `exit ${r.code}: ${r.stdout.trim()} ${r.stderr.trim()}`,
          );
        }
      }
    }
  } finally {
    await Deno.remove(path);
  }
  return failures;
}

Deno.test("Context: a program that never calls term() exits 0 every time", async (t) => {
  await t.step("socket closed, context left alone", async () => {
    const failures = await runMany(`
      import { Context, PUSH } from "${MOD_URL}";
      const ctx = new Context();
      const s = ctx.socket(PUSH);
      s.bind("tcp://127.0.0.1:*");
      s.close();
      console.log("done");
    `);
    assert.deepEqual(failures, [], `${failures.length} of ${RUNS} runs failed`);
  });

  await t.step(
    "sockets left open, connected, with messages in flight",
    async () => {
      const failures = await runMany(`
      import { Context, PULL, PUSH } from "${MOD_URL}";
      const ctx = new Context({ linger: 0 });
      const pull = ctx.socket(PULL);
      const port = pull.bindToRandomPort("tcp://127.0.0.1");
      const push = ctx.socket(PUSH);
      push.connect("tcp://127.0.0.1:" + port);
      for (let i = 0; i < 100; i++) push.send("m" + i);
      pull.recv();
      const idle = new Context().socket(PUSH);
      idle.bind("inproc://never");
      console.log("done");
    `);
      assert.deepEqual(
        failures,
        [],
        `${failures.length} of ${RUNS} runs failed`,
      );
    },
  );

  await t.step(
    "Deno.exit() while a Worker holds sockets on a parked loop",
    async () => {
      const failures = await runMany(
        `
      import { Context, PUSH } from "${MOD_URL}";
      const ctx = new Context();
      ctx.socket(PUSH).bind("inproc://main-side");
      const src = \`
        import { Context, IOLoop, PULL, ZMQStream } from "${MOD_URL}";
        const s = new ZMQStream(new Context().socket(PULL));
        s.bind("tcp://127.0.0.1:*");
        s.onRecv(() => {});
        IOLoop.instance().callLater(60000, () => {});
        self.postMessage("ready");
      \`;
      const url = "data:text/javascript," + encodeURIComponent(src);
      const w = new Worker(url, { type: "module" });
      await new Promise((r) => w.onmessage = r);
      console.log("done");
      Deno.exit(0);
    `,
        ["--allow-read"],
      ); // a data: Worker reads mod.ts
      assert.deepEqual(
        failures,
        [],
        `${failures.length} of ${RUNS} runs failed`,
      );
    },
  );
});
