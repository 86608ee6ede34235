// The VM tier: a Debian trixie guest with systemd as PID 1, pure cgroup v2 and podman 5 with quadlet, booted
// with QEMU (KVM when the host really has it, TCG otherwise). This project's built artifact and a partition
// tarball go in through a 9p share; test/vm/guest-test.sh runs at boot, writes one "ok/not ok NAME" line per
// check and powers the guest off. Each guest line becomes a subtest here. See docs/vm-tier.md.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import {
  copyFileSync,
  cpSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type TestContext, test } from "node:test";
import { debianPackages } from "../../src/rootfs/source.js";
import { bluechiUnavailable, cachedBluechi } from "../bluechi.js";
import { distBin, repoRoot, rootSkipReason } from "../helpers.js";

const vmDir = join(repoRoot, "test/vm");
const cacheDir = process.env.QM_VM_CACHE ?? "/var/tmp/qm-vm-cache";
const artifactsDir = process.env.QM_VM_ARTIFACTS ?? join(tmpdir(), "qm-vm-artifacts");
/** Seconds one boot may take before QEMU is killed. */
const bootTimeout = Number(process.env.QM_VM_TIMEOUT ?? 900);
const breakIt = process.env.QM_VM_BREAK === "1";
/** QM_VM_SELINUX_BREAK=1: the guest widens qm's policy module (qm_t may read etc_t); the selinux variant must fail. */
const breakSelinux = process.env.QM_VM_SELINUX_BREAK === "1";
/**
 * QM_VM_SELINUX_PERMISSIVE=1: qm's own domains are permissive in the guest, so one run logs every denial they would
 * meet (for writing policy); the checks that need a refusal fail.
 */
const permissiveSelinux = process.env.QM_VM_SELINUX_PERMISSIVE === "1";
/** plain: no LSM; selinux: SELinux enforcing with qm's policy module. */
const variants = (process.env.QM_VM_VARIANTS ?? "plain,selinux").split(",").filter(Boolean);

const missing = ["mmdebstrap", "unshare", "setpriv", "mkfs.ext4", "flock"].filter(
  (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status !== 0,
);
const skip =
  rootSkipReason() ??
  (missing.length ? `needs ${missing.join(", ")} (scripts/install-host-deps --test)` : undefined);
if (skip) process.stdout.write(`# VM tier skipped: ${skip}\n`);

/** Runs a command to completion; rejects with its output's tail if it fails. */
function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${file} exited ${code}:\n${out.slice(-4000)}`)),
    );
  });
}

interface Built {
  qemu: string;
  guest: string;
  partition: string;
}

/** Boots the guest once; resolves when QEMU is gone. QEMU is our child: on timeout it is killed by PID. */
function boot(
  built: Built,
  runDir: string,
  kernelArgs: string[],
): Promise<{ code: number | null; hung: boolean }> {
  return new Promise((resolve, reject) => {
    // setpriv: QEMU dies with this process too. unshare: the mounts qemu.sh makes vanish with QEMU.
    // Every step execs the next, so child.pid is QEMU's PID.
    const child = spawn(
      "setpriv",
      [
        "--pdeathsig",
        "KILL",
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "bash",
        join(vmDir, "qemu.sh"),
        built.qemu,
        built.guest,
        runDir,
        ...kernelArgs,
      ],
      { stdio: ["ignore", "inherit", "inherit"] },
    );
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      if (child.pid !== undefined) process.kill(child.pid, "SIGKILL");
    }, bootTimeout * 1000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, hung });
    });
  });
}

/** The bundles (QM_DIST_DIR aware) and share/, laid out as `make install` puts them in PREFIX/lib/qm. */
function stageArtifact(dest: string): void {
  const dist = dirname(distBin("qm"));
  mkdirSync(join(dest, "dist"), { recursive: true });
  for (const name of readdirSync(dist).filter((n) => /\.[cm]js$/.test(n))) {
    copyFileSync(join(dist, name), join(dest, "dist", name));
  }
  cpSync(join(repoRoot, "share"), join(dest, "share"), { recursive: true });
  copyFileSync(join(repoRoot, "package.json"), join(dest, "package.json"));
}

interface GuestLine {
  ok: boolean;
  name: string;
  detail: string;
}

function parseResults(text: string): { checks: GuestLine[]; notes: string[] } {
  const checks: GuestLine[] = [];
  const notes: string[] = [];
  for (const line of text.split("\n")) {
    const m = /^(ok|not ok) (.*?)(?: # (.*))?$/.exec(line);
    if (m?.[2]) checks.push({ ok: m[1] === "ok", name: m[2], detail: m[3] ?? "" });
    else if (line.startsWith("# ")) notes.push(line.slice(2));
  }
  return { checks, notes };
}

async function runVariant(t: TestContext, built: Built, variant: string): Promise<void> {
  const runDir = mkdtempSync(join(tmpdir(), `qm-vm-${variant}-`));
  try {
    const shared = join(runDir, "shared");
    mkdirSync(shared);
    copyFileSync(join(vmDir, "guest-test.sh"), join(shared, "guest-test.sh"));
    const size = readFileSync(join(built.partition, "partition.size"), "utf8").trim();
    writeFileSync(
      join(shared, "config"),
      `VARIANT=${variant}\nBREAK=${breakIt ? 1 : 0}\nSELINUX_BREAK=${breakSelinux ? 1 : 0}\nSELINUX_PERMISSIVE=${permissiveSelinux ? 1 : 0}\nPARTITION_SIZE=${size}\nFFI='${process.env.QM_VM_FFI ?? "FFI-OOM-01 FFI-MOD-01 FFI-SCHED-01 FFI-MQ-01"}'\n`,
    );
    stageArtifact(join(shared, "qm"));
    // BlueChi, built here from its release tarball: the controller runs as a host unit, the agent goes into the
    // partition with qm setup --bluechi-from (the guest skips these checks without it).
    if (variant === "plain" && bluechiUnavailable() === null)
      cpSync(cachedBluechi(), join(shared, "bluechi"), { recursive: true, verbatimSymlinks: true });
    // The guest reads the tarball as a disk; a hard link costs nothing and the cached file stays untouched.
    const tarball = join(built.partition, "partition.tar.zst");
    try {
      linkSync(tarball, join(runDir, "partition.tar.zst"));
    } catch {
      copyFileSync(tarball, join(runDir, "partition.tar.zst"));
    }

    // The guest boots permissive and switches to enforcing (setenforce 1) before qm setup: Debian's policy for the
    // rest of this throwaway guest's boot (9p share, test unit) is not under test.
    const kernelArgs = variant === "selinux" ? ["security=selinux", "selinux=1", "enforcing=0"] : [];
    const started = Date.now();
    const { code, hung } = await boot(built, runDir, kernelArgs);
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    const accelFile = join(runDir, "accel");
    const accel = existsSync(accelFile) ? readFileSync(accelFile, "utf8").trim() : "QEMU did not start";
    t.diagnostic(`${variant}: guest ran ${seconds} s (${accel}), QEMU exit ${code}`);

    // Artifacts outlive the run directory: the guest's logs, the generated units, AVC denials.
    const keep = join(artifactsDir, variant);
    rmSync(keep, { recursive: true, force: true });
    mkdirSync(keep, { recursive: true });
    const out = join(shared, "out");
    if (existsSync(out)) cpSync(out, keep, { recursive: true });
    if (existsSync(join(runDir, "serial.log")))
      copyFileSync(join(runDir, "serial.log"), join(keep, "serial.log"));
    t.diagnostic(`${variant}: artifacts in ${keep}`);

    await t.test(`${variant}: guest finished and powered off`, () => {
      const serial = existsSync(join(keep, "serial.log"))
        ? readFileSync(join(keep, "serial.log"), "utf8")
        : "";
      assert.ok(!hung, `guest hung: QEMU killed after ${bootTimeout} s\n${serial.slice(-3000)}`);
      assert.equal(code, 0, `QEMU exited ${code}\n${serial.slice(-3000)}`);
      assert.ok(existsSync(join(keep, "done")), `the guest script did not finish\n${serial.slice(-3000)}`);
    });
    const resultsFile = join(keep, "results.txt");
    const { checks, notes } = parseResults(existsSync(resultsFile) ? readFileSync(resultsFile, "utf8") : "");
    for (const note of notes) t.diagnostic(`${variant}: ${note}`);
    await t.test(`${variant}: guest reported checks`, () => assert.ok(checks.length > 0, "no results"));
    for (const c of checks) {
      // TAP directives: SKIP (not applicable here), TODO (a known product gap: reported, does not fail the tier).
      const skipped = c.detail.startsWith("SKIP") ? c.detail : false;
      const todo = c.detail.startsWith("TODO") ? c.detail : false;
      // A TODO line passes with its gap as the todo message: the runner counts it as skipped, not failed.
      await t.test(`${variant}: ${c.name}`, { skip: skipped, todo }, () => {
        if (!todo) assert.ok(c.ok, c.detail);
      });
    }
    if (variant === "plain")
      await t.test("plain: qm.service, podman's quadlet vs qm-quadlet", (tc) => compareUnits(tc, keep));
    if (variant === "selinux") {
      // The serial console carries every kernel message of the boot, AVCs included, whatever the guest could read.
      const avc = join(keep, "serial.log");
      const lines = existsSync(avc)
        ? readFileSync(avc, "utf8")
            .split("\n")
            .filter((l) => /avc: +denied/.test(l))
        : [];
      const refusals = lines.filter((l) => /permissive=0/.test(l)).length;
      const fromQm = lines.filter((l) => qmSource.test(l)).length;
      t.diagnostic(
        `selinux: ${lines.length} AVC denials (${avc}): ${refusals} refusals (permissive=0), ${fromQm} from qm's types (including the deliberate etc_t probe); by permission and class:`,
      );
      for (const [what, n] of summarizeAvc(lines)) t.diagnostic(`selinux:   ${n} × ${what}`);
    }
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
}

/** An AVC line whose source is one of qm's types: qm_t, qm_container_t, qm_container_init_t, ... */
const qmSource = /scontext=[^:\s]+:[^:\s]+:qm(_[a-z0-9]+)*_t[:\s]/;

/** "{ perm } for comm=... scontext=a tcontext=b tclass=c" -> counts per "perm scontext-type -> tcontext-type:class". */
function summarizeAvc(lines: string[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const line of lines) {
    const perm = /denied +\{ ([^}]+) \}/.exec(line)?.[1]?.trim() ?? "?";
    const type = (key: string) => new RegExp(`${key}=[^:]+:[^:]+:([^:\\s]+)`).exec(line)?.[1] ?? "?";
    const cls = /tclass=(\S+)/.exec(line)?.[1] ?? "?";
    const what = `${perm}: ${type("scontext")} -> ${type("tcontext")}:${cls}`;
    counts.set(what, (counts.get(what) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]);
}

/** Lines of a unit as "[Section] line", comments and blank lines left out. */
function unitLines(text: string): string[] {
  let section = "";
  const out: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    if (line.startsWith("[")) section = line;
    else out.push(`${section} ${line}`);
  }
  return out;
}

/**
 * A podman command line as its options (each "--flag" with the words after it), grouped by flag name; within a
 * flag the original order is kept (it matters for repeats such as -v and --security-opt).
 */
function podmanOptions(line: string): string[] {
  const groups: string[] = [];
  for (const word of line.split(/\s+/)) {
    if (word.startsWith("-") || groups.length === 0) groups.push(word);
    else groups[groups.length - 1] += ` ${word}`;
  }
  const flag = (g: string) => g.split(/[ =]/)[0] ?? g;
  return groups.sort((a, b) => (flag(a) < flag(b) ? -1 : flag(a) > flag(b) ? 1 : 0));
}

/** Why a pair of differing lines is fine, or undefined. */
function explainPair(podman: string, ours: string): string | undefined {
  const execStart = "[Service] ExecStart=";
  if (podman.startsWith(execStart) && ours.startsWith(execStart)) {
    if (JSON.stringify(podmanOptions(podman)) === JSON.stringify(podmanOptions(ours))) {
      return "same podman options in another order (podman 5.4's quadlet emits some options, e.g. --tz and --pids-limit, in Go map order, which changes from run to run); podman does not depend on the order of different options";
    }
  }
  return undefined;
}

function compareUnits(t: TestContext, dir: string): void {
  const podmanFile = join(dir, "qm.service.podman");
  const oursFile = join(dir, "qm.service.qm-quadlet");
  assert.ok(
    existsSync(podmanFile) && existsSync(oursFile),
    "the guest did not copy out both generated units",
  );
  const podman = unitLines(readFileSync(podmanFile, "utf8"));
  const ours = unitLines(readFileSync(oursFile, "utf8"));
  const only = (a: string[], b: string[]) => a.filter((l) => !b.includes(l));
  const gone = only(podman, ours);
  const added = only(ours, podman);
  const unexplained: string[] = [];
  if (gone.length + added.length === 0)
    t.diagnostic("qm.service: podman's quadlet and qm-quadlet generate the same lines");
  // Pair lines of the same key ("[Section] Key") and explain the pair; unpaired lines are never explained.
  const key = (l: string) => l.slice(0, l.indexOf("="));
  for (const p of gone) {
    const o = added.find((l) => key(l) === key(p));
    const why = o ? explainPair(p, o) : undefined;
    t.diagnostic(`qm.service diff - podman: ${p}`);
    if (o) t.diagnostic(`qm.service diff + ours:   ${o}`);
    t.diagnostic(`qm.service diff   => ${why ? `explained: ${why}` : "NOT EXPLAINED"}`);
    if (!why) unexplained.push(`- ${p}`);
    if (o) added.splice(added.indexOf(o), 1);
  }
  for (const o of added) {
    t.diagnostic(`qm.service diff + ours:   ${o}\nqm.service diff   => NOT EXPLAINED`);
    unexplained.push(`+ ${o}`);
  }
  assert.deepEqual(unexplained, [], "differences between the generated units that no one explained");
}

test("VM tier: systemd + cgroup v2 guest with podman's quadlet", { skip: skip ?? false }, async (t) => {
  let built: Built | undefined;
  await t.test("build guest image, QEMU and partition tarball (cached)", async () => {
    const started = Date.now();
    const out = await run("bash", [join(vmDir, "build.sh"), cacheDir, debianPackages.join(",")]);
    const dirs: Record<string, string> = {};
    for (const line of out.trim().split("\n")) {
      const [kind, dir, seconds] = line.split(" ");
      if (kind && dir) dirs[kind] = dir;
      t.diagnostic(`build ${kind}: ${seconds === "0" ? "cached" : `${seconds} s`}`);
    }
    t.diagnostic(`build total ${((Date.now() - started) / 1000).toFixed(0)} s`);
    assert.ok(dirs.qemu && dirs.guest && dirs.partition, out);
    built = { qemu: dirs.qemu, guest: dirs.guest, partition: dirs.partition };
  });
  if (!built) return;
  for (const variant of variants) {
    const b = built;
    await t.test(`guest (${variant})`, (tv) => runVariant(tv, b, variant));
  }
});
