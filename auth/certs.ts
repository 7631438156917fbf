/**
 * CURVE certificates in ZeroMQ's ZPL format (czmq's zcert, PyZMQ's
 * `zmq.auth.certs`): `name.key` holds the public key, `name.key_secret` the
 * public and secret keys.
 *
 * @module
 */

import { curveKeypair, z85Decode } from "../ffi/z85.ts";

/**
 * A certificate file or folder that cannot be used: missing, not ZPL, or
 * holding the wrong kind of key. `path` names it.
 *
 * @example
 * ```ts
 * import { CertificateError, loadCertificate } from "@zmqloop/zmq";
 * try {
 *   await loadCertificate("/nonexistent/server.key");
 * } catch (error) {
 *   console.log(error instanceof CertificateError); // true
 * }
 * ```
 */
export class CertificateError extends Error {
  /** The file or folder at fault. */
  readonly path: string;

  /**
   * Creates the error.
   *
   * @param path the file or folder
   * @param message what went wrong, naming the path
   * @param options the cause
   */
  constructor(path: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CertificateError";
    this.path = path;
  }
}

function banner(kind: "Public" | "**Secret**"): string {
  const lines = [
    `#   ****  Generated on ${
      new Date().toISOString().replace("T", " ").slice(0, 19)
    } by zmqloop  ****`,
    `#   ZeroMQ CURVE ${kind} Certificate`,
    kind === "Public"
      ? "#   Exchange securely, or use a secure mechanism to verify the contents\n#   of this file after exchange. Store public certificates in your home\n#   directory, in the .curve subdirectory."
      : "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.",
  ];
  return lines.join("\n") + "\n\n";
}

/** Checks a Z85 CURVE key (40 characters, 32 bytes). */
export function checkKey(key: unknown, what: string): string {
  if (typeof key !== "string") {
    throw new TypeError(
      `Cannot use ${what}: expected a Z85 string, got ${typeof key}`,
    );
  }
  if (key.length !== 40) {
    throw new RangeError(
      `Cannot use ${what} "${key}": a Z85 CURVE key has 40 characters, got ${key.length}`,
    );
  }
  try {
    z85Decode(key);
  } catch (error) {
    throw new RangeError(
      `Cannot use ${what} "${key}": ${(error as Error).message}`,
    );
  }
  return key;
}

/**
 * Creates a CURVE key pair and writes it as `dir/name.key` (public) and
 * `dir/name.key_secret` (public and secret, mode 0600). The folder is
 * created when missing.
 *
 * @param dir the folder
 * @param name the file name without extension
 * @returns the two file paths
 * @throws {CertificateError} when the files cannot be written
 * @throws {TypeError} when name is empty or holds a path separator
 *
 * @example
 * ```ts
 * import { createCertificates, loadCertificate } from "@zmqloop/zmq";
 * const dir = await Deno.makeTempDir();
 * const [pub, secret] = await createCertificates(dir, "server");
 * const [publicKey, secretKey] = await loadCertificate(secret);
 * console.log(publicKey.length, secretKey?.length); // 40 40
 * console.log((await loadCertificate(pub))[1]); // null
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function createCertificates(
  dir: string,
  name: string,
): Promise<[publicFile: string, secretFile: string]> {
  if (typeof name !== "string" || !name || /[\\/]/.test(name)) {
    throw new TypeError(
      `Cannot create certificates: name must be a file name, got "${name}"`,
    );
  }
  const [publicKey, secretKey] = curveKeypair();
  const base = `${dir.replace(/\/+$/, "")}/${name}`;
  const publicFile = `${base}.key`, secretFile = `${base}.key_secret`;
  try {
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(
      publicFile,
      `${banner("Public")}metadata\ncurve\n    public-key = "${publicKey}"\n`,
    );
    // Created with 0600 so the secret is never readable by others, even briefly.
    await Deno.writeTextFile(
      secretFile,
      `${
        banner("**Secret**")
      }metadata\ncurve\n    public-key = "${publicKey}"\n    secret-key = "${secretKey}"\n`,
      { mode: 0o600 },
    );
    if (Deno.build.os !== "windows") await Deno.chmod(secretFile, 0o600);
  } catch (error) {
    throw new CertificateError(
      base,
      `Cannot write the certificates "${publicFile}" and "${secretFile}": ${
        (error as Error).message
      }`,
      { cause: error },
    );
  }
  return [publicFile, secretFile];
}

/** Parses ZPL certificate text; `path` only names it in errors. */
export function parseCertificate(
  text: string,
  path: string,
): [publicKey: string, secretKey: string | null] {
  let publicKey: string | null = null;
  let secretKey: string | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const m = line.match(/^(public-key|secret-key)\s*=\s*(.*)$/);
    if (!m) continue;
    const value = m[2]!.replace(/^["']|["']$/g, "");
    try {
      checkKey(value, `the ${m[1]} of "${path}"`);
    } catch (error) {
      throw new CertificateError(path, (error as Error).message);
    }
    if (m[1] === "public-key") publicKey = value;
    else secretKey = value;
  }
  if (publicKey === null) {
    throw new CertificateError(
      path,
      `Cannot load the certificate "${path}": not a ZPL certificate (no public-key)`,
    );
  }
  return [publicKey, secretKey];
}

function readError(path: string, what: string, error: unknown): never {
  const reason = error instanceof Deno.errors.NotFound
    ? "no such file or folder"
    : (error as Error).message;
  throw new CertificateError(path, `Cannot load ${what} "${path}": ${reason}`, {
    cause: error,
  });
}

/**
 * Loads a certificate file: the public key, and the secret key when the
 * file has one (`name.key_secret`), else `null`.
 *
 * @param path the `.key` or `.key_secret` file
 * @returns `[publicKey, secretKey | null]`, both Z85
 * @throws {CertificateError} for a missing file or one that is not ZPL
 *
 * @example
 * ```ts
 * import { createCertificates, loadCertificate } from "@zmqloop/zmq";
 * const dir = await Deno.makeTempDir();
 * const [, secretFile] = await createCertificates(dir, "client");
 * const [publicKey, secretKey] = await loadCertificate(secretFile);
 * console.log(typeof publicKey, typeof secretKey); // string string
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadCertificate(
  path: string,
): Promise<[publicKey: string, secretKey: string | null]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    readError(path, "the certificate", error);
  }
  return parseCertificate(text, path);
}

/**
 * Loads every public certificate (`*.key`) of a folder, keyed by Z85 public
 * key: the form `Authenticator.configureCurve` takes. A `.key` file that
 * holds a secret key is refused, since a folder of public certificates is
 * meant to be shared.
 *
 * @param dir the folder
 * @returns `{ [publicKey]: true }`
 * @throws {CertificateError} for a missing folder, a file that is not ZPL, or
 *   a `.key` file with a secret key
 *
 * @example
 * ```ts
 * import { createCertificates, loadCertificates } from "@zmqloop/zmq";
 * const dir = await Deno.makeTempDir();
 * await createCertificates(dir, "a");
 * await createCertificates(dir, "b");
 * console.log(Object.keys(await loadCertificates(dir)).length); // 2
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadCertificates(
  dir: string,
): Promise<Record<string, true>> {
  const keys: Record<string, true> = {};
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch (error) {
    readError(dir, "the certificate folder", error);
  }
  for (const path of keyFiles(dir, entries)) {
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (error) {
      readError(path, "the certificate", error);
    }
    keys[publicKeyOf(text, path)] = true;
  }
  return keys;
}

/** `loadCertificates` without await, for configuration calls. */
export function loadCertificatesSync(dir: string): Record<string, true> {
  const keys: Record<string, true> = {};
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch (error) {
    readError(dir, "the certificate folder", error);
  }
  for (const path of keyFiles(dir, entries)) {
    let text: string;
    try {
      text = Deno.readTextFileSync(path);
    } catch (error) {
      readError(path, "the certificate", error);
    }
    keys[publicKeyOf(text, path)] = true;
  }
  return keys;
}

/** The public certificate files (`*.key`) of a folder's entries. */
function keyFiles(dir: string, entries: Deno.DirEntry[]): string[] {
  return entries
    .filter((e) => e.isFile && e.name.endsWith(".key"))
    .map((e) => `${dir.replace(/\/+$/, "")}/${e.name}`)
    .sort();
}

/** The public key of a public certificate; refuses one with a secret key. */
function publicKeyOf(text: string, path: string): string {
  const [publicKey, secretKey] = parseCertificate(text, path);
  if (secretKey !== null) {
    throw new CertificateError(
      path,
      `Cannot load the public certificate "${path}": it holds a secret key (a public certificate folder must hold public keys only)`,
    );
  }
  return publicKey;
}
