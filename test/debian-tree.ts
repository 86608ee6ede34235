import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";

/**
 * A clean Debian tree for package tests: mmdebstrap minbase with only Debian's packages, the archive's package
 * lists, and the .debs that satisfy `depends` waiting in apt's cache, so installing a package with those
 * dependencies takes them from the archive's index without downloading them again. Cached as a tarball under
 * /var/tmp/qm-test-cache, keyed by a checksum of everything that goes into it (~1 min to build, ~360 MB).
 * The tree is used with chroot in a private mount and PID namespace (runInTree): its /dev holds the device nodes
 * mmdebstrap created with mknod, and nothing of the host is ever mounted into it.
 */

const CACHE = "/var/tmp/qm-test-cache";
const PREFIX = "pkgtree-";
const MIRROR = "http://deb.debian.org/debian";

export function cachedDebianTree(suite: string, depends: string): string {
  const argv = (out: string): string[] => [
    "--mode=root",
    "--variant=minbase",
    // Nothing of the host is mounted into the tree while it is built (as qm setup builds trees).
    "--skip=chroot/mount",
    // Keep the package lists and the downloaded .debs.
    "--skip=cleanup/apt",
    `--customize-hook=chroot "$1" apt-get satisfy --download-only -y -q --no-install-recommends '${depends}'`,
    suite,
    out,
    MIRROR,
  ];
  const key = createHash("sha256")
    .update(JSON.stringify({ argv: argv("OUT"), depends }))
    .digest("hex")
    .slice(0, 12);
  return cachedMmdebstrap(
    `${PREFIX}${suite}-${key}.tar`,
    (name) => name.startsWith(PREFIX) && name.endsWith(".tar"),
    argv,
  );
}

/**
 * The tarball `name` in the cache, built by `mmdebstrap ARGV(out)` when missing. Once it is built, the cache's
 * other tarballs that `older` matches (the same kind of tree from an earlier recipe) are deleted.
 */
export function cachedMmdebstrap(
  name: string,
  older: (name: string) => boolean,
  argv: (out: string) => string[],
): string {
  return cachedArtifact(name, older, (partial) => {
    const r = spawnSync("mmdebstrap", argv(partial), { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`mmdebstrap failed: ${r.stderr.slice(-3000)}`);
  });
}

/**
 * `name` in the test cache (/var/tmp/qm-test-cache), made by `build(partial)` when missing: built under a temporary
 * name and renamed when complete, so an interrupted build is never taken for a cached one. Once it is there, the
 * entries `older` matches (earlier recipes of the same thing) are deleted.
 */
export function cachedArtifact(
  name: string,
  older: (name: string) => boolean,
  build: (partial: string) => void,
): string {
  const done = join(CACHE, name);
  if (existsSync(done)) return done;
  mkdirSync(CACHE, { recursive: true });
  // The name keeps its ending: mmdebstrap chooses its output format by it.
  const partial = join(CACHE, `.partial-${process.pid}-${name}`);
  rmSync(partial, { recursive: true, force: true });
  try {
    build(partial);
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    throw error;
  }
  renameSync(partial, done);
  for (const other of readdirSync(CACHE))
    if (other !== name && older(other)) rmSync(join(CACHE, other), { recursive: true, force: true });
  return done;
}

/** Unpack the cached tree into `dir` (device nodes, owners and modes as mmdebstrap made them). */
export function unpackTree(tarball: string, dir: string): void {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync("tar", ["-C", dir, "-xpf", tarball, "--numeric-owner", "--xattrs"], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`unpacking ${tarball} failed: ${r.stderr}`);
  // Name resolution for apt (the archive's mirror), as on the host.
  const resolv = readFileSync("/etc/resolv.conf");
  rmSync(join(dir, "etc/resolv.conf"), { force: true });
  spawnSync("sh", ["-c", 'cat > "$1"', "sh", join(dir, "etc/resolv.conf")], { input: resolv });
}

/**
 * Run a shell script as root inside the tree: chroot in its own mount and PID namespaces with a fresh /proc,
 * which disappears with the last process (--kill-child: a killed test takes the tree's processes with it).
 * The environment is only what is given here, so nothing of the host's Node.js setup leaks in.
 */
export function runInTree(
  tree: string,
  script: string,
  env: Record<string, string> = {},
): SpawnSyncReturns<string> {
  return spawnSync(
    "unshare",
    [
      "--mount",
      "--pid",
      "--fork",
      "--kill-child",
      `--mount-proc=${join(tree, "proc")}`,
      "chroot",
      tree,
      "/bin/sh",
      "-c",
      script,
    ],
    {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
      timeout: 10 * 60_000,
      env: {
        PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
        LC_ALL: "C.UTF-8",
        HOME: "/root",
        DEBIAN_FRONTEND: "noninteractive",
        ...env,
      },
    },
  );
}

/** Every path below the tree (as absolute in-tree paths), without /proc's mountpoint content. */
export function treeFiles(tree: string): Set<string> {
  const out = new Set<string>();
  const walk = (rel: string): void => {
    for (const e of readdirSync(join(tree, rel), { withFileTypes: true })) {
      const path = `${rel}/${e.name}`;
      out.add(path);
      // Dirents describe the entry itself: a link to a directory is not walked.
      if (e.isDirectory() && path !== "/proc") walk(path);
    }
  };
  walk("");
  return out;
}
