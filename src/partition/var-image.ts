import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  statfsSync,
  statSync,
} from "node:fs";
import { basename } from "node:path";
import { QmError } from "../core/errors.js";
import { run } from "../engine/exec.js";
import { underRoot } from "../engine/fs.js";
import {
  formatSize,
  MOUNT_UNIT_DIR,
  mountUnitName,
  parseVarMountUnit,
  type VarMount,
} from "./bounded-var.js";

/**
 * The bounded /var on the host: create, grow, mount and unmount the image. Only a mount whose loop device is backed
 * by the image is ever unmounted; only loop devices backed by the image are ever detached.
 */

/** Size of the image, or null when there is none (a link or anything but a regular file counts as none). */
export function imageSize(image: string): number | null {
  try {
    const s = lstatSync(image);
    return s.isFile() ? s.size : null;
  } catch {
    return null;
  }
}

/** The source of what is mounted exactly at `where` (the last mount there), or null. */
export function mountSource(where: string): string | null {
  let source: string | null = null;
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const f = line.split(" ");
    const dash = f.indexOf("-");
    if (dash < 5) continue;
    const mountpoint = (f[4] as string).replace(/\\([0-7]{3})/g, (_, o: string) =>
      String.fromCharCode(Number.parseInt(o, 8)),
    );
    if (mountpoint === where) source = f[dash + 2] ?? null;
  }
  return source;
}

/** The file behind a loop device, or null. */
function backingFile(device: string): string | null {
  if (!/^\/dev\/loop\d+$/.test(device)) return null;
  try {
    return readFileSync(`/sys/block/${basename(device)}/loop/backing_file`, "utf8").trim();
  } catch {
    return null;
  }
}

/** The loop device of the image when the image is what is mounted at `where`. */
export function ourLoopAt(image: string, where: string): string | null {
  const source = mountSource(where);
  return source !== null && backingFile(source) === image ? source : null;
}

/** Loop devices backed by the image (`losetup -j`). */
async function loopsOf(image: string): Promise<string[]> {
  const r = await run("losetup", ["-j", image], { allowFailure: true });
  return r.stdout
    .split("\n")
    .map((l) => /^(\/dev\/loop\d+):/.exec(l)?.[1])
    .filter((d): d is string => d !== undefined && backingFile(d) === image);
}

async function must(program: string, args: string[], what: string): Promise<void> {
  const r = await run(program, args, { allowFailure: true, timeoutMs: 600_000 });
  if (r.code !== 0)
    throw new QmError("QM_VAR_MOUNT", `${what}: '${program} ${args.join(" ")}' failed: ${r.stderr.trim()}`, {
      hint: "check the image with 'e2fsck -f IMAGE'",
    });
}

/**
 * Mount the image on `where` unless it is mounted there. Before mounting, its blocks are reserved again: a trim
 * (fstrim, the host's or the partition's) punches holes that the host could otherwise fill. Something else mounted
 * on `where` (an integrator's own partition) is left as it is.
 */
export async function mountVar(image: string, where: string): Promise<"mounted" | "already" | "other"> {
  if (ourLoopAt(image, where) !== null) return "already";
  if (mountSource(where) !== null) return "other";
  const size = imageSize(image);
  if (size === null)
    throw new QmError("QM_VAR_MOUNT", `${image}: no such image (the partition's /var)`, {
      hint: "run 'qm setup --var-size SIZE' again, or remove the mount unit to run with an unbounded /var",
    });
  if (!existsSync(where)) mkdirSync(where, { mode: 0o755 });
  const hidden = readdirSync(where);
  if (hidden.length > 0)
    throw new QmError(
      "QM_SETUP_VAR",
      `${where} holds files (${hidden.slice(0, 3).join(", ")}${hidden.length > 3 ? ", ..." : ""}) although the partition's /var lives in ${image}: mounting would hide them`,
      { hint: `move them away (or into the image: mount it elsewhere), leave ${where} empty, and rerun` },
    );
  await must("fallocate", ["-l", String(size), image], `reserving the blocks of ${image}`);
  await must(
    "mount",
    ["-t", "ext4", "-o", "loop,nodev,nosuid", image, where],
    `mounting ${image} on ${where}`,
  );
  return "mounted";
}

/** Unmount the image from `where` when it is mounted there, and detach every loop device backed by it. */
export async function unmountVar(image: string, where: string): Promise<string[]> {
  const done: string[] = [];
  const loop = ourLoopAt(image, where);
  if (loop !== null) {
    await must("umount", [where], `unmounting ${where}`);
    done.push(`mount of ${image} on ${where}`);
  }
  for (const device of await loopsOf(image)) {
    await must("losetup", ["-d", device], `detaching ${device}`);
    done.push(`loop device ${device}`);
  }
  return done;
}

/** Bytes below `dir` on its own filesystem (du -sx). */
async function usedBytes(dir: string): Promise<number> {
  const r = await run("du", ["-sx", "--block-size=1", dir], { allowFailure: true });
  return Number(r.stdout.split(/\s/)[0]) || 0;
}

/**
 * Make the image and move the content of `rwVar` into it, then mount it there. Resumable: the image appears by one
 * rename once it holds a full copy; the old directory is set aside (`rwVar.qm-copied`) before that rename and removed
 * after the mount, and a rerun completes whichever step was interrupted.
 */
export async function createVarImage(
  image: string,
  rwVar: string,
  sizeBytes: number,
  log: (line: string) => void,
): Promise<{ mkfsSeconds: number; copySeconds: number }> {
  const aside = `${rwVar}.qm-copied`;
  const partial = `${image}.partial`;
  const staging = `${image}.mnt`;
  if (existsSync(aside) && imageSize(image) === null) {
    // Interrupted before the image was complete: put the content back and start again.
    if (existsSync(rwVar)) rmdirSync(rwVar);
    renameSync(aside, rwVar);
  }
  let mkfsSeconds = 0;
  let copySeconds = 0;
  if (imageSize(image) === null) {
    if (mountSource(staging) !== null) await must("umount", [staging], `unmounting ${staging}`);
    rmSync(partial, { force: true });
    if (mountSource(rwVar) !== null)
      throw new QmError("QM_SETUP_VAR", `${rwVar} is a mount point already: it is a filesystem of its own`, {
        hint: "a separate partition bounds /var already; leave out --var-size",
      });
    const used = await usedBytes(rwVar);
    // ext4's own metadata and the root reserve (5%) take roughly a tenth.
    if (used > sizeBytes * 0.85)
      throw new QmError(
        "QM_SETUP_VAR",
        `${rwVar} holds ${formatSize(Math.ceil(used / 1048576) * 1048576)}: it does not fit in --var-size ${formatSize(sizeBytes)}`,
        { hint: "give a larger --var-size" },
      );
    log(`bounded /var: ${formatSize(sizeBytes)} image ${image}`);
    let t = Date.now();
    await must(
      "fallocate",
      ["-l", String(sizeBytes), partial],
      `reserving ${formatSize(sizeBytes)} for ${partial}`,
    );
    // nodiscard: mke2fs would otherwise punch holes into the reservation just made.
    await must(
      "mkfs.ext4",
      ["-q", "-F", "-E", "nodiscard", "-L", "qm-var", partial],
      `making ext4 in ${partial}`,
    );
    mkfsSeconds = (Date.now() - t) / 1000;
    t = Date.now();
    mkdirSync(staging, { recursive: true, mode: 0o700 });
    await must("mount", ["-t", "ext4", "-o", "loop,nodev,nosuid", partial, staging], `mounting ${partial}`);
    try {
      await must("cp", ["-a", `${rwVar}/.`, `${staging}/`], `copying ${rwVar} into ${partial}`);
      const mode = statSync(rwVar).mode & 0o7777;
      await must("chmod", [mode.toString(8), staging], `setting the mode of ${partial}'s root`);
    } finally {
      await run("umount", [staging], { allowFailure: true });
      for (const device of await loopsOf(partial))
        await run("losetup", ["-d", device], { allowFailure: true });
    }
    rmdirSync(staging);
    copySeconds = (Date.now() - t) / 1000;
    renameSync(rwVar, aside);
    mkdirSync(rwVar, { mode: 0o755 });
    renameSync(partial, image);
  }
  if (existsSync(aside) && !existsSync(rwVar)) mkdirSync(rwVar, { mode: 0o755 });
  await mountVar(image, rwVar);
  if (existsSync(aside)) rmSync(aside, { recursive: true, force: true });
  return { mkfsSeconds, copySeconds };
}

/**
 * Grow the image and its filesystem to `sizeBytes`, unmounted: an online resize needs CAP_SYS_RESOURCE, which not
 * every host grants (the caller refuses while the partition runs). A smaller size is refused by the caller too.
 */
export async function growVarImage(image: string, where: string, sizeBytes: number): Promise<void> {
  if (ourLoopAt(image, where) !== null) await must("umount", [where], `unmounting ${where}`);
  await must(
    "fallocate",
    ["-l", String(sizeBytes), image],
    `reserving ${formatSize(sizeBytes)} for ${image}`,
  );
  // resize2fs wants a freshly checked filesystem; -p repairs only what is safe to repair unattended.
  await must("e2fsck", ["-f", "-p", image], `checking ${image}`);
  await must("resize2fs", [image], `growing the filesystem in ${image}`);
  await mountVar(image, where);
}

export interface VarStatus {
  /** The partition's /var on the host. */
  readonly source: string | null;
  /** The image qm setup made (--var-size), or null. */
  readonly image: string | null;
  /** The image is mounted on the source. */
  readonly mounted: boolean;
  /** The source is a filesystem other than the host's /: filling it cannot fill the host's root. */
  readonly bounded: boolean;
  readonly sizeBytes: number | null;
  readonly usedBytes: number | null;
  readonly availBytes: number | null;
}

/** The mount unit qm setup wrote for a path (in-root), with its paths on the host; null when there is none. */
export function varMountFor(root: string, path: string): VarMount | null {
  const file = underRoot(root, `${MOUNT_UNIT_DIR}/${mountUnitName(path)}`);
  let text: string;
  try {
    if (!lstatSync(file).isFile()) return null;
    text = readFileSync(file, "utf8");
  } catch {
    return null;
  }
  const unit = parseVarMountUnit(text, file);
  return unit && { ...unit, what: underRoot(root, unit.what), where: underRoot(root, unit.where) };
}

/** Whether the partition's /var (host path `source`) is bounded, and how full it is. */
export function varStatus(source: string | null, mount: VarMount | null): VarStatus {
  const where = mount?.where ?? source;
  const mounted = mount !== null && ourLoopAt(mount.what, mount.where) !== null;
  let bounded = false;
  let sizes = {
    sizeBytes: null as number | null,
    usedBytes: null as number | null,
    availBytes: null as number | null,
  };
  try {
    if (where !== null && statSync(where).dev !== statSync("/").dev) {
      bounded = true;
      const s = statfsSync(where);
      sizes = {
        sizeBytes: s.blocks * s.bsize,
        usedBytes: (s.blocks - s.bfree) * s.bsize,
        availBytes: s.bavail * s.bsize,
      };
    }
  } catch {
    // no such directory: unbounded, unknown usage
  }
  return { source: where, image: mount?.what ?? null, mounted, bounded, ...sizes };
}
