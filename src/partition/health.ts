import type { UnitValue } from "../unit/unit.js";
import type { PartitionContext, SourceFile } from "./context.js";

/**
 * What `qm status` concludes from what it observed: podman's record is only one witness. The partition runs when its
 * init and conmon are alive and its systemd answers; anything else is said, with the reason. Pure.
 */

/** A process podman recorded for the partition, as found in /proc. */
export interface ProcessObservation {
  readonly pid: number;
  /** Alive and not a zombie. */
  readonly alive: boolean;
  readonly oomScoreAdj: number | null;
}

export interface Observation {
  readonly mode: "direct" | "systemd";
  /** qm start recorded a start (run state in /run/qm), or systemd has the unit active. */
  readonly recorded: boolean;
  /** podman's status of the container (running, exited, created, ...), or null when there is none. */
  readonly podmanStatus: string | null;
  readonly exitCode: number | null;
  readonly init: ProcessObservation | null;
  readonly conmon: ProcessObservation | null;
  /** `systemctl is-system-running` in the partition, or null when it did not answer. */
  readonly systemState: string | null;
  /** Why the partition's systemd did not answer (podman exec's error), when asked and it did not. */
  readonly systemError: string | null;
  /** Direct mode: the supervisor is alive. Null where there is none to expect (systemd mode). */
  readonly supervisorAlive: boolean | null;
  readonly startLimitHit: boolean;
  /** systemd mode: ActiveState of the unit. */
  readonly activeState: string | null;
  /** The kernel's OOM killer killed in the partition's cgroups since it started (memory.oom_control, memory.events). */
  readonly oomKills: number | null;
}

/**
 * stopped: nothing recorded, nothing runs. running: init and conmon alive, systemd answers and has booted.
 * starting: alive, systemd still booting. unreachable: alive, systemd does not answer. restarting: dead, and the
 * supervisor is bringing it back. failed: dead and nothing brings it back. start-limit-hit: dead after too many starts.
 */
export type PartitionState =
  | "stopped"
  | "running"
  | "starting"
  | "unreachable"
  | "restarting"
  | "failed"
  | "start-limit-hit";

export interface Verdict {
  readonly state: PartitionState;
  readonly reason: string | null;
}

/** systemctl is-system-running states in which boot has finished. */
const BOOTED = new Set(["running", "degraded", "maintenance"]);

const dead = (p: ProcessObservation | null): boolean => p !== null && !p.alive;

export function judge(o: Observation): Verdict {
  const oom = o.oomKills
    ? `; the kernel's OOM killer killed ${o.oomKills} process(es) in the partition's cgroup`
    : "";
  const whoDied = (): string | null => {
    if (o.podmanStatus === null) return "the container is gone";
    if (o.podmanStatus !== "running")
      return `podman records the container as ${o.podmanStatus}${o.exitCode !== null && o.podmanStatus === "exited" ? ` (exit status ${o.exitCode})` : ""}`;
    if (o.init === null || o.init.pid <= 0) return "podman records no init process";
    if (dead(o.init))
      return `its init (pid ${o.init.pid}) is gone, though podman still records it as running`;
    if (dead(o.conmon)) return `its conmon (pid ${o.conmon?.pid}) is gone: nothing watches the partition`;
    return null;
  };
  if (o.startLimitHit && o.podmanStatus !== "running") {
    return {
      state: "start-limit-hit",
      reason: `started too often (StartLimitBurst=): 'qm start' starts it${oom}`,
    };
  }
  if (o.mode === "systemd" && o.activeState !== null && o.activeState !== "active") {
    if (o.activeState === "inactive" && o.podmanStatus === null) return { state: "stopped", reason: null };
    if (o.activeState === "activating")
      return { state: "restarting", reason: `qm.service is ${o.activeState}${oom}` };
    return { state: "failed", reason: `qm.service is ${o.activeState}${oom}` };
  }
  const died = whoDied();
  if (died !== null) {
    if (!o.recorded && o.podmanStatus === null) return { state: "stopped", reason: null };
    if (o.supervisorAlive === true)
      return { state: "restarting", reason: `${died}; the supervisor is starting it again${oom}` };
    const how =
      o.mode === "direct" ? ("'qm start' starts it again" as const) : ("systemd did not restart it" as const);
    const supervisor = o.supervisorAlive === false ? "; its supervisor is not running" : "";
    return { state: "failed", reason: `${died}${supervisor}${oom}: ${how}` };
  }
  if (o.systemState === null) {
    return {
      state: "unreachable",
      reason: `the partition's systemd does not answer${o.systemError ? ` (${o.systemError})` : ""}`,
    };
  }
  if (!BOOTED.has(o.systemState))
    return { state: "starting", reason: `the partition's systemd is ${o.systemState}` };
  return { state: "running", reason: null };
}

/** Problems worth a line in `qm status` while the partition runs. */
export function warnings(o: Observation, oomScoreAdjust: number | undefined): string[] {
  const out: string[] = [];
  if (o.mode === "direct" && o.supervisorAlive === false && o.podmanStatus === "running") {
    out.push(
      "nothing supervises the partition (its supervisor is not running): 'qm start' resumes supervision",
    );
  }
  if (oomScoreAdjust !== undefined) {
    for (const [name, p] of [
      ["init", o.init],
      ["conmon", o.conmon],
    ] as const) {
      if (p?.alive && p.oomScoreAdj !== null && p.oomScoreAdj !== oomScoreAdjust)
        out.push(`${name} (pid ${p.pid}) runs at oom_score_adj ${p.oomScoreAdj}, not ${oomScoreAdjust}`);
    }
  }
  return out;
}

export interface SourceChange {
  readonly path: string;
  readonly change: "added" | "removed" | "changed";
}

/** Drop-ins (and the base file) added, removed or edited since the partition was started. */
export function sourceChanges(recorded: readonly SourceFile[], now: readonly SourceFile[]): SourceChange[] {
  const before = new Map(recorded.map((s) => [s.path, s.sha256]));
  const after = new Map(now.map((s) => [s.path, s.sha256]));
  const out: SourceChange[] = [];
  for (const [path, hash] of after) {
    const old = before.get(path);
    if (old === undefined) out.push({ path, change: "added" });
    else if (old !== hash) out.push({ path, change: "changed" });
  }
  for (const path of before.keys()) if (!after.has(path)) out.push({ path, change: "removed" });
  return out;
}

/** Linux capability numbers (linux/capability.h), by podman's lower-case names without "cap_". */
export const CAPABILITIES: Readonly<Record<string, number>> = {
  chown: 0,
  dac_override: 1,
  dac_read_search: 2,
  fowner: 3,
  fsetid: 4,
  kill: 5,
  setgid: 6,
  setuid: 7,
  setpcap: 8,
  linux_immutable: 9,
  net_bind_service: 10,
  net_broadcast: 11,
  net_admin: 12,
  net_raw: 13,
  ipc_lock: 14,
  ipc_owner: 15,
  sys_module: 16,
  sys_rawio: 17,
  sys_chroot: 18,
  sys_ptrace: 19,
  sys_pacct: 20,
  sys_admin: 21,
  sys_boot: 22,
  sys_nice: 23,
  sys_resource: 24,
  sys_time: 25,
  sys_tty_config: 26,
  mknod: 27,
  lease: 28,
  audit_write: 29,
  audit_control: 30,
  setfcap: 31,
  mac_override: 32,
  mac_admin: 33,
  syslog: 34,
  wake_alarm: 35,
  block_suspend: 36,
  audit_read: 37,
  perfmon: 38,
  bpf: 39,
  checkpoint_restore: 40,
};

export interface UngrantedCapability {
  readonly capability: string;
  readonly file: string;
  readonly line: number;
  readonly reason: string;
}

/**
 * Capabilities the configuration adds (AddCapability=) that this host cannot give: not in the effective set of the
 * caller (podman passes on at most what it holds), or dropped again (DropCapability= wins, as in podman).
 * `effectiveHex` is CapEff of /proc/self/status; null when unknown (nothing is listed then).
 */
export function ungrantedCapabilities(
  added: readonly UnitValue[],
  dropped: readonly string[],
  effectiveHex: string | null,
): UngrantedCapability[] {
  if (effectiveHex === null || !/^[0-9a-fA-F]+$/.test(effectiveHex)) return [];
  const effective = BigInt(`0x${effectiveHex}`);
  const norm = (c: string): string => c.toLowerCase().replace(/^cap_/, "");
  const drops = new Set(dropped.map(norm));
  const out: UngrantedCapability[] = [];
  for (const v of added) {
    for (const word of v.value.split(/\s+/).filter(Boolean)) {
      const name = norm(word);
      if (name === "all") continue;
      const bit = CAPABILITIES[name];
      const add = (reason: string) =>
        out.push({ capability: `CAP_${name.toUpperCase()}`, file: v.file, line: v.line, reason });
      if (bit === undefined) add("not a capability this qm knows");
      else if (drops.has(name)) add("DropCapability= drops it again");
      else if (((effective >> BigInt(bit)) & 1n) === 0n)
        add("the host does not hold it (not in qm's effective set), so podman cannot grant it");
    }
  }
  return out;
}

/**
 * Why the partition's OOMScoreAdjust= is no floor on this host, or null when it is one. The kernel keeps a process
 * from lowering its oom_score_adj below the value a CAP_SYS_RESOURCE holder set; set without that capability, the
 * value is only a start: any process in the partition may lower its own score down to 0.
 */
export function oomFloorGap(oomScoreAdjust: number | undefined, capSysResource: boolean): string | null {
  if (oomScoreAdjust === undefined || oomScoreAdjust <= 0 || capSysResource) return null;
  return `OOMScoreAdjust=${oomScoreAdjust} is not a floor on this host: without CAP_SYS_RESOURCE the kernel records none, so any process in the partition can lower its own oom_score_adj to 0 (the host's default)`;
}

/** What qm start and qm status say about the host whatever the mode: capabilities it cannot grant, an OOM score that is no floor. */
export interface HostLimits {
  /** Capabilities the configuration adds that the host cannot give. */
  readonly ungrantedCapabilities: readonly UngrantedCapability[];
  /** Why OOMScoreAdjust= is no floor on this host, or null. */
  readonly oomFloor: string | null;
}

/** The host's limits for this partition, from qm's capabilities (doctor's facts: CapEff, CAP_SYS_RESOURCE). */
export function hostLimits(
  ctx: Pick<PartitionContext, "unit" | "settings">,
  caps: { readonly effective: string | null; readonly sysResource: boolean },
): HostLimits {
  return {
    ungrantedCapabilities: ungrantedCapabilities(
      ctx.unit.all("Container", "AddCapability"),
      ctx.unit.words("Container", "DropCapability"),
      caps.effective,
    ),
    oomFloor: oomFloorGap(ctx.settings.oomScoreAdjust, caps.sysResource),
  };
}
