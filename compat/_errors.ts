/**
 * Errors as zeromq.js has them: an `Error` with `code`, `errno` and (when
 * given) `address`, and zeromq.js's fixed texts for the errors it names
 * itself.
 *
 * @module
 */

import { ZMQError } from "../ffi/errors.ts";

/** zeromq.js's texts for the errors it names itself. */
export const MESSAGES: Readonly<Record<string, string>> = {
  EAGAIN: "Operation was not possible or timed out",
  EBUSY: "Socket is busy",
  EBADF: "Socket is closed",
  ENOENT: "No such endpoint",
  EADDRINUSE: "Address already in use",
};

/** An `Error` with zeromq.js's `code`, `errno` and (when given) `address`. */
export function errnoError(
  errno: number,
  message?: string,
  address?: string,
): ZMQError {
  const error = new ZMQError(errno);
  const text = message ?? MESSAGES[error.code];
  if (text !== undefined) error.message = text;
  if (address !== undefined) {
    (error as ZMQError & { address?: string }).address = address;
  }
  return error;
}
