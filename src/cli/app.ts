import { ExitCode, QmError, toQmError } from "../core/errors.js";
import { type OptionSpec, type ParsedArgs, parseArgs, renderOptions } from "./args.js";

/** What a command returns: data for --json and a renderer for people. */
export interface CommandOutput {
  readonly data: unknown;
  readonly text: () => string;
  /** Exit status when the command ran but its verdict is negative (e.g. doctor found blockers). */
  readonly exitCode?: number;
}

export interface CommandContext {
  readonly args: ParsedArgs;
  readonly json: boolean;
  /** Progress and warnings for people: always stderr, so stdout stays one document with --json. */
  readonly log: (line: string) => void;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Paragraphs shown by `--help` after the usage line. */
  readonly description?: string;
  readonly usage?: string;
  readonly options?: readonly OptionSpec[];
  readonly examples?: readonly string[];
  readonly stopAtPositional?: boolean;
  readonly run: (ctx: CommandContext) => Promise<CommandOutput> | CommandOutput;
}

export interface Program {
  readonly name: string;
  readonly version: string;
  readonly summary: string;
  readonly description?: string;
  readonly commands: readonly Command[];
  readonly footer?: string;
}

export const jsonOption: OptionSpec = {
  name: "json",
  type: "boolean",
  description: "print one JSON document on stdout",
};
const helpOption: OptionSpec = { name: "help", short: "h", type: "boolean", description: "show this help" };

export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

export const processIo: Io = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

export function programHelp(program: Program): string {
  const width = Math.max(...program.commands.map((c) => c.name.length));
  return [
    `Usage: ${program.name} [--json] COMMAND [OPTIONS]`,
    "",
    program.summary,
    ...(program.description ? ["", program.description] : []),
    "",
    "Commands:",
    ...program.commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Options:",
    renderOptions([
      jsonOption,
      helpOption,
      { name: "version", type: "boolean", description: "print the version" },
    ]),
    "",
    `Run '${program.name} COMMAND --help' for a command's options and examples.`,
    ...(program.footer ? ["", program.footer] : []),
    "",
  ].join("\n");
}

export function commandHelp(program: Program, command: Command): string {
  const options = [...(command.options ?? []), jsonOption, helpOption];
  return [
    `Usage: ${program.name} ${command.usage ?? `${command.name} [OPTIONS]`}`,
    "",
    command.summary,
    ...(command.description ? ["", command.description] : []),
    "",
    "Options:",
    renderOptions(options),
    ...(command.examples?.length ? ["", "Examples:", ...command.examples.map((e) => `  ${e}`)] : []),
    "",
  ].join("\n");
}

/** "error[CODE]: file:line: message" plus an indented hint line. */
export function renderError(error: QmError): string {
  return `error[${error.code}]: ${error.located()}${error.hint ? `\n  hint: ${error.hint}` : ""}\n`;
}

/**
 * Run a program: dispatch, help, version, --json, and the one place that maps errors to exit statuses.
 * Returns the exit status; the caller sets process.exitCode.
 */
export async function runProgram(
  program: Program,
  argv: readonly string[],
  io: Io = processIo,
): Promise<number> {
  let json = argv.includes("--json") && !argv.slice(0, argv.indexOf("--json")).includes("--");
  try {
    const rest = [...argv];
    while (rest[0] === "--json") rest.shift();
    const first = rest[0];
    if (first === undefined || first === "--help" || first === "-h" || first === "help") {
      const topic = first === "help" ? rest[1] : undefined;
      const command = topic ? program.commands.find((c) => c.name === topic) : undefined;
      if (topic && !command) throw unknownCommand(program, topic);
      io.stdout(command ? commandHelp(program, command) : programHelp(program));
      return first === undefined ? ExitCode.usage : ExitCode.ok;
    }
    if (first === "--version" || first === "-V") {
      io.stdout(
        json
          ? `${JSON.stringify({ name: program.name, version: program.version }, null, 2)}\n`
          : `${program.name} ${program.version}\n`,
      );
      return ExitCode.ok;
    }
    const command = program.commands.find((c) => c.name === first);
    if (!command) throw unknownCommand(program, first);
    const specs = [...(command.options ?? []), jsonOption, helpOption];
    const args = parseArgs(rest.slice(1), specs, {
      context: `${program.name} ${command.name}`,
      ...(command.stopAtPositional ? { stopAtPositional: true } : {}),
    });
    if (args.options.help === true) {
      io.stdout(commandHelp(program, command));
      return ExitCode.ok;
    }
    json = json || args.options.json === true;
    const output = await command.run({ args, json, log: (line) => io.stderr(`${line}\n`) });
    io.stdout(json ? `${JSON.stringify(output.data, null, 2)}\n` : ensureNewline(output.text()));
    return output.exitCode ?? ExitCode.ok;
  } catch (thrown) {
    const error = toQmError(thrown);
    if (json) io.stdout(`${JSON.stringify({ error: error.toJSON() }, null, 2)}\n`);
    io.stderr(`${program.name}: ${renderError(error)}`);
    if (error.exitCode === ExitCode.internal && process.env.QM_DEBUG)
      io.stderr(`${String((thrown as Error).stack)}\n`);
    return error.exitCode;
  }
}

function ensureNewline(text: string): string {
  return text === "" || text.endsWith("\n") ? text : `${text}\n`;
}

function unknownCommand(program: Program, name: string): QmError {
  return new QmError("QM_USAGE", `unknown command '${name}'`, {
    hint: `commands: ${program.commands.map((c) => c.name).join(", ")}; see '${program.name} --help'`,
  });
}

/** Entry point helper for bundled executables. */
export function main(program: Program): void {
  runProgram(program, process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${program.name}: ${String(error)}\n`);
      process.exitCode = ExitCode.internal;
    },
  );
}
