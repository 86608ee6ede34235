import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { quoteArgv, run } from "../engine/exec.js";
import { podmanProgram } from "../engine/podman.js";

/**
 * The side-effect layer of the FFI checks: commands on the host and inside the partition (`podman exec`, through
 * QM_PODMAN), each recorded for the evidence, and a registry of clean-ups that also runs on SIGINT/SIGTERM.
 */

export interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Spawned {
  readonly child: ChildProcess;
  readonly display: string;
}

/** Where the checks keep their files inside the partition (its /var/tmp is disk-backed and writable). */
export const WORK_DIR = "/var/tmp/qm-ffi";
/** A busybox tree for nested containers, built from the host's static busybox. */
export const NESTED_ROOTFS = `${WORK_DIR}/nested`;

/** Run without throwing: a failure to start at all is exit status 127 with the reason as stderr. */
function exec(file: string, args: readonly string[], input?: Buffer): Promise<Outcome> {
  return run(file, args, { allowFailure: true, timeoutMs: 600_000, ...(input ? { input } : {}) }).catch(
    (e: Error) => ({ code: 127, stdout: "", stderr: e.message }),
  );
}

/**
 * `podman exec` fails when the container's cgroup directory in some v1 hierarchy has been removed under it (seen
 * with the name=systemd hierarchy on hybrid hosts while other partitions boot). The directory is recreated
 * (empty, it carries no limits) and the exec retried, so a check measures the partition, not that race.
 */
const vanishedCgroup = /(\/sys\/fs\/cgroup\/[^\s:]+?)(?:\/cgroup\.procs)?: no such file or directory/;

export class Cleanups {
  private readonly fns = new Map<number, () => Promise<void> | void>();
  private next = 0;

  add(fn: () => Promise<void> | void): number {
    this.fns.set(++this.next, fn);
    return this.next;
  }

  /** Run and forget one clean-up. */
  async run(id: number): Promise<void> {
    const fn = this.fns.get(id);
    this.fns.delete(id);
    if (fn) await Promise.resolve(fn()).catch(() => undefined);
  }

  /** Run every pending clean-up, newest first. */
  async all(): Promise<void> {
    for (const id of [...this.fns.keys()].reverse()) await this.run(id);
  }
}

export class Probe {
  readonly commands: string[] = [];

  constructor(
    readonly container: string,
    readonly cleanups: Cleanups,
  ) {}

  /** A fresh probe for the next check, sharing the clean-up registry. */
  fork(): Probe {
    return new Probe(this.container, this.cleanups);
  }

  async host(file: string, args: readonly string[], note = true): Promise<Outcome> {
    if (note) this.commands.push(quoteArgv([file, ...args]));
    return exec(file, args);
  }

  /** Run argv inside the partition as `podman exec CONTAINER argv`. */
  async qm(argv: readonly string[], options: { input?: Buffer; detach?: boolean } = {}): Promise<Outcome> {
    const args = [
      "exec",
      ...(options.input ? ["-i"] : []),
      ...(options.detach ? ["-d"] : []),
      this.container,
      ...argv,
    ];
    this.commands.push(quoteArgv(["podman", ...args]));
    let last: Outcome = { code: 127, stdout: "", stderr: "" };
    for (let attempt = 0; attempt < 5; attempt++) {
      last = await exec(podmanProgram(), args, options.input);
      const gone = last.code !== 0 ? vanishedCgroup.exec(last.stderr) : null;
      if (!gone?.[1]?.includes("/qm") && !gone?.[1]?.includes("libpod")) return last;
      await exec("mkdir", ["-p", gone[1]]);
    }
    return last;
  }

  /** Run argv in a nested container inside the partition, from the busybox tree (see ensureNested). */
  nested(argv: readonly string[], podmanArgs: readonly string[] = []): Promise<Outcome> {
    return this.qm([
      "podman",
      "run",
      "--rm",
      "--network",
      "none",
      ...podmanArgs,
      "--rootfs",
      NESTED_ROOTFS,
      ...argv,
    ]);
  }

  /** Start a host process as our child (so it can be stopped by PID); it is killed by the clean-ups too. */
  spawnHost(file: string, args: readonly string[]): Spawned {
    const display = quoteArgv([file, ...args]);
    this.commands.push(display);
    const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"] });
    const id = this.cleanups.add(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });
    child.on("exit", () => {
      void this.cleanups.run(id);
    });
    return { child, display };
  }
}

/** The host's static busybox, copied into the partition for nested containers (no image registry needed). */
export const HOST_BUSYBOX = "/bin/busybox";

export async function ensureNested(p: Probe): Promise<string | null> {
  let binary: Buffer;
  try {
    binary = readFileSync(HOST_BUSYBOX);
  } catch {
    return `no ${HOST_BUSYBOX} on the host to build a nested container's tree from (install busybox-static)`;
  }
  const applets = ["sh", "cat", "sysctl", "insmod", "sleep", "dd", "test"];
  const script = [
    `mkdir -p ${NESTED_ROOTFS}/bin ${NESTED_ROOTFS}/proc ${NESTED_ROOTFS}/sys ${NESTED_ROOTFS}/dev ${NESTED_ROOTFS}/tmp`,
    `cat > ${NESTED_ROOTFS}/bin/busybox`,
    `chmod 755 ${NESTED_ROOTFS}/bin/busybox`,
    ...applets.map((a) => `ln -sf busybox ${NESTED_ROOTFS}/bin/${a}`),
  ].join(" && ");
  const r = await p.qm(["sh", "-c", script], { input: binary });
  return r.code === 0 ? null : `cannot build the nested tree in the partition: ${r.stderr.trim()}`;
}

export function meminfo(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of readFileSync("/proc/meminfo", "utf8").matchAll(/^(\w+):\s+(\d+) kB/gm))
    out[m[1] as string] = Number(m[2]) * 1024;
  return out;
}

export function vmstat(key: string): number {
  const m = new RegExp(`^${key} (\\d+)`, "m").exec(readFileSync("/proc/vmstat", "utf8"));
  return m ? Number(m[1]) : 0;
}

export { kernelLog } from "../engine/kmsg.js";

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
