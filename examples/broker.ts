/**
 * A load-balancing broker (the guide's lbbroker): REQ clients talk to a
 * ROUTER frontend, REQ workers announce themselves on a ROUTER backend,
 * and the broker hands each request to the worker that has been idle
 * longest. While no worker is free the frontend stops reading, so
 * requests wait in ZeroMQ's queues, not in the broker's memory.
 *
 * Run: deno task broker [endpoint] [count]   (count 0: until Ctrl-C)
 */

import { REQ, ROUTER, ZMQStream } from "../mod.ts";
import { boundEndpoint, runExample } from "./_main.ts";

const CLIENTS = 3;
const WORKERS = 2;
const decoder = new TextDecoder();

if (import.meta.main) {
  await runExample(
    "broker",
    12,
    ({ context, loop, endpoint, count, log, own, finish }) => {
      const frontend = own(new ZMQStream(context.socket(ROUTER), loop));
      frontend.bind(endpoint);
      const backend = own(new ZMQStream(context.socket(ROUTER), loop));
      backend.bind("tcp://127.0.0.1:*");

      // The broker.
      const idle: Uint8Array[] = [];
      const fromClient = ([client, empty, request]: Uint8Array[]) => {
        const worker = idle.shift()!;
        backend.sendMultipart([worker, empty!, client!, empty!, request!]);
        if (idle.length === 0) frontend.stopOnRecv();
      };
      backend.onRecv(([worker, _empty, ...rest]) => {
        idle.push(worker!);
        if (idle.length === 1) frontend.onRecv(fromClient);
        // rest is ["READY"] or [client, "", reply]
        if (rest.length === 3) frontend.sendMultipart(rest);
      });

      // Workers: say READY, then answer each request.
      for (let i = 1; i <= WORKERS; i++) {
        const worker = own(new ZMQStream(context.socket(REQ), loop));
        worker.connect(boundEndpoint(backend));
        worker.onRecv(([client, empty, request]) => {
          const reply = `${decoder.decode(request)} handled by worker-${i}`;
          worker.sendMultipart([client!, empty!, reply]);
        });
        worker.sendString("READY");
      }

      // Clients: send a request, wait for the reply, repeat until count total.
      let replies = 0;
      let requests = 0;
      for (let i = 1; i <= CLIENTS; i++) {
        const client = own(new ZMQStream(context.socket(REQ), loop));
        client.connect(boundEndpoint(frontend));
        const ask = () =>
          client.sendString(`request ${++requests} from client-${i}`);
        client.onRecv(([reply]) => {
          log(decoder.decode(reply));
          if (++replies === count) {
            log(`${replies} replies`);
            finish();
          } else if (requests < count) ask();
        });
        if (requests < count) ask();
      }
    },
  );
}
