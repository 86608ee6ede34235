import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { ExitCode, QmError } from "../../core/errors.js";
import { checks } from "../../ffi/checks.js";
import { reportPassed } from "../../ffi/model.js";
import { type Format, formats, render, renderText } from "../../ffi/report.js";
import { runFfi } from "../../ffi/runner.js";
import type { Command } from "../app.js";
import { listOption, stringOption } from "../args.js";

function positiveNumber(value: string | undefined, fallback: number, name: string): number {
  const n = Number(value ?? fallback);
  if (!Number.isFinite(n) || n <= 0) throw new QmError("QM_USAGE", `--${name} needs a positive number`);
  return n;
}

export const ffiCommand: Command = {
  name: "ffi",
  summary: "prove freedom from interference: attack the running partition and write evidence",
  usage: "ffi run|list [--only ID...] [--format text|json|junit|html] [--output FILE] [--root DIR]",
  description: [
    "'qm ffi run' executes every isolation invariant that applies to this host as a real attack from inside the",
    "running partition (and from a nested container where relevant): memory hog vs an ASIL stand-in, fork bomb,",
    "CPU hog vs an ASIL workload, /var fill, realtime scheduling, sysctl, modules, devices, read-only mounts,",
    "host resources, mqueues, OOM scores, SELinux. Each check reports the commands run, the observed values and",
    "PASS, FAIL or SKIP (with the host fact that makes it inapplicable). Exit status 1 when a check failed.",
    "'qm ffi list' describes every check. See docs/ffi.md.",
  ].join("\n"),
  options: [
    {
      name: "only",
      type: "string",
      multiple: true,
      valueName: "ID",
      description: "run only this check (repeatable), e.g. --only FFI-MEM-01",
    },
    {
      name: "format",
      type: "string",
      valueName: "FORMAT",
      description: "report format: text (default), json, junit or html",
    },
    { name: "output", type: "string", valueName: "FILE", description: "write the report to FILE" },
    {
      name: "trials",
      type: "string",
      valueName: "N",
      description: "memory-hog trials (default 3)",
    },
    {
      name: "cpu-seconds",
      type: "string",
      valueName: "S",
      description: "length of one CPU measurement round, alone plus loaded (default 4)",
    },
    {
      name: "root",
      type: "string",
      valueName: "DIR",
      description: "the host tree qm.container and the partition live under (default /)",
    },
  ],
  examples: [
    "qm ffi list",
    "qm ffi run",
    "qm ffi run --format html --output ffi-report.html",
    "qm ffi run --only FFI-SCHED-01 --only FFI-MQ-01 --format junit --output ffi.xml",
  ],
  run: async (ctx) => {
    const [action] = ctx.args.positionals;
    if (action === "list") {
      const data = checks.map((c) => ({
        id: c.id,
        title: c.title,
        requirement: c.requirement,
        attack: c.attack,
      }));
      return {
        data,
        text: () =>
          data
            .map((c) => `${c.id}  ${c.title}\n    requirement: ${c.requirement}\n    attack: ${c.attack}`)
            .join("\n"),
      };
    }
    if (action !== "run")
      throw new QmError("QM_USAGE", `qm ffi: unknown action '${action ?? ""}'`, {
        hint: "use 'qm ffi run' or 'qm ffi list'",
      });
    const format = (stringOption(ctx.args, "format") ?? "text") as Format;
    if (!formats.includes(format))
      throw new QmError("QM_USAGE", `--format must be one of ${formats.join(", ")}`);
    if (process.getuid?.() !== 0)
      throw new QmError(
        "QM_NOT_ROOT",
        "the FFI checks need root (podman, cgroups, /proc of other processes)",
        {
          hint: "rerun as root",
        },
      );
    const report = await runFfi({
      root: resolve(stringOption(ctx.args, "root") ?? "/"),
      only: listOption(ctx.args, "only"),
      memoryTrials: Math.round(positiveNumber(stringOption(ctx.args, "trials"), 3, "trials")),
      cpuSeconds: positiveNumber(stringOption(ctx.args, "cpu-seconds"), 4, "cpu-seconds"),
      log: ctx.log,
      // The shell's status for a process ended by the signal.
      interrupted: (signal) => process.exit(signal === "SIGINT" ? 130 : 143),
    });
    const output = stringOption(ctx.args, "output");
    if (output) writeFileSync(output, render(report, format));
    return {
      data: report,
      text: () =>
        output || format === "text"
          ? renderText(report, format === "text" && !output)
          : render(report, format),
      exitCode: reportPassed(report) ? ExitCode.ok : ExitCode.failure,
    };
  },
};
