/**
 * A PUSH/PULL pipeline (the guide's taskvent, taskwork, tasksink): a
 * ventilator pushes tasks to three workers, each "works" for the task's
 * number of milliseconds without blocking the loop, and pushes the result
 * to a sink, which reports how the work was shared out.
 *
 * Run: deno task pipeline [endpoint] [count]   (count 0: until Ctrl-C)
 */

import { PULL, PUSH, ZMQStream } from "../mod.ts";
import { boundEndpoint, runExample } from "./_main.ts";

const WORKERS = 3;

if (import.meta.main) {
  await runExample(
    "pipeline",
    30,
    ({ context, loop, endpoint, count, log, own, finish }) => {
      const ventilator = own(new ZMQStream(context.socket(PUSH), loop));
      ventilator.bind(endpoint);
      const sink = own(new ZMQStream(context.socket(PULL), loop));
      sink.bind("tcp://127.0.0.1:*");

      for (let i = 0; i < WORKERS; i++) {
        const name = `worker-${i + 1}`;
        const tasks = own(new ZMQStream(context.socket(PULL), loop));
        tasks.connect(boundEndpoint(ventilator));
        const results = own(new ZMQStream(context.socket(PUSH), loop));
        results.connect(boundEndpoint(sink));
        tasks.onRecv(([task]) => {
          const ms = Number(new TextDecoder().decode(task));
          loop.callLater(ms, () => results.sendMultipart([name, task!]));
        });
      }

      const done = new Map<string, number>();
      let total = 0;
      sink.onRecv(([worker]) => {
        const name = new TextDecoder().decode(worker);
        done.set(name, (done.get(name) ?? 0) + 1);
        if (++total % 10 === 0 || total === count) {
          log(`sink has ${total} results`);
        }
        if (total === count) {
          const shares = [...done].sort().map(([w, n]) => `${w}=${n}`);
          log(`all ${total} tasks done (${shares.join(" ")})`);
          finish();
        }
      });

      // Send tasks as workers ask for them: PUSH spreads them round-robin over
      // connected workers and queues while none is connected yet.
      let sent = 0;
      const sendSome = () => {
        while (sent < count && ventilator.sendQueueLength < 2 * WORKERS) {
          ventilator.sendString(String(1 + (sent++ % 5)));
        }
        if (sent < count) loop.callLater(5, sendSome);
      };
      sendSome();
    },
  );
}
