/**
 * One worker thread of examples/mtserver.ts, as in the guide: a REP socket
 * on a shadow of the server's context, connected to the DEALER over inproc,
 * served with non-blocking receives and a blocking `zmq_poll` when none is
 * waiting (this thread does nothing else). Each request
 * costs `workUs` microseconds of CPU and is answered "World from worker-N".
 * A PAIR to the server carries the stop request: waiting in `zmq_poll`, the
 * thread does not see a `postMessage`.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { Context, PAIR, Poller, POLLIN, REP } from "../mod.ts";

/** What the server posts to start a worker. */
export interface MtWorkerStart {
  address: bigint;
  /** The DEALER's inproc endpoint. */
  endpoint: string;
  /** The server's control PAIR (a message there means stop). */
  control: string;
  id: number;
  workUs: number;
}

function spin(us: number): void {
  const end = performance.now() + us / 1000;
  while (performance.now() < end) { /* the request's work */ }
}

self.onmessage = (event: MessageEvent<MtWorkerStart>) => {
  const { address, endpoint, control, id, workUs } = event.data;
  const ctx = Context.shadow(address);
  const rep = ctx.socket(REP);
  rep.connect(endpoint);
  const stop = ctx.socket(PAIR);
  stop.connect(control);
  const poller = new Poller();
  poller.register(rep, POLLIN);
  poller.register(stop, POLLIN);
  const reply = `World from worker-${id}`;
  self.postMessage("ready");
  for (let served = 0;; served++) {
    // A request already waiting is taken without a poll (a busy server's
    // common case); the stop request is looked at every 64 requests then.
    if (rep.tryRecvMultipart() === null) {
      // bounded, so a Worker.terminate() takes effect within 250 ms even
      // without a stop message (terminate cannot interrupt a native call)
      const ready = poller.poll(250);
      if (ready.some(([s]) => s === stop)) break;
      continue;
    }
    if ((served & 63) === 63 && stop.events & POLLIN) break;
    if (workUs > 0) spin(workUs);
    rep.send(reply);
  }
  ctx.destroy(0);
  self.postMessage("stopped");
  self.close();
};
