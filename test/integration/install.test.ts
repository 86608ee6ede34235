import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot, rootSkipReason, tempDir } from "../helpers.js";

const make = (...args: string[]) =>
  spawnSync("make", ["--no-print-directory", "-C", repoRoot, ...args], { encoding: "utf8" });

test("make install gives self-contained executables; make uninstall removes them", (t) => {
  const dest = tempDir(t, "qm-install-");
  const r = make("install", `DESTDIR=${dest}`, "PREFIX=/usr");
  assert.equal(r.status, 0, r.stderr);
  const bin = join(dest, "usr/bin");
  const names = readdirSync(bin).sort();
  for (const required of ["qm", "qm-quadlet", "qmctl"])
    assert.ok(names.includes(required), `${required} installed`);
  assert.equal(readlinkSync(join(bin, "qm")), "../lib/qm/dist/qm.mjs");
  // Run from / with an empty environment: no node_modules, no source tree, no dev toolchain.
  for (const name of names) {
    const v = spawnSync(
      process.execPath,
      [join(bin, name), name === "qm-quadlet" ? "-version" : "--version"],
      {
        cwd: "/",
        env: {},
        encoding: "utf8",
      },
    );
    assert.equal(v.status, 0, `${name}: ${v.stderr}`);
    assert.match(v.stdout, /\d+\.\d+/, name);
  }
  // Man pages, completions and the systemd generator (a link into share/ that resolves).
  for (const p of [
    "usr/share/man/man8/qm.8",
    "usr/share/bash-completion/completions/qmctl",
    "usr/share/zsh/site-functions/_qmctl",
    "usr/share/fish/vendor_completions.d/qmctl.fish",
    "usr/lib/systemd/system-generators/qm-quadlet-generator",
  ])
    assert.ok(existsSync(join(dest, p)), p);
  assert.ok(!names.includes("oci-qm-partition-cgroups"), "only qm setup uses the cgroup hook");
  const u = make("uninstall", `DESTDIR=${dest}`, "PREFIX=/usr");
  assert.equal(u.status, 0, u.stderr);
  assert.deepEqual(readdirSync(bin), []);
  assert.equal(existsSync(join(dest, "usr/lib/qm")), false);
  const left = spawnSync("find", [dest, "!", "-type", "d"], { encoding: "utf8" });
  assert.equal(left.stdout, "", "make uninstall removes every file and link");
});

test("scripts/install-host-deps is idempotent: a second run installs nothing", {
  skip: rootSkipReason(),
}, () => {
  const first = spawnSync(join(repoRoot, "scripts/install-host-deps"), ["--test"], { encoding: "utf8" });
  assert.equal(first.status, 0, first.stderr);
  const second = spawnSync(join(repoRoot, "scripts/install-host-deps"), ["--test"], { encoding: "utf8" });
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stderr, /all \d+ test packages present; nothing to do/);
  const bad = spawnSync(join(repoRoot, "scripts/install-host-deps"), ["--bogus"], { encoding: "utf8" });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown option --bogus/);
});
