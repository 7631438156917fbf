// Review 6: a stream alone on its loop receives up to 16 messages a handler
// call (05baf3b). Each step is a way that batch could keep something else on
// the loop waiting, or deliver a message the loop no longer asked for.
import assert from "node:assert/strict";
import {
  Context,
  IOLoop,
  PeriodicCallback,
  POLLIN,
  PULL,
  PUSH,
  ZMQStream,
} from "../mod.ts";
import { until, within } from "./_helpers.ts";

/** Busy-waits `ms` (a slow callback). */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* a slow callback */ }
}

/** A raw PUSH with `n` messages waiting at a PULL stream on its own loop. */
async function waiting(n: number) {
  const ctx = new Context();
  const loop = new IOLoop();
  const push = ctx.socket(PUSH);
  const ep = `inproc://review6-${crypto.randomUUID()}`;
  push.bind(ep);
  const pull = new ZMQStream(ctx.socket(PULL), loop);
  pull.connect(ep);
  for (let i = 0; i < n; i++) push.send(String(i));
  await until(() => (pull.socket.events & POLLIN) !== 0);
  const errors: unknown[] = [];
  loop.errorHandler = (e) => errors.push(e);
  return {
    loop,
    pull,
    errors,
    async [Symbol.asyncDispose]() {
      pull.close(0);
      push.close(0);
      await within(loop.closeAndWait(), 5000, "the loop to close");
      ctx.destroy(0);
    },
  };
}

Deno.test("review6: receive batches and the rest of the loop", async (t) => {
  await t.step(
    "a callLater(0) from a slow callback runs before the next message",
    async () => {
      await using f = await waiting(40);
      let got = 0, at = -1;
      f.pull.onRecv(() => {
        if (got++ === 0) f.loop.callLater(0, () => at = got);
        spin(1);
      });
      await until(() => got === 40, 10_000);
      // one message per pass did this; a batch ran 15 more callbacks first
      assert.ok(at >= 1 && at <= 2, `the timeout ran after message ${at}`);
      assert.deepEqual(f.errors, []);
    },
  );

  await t.step(
    "a timeout that falls due during a batch runs before the next message",
    async () => {
      await using f = await waiting(40);
      let got = 0, at = -1, due = -1;
      const deadline = f.loop.time() + 3;
      f.loop.addTimeout(deadline, () => at = got);
      f.pull.onRecv(() => {
        got++;
        spin(1);
        if (due < 0 && f.loop.time() >= deadline) due = got;
      });
      await until(() => got === 40, 10_000);
      assert.ok(due > 0, "the deadline passed while messages were delivered");
      assert.ok(
        at >= 0 && at <= due,
        `due after message ${due}, ran after message ${at}`,
      );
    },
  );

  await t.step(
    "a PeriodicCallback keeps its period beside a slow busy stream",
    async () => {
      await using f = await waiting(60);
      let got = 0;
      const ticks: number[] = [];
      const pc = new PeriodicCallback(() => ticks.push(got), 5, {
        ioLoop: f.loop,
      });
      f.pull.onRecv(() => {
        if (got++ === 0) pc.start();
        spin(1);
      });
      await until(() => got === 60, 10_000);
      pc.stop();
      // 60 callbacks of 1 ms: a 5 ms period ticks every ~5 messages, not 16
      assert.ok(ticks.length >= 6, `ticks after messages ${ticks}`);
      for (let i = 1; i < ticks.length; i++) {
        assert.ok(ticks[i]! - ticks[i - 1]! <= 8, `ticks after ${ticks}`);
      }
    },
  );
});

Deno.test("review6: a batch ends with its registration", async (t) => {
  await t.step(
    "loop.removeHandler on the stream's socket inside a callback: no message after it",
    async () => {
      await using f = await waiting(40);
      let got = 0;
      f.pull.onRecv(() => {
        if (++got === 2) f.loop.removeHandler(f.pull.socket);
      });
      await until(() => got >= 2);
      await within(
        f.loop.runSync(() => {}),
        5000,
        "a turn of the loop",
      );
      // the loop no longer calls this handler: the batch must not go on
      assert.equal(got, 2);
      assert.ok(f.pull.socket.events & POLLIN, "the rest wait in the socket");
    },
  );
});
