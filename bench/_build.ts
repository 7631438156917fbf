/** Builds the C baseline (`bench/c/zmqbench.c`) the benches measure against. */

const here = new URL(".", import.meta.url).pathname;

/**
 * Compiles the C bench into `bin` with gcc.
 *
 * @param bin the output path
 */
export async function buildCBench(bin: string): Promise<void> {
  await Deno.mkdir(`${here}bin`, { recursive: true });
  const r = await new Deno.Command("gcc", {
    args: ["-O2", "-o", bin, `${here}c/zmqbench.c`, "-lzmq"],
  }).output();
  if (!r.success) {
    throw new Error(
      `Cannot build the C baseline (gcc and zmq.h needed: deno task setup --bench):\n${
        new TextDecoder().decode(r.stderr)
      }`,
    );
  }
}
