/**
 * Finds and loads libzmq, once, on first use.
 *
 * Order: the `LIBZMQ_PATH` environment variable when set (and then nothing
 * else), otherwise a per-OS list of candidate names and paths (the search is
 * `_dlopen.ts`'s, shared with libc). Importing this module loads nothing;
 * {@linkcode lib} does, the first time it is called.
 *
 * @module
 */

import { symbols, type ZmqSymbols } from "./symbols.ts";
import { libc, RTLD } from "./_libc.ts";
import { findLibrary } from "./_dlopen.ts";

/** The environment variable that names the libzmq file to load. */
export const LIBZMQ_PATH_ENV = "LIBZMQ_PATH";

const MIN_VERSION: [number, number] = [4, 1];

/** Candidate library names and paths for an OS, in the order tried. */
export function libraryCandidates(os: typeof Deno.build.os): string[] {
  switch (os) {
    case "darwin":
      return [
        "libzmq.5.dylib",
        "libzmq.dylib",
        "/opt/homebrew/lib/libzmq.5.dylib",
        "/opt/homebrew/opt/zeromq/lib/libzmq.5.dylib",
        "/usr/local/lib/libzmq.5.dylib",
        "/usr/local/opt/zeromq/lib/libzmq.5.dylib",
        "/opt/local/lib/libzmq.5.dylib",
      ];
    case "windows":
      return [
        "libzmq.dll",
        "libzmq-mt-4_3_5.dll",
        "libzmq-mt-4_3_4.dll",
        "libzmq-v143-mt-4_3_5.dll",
        "libzmq-v142-mt-4_3_4.dll",
        "libzmq-v141-mt-4_3_4.dll",
        "C:\\vcpkg\\installed\\x64-windows\\bin\\libzmq-mt-4_3_5.dll",
        "C:\\Program Files\\ZeroMQ\\bin\\libzmq-v142-mt-4_3_4.dll",
      ];
    default:
      return [
        "libzmq.so.5",
        "libzmq.so",
        "/usr/lib/x86_64-linux-gnu/libzmq.so.5",
        "/usr/lib/aarch64-linux-gnu/libzmq.so.5",
        "/usr/local/lib/libzmq.so.5",
        "/usr/lib64/libzmq.so.5",
        "/usr/lib/libzmq.so.5",
      ];
  }
}

/** How to install libzmq on an OS, for error messages. */
export function installHint(os: typeof Deno.build.os): string {
  switch (os) {
    case "darwin":
      return "brew install zeromq";
    case "windows":
      return "vcpkg install zeromq:x64-windows (then set LIBZMQ_PATH to the DLL)";
    default:
      return "apt-get install libzmq5 (Debian/Ubuntu), dnf install zeromq (Fedora), apk add zeromq (Alpine)";
  }
}

let loaded: ZmqSymbols | undefined;

/**
 * Opens libzmq (once) and returns its symbols. Throws one `Error` listing
 * every path tried when nothing loads; `PermissionDenied` (no `--allow-ffi`)
 * passes through untouched.
 */
export function lib(): ZmqSymbols {
  return loaded ??= open();
}

function open(): ZmqSymbols {
  const { path, library } = findLibrary({
    what: "libzmq",
    env: LIBZMQ_PATH_ENV,
    candidates: libraryCandidates(Deno.build.os),
    symbols,
    install: installHint(Deno.build.os),
  });
  checkVersion(library.symbols, path);
  pin(path);
  return library.symbols;
}

/**
 * Keeps libzmq mapped for the life of the process: a second `dlopen` of the
 * same file through libc with `RTLD_NODELETE`, never closed. Deno closes the
 * libraries an isolate opened when it ends (the main module at exit, a Worker
 * at `terminate()`), and unmapping libzmq while its I/O and reaper threads
 * still run crashes the process (SIGSEGV in about half the exits that skip
 * `term()`). Best effort: without libc's `dlopen` (Windows) nothing is pinned.
 */
function pin(path: string): void {
  const c = libc();
  if (!c?.dlopen) return;
  c.dlopen(new TextEncoder().encode(`${path}\0`), RTLD.NOW | RTLD.NODELETE);
}

function checkVersion(sym: ZmqSymbols, path: string): void {
  const [major, minor, patch] = readVersion(sym);
  if (
    major < MIN_VERSION[0] ||
    (major === MIN_VERSION[0] && minor < MIN_VERSION[1])
  ) {
    throw new Error(
      `Cannot use libzmq ${major}.${minor}.${patch} from "${path}": zmqloop needs ${
        MIN_VERSION.join(".")
      } or newer`,
    );
  }
}

function readVersion(sym: ZmqSymbols): [number, number, number] {
  const out = new Int32Array(3);
  sym.zmq_version(out.subarray(0, 1), out.subarray(1, 2), out.subarray(2, 3));
  return [out[0]!, out[1]!, out[2]!];
}

/** The loaded libzmq's version as `[major, minor, patch]`. */
export function libraryVersion(): [number, number, number] {
  return readVersion(lib());
}
