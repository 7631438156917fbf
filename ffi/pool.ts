/**
 * Memory for received messages. On Deno every `new ArrayBuffer` (and so
 * every fresh `Uint8Array`) costs about 300 ns here, while a view into an
 * existing buffer costs about 20 ns (measured). Small received messages are
 * therefore views into shared 16 KiB slabs, as Node's `Buffer` pool does: a
 * message's `.buffer` is the slab and may hold other messages; `.slice()`
 * gives a standalone copy. A slab lives as long as any of its views.
 *
 * @module
 */

const SLAB_SIZE = 16384;
/** Messages up to this size are slab views; larger ones get their own buffer. */
export const POOLED_MAX = 1024;

let slab = new ArrayBuffer(SLAB_SIZE);
let slabWords = new Int32Array(slab);
let offset = 0;

/** Takes `size` bytes of the slab (a new slab when full); returns where. */
function take(size: number): number {
  // (a slab is detached when a user transfers a message's `.buffer`, to a
  // Worker say: views into it would throw, losing the message just received)
  if (offset + size > SLAB_SIZE || slab.detached) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabWords = new Int32Array(slab);
    offset = 0;
  }
  const at = offset;
  offset = (offset + size + 7) & ~7; // 8-byte aligned, for other typed views
  return at;
}

/** A fresh `Uint8Array` of `size` bytes (a slab view when small). */
export function allocBytes(size: number): Uint8Array {
  if (size > POOLED_MAX) return new Uint8Array(size);
  const at = take(size); // first: it may start a new slab
  return new Uint8Array(slab, at, size);
}

/**
 * Copies `size` bytes from `src` at `from` into a fresh (pooled) array; the
 * fast path for messages libzmq stored inside the `zmq_msg_t` itself.
 * `from` must be a multiple of 4 and `src` a whole buffer at least
 * `from + size` rounded up to 4 bytes long: the copy moves 32-bit words,
 * and the few bytes past `size` land in the slot's own alignment padding.
 */
export function copyBytes(
  src: Int32Array,
  from: number,
  size: number,
): Uint8Array {
  if (size > 64) {
    const out = allocBytes(size);
    out.set(new Uint8Array(src.buffer, src.byteOffset + from, size));
    return out;
  }
  const at = take(size);
  const dst = slabWords, d = at >> 2, s = from >> 2, words = (size + 3) >> 2;
  for (let i = 0; i < words; i++) dst[d + i] = src[s + i]!;
  return new Uint8Array(slab, at, size);
}
