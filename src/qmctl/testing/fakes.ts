import type { CgroupFs } from "../cgroups.js";
import type { QmctlPorts } from "../commands.js";
import type { Podman, PodmanCallOptions, PodmanResult } from "../podman.js";

/** A scripted podman: `respond` gets the argv after "podman" and returns the result; every call is recorded. */
export interface FakePodman extends Podman {
  readonly calls: string[][];
  /** The calls made as the user's own commands (interactive: never cut). */
  readonly interactive: string[][];
}

export function fakePodman(respond: (args: readonly string[]) => Partial<PodmanResult>): FakePodman {
  const calls: string[][] = [];
  const interactive: string[][] = [];
  const run = async (args: readonly string[], options: PodmanCallOptions = {}): Promise<PodmanResult> => {
    calls.push([...args]);
    if (options.interactive) interactive.push([...args]);
    return { code: 0, stdout: "", stderr: "", ...respond(args) };
  };
  return { calls, interactive, run, status: async (args) => (await run(args)).code };
}

/** A podman where container `name` exists and `exec` answers via `exec` (default: empty success). */
export function podmanWithContainer(
  name: string,
  exec: (cmd: readonly string[]) => Partial<PodmanResult> = () => ({}),
): FakePodman {
  return fakePodman((args) => {
    if (args[0] === "container" && args[1] === "exists") return { code: args[2] === name ? 0 : 1 };
    if (args[0] === "exec") {
      if (args[1] !== name) {
        return {
          code: 125,
          stderr: `Error: no container with name or ID "${args[1]}" found: no such container\n`,
        };
      }
      return exec(args.slice(2));
    }
    return {};
  });
}

export interface Captured {
  stdout: string;
  stderr: string;
}

const emptyFs: CgroupFs = { read: () => undefined, subdirs: () => [] };

export function fakePorts(
  podman: Podman,
  files: Record<string, string> = {},
  extra: Partial<QmctlPorts> = {},
): { ports: QmctlPorts; out: Captured } {
  const out: Captured = { stdout: "", stderr: "" };
  let now = 0n;
  const ports: QmctlPorts = {
    podman,
    io: {
      out: (t) => {
        out.stdout += t;
      },
      err: (t) => {
        out.stderr += t;
      },
      isTTY: false,
    },
    readFile: (path) => {
      const content = files[path];
      if (content === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
      return content;
    },
    exists: (path) => path in files,
    partition: (path) => {
      throw new Error(`${path}: no partition configuration`);
    },
    cgroupFs: emptyFs,
    clock: {
      nowNs: () => now,
      sleep: async (ms) => {
        now += BigInt(ms) * 1_000_000n;
      },
    },
    onInterrupt: () => () => {},
    ...extra,
  };
  return { ports, out };
}
