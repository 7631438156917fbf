// The receive fast path reads MORE and "stored inline?" from the zmq_msg_t's
// own bytes once the layout found at run time has agreed with libzmq's
// answers (zmq_msg_more, zmq_msg_data) for 64 receives. These tests check
// that the bytes then say what libzmq says, for every size around the
// inline limit and every part position, and that a wrong layout is caught
// and never used.
import assert from "node:assert/strict";
import { Context, PAIR } from "../mod.ts";
import {
  findTypeOffset,
  moreByteWorks,
  Scratch,
  scratchFor,
} from "../ffi/_message.ts";
import { lib } from "../ffi/library.ts";
import { pairOn } from "./_helpers.ts";
import { copyBytes } from "../ffi/pool.ts";

const SIZES = [0, 1, 7, 8, 29, 30, 31, 32, 33, 34, 40, 56, 57, 64, 100, 1025];

Deno.test("message layout", async (t) => {
  const sym = lib();

  await t.step("this libzmq's type byte is found", () => {
    const s = new Scratch(sym);
    assert.ok(s.typeAt >= 8 && s.typeAt < 63, `typeAt ${s.typeAt}`);
    assert.equal(s.fastMore, false); // not before it was checked
    assert.equal(s.fastInline, false);
  });

  await t.step("the bytes say what libzmq says, inproc and tcp", () => {
    const ctx = new Context();
    try {
      for (const ep of ["inproc://layout", "tcp://127.0.0.1:*"]) {
        const a = ctx.socket(PAIR), b = ctx.socket(PAIR);
        a.bind(ep);
        b.connect(a.lastEndpoint!);
        for (let round = 0; round < 6; round++) {
          for (const size of SIZES) {
            // parts of every size, in every position of a 3-part message
            const parts = [size, (size * 7) % 60, 3].map((n, i) =>
              new Uint8Array(n).fill(i + round)
            );
            b.sendMultipart(parts);
            assert.deepEqual(a.recvMultipart(), parts);
            // a single part, through recv()
            b.send(parts[0]!);
            assert.deepEqual(a.recv(), parts[0]);
          }
        }
        a.close(0);
        b.close(0);
      }
      const s = scratchFor(sym);
      assert.ok(s.typeAt >= 0);
      assert.equal(s.fastMore, true, "MORE now read from the flags byte");
      assert.equal(s.fastInline, true, "inline now read from the type byte");
      // and a message received through the fast path still matches libzmq
      const [a, b] = pairOn(ctx, "inproc://layout-after");
      for (const size of SIZES) {
        b.sendMultipart([new Uint8Array(size).fill(9), new Uint8Array(1)]);
        const got = a.recvMultipart();
        assert.equal(got.length, 2);
        assert.deepEqual(got[0], new Uint8Array(size).fill(9));
        assert.equal(s.slowMore(), false); // the last part: no MORE
      }
      a.close(0);
      b.close(0);
    } finally {
      ctx.term();
    }
  });

  await t.step(
    "MORE is trusted only once the byte was seen to say MORE",
    () => {
      // single parts only: the byte reads 0 every time, which proves nothing,
      // so after 64 checks a private inproc pair shows it saying MORE
      assert.equal(moreByteWorks(sym, new Scratch(sym).typeAt), true);
      assert.equal(moreByteWorks(sym, 20), false, "a wrong offset fails it");
      const ctx = new Context();
      const [a, b] = pairOn(ctx, "inproc://layout-more");
      try {
        const s = new Scratch(sym);
        const h = a.unsafeHandle("test");
        const take = () => {
          assert.ok(sym.zmq_msg_recv(s.recv, h, 0) >= 0);
          return s.slowMore();
        };
        for (let i = 0; i < 63; i++) {
          b.send(new Uint8Array(i % 40));
          assert.equal(take(), false);
        }
        assert.equal(s.fastMore, false, "not before 64 checks");
        b.send("x");
        assert.equal(take(), false);
        assert.equal(s.fastMore, true, "proved by the private pair");
        sym.zmq_msg_close(s.recv);
      } finally {
        a.close(0);
        b.close(0);
        ctx.term();
      }
    },
  );

  await t.step("a wrong layout is caught, never used", () => {
    const ctx = new Context();
    const [a, b] = pairOn(ctx, "inproc://layout-wrong");
    try {
      const s = new Scratch(sym);
      s.typeAt = 20; // inside an inline payload: the bytes lie
      b.sendMultipart([new Uint8Array(40).fill(101), new Uint8Array(2)]);
      b.send(new Uint8Array(30).fill(1)); // bytes 12.. of it: 1, "MORE"
      // read as the fast path would, through this Scratch
      for (let i = 0; i < 3; i++) {
        const rc = sym.zmq_msg_recv(s.recv, a.unsafeHandle("test"), 0);
        assert.ok(rc >= 0);
        s.slowMore();
        s.slowInline();
      }
      assert.equal(s.typeAt, -1);
      assert.equal(s.fastMore, false);
      assert.equal(s.fastInline, false);
      sym.zmq_msg_close(s.recv);
    } finally {
      a.close(0);
      b.close(0);
      ctx.term();
    }
  });

  await t.step("word copies never spill into a neighbour", () => {
    // copyBytes moves 32-bit words: the bytes past a copy's size must stay
    // inside its own slot, for every size, across slab ends too
    const src = new Int32Array(32);
    const bytes = new Uint8Array(src.buffer);
    const kept: [Uint8Array, number, number][] = [];
    for (let round = 0; round < 400; round++) {
      for (let size = 0; size <= 72; size++) {
        const fill = (round * 73 + size) & 0xff;
        bytes.fill(fill);
        bytes.fill(0xee, 8 + size); // what an over-copy would carry
        const out = copyBytes(src, 8, size);
        assert.equal(out.length, size);
        kept.push([out, size, fill]);
      }
    }
    for (const [out, size, fill] of kept) {
      assert.deepEqual(out, new Uint8Array(size).fill(fill));
    }
  });

  await t.step("no candidate when the library lies", () => {
    // a zmq_msg_init_size that fails: no layout, the FFI answers stay
    const failing = {
      ...sym,
      zmq_msg_init_size: () => -1,
    } as unknown as typeof sym;
    assert.equal(findTypeOffset(failing, 0, new Uint8Array(128)), -1);
  });
});
