/**
 * `qm dropin list`: the catalog with what is installed (and how), the qm.container drop-ins in effect with
 * the package each came from, and whether the running partition still uses an older configuration.
 */
import { posix } from "node:path";
import { qmUnitFs } from "../config/fs.js";
import { toQmError } from "../core/errors.js";
import { loadContext, type PartitionContext } from "../partition/context.js";
import { running } from "../partition/lifecycle.js";
import { readRunState, runtimeUnitName } from "../partition/runstate.js";
import { expandSearchDirs, findDropins, unitSearchDirs } from "../unit/index.js";
import { type Manager, managedBy, readState } from "./install.js";
import { catalogNames, loadPackage, readMarker } from "./package.js";

/** Where upstream documents drop-ins for qm.container (both are reported, in effect or not). */
export const DROPIN_DIRS = [
  "/etc/containers/systemd/qm.container.d",
  "/usr/lib/containers/systemd/qm.container.d",
];

export interface ListedPackage {
  readonly name: string;
  readonly package: string;
  readonly summary: string;
  readonly source: "catalog" | "custom";
  readonly upstream: string | null;
  readonly installed: Manager | null;
  readonly version: string | null;
}

export interface ListedDropin {
  readonly path: string;
  /** The package named by the file's marker, or null for a local file. */
  readonly package: string | null;
  readonly inEffect: boolean;
  readonly why?: string;
}

export interface ListReport {
  readonly root: string;
  readonly packages: readonly ListedPackage[];
  readonly dropins: readonly ListedDropin[];
  /** Whether the partition of the root runs (as qm status --root judges it). */
  readonly running: boolean;
  /** null when it cannot be told (no qm.container, or its configuration does not generate). */
  readonly restartPending: boolean | null;
  readonly notes: readonly string[];
}

interface RunState {
  readonly running: boolean;
  /** Whether the running partition was started with another configuration; throws when that cannot be told. */
  readonly pending: () => boolean;
}

export interface ListOptions {
  /** The partition's state; the default looks at the partition of the root on this machine. */
  readonly runState?: () => Promise<RunState>;
}

/**
 * The partition of `root` on this machine as qm status --root sees it, compared with the configuration under the
 * root. A configuration that does not load names no partition to look at, and a podman that does not answer (its
 * storage locked) shows none: what qm start recorded for the root then, and no verdict on a restart.
 */
async function partitionRunState(root: string): Promise<RunState> {
  let ctx: PartitionContext | null = null;
  try {
    const loaded = loadContext(root);
    ctx = loaded;
    const seen = await running(loaded);
    return { running: seen.running, pending: () => seen.running && seen.configHash !== loaded.configHash };
  } catch (error) {
    return {
      running: readRunState(ctx?.serviceName ?? runtimeUnitName(root)) !== null,
      pending: () => {
        throw error;
      },
    };
  }
}

export async function listDropins(root: string, options: ListOptions = {}): Promise<ListReport> {
  const state = readState(root);
  const packages: ListedPackage[] = [];
  for (const name of catalogNames()) {
    const m = loadPackage(name).manifest;
    const via = (await managedBy(root, m.package)) ?? null;
    packages.push({
      name,
      package: m.package,
      summary: m.summary,
      source: "catalog",
      upstream: m.upstream ? `${m.upstream.status}: ${m.upstream.note}` : null,
      installed: via,
      version: via === "direct" ? (state.packages[m.package]?.version ?? null) : null,
    });
  }
  for (const p of Object.values(state.packages)) {
    if (packages.some((l) => l.package === p.package)) continue;
    packages.push({
      name: p.name,
      package: p.package,
      summary: "",
      source: "custom",
      upstream: null,
      installed: "direct",
      version: p.version,
    });
  }

  const fs = qmUnitFs(root);
  const effective = findDropins(fs, expandSearchDirs(fs, unitSearchDirs()), "qm.container");
  const dropins: ListedDropin[] = effective.map((path) => ({
    path,
    package: readMarker(fs.readText(path) ?? "")?.package ?? null,
    inEffect: true,
  }));
  for (const dir of DROPIN_DIRS) {
    for (const e of fs.list(dir) ?? []) {
      const path = posix.join(dir, e.name);
      if (e.kind !== "file" || effective.includes(path)) continue;
      const why = !e.name.endsWith(".conf")
        ? "only *.conf files are read"
        : effective.some((p) => posix.basename(p) === e.name)
          ? "shadowed by a drop-in of the same name in a directory that takes precedence"
          : "not in the generator's search path (/run, /etc, /usr/share/containers/systemd)";
      dropins.push({
        path,
        package: readMarker(fs.readText(path) ?? "")?.package ?? null,
        inEffect: false,
        why,
      });
    }
  }

  const notes: string[] = [];
  const run = await (options.runState ?? (() => partitionRunState(root)))();
  let pending: boolean | null = null;
  try {
    pending = run.pending();
  } catch (error) {
    notes.push(`cannot tell whether a restart is pending: ${toQmError(error).located()}`);
  }
  return { root, packages, dropins, running: run.running, restartPending: pending, notes };
}
