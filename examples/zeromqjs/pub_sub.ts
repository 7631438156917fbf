/**
 * zeromq.js's README publisher/subscriber example: multipart messages on a
 * topic, in the zeromq.js API (only the import map differs from Node).
 *
 * Run: deno task zeromqjs:pub_sub [count]
 */
import * as zmq from "zeromq";

const count = Number(Deno.args[0] ?? 3);

const pub = new zmq.Publisher();
await pub.bind("tcp://127.0.0.1:*");
console.log("Publisher bound");

const sub = new zmq.Subscriber();
sub.connect(pub.lastEndpoint!);
sub.subscribe("kitty cats");
console.log("Subscriber connected");

// A subscription takes a moment to reach the publisher: publish until the
// subscriber has seen `count` messages (PUB drops what nobody wants yet).
let received = 0;
const receiving = (async () => {
  for await (const [topic, msg] of sub) {
    console.log(
      "received a message related to:",
      topic!.toString(),
      "containing message:",
      msg!.toString(),
    );
    if (++received === count) break;
  }
})();
while (received < count) {
  await pub.send(["kitty cats", "meow!"]);
  await pub.send(["dogs", "woof!"]); // filtered out by the subscriber
  await new Promise((resolve) => setTimeout(resolve, 20));
}
await receiving;
pub.close();
sub.close();
