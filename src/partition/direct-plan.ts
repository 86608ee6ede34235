import { QmError } from "../core/errors.js";
import type { GeneratedService } from "../quadlet/index.js";
import { expandEnvironment, expandSpecifiers, ValueSyntaxError } from "../unit/values.js";
import { CGROUP_V1_ANNOTATION } from "./cgroup-hook.js";
import type { Adaptation } from "./runstate.js";
import type { ServiceSettings } from "./service-settings.js";

/**
 * Direct mode (no systemd as PID 1): turn the generated qm.service into the podman command qm runs itself, adapted
 * to the host, every adaptation stated. Pure.
 */

export interface DirectHost {
  readonly podmanVersion: { readonly major: number; readonly minor: number } | null;
  readonly selinux: boolean;
  readonly cgroupMode: "v2" | "hybrid" | "v1";
  readonly runcAvailable: boolean;
  readonly capSysResource: boolean;
  readonly nofileHard: number | "unlimited";
  readonly nprocHard: number | "unlimited";
  readonly hostname: string;
}

export interface DirectPlan {
  readonly serviceName: string;
  /** The whole command: podman, global options, "run", run options, rootfs or image, command. */
  readonly argv: readonly string[];
  readonly oomScoreAdjust: number | undefined;
  readonly adaptations: readonly Adaptation[];
}

/**
 * podman runs the OCI runtime with RLIMIT_NPROC at most 32768 (measured with podman 4.3.1: conmon's limit); without
 * CAP_SYS_RESOURCE the runtime cannot hand the container more than that.
 */
export const PODMAN_NPROC_CEILING = 32768;

const atLeast = (v: DirectHost["podmanVersion"], major: number, minor: number): boolean =>
  v !== null && (v.major > major || (v.major === major && v.minor >= minor));

/** Restart= values a supervisor acts on (systemd restarts on these); the others leave a dead partition down. */
const restarting: ReadonlySet<ServiceSettings["restart"]> = new Set([
  "always",
  "on-failure",
  "on-abnormal",
  "on-abort",
  "on-watchdog",
]);

function expand(
  argv: readonly string[],
  service: GeneratedService,
  settings: ServiceSettings,
  host: DirectHost,
): string[] {
  const base = service.serviceName.replace(/\.service$/, "");
  const specifiers = {
    t: "/run",
    n: service.serviceName,
    N: base,
    p: base,
    i: "",
    h: "/root",
    u: "root",
    U: "0",
    H: host.hostname,
  };
  const env = { ...settings.environment, PODMAN_SYSTEMD_UNIT: service.serviceName };
  try {
    return expandEnvironment(
      argv.map((word) => expandSpecifiers(word, specifiers)),
      env,
    );
  } catch (error) {
    if (error instanceof ValueSyntaxError) {
      throw new QmError("QM_CONFIG_INVALID", `ExecStart of ${service.serviceName}: ${error.message}`, {
        location: { file: service.sourcePath, line: 1 },
      });
    }
    throw error;
  }
}

function clampLimit(value: number | "infinity", hard: number | "unlimited"): number {
  const v = value === "infinity" ? Number.POSITIVE_INFINITY : value;
  return Math.min(v, hard === "unlimited" ? Number.POSITIVE_INFINITY : hard, 1_048_576);
}

export function planDirect(
  service: GeneratedService,
  settings: ServiceSettings,
  host: DirectHost,
  podman?: string,
): DirectPlan {
  const adaptations: Adaptation[] = [];
  const words = expand(service.execStart, service, settings, host);
  const runAt = words.indexOf("run");
  if (runAt < 1)
    throw new QmError(
      "QM_CONFIG_INVALID",
      `ExecStart of ${service.serviceName} is not a 'podman run' command`,
    );
  const globals: string[] = [];
  let run = words.slice(runAt + 1);
  const drop = (
    match: (w: string, next: string | undefined) => number,
    option: string,
    action: string,
    reason: string,
  ): boolean => {
    const out: string[] = [];
    let dropped = false;
    for (let i = 0; i < run.length; i++) {
      const n = match(run[i] as string, run[i + 1]);
      if (n > 0) {
        dropped = true;
        i += n - 1;
      } else out.push(run[i] as string);
    }
    if (dropped) {
      run = out;
      adaptations.push({ option, action, reason });
    }
    return dropped;
  };
  const flag = (name: string) => (w: string, next: string | undefined) =>
    w === name
      ? next !== undefined && !next.startsWith("-") && name !== "--rm" && name !== "-d"
        ? 2
        : 1
      : w.startsWith(`${name}=`)
        ? 1
        : 0;

  drop(
    flag("--sdnotify"),
    "--sdnotify=conmon",
    "removed",
    "no systemd waits for READY=1; qm waits for the partition itself",
  );
  if (
    drop(
      flag("--cgroups"),
      "--cgroups=split",
      `replaced by --cgroup-parent=/${service.serviceName}`,
      "split needs a systemd unit cgroup",
    )
  ) {
    run.unshift(`--cgroup-parent=/${service.serviceName}`);
  } else if (!run.some((w) => w.startsWith("--cgroup-parent"))) {
    run.unshift(`--cgroup-parent=/${service.serviceName}`);
  }
  globals.push("--cgroup-manager", "cgroupfs");
  if (restarting.has(settings.restart)) {
    drop(
      flag("--rm"),
      "--rm",
      "removed",
      `Restart=${settings.restart}: qm's supervisor starts the partition again; the dead container stays until then, with its exit status`,
    );
  }
  if (host.cgroupMode !== "v2" && host.runcAvailable) {
    globals.push("--runtime", "runc");
    adaptations.push({
      option: "OCI runtime",
      action: "--runtime runc",
      reason:
        "cgroup v1: crun refuses hybrid hierarchies, and its device rules lack what nested runc grants (/dev/net/tun)",
    });
  }
  if (host.cgroupMode !== "v2" && !run.some((w) => w.startsWith("--cgroupns"))) {
    run.unshift("--cgroupns=private", "--annotation", `${CGROUP_V1_ANNOTATION}=delegate`);
    adaptations.push({
      option: "--cgroupns",
      action: `--cgroupns=private, and ${CGROUP_V1_ANNOTATION} for the delegation hook`,
      reason: "nested containers on cgroup v1 need the partition's own cgroup namespace, writable",
    });
  }
  const isLabel = (w: string, next: string | undefined): number =>
    w === "--security-opt" && next?.startsWith("label=") ? 2 : w.startsWith("--security-opt=label=") ? 1 : 0;
  if (!host.selinux) {
    drop(
      isLabel,
      "--security-opt label=...",
      "removed",
      "SELinux is not active on this host: labels have no effect",
    );
  } else if (!atLeast(host.podmanVersion, 4, 7)) {
    const nested = (w: string, next: string | undefined): number =>
      w === "--security-opt" && next === "label=nested" ? 2 : w === "--security-opt=label=nested" ? 1 : 0;
    drop(nested, "--security-opt label=nested", "removed", "podman before 4.7 does not know label=nested");
  }
  if (settings.limitNofile) {
    const soft = clampLimit(settings.limitNofile.soft, host.nofileHard);
    const hard = clampLimit(settings.limitNofile.hard, host.nofileHard);
    run.unshift("--ulimit", `nofile=${soft}:${hard}`);
    if (hard !== settings.limitNofile.hard) {
      adaptations.push({
        option: `LimitNOFILE=${settings.limitNofile.hard}`,
        action: `clamped to ${hard}`,
        reason: "the host's hard limit is lower and qm cannot raise it (no CAP_SYS_RESOURCE)",
      });
    }
  }
  if (!host.capSysResource) {
    const nproc = Math.min(
      host.nprocHard === "unlimited" ? PODMAN_NPROC_CEILING : host.nprocHard,
      PODMAN_NPROC_CEILING,
    );
    run.unshift("--ulimit", `nproc=${nproc}:${nproc}`);
    adaptations.push({
      option: "RLIMIT_NPROC",
      action: `--ulimit nproc=${nproc}:${nproc}`,
      reason: "podman's default exceeds what the OCI runtime may grant without CAP_SYS_RESOURCE",
    });
  }
  if (settings.oomScoreAdjust !== undefined && !run.some((w) => w.startsWith("--oom-score-adj"))) {
    run.unshift(`--oom-score-adj=${settings.oomScoreAdjust}`);
    adaptations.push({
      option: `OOMScoreAdjust=${settings.oomScoreAdjust}`,
      action: `also --oom-score-adj=${settings.oomScoreAdjust}`,
      reason: "podman writes oom_score_adj 0 into the partition's spec unless told; conmon gets it from qm",
    });
  }
  for (const v of settings.unapplied) {
    adaptations.push({
      option: `${v.key}=${v.value}`,
      action: "not applied",
      reason: "needs systemd as the service manager",
    });
  }
  const program = podman ?? (words[0] as string);
  return {
    serviceName: service.serviceName,
    argv: [program, ...globals, "run", ...run],
    oomScoreAdjust: settings.oomScoreAdjust,
    adaptations,
  };
}
