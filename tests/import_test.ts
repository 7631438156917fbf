/**
 * The module works from the import paths users have besides JSR: a plain
 * HTTP URL (the repository served by Deno.serve on 127.0.0.1) and a file://
 * URL from an unrelated folder with no deno.json.
 */

import assert from "node:assert/strict";
import { MOD_URL, runDeno } from "./_helpers.ts";

const ROOT = new URL("../", import.meta.url);

/** A script that exchanges one message through a REQ/REP pair. */
const script = (modUrl: string) => `
import { Context, IOLoop, REP, REQ, ZMQStream, zmqVersion } from "${modUrl}";
const context = new Context();
const loop = new IOLoop();
const rep = new ZMQStream(context.socket(REP), loop);
const port = rep.socket.bindToRandomPort("tcp://127.0.0.1");
rep.onRecv((msg) => rep.sendMultipart(msg));
const req = new ZMQStream(context.socket(REQ), loop);
req.connect("tcp://127.0.0.1:" + port);
req.sendString("over the import path");
req.onRecv(([reply]) => {
  console.log("reply:", new TextDecoder().decode(reply), "libzmq", zmqVersion());
  loop.stop();
});
await loop.start();
req.close(); rep.close(); loop.close(); context.destroy();
`;

Deno.test("import: by http:// URL from a local server", async () => {
  const served: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const path = new URL(request.url).pathname;
      served.push(path);
      if (path.includes("..") || !path.endsWith(".ts")) {
        return new Response("not found", { status: 404 });
      }
      try {
        const body = await Deno.readTextFile(new URL(`.${path}`, ROOT));
        return new Response(body, {
          headers: { "content-type": "application/typescript" },
        });
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
  const host = `127.0.0.1:${server.addr.port}`;
  const denoDir = await Deno.makeTempDir();
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/main.ts`;
    await Deno.writeTextFile(file, script(`http://${host}/mod.ts`));
    const r = await runDeno([
      "run",
      `--allow-import=${host}`,
      "--allow-ffi",
      "--allow-env",
      "--no-lock",
      file,
    ], { cwd: dir, env: { DENO_DIR: denoDir }, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /reply: over the import path libzmq \d+\.\d+\.\d+/);
    assert.ok(served.includes("/mod.ts"));
    assert.ok(served.includes("/stream/zmqstream.ts"), served.join());
  } finally {
    await server.shutdown();
    await Deno.remove(denoDir, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("import: by file:// URL from an unrelated folder", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/main.ts`;
    await Deno.writeTextFile(file, script(MOD_URL));
    const r = await runDeno(
      ["run", "--allow-ffi", "--allow-env", "--no-lock", file],
      { cwd: dir },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /reply: over the import path/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
