import { resolve } from "node:path";
import { QmError } from "../../core/errors.js";
import {
  loadPartition,
  logs,
  type StartReport,
  type StatusReport,
  type StopReport,
  start,
  status,
  stop,
} from "../../partition/lifecycle.js";
import type { Command, CommandContext } from "../app.js";
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

function renderStart(r: StartReport): string {
  return [
    `${r.action === "started" ? "started" : "already running"}: ${r.containerName} (${r.mode} mode), pid ${r.pid}${r.action === "started" ? `, in ${r.seconds.toFixed(1)} s` : ""}`,
    ...(r.systemState
      ? [
          `partition systemd: ${r.systemState}${r.failedUnits.length ? ` (failed: ${r.failedUnits.join(", ")})` : ""}`,
        ]
      : []),
    ...renderAdaptations(r.adaptations),
  ].join("\n");
}

function renderStop(r: StopReport): string {
  return r.action === "not running"
    ? "not running: nothing to stop"
    : ["stopped", ...r.removed.map((x) => `  removed ${x}`)].join("\n");
}

const mib = (n: number | null | undefined): string =>
  n === null || n === undefined ? "-" : `${(n / 1024 ** 2).toFixed(1)} MiB`;

export function renderStatus(r: StatusReport): string {
  const lines = [`${r.serviceName} (${r.mode} mode): ${r.state}`];
  if (r.pid !== null) {
    lines.push(
      `  container ${r.containerName}, pid ${r.pid}, up ${Math.round(r.uptimeSeconds ?? 0)} s, restarts ${r.restarts}`,
      `  partition systemd: ${r.systemState ?? "unknown"}${r.failedUnits.length ? `; failed units: ${r.failedUnits.join(", ")}` : ""}`,
      `  memory ${mib(r.usage.memoryBytes)} of ${r.usage.memoryMaxBytes ? mib(r.usage.memoryMaxBytes) : "no limit"}, tasks ${r.usage.tasks ?? "-"} of ${r.usage.tasksMax ?? "no limit"}, cpu ${r.usage.cpuSeconds?.toFixed(1) ?? "-"} s`,
    );
  }
  if (r.restartPending)
    lines.push("  restart pending: the configuration on disk changed since start ('qm restart' applies it)");
  lines.push(...renderAdaptations(r.adaptations).map((l) => `  ${l}`));
  return lines.join("\n");
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
    "LimitNOFILE there, and runs the generated podman command; podman restarts the partition (Restart=) and a",
    "prestart hook enforces StartLimitIntervalSec=/StartLimitBurst=. Options the host cannot honour are",
    "adapted and listed. Waits until the partition's systemd has booted (running or degraded).",
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
    const o = options(ctx);
    loadPartition(o.root); // refuse an invalid configuration before stopping a working partition
    const stopped = await stop(o);
    const started = await start(o);
    return { data: { stopped, started }, text: () => `${renderStop(stopped)}\n${renderStart(started)}` };
  },
};

export const statusCommand: Command = {
  name: "status",
  summary: "show the partition's state, PID, uptime, restarts, systemd state, cgroup usage and adaptations",
  description:
    "Exit status 0 when the partition runs, 3 when it is stopped or failed (as 'systemctl status').",
  options: [rootOption],
  examples: ["qm status", "qm status --json | jq .usage"],
  run: async (ctx) => {
    const report = await status({ root: resolve(stringOption(ctx.args, "root") ?? "/") });
    return { data: report, text: () => renderStatus(report), exitCode: report.state === "running" ? 0 : 3 };
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
      flag(ctx.args, "follow"),
      lines ? Number(lines) : undefined,
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
    const { unit, service, settings } = loadPartition(resolve(stringOption(ctx.args, "root") ?? "/"));
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
