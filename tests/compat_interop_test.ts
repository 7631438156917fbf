/**
 * Interop: the same zeromq.js program (tests/peers/zeromqjs_peer.mjs) run by
 * Node on zeromq.js and by Deno on compat/zeromq.ts, talking both ways.
 * zeromq.js comes from npm (`deno task setup --interop` installs it into
 * tests/peers/node_modules); without Node or that package the tests are
 * skipped and say why.
 */

import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url).pathname;
const PEER = "tests/peers/zeromqjs_peer.mjs";

function found(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

const nodeMissing = (() => {
  try {
    new Deno.Command("node", { args: ["--version"], stdout: "null" })
      .outputSync();
  } catch {
    return "node is not installed";
  }
  return found(`${ROOT}tests/peers/node_modules/zeromq/package.json`)
    ? null
    : "zeromq.js is not installed in tests/peers/node_modules (run `deno task setup --interop`)";
})();
if (nodeMissing) {
  console.error(`compat_interop_test: skipped: ${nodeMissing}`);
}

type Runtime = "node" | "deno";

function spawn(runtime: Runtime, ...args: string[]): Deno.ChildProcess {
  const [cmd, pre] = runtime === "node"
    ? ["node", [PEER]]
    : [Deno.execPath(), ["run", "--allow-ffi", "--allow-env", PEER]];
  return new Deno.Command(cmd, {
    args: [...pre, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).spawn();
}

/** Runs a server and a client of one pattern; returns their JSON lines. */
async function exchange(
  server: [Runtime, string],
  client: [Runtime, string],
  count: number,
): Promise<Record<string, unknown>[]> {
  const srv = spawn(server[0], server[1], "tcp://127.0.0.1:*", String(count));
  const kill = setTimeout(() => {
    for (const p of [srv, cli]) {
      try {
        p?.kill("SIGKILL");
      } catch {
        // gone
      }
    }
  }, 20_000);
  let cli: Deno.ChildProcess | undefined;
  try {
    const lines = srv.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = "";
    while (!buffered.includes("\n")) {
      const { value, done } = await lines.read();
      if (done) break;
      buffered += value;
    }
    const first = JSON.parse(buffered.split("\n")[0]!);
    assert.match(first.endpoint, /^tcp:\/\/127\.0\.0\.1:\d+$/);
    cli = spawn(client[0], client[1], first.endpoint, String(count));
    const out = await cli.output();
    const dec = new TextDecoder();
    assert.equal(out.code, 0, dec.decode(out.stdout) + dec.decode(out.stderr));
    for (;;) {
      const { value, done } = await lines.read();
      if (done) break;
      buffered += value;
    }
    const status = await srv.status;
    const srvErr = await new Response(srv.stderr).text();
    assert.equal(status.code, 0, buffered + srvErr);
    return [
      ...buffered.trim().split("\n"),
      ...dec.decode(out.stdout).trim().split("\n"),
    ]
      .map((l) => JSON.parse(l));
  } finally {
    clearTimeout(kill);
  }
}

for (
  const [server, client] of [["node", "deno"], ["deno", "node"]] as const
) {
  Deno.test({
    name: `interop: zeromq.js Router on ${server}, Dealer on ${client}`,
    ignore: nodeMissing !== null,
    fn: async () => {
      const out = await exchange([server, "server"], [client, "client"], 25);
      assert.deepEqual(out.slice(1), [
        { served: 25 },
        { echoed: 25, peer: server },
      ]);
    },
  });
  Deno.test({
    name: `interop: zeromq.js Reply on ${server}, Request on ${client}`,
    ignore: nodeMissing !== null,
    fn: async () => {
      const out = await exchange([server, "reply"], [client, "request"], 5);
      assert.deepEqual(out[1], {
        replies: [0, 1, 2, 3, 4].map((i) => `${server}:${client}-${i}`),
      });
    },
  });
}
