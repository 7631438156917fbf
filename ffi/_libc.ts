/**
 * The few libc functions the ffi layer needs beyond libzmq: keeping libzmq
 * mapped (`dlopen` with `RTLD_NODELETE`), thread ids and liveness (`gettid`,
 * `tgkill`), and process-lifetime native memory (`calloc`). Opened lazily;
 * every symbol is optional so a libc without one degrades, never fails.
 *
 * @module
 */

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

let opened: Libc | null | undefined;

/** libc, opened once; null where it cannot be opened (Windows). */
export function libc(): Libc | null {
  if (opened !== undefined) return opened;
  const os = Deno.build.os;
  const path = os === "darwin"
    ? "libSystem.B.dylib"
    : os === "windows"
    ? null
    : "libc.so.6";
  opened = null;
  if (path) {
    try {
      opened = Deno.dlopen(path, symbols).symbols as Libc;
    } catch {
      opened = null; // a libc under another name (musl): no pinning, no registry
    }
  }
  return opened;
}

/** `dlopen` flags of the running OS. */
export const RTLD = Deno.build.os === "darwin"
  ? { NOW: 0x2, NODELETE: 0x80 }
  : { NOW: 0x2, NODELETE: 0x1000 };
