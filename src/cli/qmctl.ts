import { existsSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { QmError } from "../core/errors.js";
import { VERSION } from "../core/version.js";
import { loadContextOfFile } from "../partition/context.js";
import { MAIN_USAGE, parseArgs } from "../qmctl/args.js";
import { nodeCgroupFs } from "../qmctl/cgroups.js";
import { DEFAULT_CONFIG, DEFAULT_CONTAINER, type Output, Qmctl, type QmctlPorts } from "../qmctl/commands.js";
import { completionScript } from "../qmctl/completion.js";
import { errors, QmctlExit } from "../qmctl/errors.js";
import { formatJson, printError } from "../qmctl/output.js";
import { realPodman } from "../qmctl/podman.js";

export function realPorts(env: NodeJS.ProcessEnv = process.env): QmctlPorts {
  return {
    podman: realPodman(env.QMCTL_PODMAN || "podman"),
    io: {
      out: (t) => process.stdout.write(t),
      err: (t) => process.stderr.write(t),
      isTTY: process.stdout.isTTY === true,
    },
    readFile: (path) => readFileSync(path, "utf8"),
    exists: (path) => existsSync(path),
    partition: loadContextOfFile,
    cgroupFs: nodeCgroupFs("/"),
    clock: { nowNs: () => process.hrtime.bigint(), sleep: (ms) => sleep(ms) },
    onInterrupt: (handler) => {
      process.on("SIGINT", handler);
      return () => process.off("SIGINT", handler);
    },
  };
}

/** The container the host's qm.container names; null without a configuration that loads. */
function partitionContainer(ports: QmctlPorts): string | null {
  try {
    return ports.partition(DEFAULT_CONFIG).containerName;
  } catch {
    return null;
  }
}

function print(ports: QmctlPorts, output: Output | undefined, json: boolean): void {
  if (output) ports.io.out(json ? formatJson(output.json) : output.text);
}

/** Run qmctl with `args` (without the program name); returns the exit status. */
export async function main(
  args: readonly string[],
  ports: QmctlPorts,
  env: NodeJS.ProcessEnv = {},
): Promise<number> {
  const { io } = ports;
  // An addition to upstream's interface (which has no --version): only as the sole argument.
  if (args.length === 1 && args[0] === "--version") {
    io.out(`qmctl ${VERSION}\n`);
    return 0;
  }
  const parsed = parseArgs(args);
  switch (parsed.kind) {
    case "help":
      io.out(parsed.text);
      return 0;
    case "error":
      io.err(`${parsed.usage}${parsed.prog}: error: ${parsed.message}\n`);
      return QmctlExit.usage;
    case "missing-subcommand":
      io.out(MAIN_USAGE);
      io.err("Error: requires a subcommand\n");
      return QmctlExit.invalidArgument;
    case "run":
      break;
  }
  const { global, invocation } = parsed;
  const json = global.json;
  const qmctl = new Qmctl(ports, {
    container: global.container ?? (env.QMCTL_CONTAINER || partitionContainer(ports) || DEFAULT_CONTAINER),
    configPath: global.config ?? (env.QMCTL_CONFIG || DEFAULT_CONFIG),
    verbose: global.verbose,
  });
  try {
    switch (invocation.kind) {
      case "completion":
        io.out(completionScript(invocation.shell));
        return 0;
      case "exec":
        print(ports, await qmctl.exec(invocation.cmd), json);
        return 0;
      case "execin":
        print(ports, await qmctl.execin(invocation.cmd), json);
        return 0;
      case "cp":
        await qmctl.cp(invocation.paths);
        return 0;
      case "show":
        if (invocation.topic === "all") return (await qmctl.showAll(json))?.exitCode ?? 0;
        if (invocation.topic === "resources") {
          if (json || !io.isTTY) print(ports, await qmctl.resourcesSnapshot(), json);
          else await qmctl.resourcesLive();
          return 0;
        }
        if (invocation.effective) {
          if (invocation.topic !== "container")
            throw errors.validation("--effective applies to 'show container' only");
          print(ports, qmctl.showEffective(), json);
          return 0;
        }
        print(ports, await qmctl.showTopic(invocation.topic), json);
        return 0;
    }
  } catch (error) {
    const e =
      error instanceof QmError
        ? error
        : new QmError("QMCTL_ERROR", String((error as Error)?.message ?? error));
    printError(io, e.message, json);
    return e.exitCode;
  }
}
