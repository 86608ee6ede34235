/**
 * Freedom-from-interference evidence: what a check proves, what it ran, what it saw and its verdict. Pure: the
 * verdict helpers below decide PASS/FAIL from observed values only, so they are tested without a partition.
 */

export type Status = "PASS" | "FAIL" | "SKIP" | "ERROR";

/** A series of measurements the HTML report charts (CPU throughput, memory per trial). */
export interface Series {
  readonly title: string;
  readonly unit: string;
  readonly points: readonly { readonly label: string; readonly value: number }[];
}

export interface CheckResult {
  readonly id: string;
  readonly title: string;
  /** The invariant it proves: reference checklist item (§7.5.N) and upstream test, in words. */
  readonly requirement: string;
  readonly status: Status;
  /** Why it failed, or the host fact that makes it inapplicable (SKIP), or what went wrong (ERROR). */
  readonly reason: string;
  /** Every command run, as a person would retype it (host commands and `podman exec` into the partition). */
  readonly commands: readonly string[];
  readonly observed: Readonly<Record<string, unknown>>;
  readonly series: readonly Series[];
  readonly durationMs: number;
}

export interface HostInfo {
  readonly kernel: string;
  readonly cgroup: string;
  readonly selinux: boolean;
  readonly cpus: number;
  readonly memTotalBytes: number;
}

export interface Report {
  readonly schema: 1;
  readonly tool: "qm ffi";
  readonly version: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly host: HostInfo;
  readonly partition: { readonly container: string; readonly pid: number };
  readonly summary: Readonly<Record<Status, number>>;
  readonly checks: readonly CheckResult[];
}

export function summarize(checks: readonly CheckResult[]): Record<Status, number> {
  const s: Record<Status, number> = { PASS: 0, FAIL: 0, SKIP: 0, ERROR: 0 };
  for (const c of checks) s[c.status]++;
  return s;
}

/** A run passes when nothing failed or errored; SKIPs carry their reason and do not fail the run. */
export const reportPassed = (r: Pick<Report, "summary">): boolean =>
  r.summary.FAIL === 0 && r.summary.ERROR === 0;

export interface Verdict {
  readonly status: "PASS" | "FAIL";
  readonly reason: string;
}

/** PASS when every failure list is empty; otherwise FAIL naming each. */
export function verdict(failures: readonly string[]): Verdict {
  return failures.length === 0
    ? { status: "PASS", reason: "" }
    : { status: "FAIL", reason: failures.join("; ") };
}

const ENOSYS = /Function not implemented/;
const EPERM = /Operation not permitted/;

/** One scheduling attempt inside the partition: the policy, chrt's exit status and its message. */
export interface SchedAttempt {
  readonly policy: string;
  readonly code: number;
  readonly output: string;
}

/**
 * §7.5.4 via sched_setscheduler: OTHER, BATCH and IDLE succeed; FIFO and RR fail with ENOSYS. EPERM is not enough:
 * RT group scheduling (cpu.rt_runtime_us=0) refuses FIFO with EPERM even when no seccomp filter is loaded.
 */
export function schedulerVerdict(attempts: readonly SchedAttempt[]): Verdict {
  const failures: string[] = [];
  for (const a of attempts) {
    const realtime = a.policy === "SCHED_FIFO" || a.policy === "SCHED_RR";
    if (!realtime && a.code !== 0)
      failures.push(`${a.policy} refused (${a.output.trim() || `exit ${a.code}`})`);
    if (realtime && a.code === 0) failures.push(`${a.policy} was granted`);
    else if (realtime && !ENOSYS.test(a.output))
      failures.push(`${a.policy} refused without ENOSYS, so not by the seccomp profile (${a.output.trim()})`);
  }
  return verdict(failures);
}

/** §7.5.4 via sched_setattr (SCHED_DEADLINE): refused with EPERM. */
export function setattrVerdict(a: SchedAttempt): Verdict {
  if (a.code === 0) return verdict(["sched_setattr(SCHED_DEADLINE) was granted"]);
  return verdict(EPERM.test(a.output) ? [] : [`refused, but not with EPERM: ${a.output.trim()}`]);
}

/** §7.5.7: exactly `limit` of the attempted queues are created, the next fails with ENOSPC; the host is unaffected. */
export function mqueueVerdict(o: {
  readonly sysctl: string;
  readonly limit: number;
  readonly created: number;
  readonly refusal: string;
  readonly hostCreated: number;
  readonly hostAttempted: number;
}): Verdict {
  const failures: string[] = [];
  if (o.sysctl !== String(o.limit)) failures.push(`fs.mqueue.queues_max is ${o.sysctl}, not ${o.limit}`);
  if (o.created !== o.limit)
    failures.push(`the partition created ${o.created} queues, not exactly ${o.limit}`);
  else if (!/No space left on device/.test(o.refusal))
    failures.push(`queue ${o.limit + 1} was not refused with ENOSPC (${o.refusal.trim() || "no error"})`);
  if (o.hostCreated !== o.hostAttempted)
    failures.push(`the host created ${o.hostCreated} of ${o.hostAttempted} queues`);
  return verdict(failures);
}

/** ASIL throughput under a partition CPU hog, as a fraction of its unloaded throughput. */
export function cpuRatio(unloaded: readonly number[], loaded: readonly number[]): number {
  const m = median(unloaded);
  return m > 0 ? median(loaded) / m : 0;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return 0;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** A process the kernel's OOM killer chose, from its log: "Killed process PID (comm) ... oom_score_adj:N". */
export interface OomVictim {
  readonly pid: number;
  readonly command: string;
  readonly oomScoreAdj: number;
  /** The victim's memory cgroup from the "oom-kill:...,task_memcg=PATH,..." line; null when the kernel did not print it. */
  readonly memcg: string | null;
}

/** The OOM kills in kernel log messages (one message per element, as read from /dev/kmsg). */
export function oomVictims(messages: readonly string[]): OomVictim[] {
  const memcgs = new Map<number, string>();
  for (const m of messages) {
    const k = /^oom-kill:.*task_memcg=([^,]*),task=.*,pid=(\d+),/.exec(m);
    if (k) memcgs.set(Number(k[2]), k[1] as string);
  }
  const victims: OomVictim[] = [];
  for (const m of messages) {
    const v = /Killed process (\d+) \((.*)\) .*oom_score_adj:(-?\d+)/.exec(m);
    if (v)
      victims.push({
        pid: Number(v[1]),
        command: v[2] as string,
        oomScoreAdj: Number(v[3]),
        memcg: memcgs.get(Number(v[1])) ?? null,
      });
  }
  return victims;
}

/** Whether a memory cgroup path (as the kernel prints it) lies in the partition's service cgroup. */
export const inPartition = (memcg: string | null, service: string): boolean =>
  memcg !== null && (memcg === service || memcg.startsWith(`${service}/`));

export interface MemoryTrial {
  readonly trial: number;
  readonly hogs: number;
  readonly hogBytes: number;
  readonly seconds: number;
  /** How the hogs' nested container ended: its exit status and last line of output. */
  readonly hogRun: string;
  readonly asilAlive: boolean;
  readonly asilRssBytes: number;
  /** Every OOM kill on the host during the trial (/proc/vmstat oom_kill). */
  readonly oomKills: number;
  readonly victims: readonly OomVictim[];
}

/**
 * §7.5.3 per trial: the kernel OOM-killed at least one process, every victim was in the partition (each one found in
 * the kernel log, none unaccounted for), and the ASIL stand-in is alive with its memory resident.
 */
export function memoryVerdict(asilBytes: number, service: string, trials: readonly MemoryTrial[]): Verdict {
  const failures: string[] = [];
  if (trials.length === 0) failures.push("no trial ran");
  for (const t of trials) {
    const at = `trial ${t.trial}`;
    if (t.oomKills === 0)
      failures.push(`${at}: no OOM kill happened (the hogs' container: ${t.hogRun || "no output"})`);
    for (const v of t.victims)
      if (!inPartition(v.memcg, service))
        failures.push(
          `${at}: the OOM killer chose ${v.command} (pid ${v.pid}, oom_score_adj ${v.oomScoreAdj}) in ${v.memcg ?? "an unknown cgroup"}, outside the partition`,
        );
    if (t.oomKills > t.victims.length)
      failures.push(`${at}: ${t.oomKills - t.victims.length} OOM kill(s) missing from the kernel log`);
    if (!t.asilAlive) failures.push(`${at}: the ASIL stand-in died`);
    else if (t.asilRssBytes < asilBytes * 0.95)
      failures.push(
        `${at}: the ASIL stand-in lost memory (resident ${t.asilRssBytes} of ${asilBytes} bytes)`,
      );
  }
  return verdict(failures);
}
