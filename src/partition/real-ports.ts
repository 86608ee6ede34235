import { existsSync, lstatSync, mkdirSync, rmdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import {
  applyCgroupPlan,
  cgroupHost,
  cgroupUsage,
  removeCgroupTree,
  unitCgroupDirs,
} from "../engine/cgroupfs.js";
import { run } from "../engine/exec.js";
import { readText } from "../engine/fs.js";
import { oomScoreAdj, processAlive } from "../engine/host.js";
import { kernelLog } from "../engine/kmsg.js";
import { inspectContainer, podman } from "../engine/podman.js";
import { bluechiStatus } from "./bluechi-status.js";
import { RUN_DIR } from "./context.js";
import { readRunState, writeRunState } from "./runstate.js";
import type { Ports } from "./runtime.js";
import { startSupervisor, stopSupervisor, supervisorAlive } from "./supervisor.js";
import { mountVar, varMountFor, varStatus } from "./var-image.js";

/** The ports on this machine: podman, systemctl, /proc, the supervisor, the filesystem, cgroupfs, mounts, the clock. */
export const realPorts: Ports = {
  podman: {
    inspect: inspectContainer,
    async systemState(container) {
      const r = await podman(["exec", container, "systemctl", "is-system-running"], {
        allowFailure: true,
        timeoutMs: 10_000,
      }).catch((e: unknown) => ({ stdout: "", stderr: e instanceof Error ? e.message : String(e), code: 1 }));
      const state = r.stdout.trim() || null;
      const error =
        state === null ? r.stderr.trim().split("\n").slice(-1)[0] || `exit status ${r.code}` : null;
      return { state, error };
    },
    async stop(container, timeoutSec) {
      await podman(["stop", "--time", String(timeoutSec), container], {
        allowFailure: true,
        workSec: timeoutSec,
      });
    },
    async remove(container) {
      // --force stops a container that still runs, waiting up to its stop timeout (podman's default, 10 s).
      await podman(["rm", "--force", "--volumes", container], { allowFailure: true, workSec: 10 });
    },
    async run(argv, oomScoreAdjust) {
      const [program, ...args] = argv as [string, ...string[]];
      const launcher = [
        "-c",
        'echo "$1" > /proc/self/oom_score_adj || exit 125; shift; exec "$@"',
        "qm-start",
        String(oomScoreAdjust),
        program,
        ...args,
      ];
      // conmon outlives this process and writes an "oom" marker into its working directory when the partition's
      // cgroup hits an OOM: keep that in qm's runtime directory, never in whatever directory qm was started from.
      mkdirSync(RUN_DIR, { recursive: true });
      return run("/bin/sh", launcher, { allowFailure: true, timeoutMs: 300_000, cwd: RUN_DIR });
    },
    async discard(container) {
      await podman(["rm", "--force", "--time", "0", container], { allowFailure: true });
    },
    bluechi: bluechiStatus,
    async failedUnits(container) {
      const r = await podman(
        ["exec", container, "systemctl", "list-units", "--failed", "--plain", "--no-legend"],
        { allowFailure: true },
      ).catch(() => null);
      return (r?.stdout ?? "")
        .split("\n")
        .map((l) => l.trim().split(/\s+/)[0] ?? "")
        .filter((u) => u !== "" && u !== "●");
    },
    async journal(container, args) {
      await podman(["exec", container, "journalctl", "--no-pager", "--boot", ...args], {
        inherit: true,
        interactive: true,
      });
    },
    async consoleLog(container, args) {
      await podman(["logs", ...args, container], { inherit: true, allowFailure: true, interactive: true });
    },
  },
  systemctl: {
    async show(unit, properties) {
      const r = await run("systemctl", ["show", unit, `--property=${properties.join(",")}`], {
        allowFailure: true,
      });
      return Object.fromEntries(
        r.stdout
          .trim()
          .split("\n")
          .filter((l) => l.includes("="))
          .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
      );
    },
    async stop(unit) {
      await run("systemctl", ["stop", unit]);
    },
    async daemonReload() {
      await run("systemctl", ["daemon-reload"]);
    },
    start: (unit) => run("systemctl", ["start", unit], { allowFailure: true }),
    async journal(unit, args) {
      await run("journalctl", ["--no-pager", "--unit", unit, ...args], { inherit: true });
    },
  },
  processes: {
    alive: processAlive,
    oomScoreAdj,
    kill: (pid) => process.kill(pid, "SIGKILL"),
    oomKilled(pid) {
      try {
        return kernelLog().messages.some((m) => m.includes(`Killed process ${pid} (`));
      } catch {
        return null;
      }
    },
  },
  supervisor: {
    alive: supervisorAlive,
    stop: (identity) => stopSupervisor(identity),
    start: startSupervisor,
  },
  files: {
    exists: existsSync,
    present(path) {
      try {
        lstatSync(path);
        return true;
      } catch {
        return false;
      }
    },
    read: readText,
    remove: (path) => rmSync(path, { force: true }),
    removeEmptyDir(path) {
      try {
        rmdirSync(path);
      } catch {
        // not empty or absent
      }
    },
    async link(target, path) {
      await run("mkdir", ["-p", dirname(path)]);
      await run("ln", ["-sfn", target, path]);
    },
    readRunState,
    writeRunState,
  },
  cgroups: {
    host: cgroupHost,
    apply: applyCgroupPlan,
    remove: (serviceName) => unitCgroupDirs(serviceName).flatMap((d) => removeCgroupTree(d)),
    dirs: (serviceName) => unitCgroupDirs(serviceName).filter((d) => existsSync(d)),
    usage: cgroupUsage,
  },
  mounts: { unitFor: varMountFor, mount: mountVar, varStatus },
  clock: { now: Date.now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
};
