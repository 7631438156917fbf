/**
 * zeromq.js's examples/majordomo in one program: a Router broker that
 * routes client requests to the workers of a named service, Dealer workers
 * that announce themselves and answer, and Request clients. Written in the
 * zeromq.js API; only the import map differs from Node.
 *
 * Run: deno task zeromqjs:majordomo
 */
import { Dealer, Request, Router } from "zeromq";

const Header = { Client: "MDPC01", Worker: "MDPW01" } as const;
const Message = { Ready: "\x01", Request: "\x02", Reply: "\x03" } as const;

class Broker {
  socket = new Router({ sendHighWaterMark: 1, sendTimeout: 1 });
  idle = new Map<string, Buffer[]>(); // service -> idle worker ids
  pending = new Map<string, Buffer[][]>(); // service -> waiting requests
  serviceOf = new Map<string, string>(); // worker id (hex) -> service

  async start(): Promise<string> {
    await this.socket.bind("tcp://127.0.0.1:*");
    (async () => {
      for await (const [sender, _blank, header, ...rest] of this.socket) {
        if (header!.toString() === Header.Client) {
          const [service, ...req] = rest;
          this.dispatch(service!.toString(), [sender!, ...req]);
        } else if (header!.toString() === Header.Worker) {
          this.fromWorker(sender!, rest);
        }
      }
    })();
    return this.socket.lastEndpoint!;
  }

  fromWorker(worker: Buffer, [type, ...rest]: Buffer[]) {
    if (type!.toString() === Message.Ready) {
      const service = rest[0]!.toString();
      this.serviceOf.set(worker.toString("hex"), service);
    } else if (type!.toString() === Message.Reply) {
      const [client, _blank, ...rep] = rest;
      const service = this.serviceOf.get(worker.toString("hex"))!;
      this.socket.send([client!, "", Header.Client, service, ...rep]);
    }
    const service = this.serviceOf.get(worker.toString("hex"))!;
    const list = this.idle.get(service) ?? [];
    list.push(worker);
    this.idle.set(service, list);
    this.flush(service);
  }

  dispatch(service: string, request: Buffer[]) {
    const queue = this.pending.get(service) ?? [];
    queue.push(request);
    this.pending.set(service, queue);
    this.flush(service);
  }

  flush(service: string) {
    const workers = this.idle.get(service) ?? [];
    const queue = this.pending.get(service) ?? [];
    while (workers.length && queue.length) {
      const worker = workers.shift()!;
      const [client, ...req] = queue.shift()!;
      this.socket.send([
        worker,
        "",
        Header.Worker,
        Message.Request,
        client!,
        "",
        ...req,
      ]);
    }
  }

  stop() {
    this.socket.close();
  }
}

class Worker {
  socket = new Dealer();
  constructor(readonly service: string, readonly name: string) {}

  async start(address: string) {
    this.socket.connect(address);
    await this.socket.send(["", Header.Worker, Message.Ready, this.service]);
    for await (
      const [_blank, _header, _type, client, _b, ...req] of this.socket
    ) {
      const rep = req.map((r) => `${r.toString()} (by ${this.name})`);
      await this.socket.send([
        "",
        Header.Worker,
        Message.Reply,
        client!,
        "",
        ...rep,
      ]);
    }
  }

  stop() {
    this.socket.close();
  }
}

async function request(address: string, service: string, ...req: string[]) {
  const socket = new Request({ receiveTimeout: 5000 });
  socket.connect(address);
  await socket.send([Header.Client, service, ...req]);
  const [_header, _service, ...res] = await socket.receive();
  socket.close();
  return res.map((r) => r.toString()).join(", ");
}

const broker = new Broker();
const address = await broker.start();
const workers = [
  new Worker("soda", "soda-1"),
  new Worker("tea", "tea-1"),
  new Worker("tea", "tea-2"),
];
const running = workers.map((w) => w.start(address));

for (const [service, order] of [["tea", "oolong"], ["soda", "cola"]]) {
  console.log(`${order}: ${await request(address, service!, order!)}`);
}
const teas = await Promise.all(
  ["sencha", "darjeeling"].map((t) => request(address, "tea", t)),
);
console.log(`teas: ${teas.map((t) => t.replace(/ \(by .*\)/, "")).join(", ")}`);

for (const w of workers) w.stop();
await Promise.all(running);
broker.stop();
