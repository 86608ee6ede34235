import { closeSync, constants, openSync, readSync } from "node:fs";

/**
 * The kernel log from /dev/kmsg: records after sequence number `after` (all when omitted), and the last sequence
 * number seen, so a check can read exactly what the kernel logged while it ran.
 */
export function kernelLog(after = -1): { readonly last: number; readonly messages: string[] } {
  const fd = openSync("/dev/kmsg", constants.O_RDONLY | constants.O_NONBLOCK);
  const buf = Buffer.alloc(16 * 1024);
  const messages: string[] = [];
  let last = after;
  try {
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf);
      } catch (e) {
        // EPIPE: the record was overwritten while reading; the next read continues with the oldest one left.
        if ((e as NodeJS.ErrnoException).code === "EPIPE") continue;
        if ((e as NodeJS.ErrnoException).code === "EAGAIN") break;
        throw e;
      }
      const record = buf.toString("utf8", 0, n);
      const header = record.slice(0, record.indexOf(";")).split(",");
      const seq = Number(header[1]);
      if (seq > after) messages.push(record.slice(record.indexOf(";") + 1).split("\n")[0] ?? "");
      last = Math.max(last, seq);
    }
  } finally {
    closeSync(fd);
  }
  return { last, messages };
}
