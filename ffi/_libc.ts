/**
 * Finds libc, for the whole library, and binds the few functions the ffi
 * layer needs beyond libzmq: keeping libzmq mapped (`dlopen` with
 * `RTLD_NODELETE`), thread ids and liveness (`gettid`, `tgkill`), and
 * process-lifetime native memory (`calloc`). Opened lazily; every symbol is
 * optional so a libc without one degrades, never fails.
 *
 * libc is found as libzmq is (`_dlopen.ts`): `ZMQLOOP_LIBC` when set (a path
 * or name, and then nothing else), otherwise the platform's usual names
 * ({@linkcode libcCandidates}). {@linkcode libcPath} says which file that is:
 * the loop (`loop/native.ts`) opens the same one for its own functions.
 *
 * @module
 */

import { findLibrary, isPermissionError } from "./_dlopen.ts";

/** The environment variable that names the libc file to load. */
export const LIBC_PATH_ENV = "ZMQLOOP_LIBC";

/** Candidate libc names and paths for an OS, in the order tried. */
export function libcCandidates(
  os: typeof Deno.build.os,
  arch: typeof Deno.build.arch,
): string[] {
  switch (os) {
    case "darwin":
      return ["libSystem.B.dylib", "/usr/lib/libSystem.B.dylib"];
    case "windows":
      return []; // none
    case "linux":
    case "android":
      return [
        "libc.so.6", // glibc
        `libc.musl-${arch}.so.1`, // musl (Alpine)
        `/lib/ld-musl-${arch}.so.1`,
        "libc.so", // bionic; elsewhere often a linker script, which fails
      ];
    default:
      return ["libc.so.7", "libc.so"]; // FreeBSD, then the other BSDs
  }
}

const symbols = {
  // void *dlopen(const char *filename, int flags)
  dlopen: { parameters: ["buffer", "i32"], result: "pointer", optional: true },
  // void *calloc(size_t nmemb, size_t size)
  calloc: { parameters: ["usize", "usize"], result: "pointer", optional: true },
  // pid_t getpid(void)
  getpid: { parameters: [], result: "i32", optional: true },
  // int usleep(useconds_t usec)
  usleep: { parameters: ["u32"], result: "i32", optional: true },
  // pid_t gettid(void)  (glibc 2.30+, Linux)
  gettid: { parameters: [], result: "i32", optional: true },
  // int tgkill(pid_t tgid, pid_t tid, int sig)  (glibc 2.30+, Linux)
  tgkill: { parameters: ["i32", "i32", "i32"], result: "i32", optional: true },
  // ssize_t write(int fd, const void *buf, size_t count)
  write: {
    parameters: ["i32", "buffer", "usize"],
    result: "isize",
    optional: true,
  },
  // int close(int fd)
  close: { parameters: ["i32"], result: "i32", optional: true },
  // char *optarg: getopt()'s result slot, which no Deno code uses; zmqloop
  // keeps its process-wide registry's address there (see _registry.ts)
  optarg: { type: "pointer", optional: true },
} as const satisfies Deno.ForeignLibraryInterface;

/** The bound libc functions (each may be missing). */
export type Libc = Partial<Deno.DynamicLibrary<typeof symbols>["symbols"]>;

let found: { path: string; symbols: Libc } | Error | undefined;

function find(): { path: string; symbols: Libc } | Error {
  if (found) return found;
  if (Deno.build.os === "windows") {
    return found = new Error("Cannot load libc: Windows has none");
  }
  try {
    const { path, library } = findLibrary({
      what: "libc",
      env: LIBC_PATH_ENV,
      candidates: libcCandidates(Deno.build.os, Deno.build.arch),
      symbols,
    });
    return found = { path, symbols: library.symbols as Libc };
  } catch (error) {
    // No --allow-ffi: said again at the next call, not remembered.
    if (isPermissionError(error)) throw error;
    return found = error as Error;
  }
}

/**
 * The libc file in use: the first of {@linkcode libcCandidates} that loads,
 * or `ZMQLOOP_LIBC`'s.
 *
 * @throws {Error} naming every path tried when none loads (always on Windows)
 */
export function libcPath(): string {
  const f = find();
  if (f instanceof Error) throw f;
  return f.path;
}

/** libc, opened once; null where it cannot be opened (Windows). */
export function libc(): Libc | null {
  try {
    const f = find();
    return f instanceof Error ? null : f.symbols;
  } catch {
    return null; // no --allow-ffi: libzmq itself cannot load either
  }
}

/** `dlopen` flags of the running OS. */
export const RTLD = Deno.build.os === "darwin"
  ? { NOW: 0x2, NODELETE: 0x80 }
  : { NOW: 0x2, NODELETE: 0x1000 };
