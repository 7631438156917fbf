/**
 * Request/reply hello world (the ZeroMQ guide's hwserver + hwclient): a REP
 * stream answers "World" to every "Hello" from a REQ stream.
 *
 * Run: deno task hello [endpoint] [count]   (count 0: until Ctrl-C)
 */

import { REP, REQ, ZMQStream } from "../mod.ts";
import { boundEndpoint, runExample } from "./_main.ts";

if (import.meta.main) {
  await runExample(
    "hello",
    5,
    ({ context, loop, endpoint, count, log, own, finish }) => {
      const server = own(new ZMQStream(context.socket(REP), loop));
      server.bind(endpoint);
      server.onRecv(([request]) => {
        log(`server received ${new TextDecoder().decode(request)}`);
        server.sendString("World");
      });

      const client = own(new ZMQStream(context.socket(REQ), loop));
      client.connect(boundEndpoint(server));
      let replies = 0;
      client.onRecv(([reply]) => {
        log(
          `client received reply ${++replies}: ${
            new TextDecoder().decode(reply)
          }`,
        );
        if (replies >= count) finish();
        else client.sendString("Hello");
      });
      client.sendString("Hello");
    },
  );
}
