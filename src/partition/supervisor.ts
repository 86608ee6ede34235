import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { shareDir } from "../core/paths.js";
import { type ProcessIdentity, processAlive, processIdentity, sameProcess } from "../engine/host.js";
import { RUN_DIR } from "./context.js";
import type { ServiceSettings } from "./service-settings.js";

/**
 * The direct-mode supervisor (share/qm/qm-supervise): a shell script, so that what stays resident while the partition
 * runs is a shell (about 1.8 MiB with busybox), not a Node.js process. It does for the partition what systemd does for
 * qm.service: see the script's header and docs/partition.md.
 */

/** busybox sh waits without starting a process (read -t); any POSIX sh works, with a sleep a second. */
const SHELLS: readonly (readonly string[])[] = [
  ["/usr/bin/busybox", "sh"],
  ["/bin/busybox", "sh"],
  ["/bin/sh"],
];

export function supervisorCommand(): string[] {
  const shell = SHELLS.find(([program]) => existsSync(program as string)) ?? ["/bin/sh"];
  return [...shell, join(shareDir(), "qm/qm-supervise")];
}

export interface SuperviseOptions {
  readonly serviceName: string;
  readonly containerName: string;
  readonly settings: ServiceSettings;
  readonly oomScoreAdjust: number | undefined;
  readonly cidFile: string;
  /** The podman command that starts the partition (with --replace). */
  readonly argv: readonly string[];
}

/** Restart= values the supervisor acts on; the others need no supervisor. */
export function supervisedPolicy(restart: ServiceSettings["restart"]): "always" | "on-failure" | null {
  if (restart === "always") return "always";
  if (restart === "no" || restart === "on-success") return null;
  return "on-failure";
}

/** Start the supervisor detached from qm (own session, stdio to its log); returns who it is. */
export function startSupervisor(
  o: SuperviseOptions,
  policy: "always" | "on-failure",
): ProcessIdentity | null {
  mkdirSync(RUN_DIR, { recursive: true });
  const log = openSync(join(RUN_DIR, `${o.serviceName}.log`), "a", 0o600);
  const [program, ...args] = supervisorCommand() as [string, ...string[]];
  const child = spawn(
    program,
    [
      ...args,
      o.serviceName,
      o.containerName,
      policy,
      String(o.settings.startLimitIntervalSec),
      String(o.settings.startLimitBurst),
      String(o.oomScoreAdjust ?? 0),
      o.cidFile,
      ...o.argv,
    ],
    { detached: true, stdio: ["ignore", log, log], cwd: RUN_DIR },
  );
  closeSync(log);
  child.unref();
  return child.pid === undefined ? null : processIdentity(child.pid);
}

/**
 * End the supervisor: SIGTERM, then wait while it finishes the step in progress (a start it began completes, so the
 * caller stops what it started); SIGKILL after `timeoutMs`.
 */
export async function stopSupervisor(
  identity: ProcessIdentity | undefined,
  timeoutMs = 60_000,
): Promise<boolean> {
  if (!identity || !sameProcess(identity)) return false;
  process.kill(identity.pid, "SIGTERM");
  const deadline = Date.now() + timeoutMs;
  while (sameProcess(identity) && processAlive(identity.pid)) {
    if (Date.now() > deadline) {
      process.kill(identity.pid, "SIGKILL");
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** The supervisor recorded at start is still that process. */
export function supervisorAlive(identity: ProcessIdentity | undefined): boolean {
  return identity !== undefined && sameProcess(identity) && processAlive(identity.pid);
}
