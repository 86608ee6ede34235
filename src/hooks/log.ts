/** Upstream's log format: `YYYY-MM-DD HH:MM:SS - <hook> - LEVEL - msg`, appended to one file; ERROR also on stderr. */
import { mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";

export type Level = "DEBUG" | "INFO" | "WARNING" | "ERROR";

const pad = (n: number): string => String(n).padStart(2, "0");

export function timestamp(date: Date): string {
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

/**
 * Make an untrusted value safe to put in one log line: control characters escaped (no forged lines),
 * long values cut (a megabyte annotation must not become a megabyte log line).
 */
export function shown(value: unknown, max = 200): string {
  const text = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  const cut = text.length > max ? `${text.slice(0, max)}...(${text.length} chars)` : text;
  return cut.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** Where a hook's log lines go: HookLog in the executables, a collector in tests. */
export interface Logger {
  log(level: Level, message: string): void;
}

export class HookLog implements Logger {
  #fd: number | undefined;

  constructor(
    readonly tag: string,
    readonly file: string,
  ) {}

  log(level: Level, message: string): void {
    const line = `${timestamp(new Date())} - ${this.tag} - ${level} - ${message}\n`;
    const fd = this.#open();
    // A read-only or full /var/log must never stop a container from starting.
    if (fd >= 0) {
      try {
        writeSync(fd, line);
      } catch {}
    }
    if (level === "ERROR") {
      try {
        writeSync(2, line);
      } catch {}
    }
  }

  #open(): number {
    if (this.#fd === undefined) {
      try {
        mkdirSync(dirname(this.file), { recursive: true });
        this.#fd = openSync(this.file, "a", 0o640);
      } catch {
        this.#fd = -1;
      }
    }
    return this.#fd;
  }
}
