/**
 * The demo: the echo server (a REP ZMQStream echoing, examples/echo.ts) and
 * a REQ ZMQStream client, on one IOLoop in one process.
 *
 * Run: deno task demo
 */

import { Context, IOLoop, LAST_ENDPOINT, REQ, ZMQStream } from "../mod.ts";
import { startEcho } from "./echo.ts";

const context = new Context();
const loop = new IOLoop();
const server = startEcho(context, "tcp://127.0.0.1:*", loop);
const endpoint = server.getsockopt(LAST_ENDPOINT);
console.log(`echo server on ${endpoint}`);

const client = new ZMQStream(context.socket(REQ), loop);
client.connect(endpoint);

const decoder = new TextDecoder();
const lines = ["hello", "zmqloop", "on Deno"];
let next = 0;
client.onRecv((msg) => {
  const sent = lines[next - 1];
  console.log(
    `sent ${JSON.stringify(sent)}, echoed ${
      JSON.stringify(decoder.decode(msg[0]))
    }`,
  );
  if (next < lines.length) client.send(lines[next++]!);
  else loop.stop();
});
client.send(lines[next++]!);

const timer = loop.callLater(5000, () => {
  console.error("demo: no echo within 5 s");
  loop.stop();
  Deno.exitCode = 1;
});
await loop.start();
loop.removeTimeout(timer);
client.close();
server.close();
loop.close();
context.destroy();
