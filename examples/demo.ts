/**
 * The demo: a REP socket echoing, and a REQ client, in one process.
 *
 * Run: deno task demo
 */

import { Context, REP, REQ } from "../mod.ts";

using ctx = new Context();
const server = ctx.socket(REP);
const port = server.bindToRandomPort("tcp://127.0.0.1");
const client = ctx.socket(REQ);
client.connect(`tcp://127.0.0.1:${port}`);

for (const text of ["hello", "zmqloop", "on Deno"]) {
  client.send(text);
  const request = server.recvMultipart(); // the echo server's side
  server.sendMultipart(request);
  console.log(
    `sent ${JSON.stringify(text)}, echoed ${
      JSON.stringify(client.recvString())
    }`,
  );
}
