import assert from "node:assert/strict";
import {
  AsyncSocket,
  Context,
  IOLoop,
  PAIR,
  PULL,
  PUSH,
  RCVHWM,
  SNDHWM,
  ZMQStream,
} from "../mod.ts";

const dec = new TextDecoder();
const bounded = () => AbortSignal.timeout(5000);

function pushPull(name: string, hwm = 1000) {
  const ctx = new Context();
  const loop = new IOLoop();
  const pull = ctx.socket(PULL), push = ctx.socket(PUSH);
  pull.setsockopt(RCVHWM, hwm);
  push.setsockopt(SNDHWM, hwm);
  pull.bind(`inproc://${name}`);
  push.connect(`inproc://${name}`);
  const rx = new ZMQStream(pull, loop), tx = new AsyncSocket(push, loop);
  return {
    ctx,
    loop,
    rx,
    tx,
    async [Symbol.asyncDispose]() {
      rx.close(0);
      tx.close(0);
      await loop.closeAndWait();
      ctx.destroy(0);
    },
  };
}

Deno.test("ZMQStream.readable", async (t) => {
  await t.step(
    "pipeThrough a TransformStream into a slow sink: backpressure reaches libzmq",
    async () => {
      await using f = pushPull("ws-slow", 2);
      let sent = 0, consumed = 0, maxGap = 0;
      const producer = (async () => {
        for (let i = 0; i < 300; i++) {
          await f.tx.send(String(i));
          sent++;
          maxGap = Math.max(maxGap, sent - consumed);
        }
      })();
      const got: string[] = [];
      await f.rx.readable
        .pipeThrough(
          new TransformStream<Uint8Array[], string>({
            transform: (msg, c) => c.enqueue(dec.decode(msg[0])),
          }),
        )
        .pipeTo(
          new WritableStream<string>({
            async write(s) {
              got.push(s);
              consumed++;
              if (consumed % 10 === 0) {
                await new Promise((r) => setTimeout(r, 1));
              }
              if (consumed === 300) f.rx.close();
            },
          }),
        );
      await producer;
      assert.deepEqual(got, Array.from({ length: 300 }, (_, i) => String(i)));
      // HWM 2 + 2 in the pipe, a few in the transform and the sink's queue.
      assert.ok(maxGap <= 12, `${maxGap} messages ahead of a slow consumer`);
    },
  );

  await t.step(
    "cancel() leaves the stream usable and consumes nothing",
    async () => {
      await using f = pushPull("ws-cancel");
      const reader = f.rx.readable.getReader();
      const pending = reader.read();
      await reader.cancel();
      assert.deepEqual(await pending, { done: true, value: undefined });
      await f.tx.send("kept");
      assert.deepEqual(
        (await f.rx.recvMultipart({ signal: bounded() })).map((p) =>
          dec.decode(p)
        ),
        ["kept"],
      );
    },
  );

  await t.step("ends when the stream closes", async () => {
    await using f = pushPull("ws-end");
    const reader = f.rx.readable.getReader();
    const pending = reader.read();
    f.rx.close();
    assert.deepEqual(await pending, { done: true, value: undefined });
  });
});

Deno.test("writable", async (t) => {
  await t.step("a file piped into a PUSH arrives whole", async () => {
    await using f = pushPull("ws-file");
    const path = await Deno.makeTempFile();
    const data = new Uint8Array(300_000).map((_, i) => i % 251);
    await Deno.writeFile(path, data);
    const file = await Deno.open(path);
    await file.readable.pipeTo(f.tx.writable);
    const parts: Uint8Array[] = [];
    let size = 0;
    while (size < data.length) {
      const [chunk] = await f.rx.recvMultipart({ signal: bounded() });
      parts.push(chunk!);
      size += chunk!.length;
    }
    const joined = new Uint8Array(size);
    let at = 0;
    for (const p of parts) {
      joined.set(p, at);
      at += p.length;
    }
    assert.deepEqual(joined, data);
    await Deno.remove(path);
  });

  await t.step(
    "write() resolves when libzmq took it; lists are multipart",
    async () => {
      await using f = pushPull("ws-write");
      const writer = f.tx.writable.getWriter();
      await writer.write("one");
      await writer.write(["a", new Uint8Array([1])]);
      writer.releaseLock();
      assert.deepEqual(
        (await f.rx.recvMultipart({ signal: bounded() })).map((p) =>
          dec.decode(p)
        ),
        ["one"],
      );
      assert.equal((await f.rx.recvMultipart({ signal: bounded() })).length, 2);
    },
  );

  await t.step(
    "a non-bytes chunk errors with a TypeError naming it; nothing partial is sent",
    async () => {
      const ctx = new Context();
      const loop = new IOLoop();
      const [a, b] = [ctx.socket(PAIR), ctx.socket(PAIR)];
      a.bind("inproc://ws-bad");
      b.connect("inproc://ws-bad");
      const tx = new ZMQStream(a, loop);
      const writer = tx.writable.getWriter();
      await assert.rejects(
        writer.write(["ok", 42] as never),
        (e: Error) => e instanceof TypeError && /42/.test(e.message),
      );
      await assert.rejects(writer.write("after"), TypeError); // errored
      assert.equal(b.poll(100), 0, "nothing was sent");
      assert.equal(tx.closed(), false, "the stream stays open");
      tx.close();
      b.close();
      await loop.closeAndWait();
      ctx.term();
    },
  );

  await t.step(
    "abort() drops queued writes and leaves the socket open",
    async () => {
      await using f = pushPull("ws-abort", 1);
      f.rx.socket.setsockopt(RCVHWM, 1);
      const writer = f.tx.writable.getWriter();
      const writes: Promise<void>[] = [];
      for (let i = 0; i < 10; i++) {
        writes.push(
          writer.write(String(i)).catch(() => {}),
        );
      }
      await writer.abort(new Error("stop"));
      await Promise.all(writes);
      assert.equal(f.tx.closed, false);
      await f.tx.send("after");
      const got: string[] = [];
      for (;;) {
        const m = await f.rx.recvMultipart({ signal: bounded() });
        got.push(dec.decode(m[0]));
        if (got.at(-1) === "after") break;
      }
      assert.ok(got.length < 11, "aborted writes were not all sent");
    },
  );
});

Deno.test("signals and await using", async (t) => {
  await t.step(
    "drained({ signal }) rejects with the reason; the queue stays",
    async () => {
      await using f = pushPull("ws-drained", 1);
      const stream = new ZMQStream(f.ctx.socket(PUSH), f.loop);
      stream.bind("inproc://ws-nobody");
      stream.send("waits");
      const ac = new AbortController();
      const p = stream.drained({ signal: ac.signal });
      ac.abort(new Error("enough"));
      await assert.rejects(p, /enough/);
      await assert.rejects(stream.drained({ signal: AbortSignal.abort() }));
      assert.equal(stream.sendQueueLength, 1);
      stream.close(0);
    },
  );

  await t.step(
    "messages({ signal }) ends a wait with the reason, consuming nothing",
    async () => {
      await using f = pushPull("ws-messages");
      const ac = new AbortController();
      const it = f.rx.messages({ signal: ac.signal });
      const p = it.next();
      ac.abort(new Error("bound"));
      await assert.rejects(p, /bound/);
      await f.tx.send("kept");
      const [msg] = await f.rx.recvMultipart({ signal: bounded() });
      assert.equal(dec.decode(msg), "kept");
    },
  );

  await t.step(
    "await using a ZMQStream writes its queue before closing",
    async () => {
      const ctx = new Context();
      const loop = new IOLoop();
      const pull = new AsyncSocket(ctx.socket(PULL), loop);
      pull.setsockopt(RCVHWM, 1);
      pull.bind("inproc://ws-dispose");
      let reader: Promise<number>;
      {
        await using push = new ZMQStream(ctx.socket(PUSH), loop);
        push.setsockopt(SNDHWM, 1);
        push.connect("inproc://ws-dispose");
        for (let i = 0; i < 50; i++) push.send(String(i));
        reader = (async () => {
          let n = 0;
          while (n < 50) {
            await pull.recvMultipart({ signal: bounded() });
            n++;
          }
          return n;
        })();
      }
      assert.equal(await reader, 50);
      pull.close(0);
      await loop.closeAndWait();
      ctx.term();
    },
  );
});
