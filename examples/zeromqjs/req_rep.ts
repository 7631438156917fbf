/**
 * zeromq.js's README request/reply example: a server that answers each
 * request and a client that waits for every reply, in the zeromq.js API.
 *
 * Run: deno task zeromqjs:req_rep [count]
 */
import * as zmq from "zeromq";

const count = Number(Deno.args[0] ?? 3);

async function server(sock: zmq.Reply) {
  for await (const [msg] of sock) {
    await sock.send(`${2 * Number(msg!.toString())}`);
  }
}

const rep = new zmq.Reply();
await rep.bind("tcp://127.0.0.1:*");
const serving = server(rep);

const req = new zmq.Request();
req.connect(rep.lastEndpoint!);
console.log("Client connected");
for (let i = 1; i <= count; i++) {
  await req.send(String(i));
  const [result] = await req.receive();
  console.log(`${i} * 2 = ${result!.toString()}`);
}
req.close();
rep.close(); // ends the server's for await
await serving;
