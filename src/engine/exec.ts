import { spawn } from "node:child_process";
import { constants } from "node:os";
import { QmError } from "../core/errors.js";

export interface RunOptions {
  readonly input?: string | Buffer | NodeJS.ReadableStream;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Past this, the program gets SIGTERM, and SIGKILL 2 s later if it is still there. */
  readonly timeoutMs?: number;
  /** The error a timeout ends in, whether or not `allowFailure` is set (default: QM_COMMAND_FAILED, unless allowed). */
  readonly timeoutError?: (argv: readonly string[]) => Error;
  /** Return the result instead of throwing when the exit status is not 0. */
  readonly allowFailure?: boolean;
  /** Pass stdout/stderr through to ours (long, user-visible work) instead of capturing. */
  readonly inherit?: boolean;
}

export interface RunResult {
  readonly argv: readonly string[];
  readonly code: number;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Killed because it did not finish within `timeoutMs`. */
  readonly timedOut: boolean;
}

/** Quote an argv the way a person would retype it in a shell (display only; nothing is ever run by a shell). */
export function quoteArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(" ");
}

function tail(text: string, lines = 8): string {
  const all = text.trimEnd().split("\n");
  return all.slice(-lines).join("\n");
}

/** Run a program without a shell. Errors quote the command, the reason and the stderr tail. */
export function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const argv = [file, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: [
        options.input === undefined ? "ignore" : "pipe",
        options.inherit ? "inherit" : "pipe",
        options.inherit ? "inherit" : "pipe",
      ],
    });
    // Our own timer, not spawn's: a program may catch SIGTERM and exit 0 with nothing said (podman does), and one
    // that ignores it must not hold the caller forever.
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    if (options.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        timedOut = true;
        child.kill("SIGTERM");
        timer = setTimeout(() => child.kill("SIGKILL"), 2000);
      }, options.timeoutMs);
    }
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr?.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const missing = error.code === "ENOENT";
      reject(
        new QmError(
          missing ? "QM_COMMAND_NOT_FOUND" : "QM_COMMAND_FAILED",
          `cannot run ${quoteArgv(argv)}: ${error.message}`,
          {
            ...(missing ? { hint: `install ${file} (see 'qm doctor')` } : {}),
            cause: error,
          },
        ),
      );
    });
    // A timed-out program's own children may hold its output open: stop reading once it is gone.
    child.on("exit", () => {
      if (!timedOut) return;
      child.stdout?.destroy();
      child.stderr?.destroy();
    });
    if (typeof options.input === "string" || Buffer.isBuffer(options.input)) child.stdin?.end(options.input);
    else if (options.input !== undefined && child.stdin) {
      // A program that stops reading early (it failed) must not turn into an unhandled EPIPE.
      child.stdin.on("error", () => {});
      options.input.pipe(child.stdin);
    }
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const result: RunResult = {
        argv,
        // As a shell reports it: 128 plus the number of the signal that ended the program.
        code: code ?? 128 + (signal ? constants.signals[signal] : 0),
        signal,
        stdout,
        stderr,
        timedOut,
      };
      if (timedOut && options.timeoutError) {
        reject(options.timeoutError(argv));
        return;
      }
      if ((result.code === 0 && !timedOut) || options.allowFailure) {
        resolve(result);
        return;
      }
      const why = timedOut
        ? `did not finish within ${(options.timeoutMs ?? 0) / 1000} s`
        : signal
          ? `killed by ${signal}`
          : `exit status ${result.code}`;
      const detail = tail(stderr) || tail(stdout);
      reject(
        new QmError(
          "QM_COMMAND_FAILED",
          `${quoteArgv(argv)} failed (${why})${detail ? `:\n${detail}` : ""}`,
          {
            details: { argv, code: result.code, stderr: tail(stderr, 40) },
          },
        ),
      );
    });
  });
}
