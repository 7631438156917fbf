/**
 * The Worker of a `ThreadAuthenticator`: serves ZAP (RFC 27) on a shadow of
 * the server's context, with the one ZAP policy (`_zap_policy.ts`). It
 * blocks in `zmq_poll` on two sockets, as PyZMQ's authentication thread
 * does: the ZAP ROUTER, and a PAIR over which the owning thread sends policy
 * snapshots and the stop request. Before each ZAP request it applies every
 * snapshot already sent, so a change made before a handshake starts decides
 * that handshake.
 *
 * Messages from the owner (postMessage): `{ address, control }` to start.
 * Replies: `{ ready: true }`, `{ error }`, `{ stopped: true }`.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { Context } from "../ffi/context.ts";
import { PAIR, POLLIN, ROUTER } from "../ffi/constants.ts";
import { Poller } from "../ffi/poller.ts";
import type { Socket } from "../ffi/socket.ts";
import { ZAP_ENDPOINT, ZapPolicy, zapReply } from "./_zap_policy.ts";
import type { ZapControl, ZapWorkerStart } from "./thread_authenticator.ts";

const WAKE_MS = 250;

function serve({ address, control, quit }: ZapWorkerStart): void {
  const ctx = Context.shadow(address);
  const policy = new ZapPolicy();
  let zap: Socket | null = null;
  let pair: Socket | null = null;
  try {
    zap = ctx.socket(ROUTER);
    zap.bind(ZAP_ENDPOINT);
    pair = ctx.socket(PAIR);
    pair.connect(control);
  } catch (error) {
    ctx.destroy(0);
    self.postMessage({
      error: (error as Error).message,
      code: (error as { code?: string }).code,
    });
    self.close();
    return;
  }
  self.postMessage({ ready: true });
  const poller = new Poller();
  poller.register(zap, POLLIN);
  poller.register(pair, POLLIN);
  // Applies the control messages already sent; false once asked to stop.
  const applyControl = (): boolean => {
    for (;;) {
      const parts = pair!.tryRecvMultipart() as Uint8Array[] | null;
      if (!parts) return true;
      const message = JSON.parse(
        new TextDecoder().decode(parts[0]),
      ) as ZapControl;
      if (message.op === "stop") return false;
      policy.restore(message.snapshot);
    }
  };
  let running = true;
  while (running) {
    // Bounded, so a Worker.terminate() (which cannot interrupt native code)
    // takes effect within this time even if no stop message ever comes.
    poller.poll(WAKE_MS);
    running = applyControl() && Atomics.load(quit, 0) === 0;
    if (!running) break;
    for (;;) {
      const msg = zap.tryRecvMultipart() as Uint8Array[] | null;
      if (!msg) break;
      running = applyControl();
      const envelope = msg.slice(0, 2);
      const verdict = policy.decide(msg.slice(2), () => {});
      // No CURVE callbacks cross threads, so the decision is synchronous.
      const { requestId, status, reason, userId } = verdict as Exclude<
        typeof verdict,
        Promise<unknown>
      >;
      zap.sendMultipart(
        zapReply(envelope, { requestId, status, reason, userId }),
      );
      if (!running) break;
    }
  }
  // Unbinding inproc is immediate; a close frees the endpoint only later, on
  // libzmq's reaper thread, and a new authenticator could not bind it yet.
  zap.unbind(ZAP_ENDPOINT);
  ctx.destroy(0);
  self.postMessage({ stopped: true });
  self.close();
}

self.onmessage = (event: MessageEvent<ZapWorkerStart>) => {
  self.onmessage = null;
  serve(event.data);
};
