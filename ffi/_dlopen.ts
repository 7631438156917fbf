/**
 * Finding a native library, the one way both libzmq (`library.ts`) and libc
 * (`_libc.ts`) are found: the environment variable that names its file when
 * set (and then nothing else: no silent fallback), otherwise a per-OS list of
 * candidate names and paths, in order. A failure is one `Error` naming every
 * path tried, the variable, and how to get the library;
 * `PermissionDenied`/`NotCapable` (no `--allow-ffi`) pass through untouched.
 *
 * @module
 */

/** What to look for, and how to say it was not found. */
export interface LibrarySearch<S extends Deno.ForeignLibraryInterface> {
  /** The library's name in messages ("libzmq"). */
  what: string;
  /** The environment variable that overrides the search. */
  env: string;
  /** The names and paths to try, in order, when `env` is unset. */
  candidates: readonly string[];
  /** The symbols to bind. */
  symbols: S;
  /** How to install it, for the error ("apt-get install ..."), if anything. */
  install?: string;
}

/** A library found: the path that loaded and the library. */
export interface Found<S extends Deno.ForeignLibraryInterface> {
  path: string;
  library: Deno.DynamicLibrary<S>;
}

/**
 * Opens the first candidate that loads (see the module doc).
 *
 * @throws {Error} naming every path tried when none loads
 */
export function findLibrary<S extends Deno.ForeignLibraryInterface>(
  search: LibrarySearch<S>,
): Found<S> {
  const override = readEnv(search.env);
  const candidates = override ? [override] : search.candidates;
  const failures: string[] = [];
  for (const path of candidates) {
    try {
      return { path, library: Deno.dlopen(path, search.symbols) };
    } catch (error) {
      if (isPermissionError(error)) throw error;
      failures.push(`  ${path}: ${loadFailure(error, path)}`);
    }
  }
  const install = search.install
    ? `, or install ${search.what}: ${search.install}`
    : "";
  const how = override
    ? `${search.env} is set to "${override}" and that file did not load; fix or unset it${install}`
    : `Set ${search.env} to the library's path${install}`;
  throw new Error(
    `Cannot load ${search.what}; tried:\n${failures.join("\n")}\n${how}`,
  );
}

/** An environment variable; undefined when empty or not allowed (no --allow-env). */
export function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch (error) {
    // Without --allow-env, discovery still works from the candidate list.
    if (isPermissionError(error)) return undefined;
    throw error;
  }
}

/** Whether `error` is Deno refusing a permission (`--allow-ffi`, `--allow-env`). */
export function isPermissionError(error: unknown): boolean {
  return error instanceof Deno.errors.PermissionDenied ||
    error instanceof Deno.errors.NotCapable;
}

/** Deno's dlopen error without its repeated "Could not open library: " and path prefixes. */
function loadFailure(error: unknown, path: string): string {
  const line = (error as Error).message.split("\n")[0] ?? "";
  let text = line.replace(/^(Could not open library: )+/, "");
  if (text.startsWith(`${path}: `)) text = text.slice(path.length + 2);
  return text || line;
}
