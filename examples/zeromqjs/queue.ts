/**
 * zeromq.js's examples/queue: a small JavaScript queue in front of a Dealer
 * so that messages wait while no peer is connected, in the zeromq.js API.
 *
 * Run: deno task zeromqjs:queue
 */
import { Dealer, type MessageLike } from "zeromq";

export class Queue {
  queue: MessageLike[] = [];
  sending = false;

  constructor(readonly socket: Dealer, readonly max = 100) {}

  send(msg: MessageLike): Promise<void> {
    if (this.queue.length > this.max) throw new Error("Queue is full");
    this.queue.push(msg);
    return this.trySend();
  }

  async trySend(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    while (this.queue.length > 0) await this.socket.send(this.queue.shift()!);
    this.sending = false;
  }
}

const sender = new Dealer();
await sender.bind("tcp://127.0.0.1:*");
const queue = new Queue(sender);
// nobody is connected yet: the messages wait in the JavaScript queue
for (const word of ["hello", "queued", "world"]) queue.send(word);
console.log(`queued ${queue.queue.length + 1} messages`);

const receiver = new Dealer();
receiver.connect(sender.lastEndpoint!);
for (let i = 0; i < 3; i++) {
  const [msg] = await receiver.receive();
  console.log(`received: ${msg!.toString()}`);
}
sender.close();
receiver.close();
