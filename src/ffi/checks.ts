import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { readText } from "../engine/fs.js";
import { podman } from "../engine/podman.js";
import { descendants, killPids, type PartitionCgroup, partitionPids, readCgroupFile } from "./cgroup.js";
import {
  cpuRatio,
  type MemoryTrial,
  memoryVerdict,
  mqueueVerdict,
  oomVictims,
  type SchedAttempt,
  type Series,
  schedulerVerdict,
  setattrVerdict,
  type Verdict,
  verdict,
} from "./model.js";
import {
  ensureNested,
  kernelLog,
  meminfo,
  NESTED_ROOTFS,
  type Probe,
  sleep,
  vmstat,
  WORK_DIR,
} from "./probe.js";

/**
 * Everything a check may use: the probe (commands, clean-ups), the partition's init PID and cgroup, options.
 * Clean-ups registered with `probe.cleanups.add` run when the check ends, however it ends, and on SIGINT/SIGTERM;
 * a check runs one itself only when it must wait for the effect (memory returned, PIDs reaped).
 */
export interface Ctx {
  readonly probe: Probe;
  readonly pid: number;
  readonly cgroup: PartitionCgroup;
  readonly memoryTrials: number;
  readonly cpuSeconds: number;
}

export interface Outcome {
  readonly status: "PASS" | "FAIL" | "SKIP";
  readonly reason: string;
  readonly observed: Record<string, unknown>;
  readonly series?: readonly Series[];
}

export interface Check {
  readonly id: string;
  readonly title: string;
  readonly requirement: string;
  /** What the attack is and what passes, for `qm ffi list` and docs/ffi.md. */
  readonly attack: string;
  readonly run: (ctx: Ctx) => Promise<Outcome>;
}

const judged = (v: Verdict, observed: Record<string, unknown>, series?: readonly Series[]): Outcome => ({
  ...v,
  observed,
  ...(series ? { series } : {}),
});
const skip = (reason: string, observed: Record<string, unknown> = {}): Outcome => ({
  status: "SKIP",
  reason,
  observed,
});
const out = (r: { code: number; stdout: string; stderr: string }): string => `${r.stdout}${r.stderr}`.trim();
const MiB = 2 ** 20;

/** oom_score_adj and command name of a host PID, or null once it is gone. */
function oomScoreOf(pid: number): { pid: number; command: string; oomScoreAdj: number } | null {
  const adj = readText(`/proc/${pid}/oom_score_adj`);
  const command = readText(`/proc/${pid}/comm`);
  return adj === null || command === null ? null : { pid, command: command.trim(), oomScoreAdj: Number(adj) };
}

const oomScores: Check = {
  id: "FFI-OOM-01",
  title: "OOM priorities: partition 500, nested containers 750",
  requirement: "§7.5.2 / F2: QM container oom_score_adj = 500; every nested container = 750",
  attack:
    "read oom_score_adj of the partition's init and of every process descending from it (host /proc), and of a nested container's process. PASS: init 500, none of its descendants below 500, the nested process 750. A process entered with `podman exec` is recorded but not judged: it takes podman's setting (--oom-score-adj in direct mode), under systemd the caller's value",
  async run(ctx) {
    ctx.probe.commands.push(`cat /proc/${ctx.pid}/oom_score_adj /proc/<each descendant>/oom_score_adj`);
    const init = oomScoreOf(ctx.pid);
    const processes = descendants(ctx.pid)
      .map(oomScoreOf)
      .filter((p) => p !== null);
    const exec = (await ctx.probe.qm(["cat", "/proc/self/oom_score_adj"])).stdout.trim();
    const why = await ensureNested(ctx.probe);
    if (why) return skip(why, { init, exec });
    const n = await ctx.probe.nested(["/bin/cat", "/proc/self/oom_score_adj"]);
    const nested = n.code === 0 ? n.stdout.trim() : `error: ${out(n)}`;
    const failures = [
      ...(init?.oomScoreAdj === 500 ? [] : [`partition init has ${init?.oomScoreAdj}, not 500`]),
      ...processes
        .filter((p) => p.oomScoreAdj < 500)
        .map((p) => `${p.command} (pid ${p.pid}) in the partition has ${p.oomScoreAdj}, below 500`),
      ...(nested === "750" ? [] : [`a nested container has ${nested}, not 750`]),
    ];
    return judged(verdict(failures), {
      init: init?.oomScoreAdj,
      partitionProcesses: processes,
      nested,
      podmanExec: exec,
    });
  },
};

const OOM_FLOOR_PROBE =
  "cat /proc/self/oom_score_adj; if echo 100 > /proc/self/oom_score_adj 2>/dev/null; then echo lowered; else echo refused; fi; cat /proc/self/oom_score_adj";

const oomFloor: Check = {
  id: "FFI-OOM-02",
  title: "OOM priority is a floor: a partition process cannot lower its own oom_score_adj",
  requirement:
    "§7.5.2 / F2: QM processes stay behind ASIL software for the OOM killer; a QM process must not move itself forward",
  attack:
    "a process in the partition (`podman exec`) at the partition's oom_score_adj writes 100 into /proc/self/oom_score_adj. PASS: the kernel refuses (EACCES) and the score stays. The kernel records a floor only when a process holding CAP_SYS_RESOURCE sets the score; on a host where qm, podman and the OCI runtime lack it, the write succeeds: FAIL, and the reason says the host cannot enforce the floor",
  async run(ctx) {
    const init = oomScoreOf(ctx.pid)?.oomScoreAdj;
    const r = await ctx.probe.qm(["sh", "-c", OOM_FLOOR_PROBE]);
    const [before, outcome, after] = r.stdout.trim().split("\n");
    const observed = { init, before: Number(before), write100: outcome, after: Number(after) };
    if (r.code !== 0 || outcome === undefined) return skip(`the probe did not run: ${out(r)}`, observed);
    if (init === undefined || Number(before) < init || init <= 100)
      return skip(
        `a process entered with podman exec starts at ${before}, not at the partition's ${init}`,
        observed,
      );
    const failures =
      outcome === "lowered"
        ? [
            `a partition process lowered its oom_score_adj from ${before} to ${after}: this host records no floor (the score was set without CAP_SYS_RESOURCE), so it cannot enforce the partition's OOM priority`,
          ]
        : [];
    return judged(verdict(failures), observed);
  },
};

/** The ASIL stand-in: holds `bytes` of memory with a pattern and exits 3 if the pattern is ever lost. */
const ASIL_MEMORY = [
  "const n = Number(process.argv[1]); const bufs = [];",
  "for (let left = n; left > 0; left -= 256 * 2 ** 20) bufs.push(Buffer.alloc(Math.min(256 * 2 ** 20, left), 0xa5));",
  "process.stdout.write('ready\\n');",
  "setInterval(() => { for (const b of bufs) for (let i = 0; i < b.length; i += 2 ** 20) if (b[i] !== 0xa5) process.exit(3); }, 500);",
].join("\n");

function rssOf(pid: number | undefined): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readText(`/proc/${pid}/status`) ?? "");
  return m ? Number(m[1]) * 1024 : 0;
}

const MEMORY_HOG = "qm-ffi-memory-hog";
const TRIAL_TIMEOUT_MS = 300_000;

const memory: Check = {
  id: "FFI-MEM-01",
  title: "memory hogs in the partition are OOM-killed; the ASIL process survives",
  requirement:
    "§7.5.3 / F1: a QM memory hog is OOM-killed and an ASIL process holding 20% of RAM survives (upstream never checked the survival)",
  attack:
    "a host ASIL stand-in (oom_score_adj 0) holds 20% of RAM; per trial a nested container in the partition starts hogs (`dd bs=CHUNK count=1 iflag=fullblock | sleep`, each holding half the stand-in's size, together the rest of RAM + 1 GiB) and the trial ends at the first OOM kill, after which the hogs are killed by PID. The victims are read from the kernel log. PASS in every trial: an OOM kill happened, every victim was in the partition's cgroup, and the stand-in is alive with its memory resident and intact",
  async run(ctx) {
    const { MemTotal: total = 0, MemAvailable: availableBefore = 0 } = meminfo();
    const asilBytes = Math.floor((total * 0.2) / MiB) * MiB;
    const why = await ensureNested(ctx.probe);
    if (why) return skip(why);
    const asil = ctx.probe.spawnHost(process.execPath, ["-e", ASIL_MEMORY, String(asilBytes)]);
    const killHogs = () => {
      const shells = partitionPids(ctx.cgroup, MEMORY_HOG);
      killPids([...shells, ...shells.flatMap(descendants)]);
    };
    const id = ctx.probe.cleanups.add(killHogs);
    try {
      await new Promise<void>((resolve, reject) => {
        asil.child.stdout?.once("data", () => resolve());
        asil.child.once("exit", (code) =>
          reject(new Error(`the ASIL stand-in exited (${code}) before holding its memory`)),
        );
      });
      writeFileSync(`/proc/${asil.child.pid}/oom_score_adj`, "0");
      const alive = () => asil.child.exitCode === null && asil.child.signalCode === null;
      const chunkMiB = Math.max(1, Math.floor(asilBytes / 2 / MiB));
      const trials: MemoryTrial[] = [];
      // Enough hogs to exceed all memory the stand-in leaves, by 1 GiB: from MemTotal, not MemAvailable, which
      // lags behind right after the previous trial's hogs were killed.
      const hogs = Math.ceil((total - asilBytes + 1024 * MiB) / (chunkMiB * MiB));
      for (let i = 1; i <= ctx.memoryTrials && alive(); i++) {
        const log = kernelLog();
        const kills = vmstat("oom_kill");
        const started = Date.now();
        let ended = false;
        const run = ctx.probe
          .nested([
            "/bin/sh",
            "-c",
            `i=0; while [ $i -lt ${hogs} ]; do (dd if=/dev/zero bs=${chunkMiB}M count=1 iflag=fullblock 2>/dev/null | sleep 3599) & i=$((i+1)); done; wait`,
            MEMORY_HOG,
          ])
          .finally(() => {
            ended = true;
          });
        while (!ended && alive() && vmstat("oom_kill") === kills && Date.now() - started < TRIAL_TIMEOUT_MS)
          await sleep(200);
        // The kernel may pick more victims while memory is still short; wait until the count holds for a second.
        for (let last = -1; vmstat("oom_kill") !== last; await sleep(1000)) last = vmstat("oom_kill");
        const seconds = (Date.now() - started) / 1000;
        killHogs();
        const r = await run;
        trials.push({
          trial: i,
          hogs,
          hogBytes: hogs * chunkMiB * MiB,
          seconds,
          hogRun: `exit ${r.code}${out(r) ? `: ${out(r).split("\n").pop()}` : ""}`,
          asilAlive: alive(),
          asilRssBytes: alive() ? rssOf(asil.child.pid) : 0,
          oomKills: vmstat("oom_kill") - kills,
          victims: oomVictims(kernelLog(log.last).messages),
        });
      }
      ctx.probe.commands.push("read /dev/kmsg (OOM victims), /proc/vmstat oom_kill");
      const gib = (b: number) => Number((b / 2 ** 30).toFixed(2));
      const series: Series[] = [
        {
          title: `ASIL stand-in resident memory after each trial (held: ${gib(asilBytes)} GiB)`,
          unit: "GiB",
          points: trials.map((t) => ({ label: `trial ${t.trial}`, value: gib(t.asilRssBytes) })),
        },
        {
          title: "memory the partition's hogs tried to hold per trial",
          unit: "GiB",
          points: trials.map((t) => ({ label: `trial ${t.trial}`, value: gib(t.hogBytes) })),
        },
      ];
      return judged(
        memoryVerdict(asilBytes, ctx.cgroup.service, trials),
        { asilBytes, memTotal: total, chunkBytes: chunkMiB * MiB, trials },
        series,
      );
    } finally {
      asil.child.kill("SIGKILL");
      await ctx.probe.cleanups.run(id);
      // Freed memory shows up in MemAvailable with a delay; the next check must not start on a squeezed host.
      for (let i = 0; i < 120 && (meminfo().MemAvailable ?? 0) < availableBefore * 0.9; i++) await sleep(500);
    }
  },
};

/** Memory one blocked shell of the fork bomb costs, measured: about 450 KiB (page tables, stack, kernel task). */
const BYTES_PER_TASK = 512 * 1024;
const FORK_BOMB = "qm-ffi-fork-bomb";

const forkBomb: Check = {
  id: "FFI-PIDS-01",
  title: "fork bomb in the partition is bounded by TasksMax",
  requirement: "§7.5.1: TasksMax (50%) bounds the partition's tasks; the host can still fork",
  attack:
    "inside the partition a shell forks subshells that block on a FIFO until it has tried pids.max+64 times (4096 without a limit); the host forks meanwhile; the subshells are killed by PID from the host. PASS: forks are refused inside, the partition's task count never exceeds pids.max, and the host can fork",
  async run(ctx) {
    const dir = ctx.cgroup.dir("pids");
    const max = readCgroupFile(join(dir, "pids.max")) ?? "";
    const current = Number(readCgroupFile(join(dir, "pids.current")) ?? "0");
    const bounded = /^\d+$/.test(max);
    const tries = bounded ? Number(max) - current + 64 : 4096;
    const total = meminfo().MemTotal ?? 0;
    if (tries * BYTES_PER_TASK > total / 2)
      return skip(
        `filling pids.max ${max} takes about ${Math.round((tries * BYTES_PER_TASK) / 2 ** 30)} GiB, more than half of this host's ${Math.round(total / 2 ** 30)} GiB of memory`,
        { pidsMax: max, pidsCurrent: current },
      );
    const fifo = `${WORK_DIR}/fork-bomb.fifo`;
    const kill = () => killPids(partitionPids(ctx.cgroup, FORK_BOMB));
    const id = ctx.probe.cleanups.add(kill);
    try {
      const bomb = await ctx.probe.qm([
        "sh",
        "-c",
        `rm -f ${fifo}; mkfifo ${fifo}; i=0; while [ $i -lt ${tries} ]; do (read x < ${fifo}) & i=$((i+1)); done; echo started $i`,
        FORK_BOMB,
      ]);
      const peak = Number(readCgroupFile(join(dir, "pids.current")) ?? "0");
      const hostFork = await ctx.probe.host("/bin/true", []);
      const refused = /fork|Resource temporarily unavailable/i.test(bomb.stderr);
      const failures = [
        ...(refused
          ? []
          : [
              `${tries} forks were not refused (${bounded ? `pids.max ${max}` : "pids.max is max: no TasksMax bound"})`,
            ]),
        ...(bounded && peak > Number(max) ? [`task count ${peak} exceeds pids.max ${max}`] : []),
        ...(hostFork.code === 0 ? [] : [`the host could not fork: ${out(hostFork)}`]),
      ];
      return judged(verdict(failures), {
        pidsMax: max,
        pidsBefore: current,
        pidsPeak: peak,
        attempted: tries,
        refusal: bomb.stderr.trim().split("\n")[0] ?? "",
        hostForkExit: hostFork.code,
      });
    } finally {
      for (let i = 0; i < 50 && partitionPids(ctx.cgroup, FORK_BOMB).length > 0; i++) {
        kill();
        await sleep(100);
      }
      await ctx.probe.cleanups.run(id);
      // The killed subshells hold their PIDs until the partition's init reaps them; the next check needs them back.
      for (let i = 0; i < 600 && Number(readCgroupFile(join(dir, "pids.current")) ?? "0") > current + 64; i++)
        await sleep(100);
      await ctx.probe.qm(["rm", "-f", fifo]);
    }
  },
};

/** The ASIL stand-in's fixed workload: count loop iterations for `ms` milliseconds. */
const ASIL_CPU =
  "const end = Date.now() + Number(process.argv[1]); let n = 0; while (Date.now() < end) { for (let i = 0; i < 1e5; i++) n++; } console.log(n);";

const cpu: Check = {
  id: "FFI-CPU-01",
  title: "CPU hog in the partition barely slows an ASIL workload on the same CPU",
  requirement: "§7.5.1: CPUWeight=idle: the partition gets CPU only when nothing else wants it",
  attack:
    "the ASIL stand-in counts loop iterations pinned to CPU 0 (taskset), alone and while two `sh -c 'while :; do :; done'` hogs run pinned to CPU 0 inside the partition; alternating rounds. PASS: loaded/unloaded throughput ratio >= 0.75",
  async run(ctx) {
    const ms = Math.round((ctx.cpuSeconds * 1000) / 2);
    const measure = async (): Promise<number> => {
      const r = await ctx.probe.host("taskset", ["-c", "0", process.execPath, "-e", ASIL_CPU, String(ms)]);
      return (Number(r.stdout.trim()) || 0) / (ms / 1000);
    };
    const marker = "qm-ffi-cpu-hog";
    const kill = () => killPids(partitionPids(ctx.cgroup, marker));
    ctx.probe.cleanups.add(kill);
    const unloaded: number[] = [];
    const loaded: number[] = [];
    for (let round = 0; round < 2; round++) {
      unloaded.push(await measure());
      for (let h = 0; h < 2; h++)
        await ctx.probe.qm(
          [
            "timeout",
            String(ctx.cpuSeconds * 4 + 30),
            "taskset",
            "-c",
            "0",
            "sh",
            "-c",
            "while :; do :; done",
            marker,
          ],
          { detach: true },
        );
      for (let i = 0; i < 50 && partitionPids(ctx.cgroup, marker).length < 2; i++) await sleep(100);
      await sleep(300);
      loaded.push(await measure());
      kill();
      await sleep(300);
    }
    const ratio = cpuRatio(unloaded, loaded);
    const shares = readCgroupFile(
      join(ctx.cgroup.dir("cpu"), ctx.cgroup.mode === "v1" ? "cpu.shares" : "cpu.weight"),
    );
    const idle = ctx.cgroup.mode === "v2" ? readCgroupFile(join(ctx.cgroup.dir("cpu"), "cpu.idle")) : null;
    const series: Series[] = [
      {
        title: `ASIL stand-in throughput on CPU 0 (loaded/unloaded ratio ${ratio.toFixed(3)})`,
        unit: "M iter/s",
        points: [
          ...unloaded.map((v, i) => ({
            label: `alone, round ${i + 1}`,
            value: Number((v / 1e6).toFixed(1)),
          })),
          ...loaded.map((v, i) => ({
            label: `with QM hog, round ${i + 1}`,
            value: Number((v / 1e6).toFixed(1)),
          })),
        ],
      },
    ];
    return judged(
      verdict(
        ratio >= 0.75 ? [] : [`the ASIL workload kept only ${(ratio * 100).toFixed(1)}% of its throughput`],
      ),
      {
        ratio: Number(ratio.toFixed(4)),
        unloaded,
        loaded,
        cpuShares: shares,
        cpuIdle: idle,
        cpus: cpus().length,
      },
      series,
    );
  },
};

interface MountInfo {
  Destination: string;
  Source: string;
}

async function varSource(ctx: Ctx): Promise<string | null> {
  const r = await podman(["container", "inspect", "--format", "json", ctx.probe.container], {
    allowFailure: true,
  });
  ctx.probe.commands.push(`podman container inspect --format json ${ctx.probe.container}`);
  if (r.code !== 0) return null;
  const [c] = JSON.parse(r.stdout) as { Mounts?: MountInfo[] }[];
  return c?.Mounts?.find((m) => m.Destination === "/var")?.Source ?? null;
}

const diskFill: Check = {
  id: "FFI-DISK-01",
  title: "filling the partition's /var does not fill the host",
  requirement: "§7.5.8: filling QM /var does not fill the host (a separate filesystem)",
  attack:
    "compare the filesystem of the partition's /var source with the host's /; when separate, `dd if=/dev/zero of=/var/qm-ffi-fill bs=4M` inside until ENOSPC and measure the host's free space. PASS: separate filesystems, the fill ends with ENOSPC and the host's / loses less than was written. A shared filesystem FAILs without filling",
  async run(ctx) {
    const source = await varSource(ctx);
    if (!source) return judged(verdict(["the partition has no /var volume"]), {});
    const sameFs = statSync(source).dev === statSync("/").dev;
    if (sameFs)
      return judged(
        verdict([
          `the partition's /var (${source}) is on the host's root filesystem: filling it fills the host`,
        ]),
        {
          source,
          sameFilesystem: true,
        },
      );
    const free = () => {
      const s = statfsSync("/");
      return s.bavail * s.bsize;
    };
    const hostBefore = free();
    const fill = "/var/qm-ffi-fill";
    ctx.probe.cleanups.add(async () => {
      await ctx.probe.qm(["rm", "-f", fill]);
    });
    const r = await ctx.probe.qm(["dd", "if=/dev/zero", `of=${fill}`, "bs=4M"]);
    const written = Number((await ctx.probe.qm(["stat", "-c", "%s", fill])).stdout.trim()) || 0;
    const left =
      (await ctx.probe.qm(["df", "-B1", "--output=avail", "/var"])).stdout.trim().split("\n").pop() ?? "";
    const hostAfter = free();
    const enospc = /No space left on device/.test(r.stderr);
    const failures = [
      ...(enospc ? [] : [`the fill did not end with ENOSPC (${out(r).split("\n").pop()})`]),
      ...(hostBefore - hostAfter >= written && written > 0
        ? [`the host's / lost ${hostBefore - hostAfter} bytes`]
        : []),
    ];
    return judged(verdict(failures), {
      source,
      sameFilesystem: false,
      bytesWritten: written,
      partitionVarAvailAfter: Number(left),
      hostRootFreeBefore: hostBefore,
      hostRootFreeAfter: hostAfter,
    });
  },
};

const varPersistent: Check = {
  id: "FFI-DISK-02",
  title: "/var and /var/tmp are disk-backed, not tmpfs",
  requirement: "§7.5.8 / S7: /var and /var/tmp in QM are persistent, not tmpfs, and writable",
  attack:
    "inside: `stat -f -c %T /var /var/tmp` and create/remove a file in each. PASS: neither is tmpfs and both are writable",
  async run(ctx) {
    const types = (await ctx.probe.qm(["stat", "-f", "-c", "%T", "/var", "/var/tmp"])).stdout
      .trim()
      .split("\n");
    const w = await ctx.probe.qm([
      "sh",
      "-c",
      "touch /var/.qm-ffi /var/tmp/.qm-ffi && rm -f /var/.qm-ffi /var/tmp/.qm-ffi",
    ]);
    const failures = [
      ...(types.some((t) => t === "tmpfs") || types.length !== 2
        ? [`filesystem types ${types.join(", ")}`]
        : []),
      ...(w.code === 0 ? [] : [`not writable: ${out(w)}`]),
    ];
    return judged(verdict(failures), { var: types[0], varTmp: types[1], writable: w.code === 0 });
  },
};

/** Policy, its number for sched_setscheduler(2), chrt's flag, and the priority to ask for. */
const policies: [string, number, string, string][] = [
  ["SCHED_OTHER", 0, "-o", "0"],
  ["SCHED_BATCH", 3, "-b", "0"],
  ["SCHED_IDLE", 5, "-i", "0"],
  ["SCHED_FIFO", 1, "-f", "99"],
  ["SCHED_RR", 2, "-r", "99"],
];

/** sched_setscheduler's syscall number; the partition runs on the host's architecture. */
const SCHED_SETSCHEDULER: Partial<Record<string, number>> = {
  x64: 144,
  arm64: 119,
  riscv64: 119,
  s390x: 156,
};

const scheduler: Check = {
  id: "FFI-SCHED-01",
  title: "realtime policies denied by seccomp; OTHER, BATCH, IDLE allowed",
  requirement:
    "§7.5.4 / F4: sched_setscheduler OTHER, BATCH, IDLE succeed; FIFO and RR fail with ENOSYS (38)",
  attack:
    "inside, for each policy, sched_setscheduler(0, POLICY, PRIO) through perl's syscall() (perl-base is in every Debian tree); without perl, `chrt -o|-b|-i 0 true` and `chrt -f|-r 99 true`, though util-linux >= 2.40 sets OTHER and BATCH with sched_setattr, which the profile refuses. PASS: OTHER, BATCH and IDLE succeed; FIFO and RR fail with ENOSYS, the seccomp profile's answer (the kernel's RT group scheduling would say EPERM)",
  async run(ctx) {
    const nr = SCHED_SETSCHEDULER[process.arch];
    const perl = nr !== undefined && (await ctx.probe.qm(["sh", "-c", "command -v perl"])).code === 0;
    const attempts: SchedAttempt[] = [];
    for (const [policy, number, flag, prio] of policies) {
      const r = await ctx.probe.qm(
        perl
          ? [
              "perl",
              "-e",
              `my $p = pack("i", ${prio}); syscall(${nr}, 0, ${number}, $p) == 0 or die "sched_setscheduler: $!\\n"`,
            ]
          : ["chrt", flag, prio, "true"],
      );
      attempts.push({ policy, code: r.code, output: out(r) });
    }
    return judged(schedulerVerdict(attempts), {
      tool: perl ? `perl syscall(${nr})` : "chrt",
      ...Object.fromEntries(attempts.map((a) => [a.policy, a.code === 0 ? "succeeded" : a.output])),
    });
  },
};

const setattr: Check = {
  id: "FFI-SCHED-02",
  title: "sched_setattr denied with EPERM",
  requirement:
    "§7.5.4 / F3: sched_setattr (SCHED_DEADLINE, runtime 10 ms, deadline 20 ms, period 30 ms) fails with EPERM",
  attack:
    "inside: `chrt -d --sched-runtime 10000000 --sched-deadline 20000000 --sched-period 30000000 0 true` (chrt uses sched_setattr for SCHED_DEADLINE). PASS: refused with EPERM",
  async run(ctx) {
    const r = await ctx.probe.qm([
      "chrt",
      "-d",
      "--sched-runtime",
      "10000000",
      "--sched-deadline",
      "20000000",
      "--sched-period",
      "30000000",
      "0",
      "true",
    ]);
    const a = { policy: "SCHED_DEADLINE", code: r.code, output: out(r) };
    return judged(setattrVerdict(a), { exit: r.code, output: a.output });
  },
};

const SYSCTL_KEYS = [
  "net.ipv4.ip_forward",
  "net.ipv4.conf.all.rp_filter",
  "net.ipv4.tcp_max_syn_backlog",
  "vm.swappiness",
  "vm.overcommit_memory",
];

const sysctlNested: Check = {
  id: "FFI-SYSCTL-01",
  title: "sysctl writes from a nested container are denied",
  requirement: "§7.5.6 / F7: nested sysctl writes are denied (5 keys)",
  attack: `in a nested container: \`sysctl -w KEY=<its current value>\` for ${SYSCTL_KEYS.join(", ")} (the current value, so a write that got through changes nothing). PASS: all 5 denied`,
  async run(ctx) {
    const why = await ensureNested(ctx.probe);
    if (why) return skip(why);
    const script = SYSCTL_KEYS.map(
      (k) =>
        `v=$(cat /proc/sys/${k.replaceAll(".", "/")}); if sysctl -w ${k}="$v" >/dev/null 2>&1; then echo "written ${k}"; else echo "denied ${k}"; fi`,
    ).join("; ");
    const r = await ctx.probe.nested(["/bin/sh", "-c", script]);
    const denied = r.stdout.split("\n").filter((l) => l.startsWith("denied ")).length;
    const written = r.stdout
      .split("\n")
      .filter((l) => l.startsWith("written "))
      .map((l) => l.slice(8));
    return judged(
      verdict(
        r.code !== 0
          ? [`the nested container did not run: ${out(r)}`]
          : denied === SYSCTL_KEYS.length
            ? []
            : [`${denied} of ${SYSCTL_KEYS.length} writes denied; written: ${written.join(", ")}`],
      ),
      { denied, written },
    );
  },
};

const sysctlHost: Check = {
  id: "FFI-SYSCTL-02",
  title: "sysctl writes in the partition do not change the host",
  requirement: "§7.5.6: QM sysctl writes don't change the host (tcp_max_syn_backlog)",
  attack:
    "inside: `sysctl -w net.ipv4.tcp_max_syn_backlog=<host value + 1>` and `sysctl -w vm.swappiness=<host value + 1>` (global); the host's values are read before and after and restored if changed. PASS: the host's values are unchanged (denied or namespaced)",
  async run(ctx) {
    const keys = ["net.ipv4.tcp_max_syn_backlog", "vm.swappiness"];
    const path = (k: string) => `/proc/sys/${k.replaceAll(".", "/")}`;
    const before = Object.fromEntries(keys.map((k) => [k, readFileSync(path(k), "utf8").trim()]));
    const restore = () => {
      for (const k of keys)
        if (readFileSync(path(k), "utf8").trim() !== before[k]) writeFileSync(path(k), String(before[k]));
    };
    ctx.probe.cleanups.add(restore);
    const attempts: Record<string, string> = {};
    for (const k of keys) {
      const target = String(Math.min(Number(before[k]) + 1, k === "vm.swappiness" ? 200 : 2 ** 30));
      const r = await ctx.probe.qm(["sysctl", "-w", `${k}=${target}`]);
      attempts[k] = r.code === 0 ? "written" : out(r);
    }
    const after = Object.fromEntries(keys.map((k) => [k, readFileSync(path(k), "utf8").trim()]));
    const changed = keys.filter((k) => after[k] !== before[k]);
    return judged(verdict(changed.map((k) => `host ${k} changed from ${before[k]} to ${after[k]}`)), {
      attempts,
      hostBefore: before,
      hostAfter: after,
    });
  },
};

const modules: Check = {
  id: "FFI-MOD-01",
  title: "kernel module loading is impossible",
  requirement: "§7.5.6 / F8: modprobe is impossible in QM",
  attack:
    "inside the partition and in a nested container: look for modules and modprobe, then `busybox insmod` a 4 KiB random file (init_module/finit_module). PASS: /lib/modules has no modules and the syscall is refused before the kernel reads the image (EPERM or ENOSYS; ENOEXEC would mean the kernel parsed it)",
  async run(ctx) {
    if (!existsSync("/proc/modules"))
      return skip(
        "the kernel has no loadable module support (no /proc/modules): init_module fails for every process on this host, so the partition's own protection cannot be shown",
      );
    const why = await ensureNested(ctx.probe);
    if (why) return skip(why);
    const probe = [
      "ls -A /lib/modules 2>/dev/null | head -3",
      `head -c 4096 /dev/urandom > ${WORK_DIR}/bogus.ko`,
    ].join("; ");
    const files = (await ctx.probe.qm(["sh", "-c", probe])).stdout.trim();
    const modprobe = await ctx.probe.qm(["sh", "-c", "command -v modprobe || echo absent"]);
    const insmodQm = await ctx.probe.qm([`${NESTED_ROOTFS}/bin/busybox`, "insmod", `${WORK_DIR}/bogus.ko`]);
    const insmodNested = await ctx.probe.nested(
      ["/bin/busybox", "insmod", "/bogus.ko"],
      ["-v", `${WORK_DIR}/bogus.ko:/bogus.ko:ro`],
    );
    const denied = (r: { code: number; stdout: string; stderr: string }) =>
      r.code !== 0 &&
      /Operation not permitted|kernel does not support requested operation|Function not implemented/.test(
        out(r),
      );
    const failures = [
      ...(files ? [`/lib/modules has content: ${files}`] : []),
      ...(denied(insmodQm)
        ? []
        : [`insmod in the partition was not refused up front: ${out(insmodQm) || "succeeded"}`]),
      ...(denied(insmodNested)
        ? []
        : [`insmod in a nested container was not refused up front: ${out(insmodNested) || "succeeded"}`]),
    ];
    return judged(verdict(failures), {
      libModules: files || "(empty or absent)",
      modprobe: modprobe.stdout.trim(),
      insmodPartition: out(insmodQm),
      insmodNested: out(insmodNested),
    });
  },
};

function devCheck(id: string, title: string, node: string, test: string, mknod?: string): Check {
  return {
    id,
    title,
    requirement: `§7.5.5 / F5, F14: no ${node}${test === "-c" ? " (char device)" : ""} in QM`,
    attack: `inside: \`test ${test} ${node}\`${mknod ? `, then \`mknod /dev/qm-ffi-probe c ${mknod}\` and read it (the devices cgroup must refuse)` : ""}. PASS: absent${mknod ? " and the read denied" : ""}`,
    async run(ctx) {
      const present = (await ctx.probe.qm(["test", test, node])).code === 0;
      const observed: Record<string, unknown> = { present };
      const failures = present ? [`${node} is present`] : [];
      if (mknod) {
        ctx.probe.cleanups.add(async () => {
          await ctx.probe.qm(["rm", "-f", "/dev/qm-ffi-probe"]);
        });
        const r = await ctx.probe.qm([
          "sh",
          "-c",
          `mknod /dev/qm-ffi-probe c ${mknod} && head -c 1 /dev/qm-ffi-probe > /dev/null && echo readable`,
        ]);
        observed.mknodRead = r.stdout.includes("readable") ? "readable" : out(r);
        if (r.stdout.includes("readable"))
          failures.push(`a ${mknod.replace(" ", ":")} node made inside can be read`);
      }
      return judged(verdict(failures), observed);
    },
  };
}

const sysRo: Check = {
  id: "FFI-FS-01",
  title: "/sys is readable but not writable",
  requirement: "§7.5.5 / F6: /sys readable, not writable",
  attack: "inside: `sh -c 'test -r /sys && test ! -w /sys'`. PASS: exit 0",
  async run(ctx) {
    const r = await ctx.probe.qm(["sh", "-c", "test -r /sys && test ! -w /sys"]);
    return judged(verdict(r.code === 0 ? [] : ["/sys is writable (or unreadable)"]), { exit: r.code });
  },
};

const rootRo: Check = {
  id: "FFI-FS-02",
  title: "the partition's root filesystem is read-only",
  requirement: "§7.5.5 / F20: the rootfs (/usr/lib/systemd/system/*) is read-only",
  attack:
    "inside: `touch /usr/lib/systemd/system/qm-ffi-probe.service` (removed again if it worked). PASS: Read-only file system",
  async run(ctx) {
    const path = "/usr/lib/systemd/system/qm-ffi-probe.service";
    ctx.probe.cleanups.add(async () => {
      await ctx.probe.qm(["rm", "-f", path]);
    });
    const r = await ctx.probe.qm(["touch", path]);
    return judged(
      verdict(
        /Read-only file system/.test(r.stderr) ? [] : [`not refused as read-only: ${out(r) || "created"}`],
      ),
      {
        exit: r.code,
        output: out(r),
      },
    );
  },
};

const qmDirs: Check = {
  id: "FFI-VIS-01",
  title: "the host's /etc/qm, /usr/lib/qm, /usr/share/qm are invisible",
  requirement: "§7.5.5 / F15: /etc/qm, /usr/lib/qm and /usr/share/qm absent inside",
  attack: "inside: `test -e` each. PASS: none exists",
  async run(ctx) {
    const seen: string[] = [];
    for (const d of ["/etc/qm", "/usr/lib/qm", "/usr/share/qm"])
      if ((await ctx.probe.qm(["test", "-e", d])).code === 0) seen.push(d);
    return judged(verdict(seen.map((d) => `${d} is visible`)), { visible: seen });
  },
};

const devShm: Check = {
  id: "FFI-VIS-02",
  title: "host /dev/shm files are invisible",
  requirement: "§7.5.5 / F16: host /dev/shm files invisible (private /dev/shm)",
  attack: "host: create /dev/shm/qm-ffi-on-host-<pid>; inside: `test -e` it. PASS: not found inside",
  async run(ctx) {
    if (!existsSync("/dev/shm")) return skip("the host has no /dev/shm");
    const file = `/dev/shm/qm-ffi-on-host-${process.pid}`;
    writeFileSync(file, "host\n");
    ctx.probe.commands.push(`touch ${file}`);
    ctx.probe.cleanups.add(() => rmSync(file, { force: true }));
    const seen = (await ctx.probe.qm(["test", "-e", file])).code === 0;
    return judged(verdict(seen ? [`${file} is visible inside`] : []), { visible: seen });
  },
};

const journal: Check = {
  id: "FFI-VIS-03",
  title: "the host's journal socket is not the partition's",
  requirement: "§7.5.5 / F17: /run/systemd/journal/socket inode differs between host and QM",
  attack:
    "`stat -c %i /run/systemd/journal/socket` on the host and inside. PASS: absent inside or a different inode",
  async run(ctx) {
    const path = "/run/systemd/journal/socket";
    if (!existsSync(path)) return skip(`the host has no ${path} (no systemd-journald on the host)`);
    const hostIno = String(statSync(path).ino);
    ctx.probe.commands.push(`stat -c %i ${path}`);
    const inside = (await ctx.probe.qm(["stat", "-c", "%i", path])).stdout.trim();
    return judged(verdict(inside === hostIno ? ["the partition sees the host's journal socket"] : []), {
      hostIno,
      inside,
    });
  },
};

const udev: Check = {
  id: "FFI-VIS-04",
  title: "the host's udev control socket is invisible",
  requirement: "§7.5.5 / F18: no /run/udev/control inside",
  attack: "inside: `test -e /run/udev/control`. PASS: absent",
  async run(ctx) {
    if (!existsSync("/run/udev/control"))
      return skip("the host has no /run/udev/control (no udevd on the host)");
    const seen = (await ctx.probe.qm(["test", "-e", "/run/udev/control"])).code === 0;
    return judged(verdict(seen ? ["/run/udev/control is visible inside"] : []), { visible: seen });
  },
};

const mqueue: Check = {
  id: "FFI-MQ-01",
  title: "at most 4 POSIX message queues in the partition; the host unaffected",
  requirement:
    "§7.5.7 / F9: fs.mqueue.queues_max=4 in QM, exactly 4 queues can be created, the host is unaffected",
  attack:
    "host (own mount of its mqueue fs): create 2 queues; inside: read fs.mqueue.queues_max and create queues by `touch /dev/mqueue/qm-ffi-N` (mq_open O_CREAT, default size) until 6 tries; host: 2 more while the partition holds its queues. PASS: exactly 4 exist inside, the 5th fails with ENOSPC, all 4 host queues are created. Queue memory is charged to the user across namespaces (RLIMIT_MSGQUEUE): the partition's share of root's budget is reported",
  async run(ctx) {
    const limit = 4;
    const mnt = mkdtempSync("/tmp/qm-ffi-mq-");
    const hostScript = (from: number) =>
      `mount -t mqueue none ${mnt} && n=0; for i in $(seq ${from} ${from + 1}); do touch ${mnt}/qm-ffi-host-${process.pid}-$i && n=$((n+1)); done; echo $n`;
    const hostCreate = async (from: number) =>
      Number((await ctx.probe.host("unshare", ["-m", "sh", "-c", hostScript(from)])).stdout.trim()) || 0;
    ctx.probe.cleanups.add(async () => {
      await ctx.probe.host(
        "unshare",
        ["-m", "sh", "-c", `mount -t mqueue none ${mnt} && rm -f ${mnt}/qm-ffi-host-${process.pid}-*`],
        false,
      );
      await ctx.probe.qm(["sh", "-c", "rm -f /dev/mqueue/qm-ffi-*"]);
      rmdirSync(mnt);
    });
    const hostBefore = await hostCreate(1);
    const sysctl = (await ctx.probe.qm(["cat", "/proc/sys/fs/mqueue/queues_max"])).stdout.trim();
    const r = await ctx.probe.qm([
      "sh",
      "-c",
      `for i in 1 2 3 4 5 6; do touch /dev/mqueue/qm-ffi-$i 2>/tmp/qm-ffi-mq.err || { cat /tmp/qm-ffi-mq.err >&2; break; }; done; ls /dev/mqueue | wc -l`,
    ]);
    const present = Number(r.stdout.trim()) || 0;
    const hostAfter = await hostCreate(3);
    return judged(
      mqueueVerdict({
        sysctl,
        limit,
        created: present,
        refusal: r.stderr,
        hostCreated: hostBefore + hostAfter,
        hostAttempted: 4,
      }),
      {
        queuesMax: sysctl,
        queuesInPartition: present,
        refusal: r.stderr.trim(),
        hostCreatedBefore: hostBefore,
        hostCreatedAfter: hostAfter,
        ...msgqueueBudget(limit),
      },
    );
  },
};

/**
 * POSIX queues are charged to the creating user's RLIMIT_MSGQUEUE across IPC namespaces: the partition's root shares
 * the host root's budget. With default attributes a queue costs msg_default * msgsize_default plus bookkeeping.
 */
function msgqueueBudget(queues: number): Record<string, number> {
  const limit = /^Max msgqueue size\s+(\d+)/m.exec(readText("/proc/self/limits") ?? "");
  const sysctl = (k: string) => Number(readText(`/proc/sys/fs/mqueue/${k}`) ?? "0");
  const perQueue = sysctl("msg_default") * sysctl("msgsize_default");
  return {
    rlimitMsgqueueBytes: Number(limit?.[1] ?? 0),
    defaultQueueBytes: perQueue,
    partitionShareBytes: queues * perQueue,
  };
}

const selinux: Check = {
  id: "FFI-SEL-01",
  title: "setenforce 0 is denied",
  requirement: "§7.5.6: `setenforce 0` is denied in QM",
  attack:
    "inside: `setenforce 0`; host enforcing state read before and after. PASS: refused and the host still enforcing",
  async run(ctx) {
    const path = "/sys/fs/selinux/enforce";
    if (!existsSync(path)) return skip("SELinux is not active on this host (no /sys/fs/selinux/enforce)");
    const before = readFileSync(path, "utf8").trim();
    const r = await ctx.probe.qm(["setenforce", "0"]);
    const after = readFileSync(path, "utf8").trim();
    const failures = [
      ...(r.code === 0 ? ["setenforce 0 succeeded"] : []),
      ...(after !== before ? [`host enforce changed from ${before} to ${after}`] : []),
    ];
    return judged(verdict(failures), { exit: r.code, output: out(r), hostBefore: before, hostAfter: after });
  },
};

export const checks: readonly Check[] = [
  oomScores,
  oomFloor,
  memory,
  forkBomb,
  cpu,
  diskFill,
  varPersistent,
  scheduler,
  setattr,
  sysctlNested,
  sysctlHost,
  modules,
  devCheck("FFI-DEV-01", "/dev/mem absent and not openable", "/dev/mem", "-e", "1 1"),
  devCheck("FFI-DEV-02", "/dev/kmsg absent and not openable", "/dev/kmsg", "-c", "1 11"),
  devCheck("FFI-DEV-03", "no /dev/console character device", "/dev/console", "-c"),
  devCheck("FFI-DEV-04", "no /dev/disk", "/dev/disk", "-d"),
  sysRo,
  rootRo,
  qmDirs,
  devShm,
  journal,
  udev,
  mqueue,
  selinux,
];
