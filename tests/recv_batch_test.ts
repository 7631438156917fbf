// A stream alone on its loop takes up to 16 waiting messages per handler
// call. Each step is a way a batch could take a message nobody asked for,
// deliver one after a stop or close, reorder, starve timers, or break a
// REQ/REP lockstep.
import assert from "node:assert/strict";
import {
  Context,
  DEALER,
  IOLoop,
  POLLIN,
  REP,
  REQ,
  ROUTER,
  type Socket,
  ZMQStream,
} from "../mod.ts";
import { firstText, until, waitingAtPull, within } from "./_helpers.ts";

const text = firstText;

/** Lets the loop run a few turns (each a setImmediate hop at most). */
async function turns(loop: IOLoop, n = 5) {
  for (let i = 0; i < n; i++) await loop.runSync(() => {}, { timeout: 5000 });
}

Deno.test("receive batches", async (t) => {
  await t.step(
    "stopOnRecv inside a callback: no message after it",
    async () => {
      await using f = await waitingAtPull(40);
      const got: string[] = [];
      f.pull.onRecv((m) => {
        got.push(text(m));
        if (got.length === 5) f.pull.stopOnRecv();
      });
      await until(() => got.length >= 5);
      await turns(f.loop);
      assert.deepEqual(got, ["0", "1", "2", "3", "4"]);
      assert.ok(f.pull.socket.events & POLLIN, "the rest wait in the socket");
      f.pull.onRecv((m) => got.push(text(m)));
      await until(() => got.length === 40);
      assert.deepEqual(got, Array.from({ length: 40 }, (_, i) => String(i)));
      assert.deepEqual(f.errors, []);
    },
  );

  await t.step(
    "close inside a callback: nothing after it, no error",
    async () => {
      await using f = await waitingAtPull(40);
      const got: string[] = [];
      f.pull.onRecv((m) => {
        got.push(text(m));
        if (got.length === 3) f.pull.close(0);
      });
      await until(() => got.length >= 3);
      await turns(f.loop);
      assert.deepEqual(got, ["0", "1", "2"]);
      assert.equal(f.pull.closed(), true);
      assert.deepEqual(f.errors, []);
    },
  );

  await t.step(
    "a callback that always throws: every message, in order",
    async () => {
      await using f = await waitingAtPull(40);
      const got: string[] = [];
      f.pull.onRecv((m) => {
        got.push(text(m));
        throw new Error(`boom ${text(m)}`);
      });
      await until(() => got.length === 40);
      assert.deepEqual(got, Array.from({ length: 40 }, (_, i) => String(i)));
      assert.equal(f.errors.length, 40);
      assert.match(String(f.errors[39]), /boom 39/);
    },
  );

  await t.step("pending receives take one message each, no more", async () => {
    await using f = await waitingAtPull(40);
    const three = [0, 1, 2].map(() =>
      f.pull.recvMultipart({ signal: AbortSignal.timeout(5000) })
    );
    assert.deepEqual((await Promise.all(three)).map(text), ["0", "1", "2"]);
    await turns(f.loop);
    assert.ok(f.pull.socket.events & POLLIN, "37 left in the socket");
    let n = 3;
    for await (const m of f.pull) {
      assert.equal(text(m), String(n++));
      if (n === 40) break;
    }
  });

  /**
   * 400 waiting messages, each callback busy for `ms`; `schedule` starts a
   * timer at the first. Returns how many had been delivered when it ran.
   */
  async function timerAmidSlowCallbacks(
    ms: number,
    schedule: (loop: IOLoop, ran: () => void) => void,
  ): Promise<number> {
    await using f = await waitingAtPull(400);
    let got = 0, atTimer = -1;
    f.pull.onRecv(() => {
      if (got++ === 0) schedule(f.loop, () => atTimer = got);
      const end = performance.now() + ms;
      while (performance.now() < end) { /* a slow callback */ }
    });
    await until(() => got === 400, 10_000);
    return atTimer;
  }

  await t.step("a timer is not starved by a busy stream", async () => {
    const at = await timerAmidSlowCallbacks(0.2, (loop, ran) => {
      loop.callLater(0, ran);
    });
    assert.ok(at > 0 && at <= 20, `the timer ran after ${at}`);
  });

  await t.step("Deno's own timers run between slow batches", async () => {
    const at = await timerAmidSlowCallbacks(0.5, (_loop, ran) => {
      setTimeout(ran, 0);
    });
    // the turn yields after its 4 ms budget, looked at every 32 messages
    assert.ok(at > 0 && at <= 64, `the timer ran after ${at}`);
  });

  await t.step(
    "an echo batches too, and answers every message in order",
    async () => {
      const ctx = new Context();
      const loop = new IOLoop();
      const errors: unknown[] = [];
      loop.errorHandler = (e) => errors.push(e);
      const router = new ZMQStream(ctx.socket(ROUTER), loop);
      const ep = `inproc://batch-echo-${crypto.randomUUID()}`;
      router.bind(ep);
      const dealer = ctx.socket(DEALER);
      dealer.connect(ep);
      const N = 2000;
      for (let i = 0; i < N; i++) dealer.send(String(i));
      await until(() => (router.socket.events & POLLIN) !== 0);
      const before = loop.stats.passes;
      router.onRecv((m) => router.sendMultipart(m)); // echo: queues a send each
      const got: string[] = [];
      while (got.length < N) {
        await until(() => (dealer.events & POLLIN) !== 0);
        const part = dealer.tryRecvMultipart();
        if (part) got.push(new TextDecoder().decode(part[0] as Uint8Array));
      }
      assert.deepEqual(got, Array.from({ length: N }, (_, i) => String(i)));
      const passes = loop.stats.passes - before;
      assert.ok(passes < N / 2, `${passes} passes for ${N} echoes`);
      assert.deepEqual(errors, []);
      dealer.close(0);
      router.close(0);
      await within(loop.closeAndWait(), 5000, "the loop to close");
      ctx.destroy(0);
    },
  );

  await t.step(
    "REP is never batched: five REQs each get their answer",
    async () => {
      const ctx = new Context();
      const loop = new IOLoop();
      const errors: unknown[] = [];
      loop.errorHandler = (e) => errors.push(e);
      const rep = new ZMQStream(ctx.socket(REP), loop);
      const ep = `inproc://batch-rep-${crypto.randomUUID()}`;
      rep.bind(ep);
      const reqs: Socket[] = [];
      for (let i = 0; i < 5; i++) {
        const req = ctx.socket(REQ);
        req.connect(ep);
        req.send(`q${i}`);
        reqs.push(req);
      }
      await until(() => (rep.socket.events & POLLIN) !== 0);
      rep.onRecv((m) => rep.send(`a${text(m).slice(1)}`));
      for (let i = 0; i < 5; i++) {
        await until(() => (reqs[i]!.events & POLLIN) !== 0);
        assert.equal(reqs[i]!.recvString(), `a${i}`);
      }
      assert.deepEqual(errors, []);
      for (const r of reqs) r.close(0);
      rep.close(0);
      await within(loop.closeAndWait(), 5000, "the loop to close");
      ctx.destroy(0);
    },
  );
});
