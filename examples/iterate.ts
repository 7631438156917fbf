/**
 * Async iteration: read a PULL stream with `for await`, the way Deno code
 * reads any stream, while a PUSH stream on the same loop produces the
 * messages. Breaking out of the loop (or closing the stream) ends it.
 *
 * Run: deno task iterate [endpoint] [count]   (count 0: until Ctrl-C)
 */

import { PULL, PUSH, ZMQStream } from "../mod.ts";
import { boundEndpoint, runExample } from "./_main.ts";

if (import.meta.main) {
  await runExample(
    "iterate",
    5,
    ({ context, loop, endpoint, count, log, own, finish }) => {
      const pull = own(new ZMQStream(context.socket(PULL), loop));
      pull.bind(endpoint);
      const push = own(new ZMQStream(context.socket(PUSH), loop));
      push.connect(boundEndpoint(pull));

      let produced = 0;
      const produce = () => {
        push.sendMultipart(["item", String(++produced)]);
        if (produced < count) loop.callLater(10, produce);
      };
      produce();

      (async () => {
        let seen = 0;
        for await (const [kind, n] of pull) {
          const text = new TextDecoder().decode(n);
          log(`got ${new TextDecoder().decode(kind)} ${text}`);
          if (++seen === count) {
            log(`iterated over ${seen} messages`);
            finish();
            break;
          }
        }
        // After Ctrl-C the stream is closed and the iteration simply ends.
      })();
    },
  );
}
