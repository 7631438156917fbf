/**
 * Makes sure libzmq can be loaded: run by `deno task setup` (and so by the
 * `demo`, `test` and `bench` tasks). Installs Debian's libzmq5 with apt-get
 * when it is missing and we are root on Debian/Ubuntu; otherwise prints the
 * command to run and fails.
 *
 * Usage: deno run --allow-run --allow-read --allow-env scripts/setup.ts [--python]
 *   --python  also install python3-zmq and python3-tornado (interop peers)
 *   --interop the same, but only warn when they cannot be installed (the
 *             interop tests are then skipped and say so)
 *   --bench   also python, gcc and zmq.h (libzmq3-dev) for the C baselines
 *
 * With --interop or --bench it also installs zeromq.js (npm `zeromq@6`) into
 * tests/peers/node_modules for the Node peer of the zeromq.js layer, or
 * says why those tests and rows will be skipped (no node/npm).
 */

import { installHint, LIBZMQ_PATH_ENV } from "../ffi/library.ts";

const wantBench = Deno.args.includes("--bench");
const wantPython = wantBench || Deno.args.includes("--python");
const wantInterop = Deno.args.includes("--interop");

async function run(
  cmd: string,
  args: string[],
  quiet = true,
): Promise<boolean> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      stdout: quiet ? "null" : "inherit",
      stderr: quiet ? "null" : "inherit",
      stdin: "null",
      env: { DEBIAN_FRONTEND: "noninteractive" },
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

async function hasLibzmq(): Promise<boolean> {
  const override = Deno.env.get(LIBZMQ_PATH_ENV);
  if (override) return true; // the loader reports a bad override itself
  if (Deno.build.os !== "linux") return true; // discovery explains what is missing
  const out = await new Deno.Command("sh", {
    args: ["-c", "ldconfig -p 2>/dev/null | grep -q 'libzmq\\.so\\.5 '"],
    stdout: "null",
    stderr: "null",
  }).output().catch(() => null);
  if (out?.success) return true;
  for (
    const dir of [
      "/usr/lib/x86_64-linux-gnu",
      "/usr/lib/aarch64-linux-gnu",
      "/usr/local/lib",
      "/usr/lib64",
      "/usr/lib",
    ]
  ) {
    try {
      await Deno.stat(`${dir}/libzmq.so.5`);
      return true;
    } catch {
      // not there
    }
  }
  return false;
}

async function hasPythonZmq(): Promise<boolean> {
  return await run("/usr/bin/python3", ["-c", "import zmq, tornado"]);
}

async function isRoot(): Promise<boolean> {
  try {
    const uid = Deno.uid(); // needs --allow-sys=uid
    if (uid !== null) return uid === 0;
  } catch {
    // no permission: ask id(1)
  }
  try {
    const out = await new Deno.Command("id", { args: ["-u"], stderr: "null" })
      .output();
    return new TextDecoder().decode(out.stdout).trim() === "0";
  } catch {
    return false;
  }
}

let aptUpdated = false;

async function aptInstall(packages: string[]): Promise<boolean> {
  if (!(await isRoot()) || !(await run("sh", ["-c", "command -v apt-get"]))) {
    return false;
  }
  console.error(`setup: installing ${packages.join(" ")} with apt-get`);
  if (!aptUpdated) aptUpdated = await run("apt-get", ["update", "-q"]);
  return await run("apt-get", ["install", "-y", "-q", ...packages]);
}

const missing: string[] = [];
if (!(await isRoot()) && !(await hasLibzmq())) {
  console.error("setup: not root, so nothing can be installed here");
}
if (!(await hasLibzmq())) {
  if (!(await aptInstall(["libzmq5"])) || !(await hasLibzmq())) {
    missing.push(
      `libzmq is not installed. Install it with: ${
        installHint(Deno.build.os)
      }` +
        ` (or set ${LIBZMQ_PATH_ENV} to the library file)`,
    );
  }
}
if (wantPython && !(await hasPythonZmq())) {
  if (
    !(await aptInstall(["python3-zmq", "python3-tornado"])) ||
    !(await hasPythonZmq())
  ) {
    missing.push(
      "pyzmq and tornado for /usr/bin/python3 are missing. Install them with: apt-get install python3-zmq python3-tornado",
    );
  }
}
if (
  wantInterop && !wantPython && !(await hasPythonZmq()) &&
  !((await aptInstall(["python3-zmq", "python3-tornado"])) &&
    (await hasPythonZmq()))
) {
  console.error(
    "setup: pyzmq for /usr/bin/python3 is missing, so the interop tests will be skipped. Install it with: apt-get install python3-zmq python3-tornado",
  );
}
if (
  wantBench &&
  !(await run("sh", ["-c", "command -v gcc && test -f /usr/include/zmq.h"]))
) {
  if (!(await aptInstall(["gcc", "libc6-dev", "libzmq3-dev"]))) {
    missing.push(
      "gcc and zmq.h are missing for the C baselines. Install them with: apt-get install gcc libzmq3-dev",
    );
  }
}
if (wantInterop || wantBench) {
  const peers = new URL("../tests/peers/", import.meta.url).pathname;
  const installed = await run("sh", [
    "-c",
    `test -f '${peers}node_modules/zeromq/package.json'`,
  ]);
  if (!installed) {
    if (!(await run("sh", ["-c", "command -v node && command -v npm"]))) {
      console.error(
        "setup: node and npm are missing, so the zeromq.js interop tests and bench rows will be skipped",
      );
    } else if (
      !(await run("npm", [
        "install",
        "--no-save",
        "--no-package-lock",
        "--no-audit",
        "--no-fund",
        "--prefix",
        peers,
        "zeromq@6",
      ]))
    ) {
      console.error(
        "setup: `npm install zeromq@6` failed, so the zeromq.js interop tests and bench rows will be skipped",
      );
    }
  }
}
if (missing.length) {
  for (const line of missing) console.error(`setup: ${line}`);
  Deno.exit(1);
}
