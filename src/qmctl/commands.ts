import { QmError } from "../core/errors.js";
import type { PartitionContext } from "../partition/context.js";
import { TOPICS, type Topic } from "./args.js";
import type { CgroupFs } from "./cgroups.js";
import { collapse, errors } from "./errors.js";
import { formatJson, formatText, type Io, type Json, printError } from "./output.js";
import { operands, type Podman, type PodmanResult } from "./podman.js";
import { addDevices, quadletJson } from "./quadlet.js";
import {
  computeRows,
  formatTable,
  type ResourceTarget,
  resolveTarget,
  resourcesJson,
  takeSample,
} from "./resources.js";

export const DEFAULT_CONTAINER = "qm";
export const DEFAULT_CONFIG = "/usr/share/containers/systemd/qm.container";

/** Side effects qmctl needs besides podman; each has a real adapter in main.ts and a fake in tests. */
export interface QmctlPorts {
  readonly podman: Podman;
  readonly io: Io;
  /** Read a text file; throws (with a message) when it exists but cannot be read. */
  readonly readFile: (path: string) => string;
  readonly exists: (path: string) => boolean;
  readonly cgroupFs: CgroupFs;
  readonly clock: { readonly nowNs: () => bigint; readonly sleep: (ms: number) => Promise<void> };
  /** Subscribe to Ctrl+C for the live view; returns the unsubscribe function. */
  readonly onInterrupt: (handler: () => void) => () => void;
  /** The partition context of a quadlet file (base file, drop-ins, derived names); throws when it cannot be loaded. */
  readonly partition: (configPath: string) => PartitionContext;
}

export interface QmctlSettings {
  readonly container: string;
  readonly configPath: string;
  readonly verbose: boolean;
}

/** What a command produced: the JSON document and the text upstream prints for it. */
export interface Output {
  readonly json: Json;
  readonly text: string;
}

const NO_OUTPUT = "QMCTL_NO_OUTPUT";
/** Seconds between the two readings of a resource snapshot (rates need an interval). */
export const SNAPSHOT_INTERVAL_MS = 500;
export const LIVE_INTERVAL_MS = 1000;

const dataOutput = (data: { readonly [key: string]: Json }): Output => ({
  json: data,
  text: formatText(data),
});

export class Qmctl {
  constructor(
    private readonly ports: QmctlPorts,
    private readonly settings: QmctlSettings,
  ) {}

  get container(): string {
    return this.settings.container;
  }

  private log(action: string, path: string): void {
    if (this.settings.verbose) this.ports.io.err(`[verbose] ${action}: ${path}\n`);
  }

  async containerExists(): Promise<boolean> {
    return (await this.ports.podman.status(["container", "exists", ...operands(this.container)])) === 0;
  }

  private async requireContainer(): Promise<void> {
    if (!(await this.containerExists())) throw errors.containerNotFound(this.container);
  }

  private readConfig(): string {
    const path = this.settings.configPath;
    if (!this.ports.exists(path)) throw errors.configNotFound(path);
    this.log("Reading", path);
    try {
      return this.ports.readFile(path);
    } catch (error) {
      throw collapse(error);
    }
  }

  /** Upstream's result check: "command not found" on stderr first, then the status, then empty stdout. */
  private check(result: PodmanResult, context: string, command: readonly string[]): void {
    if (result.stderr.toLowerCase().includes("command not found")) {
      throw errors.commandNotFound(command.length > 0 ? command : ["unknown"], this.container);
    }
    if (result.code !== 0) {
      throw errors.general(`${context} Return code: ${result.code}, stderr: ${result.stderr.trim()}`);
    }
    if (result.stdout.trim() === "") throw new QmError(NO_OUTPUT, `${context} No output returned.`);
  }

  private async execChecked(command: readonly string[], context: string): Promise<PodmanResult> {
    const result = await this.ports.podman.run(["exec", ...operands(this.container), ...command]);
    this.check(result, context, command);
    return result;
  }

  showContainer(): Output {
    try {
      const content = this.readConfig();
      return { json: quadletJson(this.settings.configPath, content), text: content };
    } catch (error) {
      throw collapse(error);
    }
  }

  /**
   * The merged view: the base quadlet plus its drop-ins as quadlet applies them (the config file's partition
   * context), each value with the file and line that set it, named on this host.
   */
  showEffective(): Output {
    const path = this.settings.configPath;
    try {
      const { root, unit } = this.ports.partition(path);
      const strip = (file: string): string => (root === "/" ? file : `${root}${file}`);
      const sections: Record<string, Json> = {};
      const lines: string[] = [`# ${unit.sources.map(strip).join("\n#   + ")}`];
      for (const section of unit.sections) {
        lines.push("", `[${section.name}]`);
        sections[section.name] = section.entries.map((e) => ({
          key: e.key,
          value: e.value,
          file: strip(e.file),
          line: e.line,
        }));
        for (const e of section.entries)
          lines.push(`${`${e.key}=${e.value}`.padEnd(48)} # ${strip(e.file)}:${e.line}`);
      }
      return { json: { path, sources: unit.sources.map(strip), sections }, text: `${lines.join("\n")}\n` };
    } catch (error) {
      throw collapse(error);
    }
  }

  private async showExec(command: readonly string[], context: string, label: string): Promise<Output> {
    try {
      const result = await this.execChecked(command, context);
      return dataOutput({ [label]: result.stdout.trim() });
    } catch (error) {
      throw collapse(error);
    }
  }

  showUnixSockets(): Promise<Output> {
    return this.showExec(
      ["ss", "-xl"],
      "Failed to retrieve UNIX domain sockets with 'ss -xl'",
      "UNIX domain sockets",
    );
  }

  showNamespaces(): Promise<Output> {
    return this.showExec(["lsns"], "Failed to retrieve namespace info using 'lsns'", "Namespaces");
  }

  /** Upstream runs `ipcs` through exec, so this topic keeps exec's exit statuses. */
  async showSharedMemory(): Promise<Output | undefined> {
    return this.exec(["ipcs"]);
  }

  async showAvailableDevices(): Promise<Output> {
    try {
      if (!this.ports.exists(this.settings.configPath)) throw errors.configNotFound(this.settings.configPath);
      await this.requireContainer();
      const devices = addDevices(this.readConfig());
      if (devices.length === 0) {
        throw errors.validation(
          "No devices specified in the container config. Please add 'AddDevice=' entries to the config file.",
        );
      }
      const present: Record<string, boolean> = {};
      for (const device of devices) {
        present[device] =
          (await this.ports.podman.status(["exec", ...operands(this.container), "test", "-e", device])) === 0;
      }
      return dataOutput(present);
    } catch (error) {
      throw collapse(error);
    }
  }

  async resourceTarget(): Promise<ResourceTarget> {
    const result = await this.ports.podman.run([
      "container",
      "inspect",
      "--format",
      "{{.State.Pid}} {{.Id}}",
      ...operands(this.container),
    ]);
    if (result.code !== 0) {
      if (!(await this.containerExists())) throw errors.containerNotFound(this.container);
      throw errors.general(`Failed to inspect container '${this.container}': ${result.stderr.trim()}`);
    }
    const [pidText, id] = result.stdout.trim().split(/\s+/);
    const pid = Number(pidText);
    if (!Number.isInteger(pid) || pid <= 0)
      throw errors.general(`Container '${this.container}' is not running.`);
    const target = resolveTarget(this.ports.cgroupFs, this.container, pid, id);
    if (!target)
      throw errors.general(`Cannot read the cgroup of container '${this.container}' (pid ${pid}).`);
    return target;
  }

  async resourcesSnapshot(target?: ResourceTarget): Promise<Output> {
    try {
      const t = target ?? (await this.resourceTarget());
      const fs = this.ports.cgroupFs;
      const before = takeSample(fs, t, this.ports.clock.nowNs());
      await this.ports.clock.sleep(SNAPSHOT_INTERVAL_MS);
      const rows = computeRows(before, takeSample(fs, t, this.ports.clock.nowNs()));
      return { json: resourcesJson(t, rows, SNAPSHOT_INTERVAL_MS / 1000), text: formatTable(rows) };
    } catch (error) {
      throw collapse(error);
    }
  }

  /** The live view: redraws every second until Ctrl+C (exit 0) or until the partition goes away. */
  async resourcesLive(): Promise<void> {
    const { io, clock, cgroupFs } = this.ports;
    let target: ResourceTarget;
    try {
      target = await this.resourceTarget();
    } catch (error) {
      throw collapse(error);
    }
    const header = `[INFO] Starting resource stream for ${target.unit}. Press Ctrl+C to exit.\n\n`;
    io.out(header);
    let stopped = false;
    let wake: (() => void) | undefined;
    const unsubscribe = this.ports.onInterrupt(() => {
      stopped = true;
      wake?.();
    });
    try {
      let before = takeSample(cgroupFs, target, clock.nowNs());
      while (!stopped) {
        await Promise.race([clock.sleep(LIVE_INTERVAL_MS), new Promise<void>((r) => (wake = r))]);
        if (stopped) break;
        const after = takeSample(cgroupFs, target, clock.nowNs());
        if (after.rows[0]?.usage.tasks === undefined && after.rows[0]?.usage.cpuUsageNs === undefined) {
          throw errors.general(`Container '${this.container}' is no longer running.`);
        }
        io.out(`\x1b[H\x1b[2J${header}${formatTable(computeRows(before, after))}`);
        before = after;
      }
      io.err("KeyboardInterrupt: Exiting resource stream.\n");
    } finally {
      unsubscribe();
    }
  }

  async exec(cmd: readonly string[]): Promise<Output | undefined> {
    const context = `Failed to execute command in container '${this.container}'`;
    try {
      if (cmd.length === 0) {
        await this.requireContainer();
        throw errors.validation("No command provided No command provided to execute in the container..");
      }
      // One podman call on the common path: existence is only asked when podman says the container is missing.
      const result = await this.ports.podman.run(["exec", ...operands(this.container), ...cmd], {
        interactive: true,
      });
      if (result.code !== 0 && /no such container|no container with name or id/i.test(result.stderr)) {
        if (!(await this.containerExists())) throw errors.containerNotFound(this.container);
      }
      this.check(result, context, cmd);
      return dataOutput({ output: result.stdout.trim() });
    } catch (error) {
      if (error instanceof QmError && error.code === NO_OUTPUT) return undefined;
      throw error instanceof QmError ? error : collapse(error);
    }
  }

  async execin(cmd: readonly string[]): Promise<Output> {
    try {
      await this.requireContainer();
      if (cmd.length === 0) throw errors.validation("No command provided to execute in container.");
      if (cmd.length < 2) throw errors.validation("No command provided to execute.");
      const [nested, ...args] = cmd as [string, ...string[]];
      // "execin -- NESTED CMD" already ends the nested podman's options; any other name beginning with "-" is an
      // operand, never an option of the nested podman exec.
      const target = nested === "--" ? cmd : [...operands(nested), ...args];
      const result = await this.ports.podman.run(
        ["exec", ...operands(this.container), "podman", "exec", ...target],
        { interactive: true },
      );
      if (result.code !== 0) {
        throw errors.general(`Command '${cmd.join(" ")}' failed with Error: ${result.stderr.trim()}`);
      }
      return dataOutput({ output: result.stdout.trim() });
    } catch (error) {
      throw collapse(error);
    }
  }

  /** Exactly one side must name the container (a substring test, like upstream). */
  validateCpPaths(paths: readonly string[]): readonly [string, string] {
    const [src, dst] = paths;
    if (paths.length !== 2 || src === undefined || dst === undefined) {
      throw errors.validation("Please provide source and destination paths.");
    }
    const prefix = `${this.container}:`;
    if (src.includes(prefix) === dst.includes(prefix)) {
      throw errors.validation(`Provide \`${prefix}\` only in source or destination`);
    }
    return [src, dst];
  }

  async cp(paths: readonly string[]): Promise<void> {
    try {
      await this.requireContainer();
      const [src, dst] = this.validateCpPaths(paths);
      const result = await this.ports.podman.run(["cp", ...operands(src, dst)], { interactive: true });
      if (result.code !== 0) throw errors.general(result.stderr || "Copy operation failed");
    } catch (error) {
      throw collapse(error);
    }
  }

  async showTopic(topic: Exclude<Topic, "all" | "resources">): Promise<Output | undefined> {
    switch (topic) {
      case "container":
        return this.showContainer();
      case "unix-domain-sockets":
        return this.showUnixSockets();
      case "shared-memory":
        return this.showSharedMemory();
      case "available-devices":
        return this.showAvailableDevices();
      case "namespaces":
        return this.showNamespaces();
    }
  }

  /**
   * Every topic in upstream's order. Unlike upstream, a failing section does not end the run: its error
   * is reported and the others still print; returns the first failure (its status is the run's). Resources are
   * one snapshot. With JSON, one document keyed by topic, failed sections as {"Error": message}.
   */
  async showAll(json: boolean): Promise<QmError | undefined> {
    const topics = TOPICS.filter((t): t is Exclude<Topic, "all"> => t !== "all");
    const doc: Record<string, Json> = {};
    let first: QmError | undefined;
    for (const topic of topics) {
      try {
        const output = topic === "resources" ? await this.resourcesSnapshot() : await this.showTopic(topic);
        if (json) doc[topic] = output?.json ?? { output: "" };
        else if (output) this.ports.io.out(output.text);
      } catch (error) {
        const e = error instanceof QmError ? error : collapse(error);
        first ??= e;
        if (json) doc[topic] = { Error: e.message };
        else printError(this.ports.io, e.message, false);
      }
    }
    if (json) this.ports.io.out(formatJson(doc));
    return first;
  }
}
