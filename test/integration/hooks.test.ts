// The hooks under real podman: a container started with --hooks-dir pointing at our hook
// configurations gets the devices its annotations ask for, and only then. Podman is isolated
// per run (own root, runroot, tmpdir, containers.conf, storage.conf; runc; cgroupfs; no network).

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { removeCgroupTree, unitCgroupDirs } from "../../src/engine/cgroupfs.js";
import { distBin, repoRoot, rootSkipReason } from "../helpers.js";

const onPath = (name: string): boolean =>
  (process.env.PATH ?? "").split(delimiter).some((d) => d !== "" && existsSync(join(d, name)));

function skipReason(): string | undefined {
  return (
    rootSkipReason() ??
    (onPath("podman") ? undefined : "podman is not installed") ??
    (onPath("runc") ? undefined : "runc is not installed") ??
    (existsSync("/bin/busybox") ? undefined : "/bin/busybox is missing (Debian package busybox-static)")
  );
}

/** A small limit within the caller's hard limit: podman's defaults exceed what this kind of host allows. */
function hardLimit(name: string): number {
  const line = readFileSync("/proc/self/limits", "utf8")
    .split("\n")
    .find((l) => l.startsWith(name));
  const value = line?.slice(26).trim().split(/\s+/)[1];
  return value === undefined || value === "unlimited" ? 1024 : Math.min(Number(value), 1024);
}

const isCharDevice = (path: string): boolean => {
  try {
    return statSync(path).isCharacterDevice();
  } catch {
    return false;
  }
};

const reason = skipReason();

describe("OCI hooks under podman", { skip: reason ?? false }, () => {
  let dir = "";
  let rootfs = "";

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "qm-hooks-podman-"));
    rootfs = join(dir, "rootfs");
    for (const d of ["bin", "dev", "proc", "sys", "etc", "tmp"])
      mkdirSync(join(rootfs, d), { recursive: true });
    copyFileSync("/bin/busybox", join(rootfs, "bin/busybox"));
    chmodSync(join(rootfs, "bin/busybox"), 0o755);
    for (const applet of ["sh", "ls", "cat", "echo"]) symlinkSync("busybox", join(rootfs, "bin", applet));
    writeFileSync(join(dir, "containers.conf"), "[containers]\n[engine]\n");
    writeFileSync(
      join(dir, "storage.conf"),
      `[storage]\ndriver = "vfs"\ngraphroot = "${dir}/root"\nrunroot = "${dir}/runroot"\n`,
    );
    mkdirSync(join(dir, "tmp"));
  });

  after(() => {
    if (!dir) return;
    // --rm removes each container; this catches one left by a failed run.
    podman(["rm", "--all", "--force", "--time", "0"], join(dir, "no-hooks"));
    const mounts = readFileSync("/proc/self/mounts", "utf8")
      .split("\n")
      .map((l) => l.split(" ")[1] ?? "")
      .filter((m) => m.startsWith(dir))
      .sort()
      .reverse();
    for (const m of mounts) spawnSync("umount", ["-l", m]);
    rmSync(dir, { recursive: true, force: true });
    // podman's default parent for cgroupfs-managed containers outlives them; only empty cgroups go.
    for (const d of unitCgroupDirs("libpod_parent")) removeCgroupTree(d);
  });

  function podman(args: string[], hooksDir: string) {
    return spawnSync(
      "podman",
      [
        ...["--root", join(dir, "root"), "--runroot", join(dir, "runroot"), "--tmpdir", join(dir, "tmp")],
        ...["--storage-driver", "vfs", "--runtime", "runc", "--cgroup-manager", "cgroupfs"],
        ...["--events-backend", "file", "--hooks-dir", hooksDir],
        ...args,
      ],
      {
        encoding: "utf8",
        timeout: 120_000,
        env: {
          ...process.env,
          CONTAINERS_CONF: join(dir, "containers.conf"),
          CONTAINERS_STORAGE_CONF: join(dir, "storage.conf"),
        },
      },
    );
  }

  /**
   * A hooks directory holding our three configurations, each hook.path pointing at a wrapper that
   * runs the bundled executable. Podman gives hooks an empty environment; the wrapper sets the log
   * file (and any mock list) the test asks for.
   */
  function hooksDir(name: string, extraEnv: Record<string, string> = {}): { hooks: string; log: string } {
    const hooks = join(dir, name);
    mkdirSync(hooks);
    const log = join(hooks, "hook.log");
    const exports = Object.entries({ TEST_LOGFILE: log, ...extraEnv })
      .map(([k, v]) => `export ${k}='${v}'\n`)
      .join("");
    for (const exe of ["oci-qm-device-manager", "oci-qm-wayland-client-devices"]) {
      const wrapper = join(hooks, `${exe}.sh`);
      writeFileSync(wrapper, `#!/bin/sh\n${exports}exec '${process.execPath}' '${distBin(exe)}' "$@"\n`);
      chmodSync(wrapper, 0o755);
    }
    const configs = join(repoRoot, "share/oci/hooks.d");
    for (const file of [
      "oci-qm-device-manager.json",
      "oci-qm-seat-manager.json",
      "oci-qm-wayland-client-devices.json",
    ]) {
      const config = JSON.parse(readFileSync(join(configs, file), "utf8")) as { hook: { path: string } };
      config.hook.path = join(hooks, `${config.hook.path.split("/").at(-1)}.sh`);
      writeFileSync(join(hooks, file), JSON.stringify(config));
    }
    return { hooks, log };
  }

  function run(hooks: string, annotations: string[], command: string[]) {
    const nofile = hardLimit("Max open files");
    const nproc = hardLimit("Max processes");
    const result = podman(
      [
        "run",
        "--rm",
        "--network",
        "none",
        ...["--ulimit", `nofile=${nofile}:${nofile}`, "--ulimit", `nproc=${nproc}:${nproc}`],
        ...annotations.flatMap((a) => ["--annotation", a]),
        // --rootfs is a switch: the directory takes the image's place, then the command.
        "--rootfs",
        rootfs,
        ...command,
      ],
      hooks,
    );
    assert.equal(result.status, 0, `podman failed: ${result.stderr}`);
    return result.stdout.split("\n").filter((l) => l !== "");
  }

  const hostTtys = [0, 1, 2, 3, 4, 5, 6, 7].map((n) => `tty${n}`).filter((t) => isCharDevice(`/dev/${t}`));

  test("org.containers.qm.device.ttys=true: the host's /dev/tty0-7 appear in the container", (t) => {
    if (hostTtys.length === 0) {
      t.skip("this host has no /dev/tty0-7");
      return;
    }
    const { hooks, log } = hooksDir("ttys");
    const listing = run(hooks, ["org.containers.qm.device.ttys=true"], ["/bin/ls", "/dev"]);
    assert.deepEqual(
      listing.filter((n) => /^tty[0-9]$/.test(n)),
      hostTtys,
    );
    assert.match(
      readFileSync(log, "utf8"),
      /Total devices in spec: \d+\n.*QM Device Manager hook completed successfully/,
    );
  });

  test("without the annotation the hook does not run and no tty0-7 appear", () => {
    const { hooks, log } = hooksDir("none");
    const listing = run(hooks, ["com.example.other=true"], ["/bin/ls", "/dev"]);
    assert.deepEqual(
      listing.filter((n) => /^tty[0-9]$/.test(n)),
      [],
    );
    assert.ok(listing.includes("null"), listing.join(" "));
    assert.equal(existsSync(log), false);
  });

  test("org.containers.qm.device.ttys=false: the hook runs, adds nothing, the container starts", () => {
    const { hooks, log } = hooksDir("false");
    const listing = run(hooks, ["org.containers.qm.device.ttys=false"], ["/bin/ls", "/dev"]);
    assert.deepEqual(
      listing.filter((n) => /^tty[0-9]$/.test(n)),
      [],
    );
    assert.match(readFileSync(log, "utf8"), /Skipping device annotation with invalid value/);
  });

  test("the seat hook adds a device node and the cgroup rule to open it", (t) => {
    if (!isCharDevice("/dev/kvm")) {
      t.skip("this host has no /dev/kvm to hand out");
      return;
    }
    // /dev/kvm is harmless to open and absent from podman's default /dev: a clear witness.
    const { hooks } = hooksDir("seat", { TEST_MOCK_SEAT_DEVICES: "/dev/kvm" });
    const out = run(
      hooks,
      ["org.containers.qm.wayland.seat=seat0"],
      ["/bin/sh", "-c", "ls /dev; exec 3</dev/kvm && echo opened-kvm"],
    );
    assert.ok(out.includes("kvm"), out.join(" "));
    assert.ok(out.includes("opened-kvm"), out.join(" "));
  });

  test("the wayland-client hook runs on its annotation and never blocks the start", () => {
    const { hooks, log } = hooksDir("gpu");
    const out = run(hooks, ["org.containers.qm.wayland-client.gpu=true"], ["/bin/echo", "started"]);
    assert.deepEqual(out, ["started"]);
    assert.match(readFileSync(log, "utf8"), /QM Wayland Client Devices hook completed successfully/);
  });
});

if (reason) test(`OCI hooks under podman: skipped (${reason})`, { skip: reason }, () => {});
