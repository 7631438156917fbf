/**
 * The guide's multithreaded server (zguide "mtserver"): a ROUTER for the
 * clients on tcp, a DEALER for the workers on inproc, ZeroMQ's own proxy
 * between them (on a native thread), and N Workers, each with a REP socket
 * on the same zmq context (`Context.shadow(ctx.underlying)`) served with
 * blocking calls, as the guide's worker threads are. A REQ client in the
 * main thread sends `count` requests, blocking too.
 *
 * Run: deno task mtserver [endpoint] [count] [workers] [work-us]
 *   (defaults: tcp://127.0.0.1:*, 10 requests, 2 workers, 0 µs of work each)
 *
 * @module
 */

import {
  Context,
  DEALER,
  LAST_ENDPOINT,
  PAIR,
  REQ,
  ROUTER,
  type Socket,
  SteerableProxy,
} from "../mod.ts";
import type { MtWorkerStart } from "./_mtserver_worker.ts";

/** Options of `startMtServer`. */
export interface MtServerOptions {
  /** Where clients connect. @default "tcp://127.0.0.1:*" */
  endpoint?: string;
  /** Worker threads. @default 2 */
  workers?: number;
  /** CPU microseconds each request costs in its worker. @default 0 */
  workUs?: number;
}

/** A running server. */
export interface MtServer extends AsyncDisposable {
  /** The endpoint the ROUTER bound (the port resolved). */
  endpoint: string;
  context: Context;
  /** Stops the workers (they close their sockets), the proxy, and terminates the context. */
  close(): Promise<void>;
}

let nextServer = 0;

/** Starts the server: ROUTER, DEALER, proxy, and its Workers (resolves when all serve). */
export async function startMtServer(
  options: MtServerOptions = {},
): Promise<MtServer> {
  const { endpoint = "tcp://127.0.0.1:*", workers = 2, workUs = 0 } = options;
  const context = new Context({ linger: 0 });
  const clients = context.socket(ROUTER);
  clients.bind(endpoint);
  const bound = clients.getsockopt(LAST_ENDPOINT) as string;
  const workersEndpoint = `inproc://workers-${Deno.pid}-${nextServer++}`;
  const dealer = context.socket(DEALER);
  dealer.bind(workersEndpoint);
  const threads: Worker[] = [];
  const controls: Socket[] = [];
  const replies = (w: Worker, expected: string) =>
    new Promise<void>((resolve, reject) => {
      w.onmessage = (e) =>
        e.data === expected ? resolve() : reject(new Error(String(e.data)));
      w.onerror = (e) => {
        e.preventDefault();
        reject(new Error(`A worker failed: ${e.message}`));
      };
    });
  const ready: Promise<void>[] = [];
  for (let id = 1; id <= workers; id++) {
    const w = new Worker(
      new URL("./_mtserver_worker.ts", import.meta.url).href,
      { type: "module" },
    );
    threads.push(w);
    ready.push(replies(w, "ready"));
    const control = context.socket(PAIR);
    const controlEndpoint = `${workersEndpoint}-control-${id}`;
    control.bind(controlEndpoint);
    controls.push(control);
    const start: MtWorkerStart = {
      address: context.underlying,
      endpoint: workersEndpoint,
      control: controlEndpoint,
      id,
      workUs,
    };
    w.postMessage(start);
  }
  await Promise.all(ready);
  const proxy = new SteerableProxy(clients, dealer);
  const close = async () => {
    await proxy.terminate();
    await Promise.all(threads.map((w, i) => {
      const stopped = replies(w, "stopped");
      controls[i]!.send("stop");
      return stopped.finally(() => w.terminate());
    }));
    for (const c of controls) c.close();
    clients.close();
    dealer.close();
    context.term(); // refuses (EBUSY) if a worker still held a socket
  };
  return {
    endpoint: bound,
    context,
    close,
    [Symbol.asyncDispose]: close,
  };
}

if (import.meta.main) {
  const [endpoint, count = "10", workers = "2", workUs = "0"] = Deno.args;
  const n = Number(count), w = Number(workers), us = Number(workUs);
  if (![n, w, us].every((v) => Number.isInteger(v) && v >= 0) || w < 1) {
    console.error(
      "Usage: mtserver.ts [endpoint] [count] [workers>=1] [work-us]",
    );
    Deno.exit(2);
  }
  await using server = await startMtServer({
    endpoint,
    workers: w,
    workUs: us,
  });
  const context = new Context();
  const client: Socket = context.socket(REQ);
  client.connect(server.endpoint);
  const seen = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    client.send("Hello");
    const reply = client.recvString(); // blocks: the workers answer on their threads
    seen.set(reply, (seen.get(reply) ?? 0) + 1);
  }
  client.close();
  context.term();
  for (const [reply, times] of seen) console.log(`${times} x ${reply}`);
  console.log(`${n} replies from ${seen.size} of ${w} workers`);
}
