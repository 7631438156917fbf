/**
 * PUB/SUB with topic filtering: a publisher sends weather and sports
 * updates; one subscriber takes "weather." only, another "sports." only.
 * Publishing is driven by a PeriodicCallback, so subscribers that join late
 * (ZeroMQ's slow joiner) simply see the next updates.
 *
 * Run: deno task pubsub [endpoint] [count]   (count 0: until Ctrl-C)
 */

import { PeriodicCallback, PUB, SUB, ZMQStream } from "../mod.ts";
import { boundEndpoint, runExample } from "./_main.ts";

const decoder = new TextDecoder();

if (import.meta.main) {
  await runExample(
    "pubsub",
    3,
    ({ context, loop, endpoint, count, log, own, finish }) => {
      const publisher = own(context.socket(PUB));
      publisher.bind(endpoint);
      const address = boundEndpoint(publisher);

      const received = new Map<string, number>();
      const subscribe = (topic: string) => {
        const socket = context.socket(SUB);
        socket.subscribe(topic);
        socket.connect(address);
        const stream = own(new ZMQStream(socket, loop));
        received.set(topic, 0);
        stream.onRecv(([t, body]) => {
          const text = decoder.decode(t);
          if (!text.startsWith(topic)) {
            throw new Error(`Subscriber "${topic}" got topic "${text}"`);
          }
          const n = received.get(topic)! + 1;
          received.set(topic, n);
          log(`${topic} subscriber got ${text} ${decoder.decode(body)}`);
          if ([...received.values()].every((v) => v >= count)) finish();
        });
      };
      subscribe("weather.");
      subscribe("sports.");

      let seq = 0;
      const topics = ["weather.paris", "sports.tennis", "news.local"];
      const tick = own(
        new PeriodicCallback(
          () => {
            seq++;
            for (const topic of topics) {
              publisher.sendMultipart([topic, `#${seq}`]);
            }
          },
          20,
          { ioLoop: loop },
        ),
      );
      tick.start();
    },
  );
}
