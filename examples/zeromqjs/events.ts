/**
 * zeromq.js's socket events (its Observer documentation): `socket.events.on()`
 * listeners and `for await` over an observer, in the zeromq.js API.
 *
 * Run: deno task zeromqjs:events
 */
import * as zmq from "zeromq";

const server = new zmq.Reply();
// Events arrive asynchronously: each listener settles a promise to wait on.
const bound = new Promise<void>((resolve) =>
  server.events.on("bind", (event) => {
    console.log(`server: bound to ${event.address.replace(/:\d+$/, ":PORT")}`);
    resolve();
  })
);
const accepted = new Promise<void>((resolve) =>
  server.events.on("accept", () => {
    console.log("server: accepted a peer");
    resolve();
  })
);
await server.bind("tcp://127.0.0.1:*");
await bound;

const client = new zmq.Request();
const watching = (async () => {
  for await (const event of client.events) {
    if (event.type === "connect") console.log("client: connected");
    if (event.type === "handshake") console.log("client: handshake done");
    if (event.type === "end") console.log("client: observer ended");
  }
})();
client.connect(server.lastEndpoint!);
await client.send("ping");
const [request] = await server.receive();
await server.send(request!);
console.log(`client: got ${(await client.receive())[0]!.toString()}`);
await accepted;
client.close();
server.close();
await watching;
