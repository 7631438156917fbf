/**
 * Awaiting sockets next to loop callbacks, after PyZMQ's
 * examples/asyncio/tornado_asyncio.py (there, tornado's IOLoop on asyncio;
 * here the IOLoop is already driven by Deno's event loop): a PUSH
 * coroutine awaits each send, a PULL coroutine awaits each message, and a
 * `PeriodicCallback` on the same IOLoop ticks meanwhile.
 *
 * Run: deno task asyncio:tornado [endpoint] [count]   (count 0: until Ctrl-C)
 */

import { LAST_ENDPOINT, PeriodicCallback, PULL, PUSH } from "../../mod.ts";
import { runAsyncExample } from "./_run.ts";

if (import.meta.main) {
  await runAsyncExample(
    "tornado",
    3,
    async ({ endpoint, count, log, socket, sleep, loop, stopping }) => {
      const server = socket(PUSH);
      server.bind(endpoint);
      const client = socket(PULL);
      client.connect(String(server.getsockopt(LAST_ENDPOINT)));

      let ticks = 0;
      const ticker = new PeriodicCallback(() => ticks++, 20, { ioLoop: loop });
      ticker.start();

      const pushing = async () => {
        for (let i = 0; i < count && !stopping(); i++) {
          await server.send("Hello");
          await sleep(100);
        }
      };

      const pulling = async () => {
        for (let i = 0; i < count; i++) {
          const greeting = await client.recvString();
          log(`${greeting} (ticks so far: ${ticks})`);
        }
      };

      try {
        await Promise.all([pushing(), pulling()]);
      } finally {
        ticker.stop();
      }
      log(`pulled ${count} greetings, ${ticks} ticks`);
    },
  );
}
