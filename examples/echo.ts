/**
 * The echo server: a REP socket in a ZMQStream whose onRecv sends every
 * message back, PyZMQ's classic example in TypeScript.
 *
 * Run: deno run --allow-ffi --allow-env examples/echo.ts [endpoint]
 * (default tcp://127.0.0.1:5555). Ctrl-C closes the stream and exits 0.
 */

import { Context, IOLoop, LAST_ENDPOINT, REP, ZMQStream } from "../mod.ts";

/** Starts an echo stream bound to `endpoint`; returns it. */
export function startEcho(
  context: Context,
  endpoint: string,
  loop: IOLoop = IOLoop.instance(),
): ZMQStream {
  const stream = new ZMQStream(context.socket(REP), loop);
  stream.bind(endpoint);
  stream.onRecv((msg) => stream.sendMultipart(msg));
  return stream;
}

if (import.meta.main) {
  const endpoint = Deno.args[0] ?? "tcp://127.0.0.1:5555";
  const context = Context.instance();
  const loop = IOLoop.instance();
  let stream: ZMQStream;
  try {
    stream = startEcho(context, endpoint, loop);
  } catch (error) {
    console.error(`echo: ${(error as Error).message}`);
    context.destroy();
    loop.close();
    Deno.exit(1);
  }
  const stop = () => loop.stop();
  Deno.addSignalListener("SIGINT", stop);
  console.log(`echo: serving on ${stream.getsockopt(LAST_ENDPOINT)}`);
  await loop.start();
  Deno.removeSignalListener("SIGINT", stop);
  stream.close();
  loop.close();
  context.destroy();
  console.log("echo: closed");
}
