import { closeSync, constants, fstatSync, openSync, readFileSync } from "node:fs";
import { ExitCode, QmError } from "../../core/errors.js";
import { VERSION } from "../../core/version.js";
import { type DoctorReport, diagnose } from "../../doctor/checks.js";
import { collectSnapshot } from "../../doctor/collect.js";
import { type HostFacts, hostFacts } from "../../doctor/facts.js";
import {
  type HostSnapshot,
  MAX_SNAPSHOT_BYTES,
  parseSnapshot,
  snapshotError,
} from "../../doctor/snapshot.js";
import { writeFileAtomic } from "../../engine/fs.js";
import type { Command } from "../app.js";
import { stringOption } from "../args.js";

export interface DoctorOutput extends DoctorReport {
  readonly schema: 1;
  readonly qmVersion: string;
  readonly host: HostFacts;
}

const marks = { ok: "  ok ", info: " info", warn: " WARN", fail: " FAIL" } as const;

export function renderDoctor(out: DoctorOutput): string {
  const h = out.host;
  const lines = [
    `qm doctor ${out.qmVersion}: ${h.os.prettyName}, kernel ${h.kernel}`,
    `plan: ${out.plan.mode} mode, qm.service from ${out.plan.generator}, OCI runtime ${out.plan.runtime ?? "none"}`,
    "",
  ];
  const width = Math.max(...out.checks.map((c) => c.id.length));
  for (const c of out.checks) {
    lines.push(`${marks[c.status]}  ${c.id.padEnd(width)}  ${c.summary}`);
    if (c.hint && c.status !== "ok") lines.push(`       ${"".padEnd(width)}  hint: ${c.hint}`);
  }
  const count = (s: string): number => out.checks.filter((c) => c.status === s).length;
  lines.push(
    "",
    out.ready
      ? `This host can run a QM partition (${count("warn")} warnings).`
      : `This host cannot run a QM partition yet: ${count("fail")} problem(s) marked FAIL above.`,
  );
  return lines.join("\n");
}

/** A snapshot that cannot be read ends in status 1, one that is invalid in 3 (docs/doctor.md). */
function unreadable(path: string, message: string): QmError {
  const e = snapshotError(path, message);
  return new QmError(e.code, e.message, { exitCode: ExitCode.failure, ...(e.hint ? { hint: e.hint } : {}) });
}

/** Read a recorded snapshot: a regular file of at most MAX_SNAPSHOT_BYTES (never a FIFO or a device to wait on). */
function loadSnapshot(path: string): HostSnapshot {
  let text: string;
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      throw unreadable(path, `cannot read host snapshot ${path}: not a regular file`);
    }
    if (stat.size > MAX_SNAPSHOT_BYTES) {
      throw snapshotError(
        path,
        `${path} is ${stat.size} bytes: too large for a qm host snapshot (at most ${MAX_SNAPSHOT_BYTES})`,
      );
    }
    text = readFileSync(fd, "utf8");
  } catch (error) {
    if (error instanceof QmError) throw error;
    throw unreadable(path, `cannot read host snapshot ${path}: ${(error as Error).message}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return parseSnapshot(text, path);
}

export const doctorCommand: Command = {
  name: "doctor",
  summary: "inspect this host and report whether it can run a QM partition",
  description: [
    "Checks podman and quadlet, the init system, the cgroup mode and controllers, SELinux, capabilities,",
    "rlimits, user namespaces, seccomp, the OCI runtime, rootfs and package builders, and free space",
    "under /usr/lib/qm and /var/qm. Every problem comes with a hint. Cgroup probes create and remove an",
    "empty cgroup named qm-doctor-PID; nothing else on the host is changed.",
    "",
    "Exit status: 0 when the host can run a partition (warnings allowed), 4 when it cannot.",
    "The --json document is described in docs/doctor.md.",
  ].join("\n"),
  options: [
    {
      name: "record",
      type: "string",
      valueName: "FILE",
      description: "also write the raw host snapshot to FILE",
    },
    {
      name: "snapshot",
      type: "string",
      valueName: "FILE",
      description: "diagnose a recorded snapshot instead of this host",
    },
  ],
  examples: [
    "qm doctor",
    "qm doctor --json | jq '.checks[] | select(.status != \"ok\")'",
    "qm doctor --record host.json",
  ],
  run: async (ctx) => {
    const from = stringOption(ctx.args, "snapshot");
    const snapshot = from ? loadSnapshot(from) : await collectSnapshot();
    const record = stringOption(ctx.args, "record");
    if (record) writeFileAtomic(record, `${JSON.stringify(snapshot, null, 2)}\n`);
    const host = hostFacts(snapshot);
    const report = diagnose(host);
    const data: DoctorOutput = { schema: 1, qmVersion: VERSION, ...report, host };
    return {
      data,
      text: () => renderDoctor(data),
      exitCode: report.ready ? ExitCode.ok : ExitCode.hostNotReady,
    };
  },
};
