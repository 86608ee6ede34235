/** Synchronous stdin/stdout for hooks: no streams to set up, so start-up stays cheap. */
import { readSync, writeSync } from "node:fs";

/** Larger specs are passed through untouched: podman's specs are kilobytes, never megabytes. */
export const MAX_SPEC_BYTES = 16 * 1024 * 1024;

const sleeper = new Int32Array(new SharedArrayBuffer(4));

function retrying<T>(op: () => T): T {
  for (;;) {
    try {
      return op();
    } catch (error) {
      // A non-blocking descriptor inherited from the caller: wait a little and try again.
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
      Atomics.wait(sleeper, 0, 0, 2);
    }
  }
}

export interface StdinResult {
  /** What was read: everything, or the first MAX_SPEC_BYTES and a bit when tooLarge. */
  readonly data: Buffer;
  /** True when more input remains unread on fd 0 (see passThroughRest). */
  readonly tooLarge: boolean;
}

export function readStdin(limit = MAX_SPEC_BYTES): StdinResult {
  const chunks: Buffer[] = [];
  const chunk = Buffer.allocUnsafe(65536);
  let total = 0;
  for (;;) {
    const n = retrying(() => readSync(0, chunk, 0, chunk.length, null));
    if (n === 0) break;
    chunks.push(Buffer.from(chunk.subarray(0, n)));
    total += n;
    if (total > limit) return { data: Buffer.concat(chunks, total), tooLarge: true };
  }
  return { data: Buffer.concat(chunks, total), tooLarge: false };
}

export function writeStdout(data: string | Buffer): void {
  const buffer = typeof data === "string" ? Buffer.from(data) : data;
  let offset = 0;
  while (offset < buffer.length) {
    offset += retrying(() => writeSync(1, buffer, offset, buffer.length - offset));
  }
}

/** Copy the rest of stdin to stdout unchanged. */
export function passThroughRest(): void {
  const chunk = Buffer.allocUnsafe(65536);
  for (;;) {
    const n = retrying(() => readSync(0, chunk, 0, chunk.length, null));
    if (n === 0) return;
    writeStdout(chunk.subarray(0, n));
  }
}
