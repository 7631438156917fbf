/**
 * Heartbeats with PeriodicCallback: a DEALER client pings a ROUTER server
 * every 50 ms and counts the pongs. After `count` pongs the server goes
 * away (its stream is closed, as if the process had died); the client
 * notices three missed heartbeats and reports the peer as lost.
 *
 * Run: deno task heartbeat [endpoint] [count]   (count 0: until Ctrl-C)
 */

import { DEALER, PeriodicCallback, ROUTER, ZMQStream } from "../mod.ts";
import { boundEndpoint, runExample } from "./_main.ts";

const INTERVAL = 50;
const LIVENESS = 3;

if (import.meta.main) {
  await runExample(
    "heartbeat",
    5,
    ({ context, loop, endpoint, count, log, own, finish }) => {
      const server = own(new ZMQStream(context.socket(ROUTER), loop));
      server.bind(endpoint);
      let served = 0;
      server.onRecv(([peer, ping]) => {
        server.sendMultipart([peer!, "PONG", ping!]);
        if (++served === count) {
          log(`server stops after ${served} pongs`);
          server.flush(); // send the queued pong now, then close (linger delivers it)
          server.close();
        }
      });

      const client = own(new ZMQStream(context.socket(DEALER), loop));
      client.connect(boundEndpoint(server));
      let seq = 0;
      let liveness = LIVENESS;
      let pongs = 0;
      client.onRecv(([_pong, ping]) => {
        liveness = LIVENESS;
        pongs++;
        log(`pong ${new TextDecoder().decode(ping)} (peer alive)`);
      });
      const beat = own(
        new PeriodicCallback(
          () => {
            if (--liveness < 0) {
              log(
                `peer lost: ${LIVENESS} heartbeats missed after ${pongs} pongs`,
              );
              finish();
              return;
            }
            client.sendString(`#${++seq}`);
          },
          INTERVAL,
          { ioLoop: loop },
        ),
      );
      beat.start();
    },
  );
}
