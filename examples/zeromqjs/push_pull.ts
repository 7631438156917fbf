/**
 * zeromq.js's README push/pull example (a producer and a worker) in one
 * program, written against the zeromq.js API: only the import map differs
 * from Node (deno.json maps "zeromq" to compat/zeromq.ts).
 *
 * Run: deno task zeromqjs:push_pull [count]
 */
import * as zmq from "zeromq";

const count = Number(Deno.args[0] ?? 5);

async function producer(sock: zmq.Push) {
  for (let i = 0; i < count; i++) {
    await sock.send(`some work ${i}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function worker(address: string) {
  const sock = new zmq.Pull();
  sock.connect(address);
  console.log("Worker connected");
  let n = 0;
  for await (const [msg] of sock) {
    console.log("work: %s", msg!.toString());
    if (++n === count) break;
  }
  sock.close();
}

const sock = new zmq.Push();
await sock.bind("tcp://127.0.0.1:*");
console.log("Producer bound");
await Promise.all([producer(sock), worker(sock.lastEndpoint!)]);
sock.close();
