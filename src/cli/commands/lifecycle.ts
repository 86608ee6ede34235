import { resolve } from "node:path";
import { QmError } from "../../core/errors.js";
import { renderBluechi } from "../../partition/bluechi-status.js";
import { loadContext } from "../../partition/context.js";
import {
  logs,
  restart,
  type StartReport,
  type StatusReport,
  type StopReport,
  start,
  status,
  stop,
} from "../../partition/lifecycle.js";
import type { Command, CommandContext, CommandOutput } from "../app.js";
import { flag, stringOption } from "../args.js";

const rootOption = {
  name: "root",
  type: "string" as const,
  valueName: "DIR",
  description: "the host tree qm.container and the partition live under (default /)",
};
const waitOptions = [
  {
    name: "no-wait",
    type: "boolean" as const,
    description: "return once podman started the partition, without waiting for its systemd",
  },
  {
    name: "timeout",
    type: "string" as const,
    valueName: "SECONDS",
    description: "how long to wait for the partition's systemd to finish booting (default 60)",
  },
];

function options(ctx: CommandContext) {
  const timeout = Number(stringOption(ctx.args, "timeout") ?? "60");
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw new QmError("QM_USAGE", "--timeout needs a positive number of seconds");
  }
  if (process.getuid?.() !== 0) {
    throw new QmError("QM_NOT_ROOT", "running the partition needs root (podman, cgroups, mounts)", {
      hint: "rerun as root",
    });
  }
  return {
    root: resolve(stringOption(ctx.args, "root") ?? "/"),
    log: ctx.log,
    wait: !flag(ctx.args, "no-wait"),
    timeoutSec: timeout,
  };
}

function renderAdaptations(list: StartReport["adaptations"]): string[] {
  return list.length === 0
    ? []
    : ["adapted to this host:", ...list.map((a) => `  ${a.option}: ${a.action} (${a.reason})`)];
}

function renderHostLimits(r: Pick<StartReport, "ungrantedCapabilities" | "oomFloor">): string[] {
  return [
    ...(r.ungrantedCapabilities.length === 0
      ? []
      : [
          "capabilities asked for that this host cannot grant:",
          ...r.ungrantedCapabilities.map((c) => `  ${c.capability} (${c.file}:${c.line}): ${c.reason}`),
        ]),
    ...(r.oomFloor ? [`oom floor: ${r.oomFloor}`] : []),
  ];
}

function renderStart(r: StartReport): string {
  return [
    `${r.action}: ${r.containerName} (${r.mode} mode), pid ${r.pid}${r.action === "started" ? `, in ${r.seconds.toFixed(1)} s` : ""}`,
    ...(r.systemState
      ? [
          `partition systemd: ${r.systemState}${r.failedUnits.length ? ` (failed: ${r.failedUnits.join(", ")})` : ""}`,
        ]
      : []),
    ...(r.supervisorPid !== null ? [`supervised by qm-supervise (pid ${r.supervisorPid})`] : []),
    ...r.mounted.map((m) => `mounted ${m.what} on ${m.where} (${m.seconds.toFixed(2)} s)`),
    ...renderAdaptations(r.adaptations),
    ...renderHostLimits(r),
  ].join("\n");
}

function renderStop(r: StopReport): string {
  return r.action === "not running"
    ? "not running: nothing to stop"
    : ["stopped", ...r.removed.map((x) => `  removed ${x}`)].join("\n");
}

const mib = (n: number | null | undefined): string =>
  n === null || n === undefined ? "-" : `${(n / 1024 ** 2).toFixed(1)} MiB`;

const proc = (name: string, p: StatusReport["init"]): string =>
  p === null
    ? `${name} none recorded`
    : `${name} ${p.pid} ${p.alive ? "alive" : "gone"}${p.oomScoreAdj !== null ? ` (oom_score_adj ${p.oomScoreAdj})` : ""}`;

const gib = (n: number | null): string => (n === null ? "-" : `${(n / 1024 ** 3).toFixed(2)} GiB`);

function renderVar(v: StatusReport["var"]): string {
  const image = v.image === null ? "" : `, image ${v.image}${v.mounted ? "" : " (not mounted)"}`;
  if (!v.bounded)
    return `${v.source ?? "no source"} on the host's root filesystem: not bounded, filling it fills the host${image}`;
  return `${v.source} bounded: ${gib(v.usedBytes)} used of ${gib(v.sizeBytes)}, ${gib(v.availBytes)} free${image}`;
}

function renderStatus(r: StatusReport): string {
  const lines = [`${r.serviceName} (${r.mode} mode): ${r.state}${r.reason ? `: ${r.reason}` : ""}`];
  if (r.init !== null || r.conmon !== null)
    lines.push(`  ${proc("init", r.init)}, ${proc("conmon", r.conmon)}`);
  if (r.supervisor !== null)
    lines.push(`  supervisor ${r.supervisor.pid} ${r.supervisor.alive ? "alive" : "not running"}`);
  if (r.pid !== null) {
    lines.push(
      `  container ${r.containerName}, pid ${r.pid}, up ${Math.round(r.uptimeSeconds ?? 0)} s, restarts ${r.restarts}`,
      `  partition systemd: ${r.systemState ?? "no answer"}${r.failedUnits.length ? `; failed units: ${r.failedUnits.join(", ")}` : ""}`,
      `  memory ${mib(r.usage.memoryBytes)} of ${r.usage.memoryMaxBytes ? mib(r.usage.memoryMaxBytes) : "no limit"}, tasks ${r.usage.tasks ?? "-"} of ${r.usage.tasksMax ?? "no limit"}, cpu ${r.usage.cpuSeconds?.toFixed(1) ?? "-"} s`,
    );
  }
  lines.push(`  /var: ${renderVar(r.var)}`);
  if (r.nestedGenerator)
    lines.push(
      `  nested quadlets: ${
        r.nestedGenerator.kind === "none"
          ? "not converted (the tree has no quadlet generator)"
          : `converted by ${r.nestedGenerator.kind === "podman" ? "podman's quadlet" : "qm-quadlet"} (${r.nestedGenerator.path})`
      }`,
    );
  if (r.bluechi) lines.push(`  ${renderBluechi(r.bluechi)}`);
  if (r.lastEvent) lines.push(`  last supervisor event: ${r.lastEvent}`);
  lines.push(...r.warnings.map((w) => `  warning: ${w}`));
  if (r.restartPending || r.pendingChanges.length > 0) {
    lines.push("  restart pending: the configuration on disk changed since start ('qm restart' applies it)");
    lines.push(...r.pendingChanges.map((c) => `    ${c.change}: ${c.path}`));
  }
  lines.push(...renderAdaptations(r.adaptations).map((l) => `  ${l}`));
  lines.push(...renderHostLimits(r).map((l) => `  ${l}`));
  return lines.join("\n");
}

/** qm status's output: the report as the JSON document, its text, exit status 3 unless it runs (as systemctl status). */
export function statusOutput(report: StatusReport): CommandOutput {
  return { data: report, text: () => renderStatus(report), exitCode: report.state === "running" ? 0 : 3 };
}

export const startCommand: Command = {
  name: "start",
  summary: "start the partition (systemctl on systemd hosts; directly elsewhere)",
  description: [
    "Validates the effective qm.container (with drop-ins) first: an invalid configuration is refused with",
    "file:line errors and never becomes a restart loop. On a host whose PID 1 is systemd, runs",
    "'systemctl daemon-reload' and 'systemctl start qm.service' (installing qm-quadlet as the generator when",
    "podman has no quadlet). Elsewhere, creates the top-level qm.service cgroup, applies CPUWeight, CPUQuota,",
    "AllowedCPUs, IOWeight, IO*IOPSMax, MemoryMax, MemoryHigh, MemorySwapMax, TasksMax, OOMScoreAdjust and",
    "LimitNOFILE there, runs the generated podman command, and leaves a small shell supervisor (qm-supervise)",
    "that starts the partition again when its init or conmon dies (Restart=), within StartLimitIntervalSec=/",
    "StartLimitBurst=, and keeps conmon and init at OOMScoreAdjust=. A partition that is recorded but dead is",
    "started again; a running one without supervisor gets one. Options the host cannot honour are adapted and",
    "listed, as are capabilities asked for that the host cannot grant and an OOM score the kernel will not hold",
    "as a floor. Waits until the partition's systemd has booted (running or degraded); exit status 5 when it has",
    "not within --timeout (the partition is left running).",
  ].join("\n"),
  options: [rootOption, ...waitOptions],
  examples: ["qm start", "qm start --json | jq .adaptations", "qm start --no-wait"],
  run: async (ctx) => {
    const report = await start(options(ctx));
    return { data: report, text: () => renderStart(report) };
  },
};

export const stopCommand: Command = {
  name: "stop",
  summary: "stop the partition and remove its container, cgroups and runtime state",
  options: [rootOption],
  examples: ["qm stop"],
  run: async (ctx) => {
    const report = await stop(options(ctx));
    return { data: report, text: () => renderStop(report) };
  },
};

export const restartCommand: Command = {
  name: "restart",
  summary: "stop, then start the partition (applies configuration changes)",
  options: [rootOption, ...waitOptions],
  examples: ["qm restart"],
  run: async (ctx) => {
    const { stopped, started } = await restart(options(ctx));
    return { data: { stopped, started }, text: () => `${renderStop(stopped)}\n${renderStart(started)}` };
  },
};

export const statusCommand: Command = {
  name: "status",
  summary: "show the partition's state, PID, uptime, restarts, systemd state, cgroup usage and adaptations",
  description: [
    "The partition runs when its init and conmon are alive and its systemd answers; podman's record alone is not",
    "taken for it. States: running, starting, unreachable (alive, its systemd does not answer), restarting (the",
    "supervisor or systemd is bringing it back), failed (dead, nothing brings it back: 'qm start' does),",
    "start-limit-hit, stopped; 'reason' says why. Also lists configuration files changed since start, capabilities",
    "the host cannot grant and OOM scores that moved. Exit status 0 when running, 3 otherwise (as 'systemctl status').",
  ].join("\n"),
  options: [rootOption],
  examples: ["qm status", "qm status --json | jq .usage"],
  run: async (ctx) => {
    return statusOutput(await status({ root: resolve(stringOption(ctx.args, "root") ?? "/") }));
  },
};

export const logsCommand: Command = {
  name: "logs",
  summary:
    "show the partition's journal (its console output when it is not running); journalctl -u qm.service on systemd hosts",
  options: [
    rootOption,
    { name: "follow", short: "f", type: "boolean", description: "keep printing new lines" },
    { name: "lines", short: "n", type: "string", valueName: "N", description: "only the last N lines" },
  ],
  examples: ["qm logs -n 50", "qm logs -f"],
  run: async (ctx) => {
    const lines = stringOption(ctx.args, "lines");
    await logs(
      { root: resolve(stringOption(ctx.args, "root") ?? "/") },
      { follow: flag(ctx.args, "follow"), lines: lines ? Number(lines) : undefined },
    );
    return { data: {}, text: () => "" };
  },
};

export const configCommand: Command = {
  name: "config",
  summary: "check the effective qm.container (base file and drop-ins) without starting anything",
  usage: "config check [--root DIR]",
  description: [
    "'qm config check' loads qm.container with its drop-ins, generates qm.service and validates every",
    "[Service] value the way qm start applies it. Errors name file:line:column. Exit status 3 when invalid.",
  ].join("\n"),
  options: [rootOption],
  examples: ["qm config check", "qm config check --json | jq .execStart"],
  run: (ctx) => {
    const [action] = ctx.args.positionals;
    if (action !== "check") {
      throw new QmError("QM_USAGE", `qm config: unknown action '${action ?? ""}'`, {
        hint: "use 'qm config check'",
      });
    }
    const { unit, service, settings } = loadContext(resolve(stringOption(ctx.args, "root") ?? "/"));
    const data = {
      valid: true,
      sources: unit.sources,
      serviceName: service.serviceName,
      execStart: service.execStart,
      settings: {
        ...settings,
        unapplied: settings.unapplied.map((v) => `${v.key}=${v.value} (${v.file}:${v.line})`),
      },
    };
    return {
      data,
      text: () =>
        [
          `valid: ${service.serviceName} from ${unit.sources.join(", ")}`,
          `ExecStart: ${service.execStart.join(" ")}`,
        ].join("\n"),
    };
  },
};
