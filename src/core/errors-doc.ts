import { ERRORS, type ErrorSpec, ExitCode } from "./error-registry.js";

const STATUSES: readonly (readonly [number, string])[] = [
  [ExitCode.ok, "success"],
  [ExitCode.failure, "failure (the operation could not be done)"],
  [ExitCode.usage, "usage error (unknown command or option, missing or invalid value)"],
  [
    ExitCode.invalidConfig,
    "invalid configuration (a unit file, drop-in, manifest or state file does not parse or validate)",
  ],
  [ExitCode.hostNotReady, "host not ready (`qm doctor` found a blocker, a program qm needs is missing)"],
  [
    ExitCode.commandFailed,
    "a command qm ran failed (the message quotes the command, the reason and the end of its stderr)",
  ],
  [ExitCode.internal, "internal error (a defect; rerun with `QM_DEBUG=1` for a stack trace)"],
];

/** A table cell: one line, no column separator. */
const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");

const status = (spec: ErrorSpec): string =>
  spec.also ? `${spec.status}, or ${spec.also.status} when ${spec.also.when}` : String(spec.status);

/** docs/errors.md, from the registry (src/core/error-registry.ts); `node scripts/errors-doc.mjs` writes it. */
export function renderErrorsDoc(): string {
  const codes = Object.entries(ERRORS) as [string, ErrorSpec][];
  return [
    "<!-- Generated from src/core/error-registry.ts by `node scripts/errors-doc.mjs`; edit the registry, not this file. -->",
    "# Errors and exit statuses",
    "",
    "Every qm executable reports errors in one shape:",
    "",
    "```",
    "qm: error[QM_USAGE]: qm doctor: unknown option --bogus",
    "  hint: see 'qm doctor --help'",
    "```",
    "",
    'With `--json`, stdout holds exactly one document, `{"error": {"code", "message", "hint"?, "location"?, "details"?}}`,',
    "and the same text still goes to stderr. Errors that point into a file carry `location` (`file`, `line`, `column`)",
    'and the text form starts with `file:line:column:`; the table marks them "located".',
    "",
    "Each code ends in one exit status, listed below; scripts can match on the code or the status.",
    "",
    "## Exit statuses (qm; qm-quadlet uses quadlet's 0, 1 and 2, and 70)",
    "",
    "| status | meaning |",
    "|---|---|",
    ...STATUSES.map(([n, meaning]) => `| ${n} | ${cell(meaning)} |`),
    "",
    "`qmctl` keeps upstream qmctl's statuses and messages (1 for a failure, 2 for argparse errors and a missing",
    "configuration file, 22 for an argument it refuses, 127 for a missing container or command; see qmctl(1)); it",
    "prints only the message, and its codes below name the cases. `qm status` exits 3 when the partition is not",
    "running, `qm ffi run` 1 when a check failed: verdicts, not errors. The OCI hooks' statuses are in docs/hooks.md.",
    "",
    "## Codes",
    "",
    "| code | status | raised when | what to do |",
    "|---|---|---|---|",
    ...codes.map(
      ([code, spec]) =>
        `| \`${code}\` | ${cell(status(spec))} | ${cell(spec.summary)} | ${cell(spec.action ?? "")} |`,
    ),
    "",
  ].join("\n");
}
