import { QmError } from "../../core/errors.js";
import type { ProcessIdentity } from "../../engine/host.js";
import type { ContainerState } from "../../engine/podman.js";
import { generateServiceFrom, loadEffectiveUnitFrom } from "../../quadlet/index.js";
import { memoryUnitFs } from "../../unit/fs.js";
import type { BluechiStatus } from "../bluechi-status.js";
import type { VarMount } from "../bounded-var.js";
import type { CgroupHost } from "../cgroup-plan.js";
import { contextOf, type PartitionContext } from "../context.js";
import type { DirectHost } from "../direct-plan.js";
import type { RunState } from "../runstate.js";
import type { Ports, StartInput } from "../runtime.js";
import type { VarStatus } from "../var-image.js";

/** A host made of data: containers podman records, live processes, a supervisor, systemd's units; calls recorded. */
export class FakeHost {
  calls: string[] = [];
  containers = new Map<string, ContainerState>();
  live = new Map<number, number>(); // pid -> oom_score_adj
  supervisorPid: number | null = 7;
  files = new Set<string>();
  units = new Map<string, Record<string, string>>();
  systemState: string | null = "running";
  /** podman does not answer (its storage locked): every question fails as inspectContainer does then. */
  unresponsive = false;
  /** podman stop does not answer (the lock taken after inspect answered): it fails as podman() does then. */
  stopHangs = false;
  /** podman run's exit status. */
  runStatus = 0;
  /** systemctl start's exit status. */
  unitStartStatus = 0;
  failedUnits: string[] = [];
  /** What the BlueChi probe answers. */
  bluechi: BluechiStatus | null = null;
  runState: RunState | null = null;
  /** Cgroups that stay populated, however often they are removed. */
  populated: string[] = [];
  mountUnits = new Map<string, VarMount>();
  /** Files' contents (the supervisor's log); present in `files` too. */
  texts = new Map<string, string>();
  /** The unit's cgroup directories that exist. */
  cgroupDirs: string[] = [];
  /** PIDs the kernel log says the OOM killer killed; null: the log cannot be read. */
  oomKilled: number[] | null = [];
  usage: Record<string, number | null> = { memoryBytes: 64 * 1024 ** 2, tasks: 12 };
  /** What the host's terminal was shown: journalctl and podman logs calls. */
  shown: string[] = [];
  time = 1_000_000;

  ports(): Ports {
    return {
      podman: {
        inspect: async (name) => {
          if (this.unresponsive)
            throw new QmError("QM_PODMAN_UNRESPONSIVE", "podman did not answer within 3 s");
          return this.containers.get(name) ?? null;
        },
        systemState: async (name) => {
          this.calls.push(`exec ${name} systemctl is-system-running`);
          return this.systemState === null
            ? { state: null, error: "cannot exec in a stopped container" }
            : { state: this.systemState, error: null };
        },
        stop: async (name, timeoutSec) => {
          this.calls.push(`podman stop ${name}`);
          if (this.stopHangs)
            throw new QmError(
              "QM_PODMAN_UNRESPONSIVE",
              `podman did not answer within ${timeoutSec + 3} s (podman stop --time ${timeoutSec} ${name})`,
            );
          const c = this.containers.get(name);
          if (c && this.live.has(c.conmonPid)) {
            this.live.delete(c.pid);
            this.live.delete(c.conmonPid);
            this.containers.set(name, { ...c, status: "exited" });
          }
        },
        remove: async (name) => {
          this.calls.push(`podman rm ${name}`);
          this.containers.delete(name);
        },
        run: async (argv, oomScoreAdjust) => {
          this.calls.push(`podman run at ${oomScoreAdjust}: ${argv.join(" ")}`);
          if (this.runStatus === 0) this.running(ctx.containerName);
          return { code: this.runStatus, stderr: this.runStatus === 0 ? "" : "Error: no such image\n" };
        },
        discard: async (name) => {
          this.calls.push(`podman rm --time 0 ${name}`);
          this.containers.delete(name);
        },
        failedUnits: async (name) => {
          this.calls.push(`exec ${name} systemctl list-units --failed`);
          return this.failedUnits;
        },
        bluechi: async (name) => {
          this.calls.push(`exec ${name} bluechi probe`);
          return this.bluechi;
        },
        journal: async (name, args) => {
          this.shown.push(`exec ${name} journalctl ${args.join(" ")}`.trim());
        },
        consoleLog: async (name, args) => {
          this.shown.push(`podman logs ${[...args, name].join(" ")}`);
        },
      },
      systemctl: {
        show: async (unit) => this.units.get(unit) ?? { ActiveState: "inactive" },
        stop: async (unit) => {
          this.calls.push(`systemctl stop ${unit}`);
        },
        daemonReload: async () => {
          this.calls.push("systemctl daemon-reload");
        },
        start: async (unit) => {
          this.calls.push(`systemctl start ${unit}`);
          if (this.unitStartStatus === 0) this.running("systemd-qm");
          return { code: this.unitStartStatus, stderr: this.unitStartStatus === 0 ? "" : "Job failed.\n" };
        },
        journal: async (unit, args) => {
          this.shown.push(`journalctl --unit ${unit} ${args.join(" ")}`.trim());
        },
      },
      processes: {
        alive: (pid) => this.live.has(pid),
        oomScoreAdj: (pid) => this.live.get(pid) ?? null,
        kill: (pid) => {
          this.calls.push(`kill -9 ${pid}`);
          this.live.delete(pid);
        },
        oomKilled: (pid) => (this.oomKilled === null ? null : this.oomKilled.includes(pid)),
      },
      supervisor: {
        alive: (id) => id !== undefined && id.pid === this.supervisorPid,
        stop: async (id) => {
          if (id === undefined || id.pid !== this.supervisorPid) return false;
          this.calls.push(`stop supervisor ${id.pid}`);
          this.supervisorPid = null;
          return true;
        },
        start: (o, policy) => {
          this.calls.push(`start supervisor ${policy}: ${o.argv.join(" ")}`);
          this.supervisorPid = 8;
          return { pid: 8, start: 2, bootId: "b" };
        },
      },
      files: {
        exists: (path) => this.files.has(path),
        present: (path) => this.files.has(path),
        read: (path) => this.texts.get(path) ?? null,
        remove: (path) => {
          this.files.delete(path);
          if (path === ctx.paths.runState) this.runState = null;
        },
        removeEmptyDir: (path) => {
          if (![...this.files].some((f) => f.startsWith(`${path}/`))) this.calls.push(`rmdir ${path}`);
        },
        link: async (target, path) => {
          this.calls.push(`ln -s ${target} ${path}`);
          this.files.add(path);
        },
        readRunState: () => this.runState,
        writeRunState: (state) => {
          this.calls.push(`record${state.supervisor ? ` supervisor ${state.supervisor.pid}` : ""}`);
          this.runState = state;
        },
      },
      cgroups: {
        host: () => cgroupHost,
        apply: (plan) => {
          this.calls.push(`cgroups ${plan.dirs.join(" ")}`);
        },
        remove: (name) => {
          this.calls.push(`rmdir cgroups of ${name}`);
          if (this.populated.length === 0) this.cgroupDirs = [];
          return this.populated;
        },
        dirs: () => this.cgroupDirs,
        usage: () => this.usage,
      },
      mounts: {
        unitFor: (_root, path) => this.mountUnits.get(path) ?? null,
        mount: async (what, where) => {
          this.calls.push(`mount ${what} ${where}`);
          this.time += 250;
          return "mounted";
        },
        varStatus: (source, unit) => ({ ...unboundedVar, source: unit?.where ?? source }),
      },
      clock: {
        now: () => this.time,
        sleep: async (ms) => {
          this.time += ms;
        },
      },
    };
  }

  /** A partition podman started: init 100, conmon 90, both at 500. */
  running(name = "qm"): void {
    this.containers.set(name, {
      id: "c0ffee",
      status: "running",
      pid: 100,
      conmonPid: 90,
      startedAt: "2026-12-05T05:00:00Z",
      restartCount: 0,
      exitCode: 0,
      rootfs: "/usr/lib/qm/rootfs",
      error: "",
    });
    this.live.set(100, 500);
    this.live.set(90, 500);
  }
}

export const unboundedVar: VarStatus = {
  source: null,
  image: null,
  mounted: false,
  bounded: false,
  sizeBytes: null,
  usedBytes: null,
  availBytes: null,
};

export const QM = `[Unit]
RequiresMountsFor=/var/lib/qm

[Container]
ContainerName=qm
Exec=/sbin/init
Rootfs=/usr/lib/qm/rootfs

[Service]
OOMScoreAdjust=500
Restart=always
MemoryMax=1G
`;

export function contextWith(text: string): PartitionContext {
  const fs = memoryUnitFs({ "/usr/share/containers/systemd/qm.container": text });
  return contextOf("/", loadEffectiveUnitFrom(fs, "qm.container"), generateServiceFrom(fs, "qm.container"));
}

export const ctx = contextWith(QM);

export const cgroupHost: CgroupHost = {
  mode: "v2",
  mounts: { unified: "/sys/fs/cgroup" },
  memTotal: 8 * 1024 ** 3,
  tasksLimit: 32768,
  has: { cpuIdle: true, ioWeight: "io.weight", memsw: false },
  parentCpus: "0-1",
  parentMems: "0",
  devices: {},
};

export const thisHost: DirectHost = {
  podmanVersion: { major: 4, minor: 7 },
  selinux: true,
  cgroupMode: "v2",
  runcAvailable: true,
  capSysResource: true,
  nofileHard: "unlimited",
  nprocHard: "unlimited",
  hostname: "car1",
};

export const input: StartInput = {
  started: 1_000_000,
  wait: true,
  timeoutSec: 60,
  log: () => {},
  host: thisHost,
  podman: undefined,
  qmQuadlet: "/usr/lib/qm/dist/qm-quadlet.mjs",
  limits: { ungrantedCapabilities: [], oomFloor: null },
};

export const supervisor: ProcessIdentity = { pid: 7, start: 1, bootId: "b" };
export const recorded: RunState = {
  schema: 1,
  mode: "direct",
  serviceName: "qm.service",
  containerName: "qm",
  configHash: "h",
  argv: ["podman", "run"],
  adaptations: [],
  startedAt: "2026-12-05T05:00:00Z",
  supervisor,
};
