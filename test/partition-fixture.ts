import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { debianPackages, mmdebstrapArgv, sourceFingerprint } from "../src/rootfs/source.js";
import { cachedMmdebstrap } from "./debian-tree.js";
import { distBin } from "./helpers.js";

/**
 * A startable partition under a temporary root, for integration tests: the tree from a cached mmdebstrap tarball
 * (built once per machine, ~1 min), `qm setup --root`, an isolated podman (own storage, runroot, configuration and
 * hooks directory), and a drop-in that points qm.container at the temporary root. Nothing of the host's podman
 * store or configuration is touched.
 */

function os(): Record<string, string> {
  return Object.fromEntries(
    readFileSync("/etc/os-release", "utf8")
      .split("\n")
      .map((l) => /^([A-Z_]+)=("?)(.*)\2$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1] as string, m[3] as string]),
  );
}

/** The partition tree as a tarball, built with the same mmdebstrap command line `qm setup` uses. */
export function cachedTreeTarball(): string {
  const suite = os().VERSION_CODENAME ?? "bookworm";
  const source = {
    kind: "mmdebstrap" as const,
    suite,
    mirror: "http://deb.debian.org/debian",
    packages: [...debianPackages],
  };
  const key = sourceFingerprint(source).slice(0, 12);
  // Trees from earlier recipes are never used again: one per suite.
  const earlier = new RegExp(`^${suite}-[0-9a-f]{12}\\.tar$`);
  return cachedMmdebstrap(
    `${suite}-${key}.tar`,
    (name) => earlier.test(name),
    (out) => mmdebstrapArgv(source, out),
  );
}

export interface TestPartition {
  readonly root: string;
  readonly env: NodeJS.ProcessEnv;
  /** Run the bundled qm with the isolated podman; returns status, stdout, stderr. */
  readonly qm: (...args: string[]) => { status: number | null; stdout: string; stderr: string };
  /** Run the isolated podman. */
  readonly podman: (...args: string[]) => { status: number | null; stdout: string; stderr: string };
  /** Add a drop-in to qm.container (applied by the next start). */
  readonly dropIn: (name: string, text: string) => void;
}

/** What testPartition needs of a test context: somewhere to register clean-up (node:test's TestContext fits). */
export interface Cleanup {
  after(fn: () => void): void;
}

export interface TestPartitionOptions {
  /** `qm setup --var-size`: the partition's /var in a bounded image (default: a plain directory). */
  readonly varSize?: string;
  /** More `qm setup` options (e.g. --bluechi-from DIR). */
  readonly setupArgs?: readonly string[];
}

export function testPartition(t: Cleanup, options: TestPartitionOptions = {}): TestPartition {
  const tarball = cachedTreeTarball();
  const root = mkdtempSync("/var/tmp/qm-partition-test-");
  const p = join(root, "podman");
  mkdirSync(join(p, "hooks"), { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, QM_PODMAN: join(p, "podman") };
  const qm = (...args: string[]) => {
    const r = spawnSync(process.execPath, [distBin("qm"), ...args], {
      encoding: "utf8",
      env,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const podman = (...args: string[]) => {
    const r = spawnSync(join(p, "podman"), args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  t.after(() => {
    qm("stop", "--root", root);
    podman("rm", "--all", "--force");
    // Unmounts the bounded /var and detaches its loop device, if there is one.
    if (options.varSize !== undefined) qm("setup", "--root", root, "--remove-qm-rootfs");
    spawnSync(
      "podman",
      ["--root", join(p, "root"), "--runroot", join(p, "runroot"), "system", "reset", "--force"],
      {
        env: { ...process.env, CONTAINERS_CONF: join(p, "containers.conf") },
      },
    );
    rmSync(root, { recursive: true, force: true });
  });
  const setup = qm(
    "setup",
    "--root",
    root,
    "--from-tar",
    tarball,
    "--hostname",
    "testhost",
    ...(options.varSize === undefined ? [] : ["--var-size", options.varSize]),
    ...(options.setupArgs ?? []),
  );
  if (setup.status !== 0) throw new Error(`qm setup failed: ${setup.stderr}`);
  // The host-level hooks, pointed at their copies under this root.
  for (const name of ["qm-partition-cgroups.json"]) {
    const hook = readFileSync(join(root, "usr/share/containers/oci/hooks.d", name), "utf8");
    writeFileSync(join(p, "hooks", name), hook.replace("/usr/libexec/qm/", `${root}/usr/libexec/qm/`));
  }
  writeFileSync(
    join(p, "containers.conf"),
    `[engine]\nevents_logger = "file"\nhooks_dir = ["${join(p, "hooks")}"]\n`,
  );
  writeFileSync(
    join(p, "podman"),
    [
      "#!/bin/sh",
      `export CONTAINERS_CONF=${join(p, "containers.conf")}`,
      `exec podman --root ${join(p, "root")} --runroot ${join(p, "runroot")} --tmpdir ${join(p, "tmp")} "$@"`,
      "",
    ].join("\n"),
  );
  chmodSync(join(p, "podman"), 0o755);
  const dropIn = (name: string, text: string): void => {
    const dir = join(root, "etc/containers/systemd/qm.container.d");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, name), text);
  };
  // qm.container names host paths; here they live below the temporary root. Network=none keeps the host's
  // firewall and bridges untouched: the partition still gets a private network namespace.
  dropIn(
    "00-test-root.conf",
    [
      "[Container]",
      `SeccompProfile=${root}/usr/share/qm/seccomp-no-rt.json`,
      "Network=",
      "Network=none",
      "[Service]",
      `Environment=ROOTFS=${root}/usr/lib/qm/rootfs`,
      `Environment=RWETCFS=${root}/etc/qm`,
      `Environment=RWVARFS=${root}/var/qm`,
      "",
    ].join("\n"),
  );
  // A tiny rootfs for nested containers (no image registry): busybox, inside the partition's /var/tmp.
  const nested = join(root, "var/qm/tmp/nested/bin");
  mkdirSync(nested, { recursive: true });
  mkdirSync(join(root, "var/qm/tmp/nested/tmp"), { mode: 0o1777 });
  spawnSync("cp", ["/bin/busybox", join(nested, "busybox")]);
  for (const applet of ["sh", "cat", "dd", "sleep", "seq"])
    spawnSync("ln", ["-s", "busybox", join(nested, applet)]);
  return { root, env, qm, podman, dropIn };
}
