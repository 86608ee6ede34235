/**
 * qmctl's command line, parsed the way upstream's argparse parser does it, so that messages, streams
 * and exit statuses match: options are processed in order, `-h` wins where it appears, unknown options
 * are collected and reported after the subcommand ("unrecognized arguments"), long options may be
 * abbreviated to a unique prefix, and `exec`/`execin` take everything after the first command word
 * verbatim (argparse.REMAINDER).
 */

export const TOPICS = [
  "container",
  "unix-domain-sockets",
  "shared-memory",
  "resources",
  "available-devices",
  "namespaces",
  "all",
] as const;
export type Topic = (typeof TOPICS)[number];

export const SUBCOMMANDS = ["show", "exec", "execin", "cp", "completion"] as const;
export type Subcommand = (typeof SUBCOMMANDS)[number];

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

export interface GlobalOptions {
  readonly verbose: boolean;
  readonly json: boolean;
  readonly container?: string;
  readonly config?: string;
}

export type Invocation =
  | { readonly kind: "show"; readonly topic: Topic; readonly effective?: true }
  | { readonly kind: "exec"; readonly cmd: readonly string[] }
  | { readonly kind: "execin"; readonly cmd: readonly string[] }
  | { readonly kind: "cp"; readonly paths: readonly [string, string] }
  | { readonly kind: "completion"; readonly shell: Shell };

export type ParseResult =
  | { readonly kind: "run"; readonly global: GlobalOptions; readonly invocation: Invocation }
  /** No subcommand: usage on stdout, "Error: requires a subcommand" on stderr, exit 22. */
  | { readonly kind: "missing-subcommand"; readonly global: GlobalOptions }
  /** -h/--help: text on stdout, exit 0. */
  | { readonly kind: "help"; readonly text: string }
  /** argparse error: usage and "PROG: error: MESSAGE" on stderr, exit 2. */
  | { readonly kind: "error"; readonly usage: string; readonly prog: string; readonly message: string };

export const MAIN_USAGE = "usage: qmctl [-h] [-v] {show,exec,execin,cp} ...\n";
const SUBCOMMAND_USAGE: Record<Subcommand, string> = {
  show: `usage: qmctl show [-h] [--json]\n                  [{${TOPICS.join(",")}}]\n`,
  exec: "usage: qmctl exec [-h] [--json] ...\n",
  execin: "usage: qmctl execin [-h] [--json] ...\n",
  cp: "usage: qmctl cp [-h] [--json] paths paths\n",
  completion: "usage: qmctl completion [-h] {bash,zsh,fish}\n",
};

const DESCRIPTION = `QmCTL: Command Line Interface for QM Container

Examples:
  # Show container configuration
  qmctl show
  qmctl show container
  # Show specific information

  qmctl show available-devices
  qmctl show unix-domain-sockets
  qmctl show shared-memory
  qmctl show resources
  qmctl show namespaces
  qmctl show all

  # Execute commands in QM container
  qmctl exec ls -la /tmp
  qmctl exec cat /etc/hostname
  qmctl exec ps aux

  # Execute commands in nested container
  qmctl execin radio bash -c "echo 'Hello from radio container'"
  qmctl execin rear_camera ps aux

  # Copy files between host and container named qm
  qmctl cp /host/file.txt qm:/tmp/file.txt
  qmctl cp qm:/tmp/data.log /host/backup/data.log

  # Output as JSON
  qmctl show --json
  qmctl exec --json hostname
  qmctl cp --json /host/file.txt qm:/tmp/file.txt`;

const MAIN_HELP = `${MAIN_USAGE}
${DESCRIPTION}

positional arguments:
  {show,exec,execin,cp,completion}
    show                Show information about the QM container
    exec                Run command inside QM container
    execin              Run command inside QM container in a nested container
    cp                  Copy files between host and QM container
    completion          Print a shell completion script (bash, zsh, fish)

options:
  -h, --help            show this help message and exit
  -v, --verbose
  --json                Output as JSON, for every subcommand
  --container NAME      Container to operate on (default: $QMCTL_CONTAINER, the
                        one qm.container names, or qm)
  --config PATH         Quadlet file that show reads (default: $QMCTL_CONFIG
                        or /usr/share/containers/systemd/qm.container)

Environment:
  QMCTL_PODMAN          podman executable to run (default: podman)
  QM_PODMAN_TIMEOUT     seconds qmctl waits for podman to answer its own
                        questions (default: 30); exec, execin and cp run the
                        user's command as long as it takes
`;

const SUBCOMMAND_HELP: Record<Subcommand, string> = {
  show: `${SUBCOMMAND_USAGE.show}
positional arguments:
  {${TOPICS.join(",")}}
                        What to show (default: container)

options:
  -h, --help            show this help message and exit
  --json
  --effective           with container: the quadlet merged with its drop-ins,
                        each value with the file:line that set it

Examples:
  # Show container configuration (default)
  qmctl show
  qmctl show container

  # The effective configuration: base file plus drop-ins, with provenance
  qmctl show container --effective

  # Show available devices
  qmctl show available-devices

  # Show Unix domain sockets
  qmctl show unix-domain-sockets

  # Show shared memory segments
  qmctl show shared-memory

  # Show resource usage (live on a terminal, one snapshot otherwise)
  qmctl show resources

  # Show namespaces
  qmctl show namespaces

  # Show all information
  qmctl show all

  # Output as JSON
  qmctl show --json
  qmctl show available-devices --json
`,
  exec: `${SUBCOMMAND_USAGE.exec}
positional arguments:
  cmd

options:
  -h, --help  show this help message and exit
  --json

Examples:
  # List files in /tmp directory
  qmctl exec ls -la /tmp

  # Check container hostname
  qmctl exec hostname

  # View running processes
  qmctl exec ps aux

  # Check system information
  qmctl exec uname -a

  # Read file contents
  qmctl exec cat /etc/os-release

  # Output as JSON
  qmctl exec --json hostname
`,
  execin: `${SUBCOMMAND_USAGE.execin}
positional arguments:
  cmd

options:
  -h, --help  show this help message and exit
  --json

Examples:
  # Execute command in radio container
  qmctl execin radio ps aux

  # Execute command in rear_camera container
  qmctl execin rear_camera ls -la /tmp

  # Run interactive bash in nested container
  qmctl execin radio bash -c "echo 'Hello from radio container'"

  # Check hostname in nested container
  qmctl execin rear_camera hostname

  # Output as JSON
  qmctl execin --json radio hostname
`,
  cp: `${SUBCOMMAND_USAGE.cp}
positional arguments:
  paths

options:
  -h, --help  show this help message and exit
  --json

Examples:
  # Copy file from host to container named qm
  qmctl cp /host/file.txt qm:/tmp/file.txt

  # Copy file from container to host
  qmctl cp qm:/tmp/data.log /host/backup/data.log

  # Copy directory from host to container
  qmctl cp /host/config/ qm:/etc/myapp/

  # Copy with different filename
  qmctl cp /host/source.conf qm:/etc/target.conf

  # Output as JSON
  qmctl cp --json /host/file.txt qm:/tmp/file.txt
`,
  completion: `${SUBCOMMAND_USAGE.completion}
positional arguments:
  {bash,zsh,fish}  Shell to print the completion script for

options:
  -h, --help       show this help message and exit

Examples:
  # Enable completion in the current bash session
  source <(qmctl completion bash)
`,
};

interface OptionDef {
  readonly long: string;
  readonly short?: string;
  readonly takesValue?: boolean;
}

const MAIN_OPTIONS: readonly OptionDef[] = [
  { long: "--help", short: "-h" },
  { long: "--verbose", short: "-v" },
  { long: "--json" },
  { long: "--container", takesValue: true },
  { long: "--config", takesValue: true },
];
const SUB_OPTIONS: Record<Subcommand, readonly OptionDef[]> = {
  show: [{ long: "--help", short: "-h" }, { long: "--json" }, { long: "--effective" }],
  exec: [{ long: "--help", short: "-h" }, { long: "--json" }],
  execin: [{ long: "--help", short: "-h" }, { long: "--json" }],
  cp: [{ long: "--help", short: "-h" }, { long: "--json" }],
  completion: [{ long: "--help", short: "-h" }],
};

/** argparse treats "-1" and "-.5" as values, not options, when the parser has no numeric-looking options. */
const isOptionLike = (arg: string): boolean =>
  arg.length > 1 && arg.startsWith("-") && !/^-\d+$|^-\d*\.\d+$/.test(arg);

type Matched =
  | { readonly kind: "flags"; readonly names: readonly string[] }
  | {
      readonly kind: "value";
      readonly name: string;
      readonly value: string | undefined;
      readonly consumed: number;
    }
  | { readonly kind: "unknown" }
  | { readonly kind: "error"; readonly message: string };

/** Python's repr() of a str, as argparse quotes values: double quotes when only single ones occur inside. */
function repr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  const escaped = s.replace(/[\\'"\p{C}\p{Z}]/gu, (c) => {
    if (c === "\\" || c === quote) return `\\${c}`;
    if (c === "\n") return "\\n";
    if (c === "\r") return "\\r";
    if (c === "\t") return "\\t";
    const code = c.codePointAt(0) ?? 0;
    // Python prints the ASCII space and every letter, mark, number, punctuation and symbol as it is.
    if (c === " " || c === '"' || c === "'") return c;
    if (code <= 0xff) return `\\x${code.toString(16).padStart(2, "0")}`;
    if (code <= 0xffff) return `\\u${code.toString(16).padStart(4, "0")}`;
    return `\\U${code.toString(16).padStart(8, "0")}`;
  });
  return `${quote}${escaped}${quote}`;
}

/** How argparse names an option in its messages: "-v/--verbose", "--json". */
const label = (def: OptionDef): string => (def.short ? `${def.short}/${def.long}` : def.long);

/** Match one option-like argument (and, for options taking a value, the next one) against `defs`. */
function matchOption(defs: readonly OptionDef[], args: readonly string[], i: number): Matched {
  const arg = args[i] ?? "";
  if (arg.startsWith("--")) {
    const eq = arg.indexOf("=");
    const name = eq < 0 ? arg : arg.slice(0, eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    let def = defs.find((d) => d.long === name);
    if (!def) {
      const candidates = defs.filter((d) => d.long.startsWith(name));
      if (candidates.length > 1) {
        return {
          kind: "error",
          message: `ambiguous option: ${name} could match ${candidates.map((d) => d.long).join(", ")}`,
        };
      }
      def = candidates[0];
    }
    if (!def) return { kind: "unknown" };
    if (!def.takesValue) {
      if (inline !== undefined) {
        return {
          kind: "error",
          message: `argument ${label(def)}: ignored explicit argument ${repr(inline)}`,
        };
      }
      return { kind: "flags", names: [def.long] };
    }
    if (inline !== undefined) return { kind: "value", name: def.long, value: inline, consumed: 1 };
    const next = args[i + 1];
    if (next === undefined || isOptionLike(next)) {
      return { kind: "error", message: `argument ${label(def)}: expected one argument` };
    }
    return { kind: "value", name: def.long, value: next, consumed: 2 };
  }
  // Short flags may be combined ("-vh"); argparse rejects the group if any letter is unknown.
  const names: string[] = [];
  let last: OptionDef | undefined;
  for (const letter of arg.slice(1)) {
    const def = defs.find((d) => d.short === `-${letter}`);
    if (!def)
      return last === undefined
        ? { kind: "unknown" }
        : {
            kind: "error",
            message: `argument ${label(last)}: ignored explicit argument ${repr(arg.slice(names.length + 1))}`,
          };
    names.push(def.long);
    last = def;
  }
  return { kind: "flags", names };
}

/**
 * argparse's rule for an argument that starts with "-" but matches no option: with a space in it, it is
 * a value (a path like "- x"), otherwise an unknown option.
 */
function isPositional(defs: readonly OptionDef[], args: readonly string[], i: number): boolean {
  const arg = args[i] ?? "";
  return !isOptionLike(arg) || (arg.includes(" ") && matchOption(defs, args, i).kind === "unknown");
}

const invalidChoice = (name: string, value: string, choices: readonly string[]): string =>
  `argument ${name}: invalid choice: ${repr(value)} (choose from ${choices.map(repr).join(", ")})`;

interface SubResult {
  readonly result?: ParseResult;
  readonly invocation?: Invocation;
  readonly json: boolean;
  readonly extras: readonly string[];
}

function subError(sub: Subcommand, message: string): ParseResult {
  return { kind: "error", usage: SUBCOMMAND_USAGE[sub], prog: `qmctl ${sub}`, message };
}

function parseSubcommand(sub: Subcommand, args: readonly string[]): SubResult {
  const defs = SUB_OPTIONS[sub];
  const positionals: string[] = [];
  const extras: string[] = [];
  let json = false;
  let effective = false;
  const remainder = sub === "exec" || sub === "execin";
  let i = 0;
  let onlyPositionals = false;
  while (i < args.length) {
    const arg = args[i] ?? "";
    if (remainder && positionals.length === 0 && (arg === "--" || isPositional(defs, args, i))) {
      // argparse.REMAINDER: the command and everything after it, options and "--" included.
      positionals.push(...args.slice(i));
      break;
    }
    if (!onlyPositionals && arg === "--") {
      onlyPositionals = true;
      i++;
      continue;
    }
    if (onlyPositionals || isPositional(defs, args, i)) {
      if (sub === "show" && positionals.length === 0 && !(TOPICS as readonly string[]).includes(arg)) {
        return { result: subError(sub, invalidChoice("show_command_topic", arg, TOPICS)), json, extras };
      }
      if (sub === "completion" && positionals.length === 0 && !(SHELLS as readonly string[]).includes(arg)) {
        return { result: subError(sub, invalidChoice("shell", arg, SHELLS)), json, extras };
      }
      const capacity = sub === "show" || sub === "completion" ? 1 : 2;
      if (positionals.length < capacity) positionals.push(arg);
      else extras.push(arg);
      i++;
      continue;
    }
    const matched = matchOption(defs, args, i);
    if (matched.kind === "error") return { result: subError(sub, matched.message), json, extras };
    if (matched.kind === "unknown") extras.push(arg);
    if (matched.kind === "flags") {
      if (matched.names.includes("--help"))
        return { result: { kind: "help", text: SUBCOMMAND_HELP[sub] }, json, extras };
      if (matched.names.includes("--effective")) effective = true;
      if (matched.names.includes("--json")) json = true;
    }
    i++;
  }
  switch (sub) {
    case "show":
      return {
        invocation: {
          kind: "show",
          topic: (positionals[0] as Topic | undefined) ?? "container",
          ...(effective ? { effective: true as const } : {}),
        },
        json,
        extras,
      };
    case "exec":
    case "execin":
      return { invocation: { kind: sub, cmd: positionals }, json, extras };
    case "cp": {
      const [src, dst] = positionals;
      if (src === undefined || dst === undefined) {
        return { result: subError(sub, "the following arguments are required: paths"), json, extras };
      }
      return { invocation: { kind: "cp", paths: [src, dst] }, json, extras };
    }
    case "completion": {
      const shell = positionals[0] as Shell | undefined;
      if (shell === undefined) {
        return { result: subError(sub, "the following arguments are required: shell"), json, extras };
      }
      return { invocation: { kind: "completion", shell }, json, extras };
    }
  }
}

function mainError(message: string): ParseResult {
  return { kind: "error", usage: MAIN_USAGE, prog: "qmctl", message };
}

/** Parse qmctl's arguments (without the program name). Pure: no I/O, no environment. */
export function parseArgs(args: readonly string[]): ParseResult {
  let verbose = false;
  let json = false;
  let container: string | undefined;
  let config: string | undefined;
  const extras: string[] = [];
  const global = (): GlobalOptions => ({
    verbose,
    json,
    ...(container === undefined ? {} : { container }),
    ...(config === undefined ? {} : { config }),
  });
  let i = 0;
  while (i < args.length) {
    const arg = args[i] ?? "";
    const positional = arg === "--" ? args[i + 1] : isPositional(MAIN_OPTIONS, args, i) ? arg : undefined;
    if (arg === "--" && positional === undefined) break;
    if (positional !== undefined) {
      if (!(SUBCOMMANDS as readonly string[]).includes(positional)) {
        return mainError(invalidChoice("subcommand", positional, SUBCOMMANDS));
      }
      const sub = positional as Subcommand;
      const parsed = parseSubcommand(sub, args.slice(arg === "--" ? i + 2 : i + 1));
      if (parsed.result) return parsed.result;
      extras.push(...parsed.extras);
      if (extras.length > 0) return mainError(`unrecognized arguments: ${extras.join(" ")}`);
      const invocation = parsed.invocation as Invocation;
      return { kind: "run", global: { ...global(), json: json || parsed.json }, invocation };
    }
    const matched = matchOption(MAIN_OPTIONS, args, i);
    if (matched.kind === "error") return mainError(matched.message);
    if (matched.kind === "unknown") extras.push(arg);
    if (matched.kind === "flags") {
      if (matched.names.includes("--help")) return { kind: "help", text: MAIN_HELP };
      if (matched.names.includes("--verbose")) verbose = true;
      if (matched.names.includes("--json")) json = true;
    }
    if (matched.kind === "value") {
      if (matched.name === "--container") container = matched.value;
      else config = matched.value;
      i += matched.consumed;
      continue;
    }
    i++;
  }
  if (extras.length > 0) return mainError(`unrecognized arguments: ${extras.join(" ")}`);
  return { kind: "missing-subcommand", global: global() };
}
