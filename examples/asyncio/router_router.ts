/**
 * ROUTER to ROUTER, after PyZMQ's examples/asyncio/router_router.py: a
 * ROUTER server named "server" and two ROUTER clients, "romeo" and
 * "sierra", that each send `[server, "", "cheers"]` and await the reply
 * `[client, "", "whatup"]`. A peer-to-peer shape: every socket can reach
 * the others by name.
 *
 * A ROUTER can send to a peer only once it knows the peer's routing id,
 * which arrives with the handshake: the clients set `ROUTER_MANDATORY` and
 * retry on EHOSTUNREACH (PyZMQ's example sleeps 0.1 s instead).
 *
 * Run: deno task asyncio:router_router [endpoint] [count]   (count 0: until Ctrl-C)
 */

import {
  type AsyncSocket,
  EHOSTUNREACH,
  LAST_ENDPOINT,
  ROUTER,
  ROUTER_MANDATORY,
  ROUTING_ID,
  ZMQError,
} from "../../mod.ts";
import { runAsyncExample } from "./_run.ts";

const text = (parts: Uint8Array[]) =>
  parts.map((p) => new TextDecoder().decode(p));

if (import.meta.main) {
  await runAsyncExample(
    "router_router",
    3,
    async ({ endpoint, count, log, socket, sleep, stopping }) => {
      const server = socket(ROUTER);
      server.setsockopt(ROUTING_ID, "server");
      server.bind(endpoint);
      const url = String(server.getsockopt(LAST_ENDPOINT));

      const serve = async (requests: number) => {
        for (let i = 0; i < requests; i++) {
          const request = await server.recvMultipart();
          log(`server received ${JSON.stringify(text(request))}`);
          await server.sendMultipart([request[0]!, "", "whatup"]);
        }
      };

      const sendToServer = async (client: AsyncSocket, name: string) => {
        for (let wait = 1;; wait = Math.min(wait * 2, 100)) {
          try {
            return await client.sendMultipart(["server", "", "cheers"]);
          } catch (error) {
            if (!(error instanceof ZMQError && error.errno === EHOSTUNREACH)) {
              throw error;
            }
            log(`${name}: the server is not connected yet, retrying`);
            await sleep(wait);
            if (stopping()) throw error;
          }
        }
      };

      const client = async (name: string) => {
        const s = socket(ROUTER);
        s.setsockopt(ROUTING_ID, name);
        s.setsockopt(ROUTER_MANDATORY, 1);
        s.connect(url);
        for (let i = 0; i < count && !stopping(); i++) {
          await sendToServer(s, name);
          const reply = await s.recvMultipart();
          log(`${name} received ${JSON.stringify(text(reply))}`);
        }
      };

      await Promise.all([serve(2 * count), client("romeo"), client("sierra")]);
      log(`${2 * count} round trips`);
    },
  );
}
