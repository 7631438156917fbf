/**
 * Generates client and server CURVE certificate files, then moves them into
 * the store folders the stonehouse and ironhouse examples read:
 * `public_keys/` (`*.key`) and `private_keys/` (`*.key_secret`). A port of
 * PyZMQ's examples/security/generate_certificates.py. In practice this would
 * be done by hand or by some out-of-band process.
 *
 * Run: deno run --allow-ffi --allow-env --allow-read --allow-write
 *   examples/security/generate_certificates.ts [base_dir]
 */

import { createCertificates } from "../../mod.ts";

/** Makes `certificates/`, `public_keys/` and `private_keys/` under `baseDir` anew. */
export async function generateCertificates(baseDir: string): Promise<void> {
  const keysDir = `${baseDir}/certificates`;
  const publicKeysDir = `${baseDir}/public_keys`;
  const secretKeysDir = `${baseDir}/private_keys`;

  // Create directories for certificates, remove old content if necessary
  for (const d of [keysDir, publicKeysDir, secretKeysDir]) {
    await Deno.remove(d, { recursive: true }).catch(() => {});
    await Deno.mkdir(d);
  }

  // create new keys in certificates dir
  await createCertificates(keysDir, "server");
  await createCertificates(keysDir, "client");

  // move public keys to appropriate directory
  for await (const entry of Deno.readDir(keysDir)) {
    if (entry.name.endsWith(".key")) {
      await Deno.rename(
        `${keysDir}/${entry.name}`,
        `${publicKeysDir}/${entry.name}`,
      );
    }
  }

  // move secret keys to appropriate directory
  for await (const entry of Deno.readDir(keysDir)) {
    if (entry.name.endsWith(".key_secret")) {
      await Deno.rename(
        `${keysDir}/${entry.name}`,
        `${secretKeysDir}/${entry.name}`,
      );
    }
  }
}

if (import.meta.main) {
  await generateCertificates(
    Deno.args[0] ?? new URL(".", import.meta.url).pathname,
  );
}
