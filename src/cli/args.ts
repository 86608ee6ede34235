import { usageError } from "../core/errors.js";

/** A command-line option. Long names are given without dashes. */
export interface OptionSpec {
  readonly name: string;
  readonly short?: string;
  readonly type: "boolean" | "string";
  /** A string option that may be given several times collects every value. */
  readonly multiple?: boolean;
  readonly valueName?: string;
  readonly description: string;
}

export type OptionValue = boolean | string | string[];

export interface ParsedArgs {
  readonly options: Readonly<Record<string, OptionValue | undefined>>;
  readonly positionals: readonly string[];
}

export interface ParseSettings {
  /** Stop option parsing at the first positional (commands that pass the rest on, like `exec`). */
  readonly stopAtPositional?: boolean;
  /** For messages: the command line prefix, e.g. "qm doctor". */
  readonly context: string;
}

/**
 * Parse argv against option specs. Accepts `--name value`, `--name=value`, `-x`, bundled `-xy`, and `--` to end
 * options. Unknown options are usage errors that name the command and point at its --help.
 */
export function parseArgs(
  argv: readonly string[],
  specs: readonly OptionSpec[],
  settings: ParseSettings,
): ParsedArgs {
  const options: Record<string, OptionValue | undefined> = {};
  const positionals: string[] = [];
  const byLong = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));
  const help = `see '${settings.context} --help'`;

  const assign = (spec: OptionSpec, value: string | boolean): void => {
    if (spec.multiple && typeof value === "string") {
      const list = options[spec.name];
      options[spec.name] = Array.isArray(list) ? [...list, value] : [value];
    } else {
      options[spec.name] = value;
    }
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith("--") && arg.length > 2) {
      const eq = arg.indexOf("=");
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      const spec = byLong.get(name);
      if (!spec) throw usageError(`${settings.context}: unknown option --${name}`, help);
      if (spec.type === "boolean") {
        if (eq !== -1) throw usageError(`${settings.context}: option --${name} takes no value`, help);
        assign(spec, true);
        continue;
      }
      let value: string | undefined;
      if (eq !== -1) value = arg.slice(eq + 1);
      else value = argv[++i];
      if (value === undefined) {
        throw usageError(
          `${settings.context}: option --${name} needs a value (${spec.valueName ?? "VALUE"})`,
          help,
        );
      }
      assign(spec, value);
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j] as string;
        const spec = byShort.get(letter);
        if (!spec) throw usageError(`${settings.context}: unknown option -${letter}`, help);
        if (spec.type === "boolean") {
          assign(spec, true);
          continue;
        }
        const rest = arg.slice(j + 1);
        const value = rest !== "" ? rest : argv[++i];
        if (value === undefined) {
          throw usageError(
            `${settings.context}: option -${letter} needs a value (${spec.valueName ?? "VALUE"})`,
            help,
          );
        }
        assign(spec, value);
        break;
      }
      continue;
    }
    if (settings.stopAtPositional) {
      positionals.push(...argv.slice(i));
      break;
    }
    positionals.push(arg);
  }
  return { options, positionals };
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const v = args.options[name];
  return typeof v === "string" ? v : undefined;
}

export function listOption(args: ParsedArgs, name: string): string[] {
  const v = args.options[name];
  return Array.isArray(v) ? v : typeof v === "string" ? [v] : [];
}

export function flag(args: ParsedArgs, name: string): boolean {
  return args.options[name] === true;
}

/** Render an option table for --help, aligned. */
export function renderOptions(specs: readonly OptionSpec[]): string {
  const rows = specs.map((s) => {
    const names = `${s.short ? `-${s.short}, ` : "    "}--${s.name}${s.type === "string" ? ` ${s.valueName ?? "VALUE"}` : ""}`;
    return [names, s.description] as const;
  });
  const width = Math.max(0, ...rows.map(([n]) => n.length));
  return rows.map(([n, d]) => `  ${n.padEnd(width)}  ${d}`).join("\n");
}
