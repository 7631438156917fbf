/**
 * Coroutines sharing one loop, after PyZMQ's examples/asyncio/coroutines.py:
 * a sender awaits each send, a receiver waits on an `AsyncPoller` before it
 * awaits the message, and a third task prints a dot while the others idle.
 *
 * Run: deno task asyncio:coroutines [endpoint] [count]   (count 0: until Ctrl-C)
 */

import { AsyncPoller, LAST_ENDPOINT, POLLIN, PULL, PUSH } from "../../mod.ts";
import { runAsyncExample } from "./_run.ts";

if (import.meta.main) {
  await runAsyncExample(
    "coroutines",
    3,
    async ({ endpoint, count, log, socket, sleep, stopping, loop }) => {
      const push = socket(PUSH);
      push.bind(endpoint);
      const pull = socket(PULL);
      pull.connect(String(push.getsockopt(LAST_ENDPOINT)));
      let done = false;
      const start = performance.now();

      const ping = async () => {
        while (!done && !stopping()) {
          await sleep(50);
          if (!done) log(".");
        }
      };

      const receiver = async () => {
        const poller = new AsyncPoller(loop);
        poller.register(pull, POLLIN);
        for (let seen = 0; seen < count;) {
          const events = await poller.poll();
          if (!events.some(([target]) => target === pull)) continue;
          log(`receiving (${events.length} ready)`);
          const [elapsed] = await pull.recvMultipart();
          log(`received ${new TextDecoder().decode(elapsed)}`);
          seen++;
        }
        done = true;
      };

      const sender = async () => {
        for (let sent = 0; sent < count && !stopping(); sent++) {
          log("sending");
          const elapsed = ((performance.now() - start) / 1000).toFixed(3);
          await push.sendMultipart([elapsed]);
          await sleep(100);
        }
      };

      await Promise.all([ping(), receiver(), sender()]);
      log(`exchanged ${count} messages`);
    },
  );
}
