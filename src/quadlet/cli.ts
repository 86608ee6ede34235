/**
 * qm-quadlet: the quadlet-compatible systemd generator. Same interface as podman's quadlet, so it can
 * be installed as /usr/lib/systemd/system-generators/podman-system-generator (or the user one):
 * Go-style flags (-flag or --flag, -flag=true), then the generator's output directories.
 */
import {
  closeSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { formatLocation, type QmError } from "../core/errors.js";
import { VERSION } from "../core/version.js";
import { nodeUnitFs } from "../unit/fs.js";
import { generateAll, type OutputFile, outputFiles } from "./generate.js";

export interface QuadletFlags {
  dryrun: boolean;
  user: boolean;
  verbose: boolean;
  noKmsgLog: boolean;
  version: boolean;
  help: boolean;
  outputDirs: string[];
}

const BOOL_FLAGS: Record<string, keyof Omit<QuadletFlags, "outputDirs">> = {
  dryrun: "dryrun",
  user: "user",
  v: "verbose",
  "no-kmsg-log": "noKmsgLog",
  version: "version",
  h: "help",
  help: "help",
};

export const USAGE = `Usage: qm-quadlet [-dryrun] [-user] [-v] [-no-kmsg-log] [-version] [NORMAL-DIR [EARLY-DIR LATE-DIR]]

Turn Podman quadlet files (.container, .volume, .network, .pod, .image) into systemd
.service units, as podman's quadlet generator does. Install it as a systemd generator, or
run it by hand to preview what systemd will get.

Options (one or two dashes; booleans also take =true/=false):
  -dryrun        print each generated unit to stdout as "---NAME---" then its text;
                 write nothing
  -user          rootless mode: search the user directories and depend on
                 podman-user-wait-network-online.service (also chosen when the program
                 name contains "user-generator")
  -v             log each step to stderr
  -no-kmsg-log   do not copy log lines to /dev/kmsg
  -version       print the version and exit
  -help          print this help and exit

Output directories (as systemd passes them to generators): units are written to
NORMAL-DIR, with [Install] WantedBy=/RequiredBy=/UpheldBy=/Alias= turned into symlinks
there. EARLY-DIR and LATE-DIR are accepted and unused. Without -dryrun, NORMAL-DIR is required.

Where units are searched (first directory holding a file name wins; subdirectories too):
  system:  /run/containers/systemd  /etc/containers/systemd  /usr/share/containers/systemd
  -user:   $XDG_RUNTIME_DIR/containers/systemd  $XDG_CONFIG_HOME/containers/systemd
           (or ~/.config/containers/systemd)  /etc/containers/systemd/users/UID
           /etc/containers/systemd/users
  QUADLET_UNIT_DIRS=DIR[:DIR...] replaces the list, e.g. to check a few files:
    QUADLET_UNIT_DIRS=/usr/share/containers/systemd qm-quadlet -dryrun

Drop-ins: NAME.container.d/*.conf, dash prefixes (foo-.container.d) and the type-wide
container.d, from every search directory, applied in file-name order; Key= empties a list.

Exit status: 0 when every unit converted; 1 when any unit failed (the others are still
written) or on a usage error; 2 for an unknown flag. See qm-quadlet(1) and docs/quadlet.md.`;

export class FlagError extends Error {}

/** Parse like Go's flag package: flags first, stop at the first non-flag or at "--". */
export function parseQuadletArgs(argv: readonly string[]): QuadletFlags {
  const flags: QuadletFlags = {
    dryrun: false,
    user: false,
    verbose: false,
    noKmsgLog: false,
    version: false,
    help: false,
    outputDirs: [],
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      i++;
      break;
    }
    if (!arg.startsWith("-") || arg === "-") break;
    const body = arg.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const field = BOOL_FLAGS[name];
    if (!field) throw new FlagError(`flag provided but not defined: -${name}`);
    let value = true;
    if (eq >= 0) {
      const raw = body.slice(eq + 1).toLowerCase();
      if (["1", "t", "true"].includes(raw)) value = true;
      else if (["0", "f", "false"].includes(raw)) value = false;
      else throw new FlagError(`invalid boolean value "${body.slice(eq + 1)}" for -${name}`);
    }
    flags[field] = value;
  }
  flags.outputDirs = argv.slice(i) as string[];
  return flags;
}

export interface QuadletIo {
  readonly argv0: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly uid: number;
  stdout(text: string): void;
  stderr(text: string): void;
}

function openKmsg(): number | undefined {
  try {
    return openSync("/dev/kmsg", "w");
  } catch {
    return undefined;
  }
}

function describe(error: QmError): string {
  return error.location ? `${formatLocation(error.location)}: ${error.message}` : error.message;
}

function writeAtomic(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode: 0o644 });
  renameSync(tmp, path);
}

function apply(file: OutputFile): void {
  if (file.kind === "file") {
    writeAtomic(file.path, file.content);
    return;
  }
  mkdirSync(dirname(file.path), { recursive: true });
  rmSync(file.path, { force: true });
  symlinkSync(file.target, file.path);
}

/** Run the generator; returns the exit status. */
export function runQuadlet(argv: readonly string[], io: QuadletIo): number {
  let flags: QuadletFlags;
  try {
    flags = parseQuadletArgs(argv);
  } catch (error) {
    io.stderr(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (flags.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  if (flags.version) {
    io.stdout(`${VERSION}\n`);
    return 0;
  }
  const user = flags.user || basename(io.argv0).includes("user-generator");
  const kmsg = flags.dryrun || flags.noKmsgLog ? undefined : openKmsg();
  const log = (message: string): void => {
    const line = `quadlet-generator[${process.pid}]: ${message}\n`;
    io.stderr(line);
    if (kmsg !== undefined) {
      try {
        writeSync(kmsg, line);
      } catch {
        // Logging to the kernel ring is best effort, as in quadlet.
      }
    }
  };
  const debug = (message: string): void => {
    if (flags.verbose) log(message);
  };
  try {
    const outputDir = flags.outputDirs[0];
    if (!flags.dryrun && outputDir === undefined) {
      log("Missing output directory argument");
      return 1;
    }
    debug(`Starting quadlet-generator, output to: ${outputDir ?? "(dry run)"}`);
    // Relative QUADLET_UNIT_DIRS entries mean the current directory, as they do for quadlet.
    const dirs = io.env.QUADLET_UNIT_DIRS;
    const env = dirs
      ? {
          ...io.env,
          QUADLET_UNIT_DIRS: dirs
            .split(":")
            .map((d) => (d ? resolve(d) : d))
            .join(":"),
        }
      : io.env;
    const result = generateAll(nodeUnitFs("/"), { user, env, uid: io.uid });
    debug(`Using search directories: ${result.searchDirs.join(", ")}`);
    for (const error of result.errors) log(`converting: ${describe(error)}`);
    for (const service of result.services) {
      debug(`converted ${service.sourcePath} to ${service.serviceName}`);
      if (flags.dryrun) {
        const shown = outputDir === undefined ? service.serviceName : `${outputDir}/${service.serviceName}`;
        io.stdout(`---${shown}---\n${service.text}\n`);
        continue;
      }
      for (const file of outputFiles(service, outputDir as string)) {
        try {
          apply(file);
        } catch (error) {
          log(`cannot write ${file.path}: ${(error as Error).message}`);
          return 1;
        }
      }
    }
    return result.errors.length > 0 ? 1 : 0;
  } finally {
    if (kmsg !== undefined) closeSync(kmsg);
  }
}
