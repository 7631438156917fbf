/**
 * The receiving thread of bench/threads.ts: a PULL ZMQStream on a shadow of
 * the sender's context; says "warm" after `warm` messages and "done" after
 * `n` more.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { Context, IOLoop, PULL, RCVHWM, ZMQStream } from "../mod.ts";

self.onmessage = (
  e: MessageEvent<
    { address: bigint; endpoint: string; n: number; hwm: number; warm: number }
  >,
) => {
  const { address, endpoint, n, hwm, warm } = e.data;
  const ctx = Context.shadow(address);
  const loop = IOLoop.instance();
  const pull = new ZMQStream(ctx.socket(PULL), loop);
  pull.setsockopt(RCVHWM, hwm);
  pull.connect(endpoint);
  let got = 0;
  // A plain callback, as stream code is usually written: an async one
  // returns a promise per message, which the loop must watch for a
  // rejection (~300 ns a message, measured with bench:ab streamAsync).
  pull.onRecv(() => {
    if (++got === warm) self.postMessage("warm");
    if (got < warm + n) return;
    pull.close(0);
    ctx.destroy(0);
    loop.closeAndWait().then(() => {
      self.postMessage("done");
      self.close();
    });
  });
  self.postMessage("ready");
};
