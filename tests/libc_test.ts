import assert from "node:assert/strict";
import { libc, LIBC_PATH_ENV, libcCandidates, libcPath } from "../ffi/_libc.ts";
import { findLibrary } from "../ffi/_dlopen.ts";
import { native } from "../loop/native.ts";
import { runDeno, tempScript } from "./_helpers.ts";

const LIBC_URL = new URL("../ffi/_libc.ts", import.meta.url).href;
const NATIVE_URL = new URL("../loop/native.ts", import.meta.url).href;

/** An absolute path of this machine's libc (Linux), if a usual one exists. */
async function absoluteLibc(): Promise<string | undefined> {
  const arch = Deno.build.arch;
  for (
    const path of [
      `/lib/${arch}-linux-gnu/libc.so.6`,
      `/usr/lib/${arch}-linux-gnu/libc.so.6`,
      "/lib64/libc.so.6",
      `/lib/ld-musl-${arch}.so.1`,
    ]
  ) {
    try {
      if ((await Deno.stat(path)).isFile) return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Runs `source` in a child deno with `env`; returns its result. */
async function child(source: string, env: Record<string, string>) {
  const script = await tempScript(source);
  try {
    return await runDeno(["run", "--allow-ffi", "--allow-env", script], {
      env,
    });
  } finally {
    await Deno.remove(script);
  }
}

Deno.test("libcCandidates lists glibc's and musl's names on Linux, one per OS", () => {
  assert.deepEqual(libcCandidates("linux", "x86_64"), [
    "libc.so.6",
    "libc.musl-x86_64.so.1",
    "/lib/ld-musl-x86_64.so.1",
    "libc.so",
  ]);
  assert.ok(
    libcCandidates("linux", "aarch64").includes("libc.musl-aarch64.so.1"),
  );
  assert.equal(libcCandidates("darwin", "aarch64")[0], "libSystem.B.dylib");
  assert.equal(libcCandidates("freebsd", "x86_64")[0], "libc.so.7");
  assert.deepEqual(libcCandidates("windows", "x86_64"), []);
  assert.equal(LIBC_PATH_ENV, "ZMQLOOP_LIBC");
});

Deno.test({
  name: "libcPath is the file both ffi and the loop opened, and it loads",
  ignore: Deno.build.os === "windows",
  fn() {
    const path = libcPath();
    const override = Deno.env.get(LIBC_PATH_ENV);
    if (override) assert.equal(path, override);
    else {
      assert.ok(
        libcCandidates(Deno.build.os, Deno.build.arch).includes(path),
        `${path} is a candidate`,
      );
    }
    assert.equal(libcPath(), path, "found once");
    assert.ok(libc()?.getpid, "ffi's libc is bound");
    assert.equal(libc()!.getpid!(), Deno.pid);
    assert.equal(typeof native().poll, "function", "the loop's libc is bound");
    const lib = Deno.dlopen(path, {
      getpid: { parameters: [], result: "i32" },
    });
    try {
      assert.equal(lib.symbols.getpid(), Deno.pid);
    } finally {
      lib.close();
    }
  },
});

Deno.test({
  name: "findLibrary tries candidates in order and names each failure",
  ignore: Deno.build.os !== "linux",
  fn() {
    const symbols = { getpid: { parameters: [], result: "i32" } } as const;
    const env = "ZMQLOOP_TEST_UNSET_LIBRARY_PATH";
    assert.equal(Deno.env.get(env), undefined);
    const found = findLibrary({
      what: "libc",
      env,
      candidates: ["/nonexistent/libc.so", libcPath()],
      symbols,
    });
    try {
      assert.equal(found.path, libcPath());
      assert.equal(found.library.symbols.getpid(), Deno.pid);
    } finally {
      found.library.close();
    }
    assert.throws(
      () =>
        findLibrary({
          what: "libfoo",
          env,
          candidates: ["/nonexistent/a.so", "/nonexistent/b.so"],
          symbols,
          install: "apt-get install libfoo",
        }),
      (error: Error) => {
        assert.match(error.message, /^Cannot load libfoo; tried:\n/);
        assert.match(error.message, /\/nonexistent\/a\.so: .+\n/);
        assert.match(error.message, /\/nonexistent\/b\.so: .+\n/);
        assert.match(
          error.message,
          /Set ZMQLOOP_TEST_UNSET_LIBRARY_PATH to the library's path, or install libfoo: apt-get install libfoo$/,
        );
        return true;
      },
    );
  },
});

Deno.test({
  name: "ZMQLOOP_LIBC names the libc to load, and only it (subprocess)",
  ignore: Deno.build.os !== "linux",
  async fn(t) {
    const path = await absoluteLibc();
    await t.step({
      name: "a path that loads is the one used",
      ignore: !path, // no libc at a usual absolute path on this machine
      fn: async () => {
        const r = await child(
          `import { libcPath } from "${LIBC_URL}";\n` +
            `import { native } from "${NATIVE_URL}";\n` +
            `console.log(libcPath(), typeof native().poll);\n`,
          { [LIBC_PATH_ENV]: path! },
        );
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), `${path} function`);
      },
    });

    await t.step(
      "one that does not load is named, without fallback",
      async () => {
        const r = await child(
          `import { libc } from "${LIBC_URL}";\n` +
            `import { native } from "${NATIVE_URL}";\n` +
            `console.log(libc() === null);\n` +
            `native();\n`,
          { [LIBC_PATH_ENV]: "/nonexistent/libc.so" },
        );
        assert.notEqual(r.code, 0);
        assert.equal(r.stdout.trim(), "true", "ffi's libc is best effort");
        assert.match(r.stderr, /Cannot load libc; tried:/);
        assert.match(r.stderr, /\/nonexistent\/libc\.so: /);
        assert.match(
          r.stderr,
          /ZMQLOOP_LIBC is set to "\/nonexistent\/libc\.so" and that file did not load; fix or unset it/,
        );
        assert.doesNotMatch(r.stderr, /libc\.so\.6:/, "no fallback tried");
      },
    );
  },
});
