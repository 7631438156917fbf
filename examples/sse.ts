/**
 * ZeroMQ updates in the browser as Server-Sent Events: a PUB socket
 * publishes an update every `INTERVAL_MS` (a PeriodicCallback), and each
 * browser that opens `/events` gets its own SUB socket whose `readable` is
 * piped through a `TransformStream` that writes SSE frames, straight into
 * the HTTP response: `sub.readable.pipeThrough(toEvents).pipeThrough(new
 * TextEncoderStream())`. ZeroMQ does the fan-out to any number of browsers
 * (a readable has one reader, so one SUB per browser rather than a tee),
 * and backpressure holds: a browser that reads slowly leaves its updates in
 * its SUB socket, whose HWM drops the excess for that browser alone.
 *
 * `/` serves a page that shows the updates with `EventSource`; a browser
 * that goes away closes its SUB socket.
 *
 * Run: deno task sse [endpoint] [count] [port]
 * (the PUB endpoint; count: updates to publish, 0 or none until Ctrl-C;
 * port 0 or none: a free one), then open the printed address.
 */

import { PeriodicCallback, PUB, SUB, ZMQStream } from "../mod.ts";
import { boundEndpoint, runExample } from "./_main.ts";
import { parsePort } from "./http_gateway.ts";

/** How often the publisher sends an update. */
export const INTERVAL_MS = 100;
const decoder = new TextDecoder();

const PAGE = `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>zmqloop updates</title>
<h1>zmqloop updates</h1>
<p id="status">connecting</p>
<ul id="updates"></ul>
<script>
  const status = document.getElementById("status");
  const list = document.getElementById("updates");
  let received = 0;
  const events = new EventSource("/events");
  events.onopen = () => status.textContent = "connected";
  events.onerror = () => status.textContent = "reconnecting";
  events.onmessage = (event) => {
    status.textContent = "received " + ++received + " updates";
    const item = document.createElement("li");
    item.textContent = event.data;
    list.prepend(item);
    while (list.children.length > 10) list.lastChild.remove();
  };
</script>
</html>
`;

/**
 * ZeroMQ messages `[topic, body]` as SSE events; `onCancel` runs when the
 * reader (the HTTP response) cancels.
 */
function toEvents(onCancel: () => void): TransformStream<Uint8Array[], string> {
  return new TransformStream({
    transform([topic, body], controller) {
      const data = decoder.decode(body).replaceAll("\n", "\ndata: ");
      controller.enqueue(`event: ${decoder.decode(topic)}\ndata: ${data}\n\n`);
    },
    cancel: onCancel,
  });
}

if (import.meta.main) {
  await runExample(
    "sse",
    0,
    ({ context, loop, endpoint, count, log, own, finish }) => {
      const port = parsePort(Deno.args[2]);
      const publisher = own(context.socket(PUB));
      publisher.bind(endpoint);
      const address = boundEndpoint(publisher);

      // Closed before the server shuts down, so every response ends.
      const clients = new Set<ZMQStream>();

      own(Deno.serve({
        hostname: "127.0.0.1",
        port,
        onListen: ({ port }) => log(`listening on http://127.0.0.1:${port}/`),
      }, (request) => {
        const { pathname } = new URL(request.url);
        if (pathname === "/") {
          return new Response(PAGE, {
            headers: { "content-type": "text/html; charset=utf-8" },
          });
        }
        if (pathname !== "/events") {
          return new Response(`No route for ${pathname}\n`, { status: 404 });
        }
        const sub = new ZMQStream(context.socket(SUB), loop);
        sub.socket.subscribe("message"); // the SSE event type
        sub.connect(address);
        clients.add(sub);
        log(`a browser joined (${clients.size} open)`);
        // Ends when the SUB closes (at exit), or when the browser goes away:
        // that cancels the response body, and so the pipe back to toEvents.
        const body = sub.readable
          .pipeThrough(toEvents(() => {
            sub.close(0);
            clients.delete(sub);
            log(`a browser left (${clients.size} open)`);
          }))
          .pipeThrough(new TextEncoderStream());
        return new Response(body, {
          headers: {
            "content-type": "text/event-stream",
            "cache-control": "no-cache",
          },
        });
      }));

      // At exit, before the server shuts down: every event stream ends.
      own({ stop: () => clients.forEach((sub) => sub.close(0)) });

      let seq = 0;
      const tick = own(
        new PeriodicCallback(
          () => {
            const time = new Date().toISOString().slice(11, 23);
            publisher.sendMultipart(["message", `update #${++seq} at ${time}`]);
            if (seq === count) finish();
          },
          INTERVAL_MS,
          { ioLoop: loop },
        ),
      );
      tick.start();
    },
  );
}
