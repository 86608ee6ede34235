import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { Report } from "../../src/ffi/model.js";
import { rootSkipReason } from "../helpers.js";
import { cachedTreeTarball, testPartition } from "../partition-fixture.js";

const has = (cmd: string, ...args: string[]) => spawnSync(cmd, args).status === 0;
const skip =
  rootSkipReason() ??
  (has("podman", "--version") ? undefined : "podman is not installed") ??
  (has("mmdebstrap", "--version") ? undefined : "mmdebstrap is not installed") ??
  (has("mkfs.ext4", "-V") ? undefined : "mkfs.ext4 is not installed (e2fsprogs)") ??
  (has("losetup", "--version") ? undefined : "losetup is not installed (util-linux)");

const loopsOf = (image: string): string =>
  spawnSync("losetup", ["-j", image], { encoding: "utf8" }).stdout.trim();
const mountedAt = (dir: string): boolean => spawnSync("mountpoint", ["-q", dir]).status === 0;

describe("bounded /var (qm setup --var-size)", { skip }, () => {
  test("setup, start, FFI-DISK-01 passes, refuse shrink, stop, grow, remove: no mount or loop device left", (t) => {
    const image = { path: "" };
    // Whatever happens, no mount or loop device of this test survives it (registered before the partition's own
    // clean-up, so it runs after it).
    t.after(() => {
      if (!image.path) return;
      spawnSync("umount", [join(image.path, "../../../qm")]);
      for (const line of loopsOf(image.path).split("\n"))
        if (line) spawnSync("losetup", ["-d", line.split(":")[0] as string]);
    });
    const p = testPartition(t, { varSize: "256M" });
    image.path = join(p.root, "var/lib/qm/var.img");
    const rwVar = join(p.root, "var/qm");
    // The blocks are reserved: the image is no sparse file the host could over-commit.
    assert.equal(statSync(image.path).size, 256 * 1024 * 1024);
    assert.ok(statSync(image.path).blocks * 512 >= 256 * 1024 * 1024, "image blocks reserved");
    assert.ok(mountedAt(rwVar), "setup leaves the image mounted");
    assert.ok(existsSync(join(rwVar, "lib/dpkg/status")), "the tree's /var was moved into the image");
    assert.ok(!existsSync(`${rwVar}.qm-copied`));

    // Same size again: nothing changes. Smaller: refused.
    const again = p.qm(
      "setup",
      "--root",
      p.root,
      "--from-tar",
      cachedTreeTarball(),
      "--hostname",
      "testhost",
      "--var-size",
      "256M",
      "--json",
    );
    assert.equal(again.status, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).changed, 0);
    const shrink = p.qm(
      "setup",
      "--root",
      p.root,
      "--from-tar",
      cachedTreeTarball(),
      "--hostname",
      "testhost",
      "--var-size",
      "128M",
    );
    assert.notEqual(shrink.status, 0);
    assert.match(shrink.stderr, /at least 256M/);

    // As after a reboot: not mounted; qm start mounts it before the partition starts.
    assert.equal(spawnSync("umount", [rwVar]).status, 0);
    const start = p.qm("start", "--root", p.root, "--json");
    assert.equal(start.status, 0, start.stderr);
    assert.equal(JSON.parse(start.stdout).mounted.length, 1);
    assert.ok(mountedAt(rwVar));

    const status = JSON.parse(p.qm("status", "--root", p.root, "--json").stdout);
    assert.equal(status.var.bounded, true);
    assert.equal(status.var.mounted, true);
    assert.ok(status.var.sizeBytes > 200 * 1024 * 1024 && status.var.sizeBytes <= 256 * 1024 * 1024);

    const ffi = p.qm("ffi", "run", "--format", "json", "--root", p.root, "--only", "FFI-DISK-01");
    const report = JSON.parse(ffi.stdout) as Report;
    const disk = report.checks.find((c) => c.id === "FFI-DISK-01");
    assert.equal(disk?.status, "PASS", `${disk?.reason} ${JSON.stringify(disk?.observed)}`);

    // Removal and growing refuse a running partition.
    const busy = p.qm("setup", "--root", p.root, "--remove-qm-rootfs");
    assert.notEqual(busy.status, 0);
    assert.match(busy.stderr, /running/);
    const busyGrow = p.qm(
      "setup",
      "--root",
      p.root,
      "--from-tar",
      cachedTreeTarball(),
      "--hostname",
      "testhost",
      "--var-size",
      "512M",
    );
    assert.notEqual(busyGrow.status, 0);
    assert.match(busyGrow.stderr, /running/);
    assert.equal(p.qm("stop", "--root", p.root).status, 0);

    // Grown while stopped; mounted again, content kept.
    const grow = p.qm(
      "setup",
      "--root",
      p.root,
      "--from-tar",
      cachedTreeTarball(),
      "--hostname",
      "testhost",
      "--var-size",
      "512M",
    );
    assert.equal(grow.status, 0, grow.stderr);
    const grown = JSON.parse(p.qm("status", "--root", p.root, "--json").stdout);
    assert.ok(grown.var.sizeBytes > 400 * 1024 * 1024, String(grown.var.sizeBytes));
    assert.ok(existsSync(join(rwVar, "lib/dpkg/status")));

    // After qm stop, removal unmounts, detaches and removes everything.
    // Removal unmounts, detaches and removes everything.
    const removed = p.qm("setup", "--root", p.root, "--remove-qm-rootfs");
    assert.equal(removed.status, 0, removed.stderr);
    assert.ok(!mountedAt(rwVar));
    assert.equal(loopsOf(image.path), "");
    assert.ok(!existsSync(image.path));
    assert.ok(!existsSync(join(p.root, "etc/systemd/system/var-qm.mount")));
  });
});
