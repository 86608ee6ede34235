import { cpus, release } from "node:os";
import { QmError } from "../core/errors.js";
import { VERSION } from "../core/version.js";
import { readHostFacts } from "../doctor/collect.js";
import { hostMode } from "../doctor/facts.js";
import { inspectContainer } from "../engine/podman.js";
import { loadContext } from "../partition/context.js";
import { partitionCgroup } from "./cgroup.js";
import { type Check, checks } from "./checks.js";
import { type CheckResult, type Report, summarize } from "./model.js";
import { Cleanups, meminfo, Probe, WORK_DIR } from "./probe.js";

export interface RunOptions {
  readonly root: string;
  readonly only: readonly string[];
  readonly memoryTrials: number;
  readonly cpuSeconds: number;
  readonly log: (line: string) => void;
  /** Called once the clean-ups after SIGINT/SIGTERM are done: the caller ends the process. */
  readonly interrupted: (signal: NodeJS.Signals) => void;
}

export function selectChecks(only: readonly string[]): readonly Check[] {
  if (only.length === 0) return checks;
  const wanted = only.map((id) => id.toUpperCase());
  const unknown = wanted.filter((id) => !checks.some((c) => c.id === id));
  if (unknown.length > 0)
    throw new QmError("QM_USAGE", `unknown check ${unknown.join(", ")}`, {
      hint: "see 'qm ffi list'",
    });
  return checks.filter((c) => wanted.includes(c.id));
}

/**
 * Run the selected checks one after the other against the running partition. The clean-ups a check registers
 * run when it ends, however it ends; SIGINT/SIGTERM run whatever is still pending (kill host stand-ins and attack
 * processes by PID, remove files) before exiting.
 */
export async function runFfi(o: RunOptions): Promise<Report> {
  const selected = selectChecks(o.only);
  const container = loadContext(o.root).containerName;
  const host = hostMode(await readHostFacts(), o.root);
  const state = await inspectContainer(container);
  if (state?.status !== "running" || state.pid <= 0)
    throw new QmError("QM_NOT_RUNNING", `the partition (container ${container}) is not running`, {
      hint: "start it with 'qm start'",
    });
  const cleanups = new Cleanups();
  const base = new Probe(container, cleanups);
  const onSignal = (signal: NodeJS.Signals) => {
    o.log(`qm ffi: ${signal}: cleaning up`);
    void cleanups
      .all()
      .then(() => base.qm(["rm", "-rf", WORK_DIR]))
      .finally(() => o.interrupted(signal));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const started = Date.now();
  const results: CheckResult[] = [];
  try {
    await base.qm(["mkdir", "-p", WORK_DIR]);
    for (const check of selected) {
      const probe = base.fork();
      const t0 = Date.now();
      o.log(`qm ffi: ${check.id} ${check.title} ...`);
      let result: CheckResult;
      try {
        const r = await check.run({
          probe,
          pid: state.pid,
          cgroup: partitionCgroup(state.pid, host.cgroupV2),
          memoryTrials: o.memoryTrials,
          cpuSeconds: o.cpuSeconds,
        });
        result = {
          ...base0(check),
          ...r,
          series: r.series ?? [],
          commands: probe.commands,
          durationMs: Date.now() - t0,
        };
      } catch (e) {
        result = {
          ...base0(check),
          status: "ERROR",
          reason: e instanceof Error ? e.message : String(e),
          observed: {},
          series: [],
          commands: probe.commands,
          durationMs: Date.now() - t0,
        };
      } finally {
        await cleanups.all();
      }
      o.log(
        `qm ffi: ${result.status} ${check.id} (${(result.durationMs / 1000).toFixed(1)} s)${result.reason ? `: ${result.reason}` : ""}`,
      );
      results.push(result);
    }
  } finally {
    await cleanups.all();
    await base.qm(["rm", "-rf", WORK_DIR]).catch(() => undefined);
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
  const mem = meminfo();
  return {
    schema: 1,
    tool: "qm ffi",
    version: VERSION,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    host: {
      kernel: release(),
      cgroup: host.cgroupV2 ? "v2" : "v1 (hybrid)",
      selinux: host.selinux,
      cpus: cpus().length,
      memTotalBytes: mem.MemTotal ?? 0,
    },
    partition: { container, pid: state.pid },
    summary: summarize(results),
    checks: results,
  };
}

function base0(c: Check) {
  return { id: c.id, title: c.title, requirement: c.requirement };
}
