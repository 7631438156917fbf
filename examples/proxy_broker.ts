/**
 * A broker with ZeroMQ's own proxy: `SteerableProxy` runs
 * `zmq_proxy_steerable` between a ROUTER frontend and a DEALER backend on a
 * native thread, while REQ clients and REP workers run as streams on the
 * loop. Halfway through, the proxy is paused for 100 ms and resumed.
 *
 * Run: deno task proxy_broker [endpoint] [count]   (count 0: until Ctrl-C)
 */

import { DEALER, REP, REQ, ROUTER, SteerableProxy, ZMQStream } from "../mod.ts";
import { boundEndpoint, runExample } from "./_main.ts";

const decoder = new TextDecoder();

if (import.meta.main) {
  await runExample("proxy_broker", 10, (ex) => {
    const { context, loop, endpoint, count, log, own, finish } = ex;
    const frontend = own(context.socket(ROUTER));
    frontend.bind(endpoint);
    const backend = own(context.socket(DEALER));
    backend.bind("inproc://workers");
    const front = boundEndpoint(frontend);
    // Owned last, so at exit it is terminated (and awaited) before its
    // sockets are closed.
    const broker = own(new SteerableProxy(frontend, backend));

    for (let i = 1; i <= 2; i++) {
      const worker = own(new ZMQStream(context.socket(REP), loop));
      worker.connect("inproc://workers");
      worker.onRecv(([req]) =>
        worker.sendString(`${decoder.decode(req)} done by worker-${i}`)
      );
    }

    let replies = 0;
    for (let i = 1; i <= 2; i++) {
      const client = own(new ZMQStream(context.socket(REQ), loop));
      client.connect(front);
      let n = 0;
      const ask = () => client.sendString(`job ${i}.${++n}`);
      client.onRecv(([reply]) => {
        log(decoder.decode(reply));
        replies++;
        if (replies === Math.floor(count / 2)) {
          log("pausing the proxy for 100 ms");
          broker.pause();
          loop.callLater(100, () => {
            log("resuming");
            broker.resume();
          });
        }
        if (replies >= count) {
          log(`${replies} replies through the proxy`);
          finish();
        } else ask();
      });
      ask();
    }
  });
}
