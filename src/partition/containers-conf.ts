/**
 * containers.conf and storage.conf of the partition's own podman (reference §1.5, §2.9), as pure text transforms
 * so the files a person may have edited keep every other line.
 */

export interface NestedLimits {
  readonly nofile: number;
  readonly nproc: number;
}

/**
 * Limits for nested containers: half of the partition's open-files limit and three quarters of the process limit,
 * as upstream's test harness sets them (issue #666): nested podman must not ask for more than the partition has.
 */
export function nestedLimits(partitionNofile: number, hostNprocHard: number | "unlimited"): NestedLimits {
  const nproc = hostNprocHard === "unlimited" ? 1_048_576 : hostNprocHard;
  return {
    nofile: Math.max(1024, Math.floor(partitionNofile / 2)),
    nproc: Math.max(1024, Math.floor(nproc * 0.75)),
  };
}

const TMPDIR_ENV = "TMPDIR=/var/tmp.images";

export interface NestedConfOptions {
  readonly limits: NestedLimits;
  /** OCI runtime for nested containers, when the tree's default would not work on this host. */
  readonly runtime?: string;
  /** memory.oom.group exists only on cgroup v2; on v1 a podman that honours cgroup_conf would fail to start containers. */
  readonly cgroupV2: boolean;
}

/** The partition's /etc/containers/containers.conf from the shipped default. */
export function nestedContainersConf(base: string, options: NestedConfOptions): string {
  const { nofile, nproc } = options.limits;
  let text = base.replace(
    /^default_ulimits\s*=\s*\[[^\]]*\]/m,
    `default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]`,
  );
  if (!options.cgroupV2) {
    text = text.replace(
      /^cgroup_conf\s*=.*$/m,
      "# cgroup_conf: memory.oom.group needs cgroup v2; this host has v1 controllers",
    );
  }
  // qm-storage-settings: large image layers are unpacked on disk, not in a tmpfs.
  if (!text.includes(TMPDIR_ENV)) text = `${text.replace(/\n*$/, "\n")}\n[engine]\nenv = ["${TMPDIR_ENV}"]\n`;
  if (options.runtime && !/^runtime\s*=/m.test(text)) {
    text = text.replace(/^\[engine\]$/m, `[engine]\nruntime = "${options.runtime}"`);
  }
  return text;
}

const SHARED_STORE = '"/var/lib/shared"';

/** A complete storage.conf for trees that ship none (Debian's podman has only built-in defaults). */
export function defaultStorageConf(transientStore: boolean): string {
  return [
    "# Storage of the QM partition's podman, written by qm setup.",
    "[storage]",
    'driver = "overlay"',
    'runroot = "/run/containers/storage"',
    'graphroot = "/var/lib/containers/storage"',
    ...(transientStore ? ["transient_store = true"] : []),
    "",
    "[storage.options]",
    "# Read-only image store shared into the partition (images placed there by the image builder).",
    "additionalimagestores = [",
    `  ${SHARED_STORE},`,
    "]",
    "",
  ].join("\n");
}

/**
 * qm-storage-settings' edits on an existing storage.conf: uncomment the additionalimagestores block and make sure it
 * lists /var/lib/shared; turn a commented transient_store into `transient_store = true` (only where the tree's podman
 * knows the key, >= 4.4).
 */
export function editStorageConf(text: string, transientStore: boolean): string {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => /^\s*#?\s*additionalimagestores\s*=\s*\[/.test(l));
  if (start === -1) {
    const options = lines.findIndex((l) => l.trim() === "[storage.options]");
    const block = ["additionalimagestores = [", `  ${SHARED_STORE},`, "]"];
    if (options === -1) lines.push("", "[storage.options]", ...block);
    else lines.splice(options + 1, 0, ...block);
  } else {
    let end = start;
    while (end < lines.length && !/\]/.test(lines[end] as string)) end++;
    for (let i = start; i <= Math.min(end, lines.length - 1); i++)
      lines[i] = (lines[i] as string).replace(/^(\s*)#\s?/, "$1");
    const block = lines.slice(start, end + 1).join("\n");
    if (!block.includes(SHARED_STORE)) {
      const open = lines[start] as string;
      if (/\[\s*\]/.test(open)) lines[start] = open.replace(/\[\s*\]/, `[\n  ${SHARED_STORE},\n]`);
      else lines.splice(start + 1, 0, `  ${SHARED_STORE},`);
    }
  }
  let out = lines.join("\n");
  if (transientStore && !/^\s*transient_store\s*=/m.test(out)) {
    if (/^\s*#\s*transient_store\s*=.*$/m.test(out))
      out = out.replace(/^\s*#\s*transient_store\s*=.*$/m, "transient_store = true");
    else out = out.replace(/^\[storage\]\s*$/m, "[storage]\ntransient_store = true");
  }
  return out;
}
