import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, describe, test } from "node:test";
import { distBin, repoRoot, rootSkipReason, tempDir } from "../helpers.js";

interface Report {
  changed: number;
  rootfs?: { action: string };
  changes: { path: string; action: string }[];
  removed?: string[];
  notes: string[];
}

const skip =
  rootSkipReason() ??
  (spawnSync("mmdebstrap", ["--version"]).status === 0 ? undefined : "mmdebstrap is not installed");

function qmSetup(root: string, extra: string[] = [], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(
    process.execPath,
    [distBin("qm"), "--json", "setup", "--root", root, "--hostname", "car1", ...extra],
    {
      encoding: "utf8",
      env,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  let report: Report | undefined;
  try {
    report = JSON.parse(r.stdout) as Report;
  } catch {
    // no document: the process died
  }
  return { ...r, report };
}

/** Every path below dir with its type, mode and, for files, size: two trees compare equal by value. */
function listing(dir: string, skipPrefixes: string[] = []): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const rel = relative(dir, p);
      if (skipPrefixes.some((s) => rel.startsWith(s))) continue;
      const st = lstatSync(p);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out.set(rel, `link ${readlinkSync(p)}`);
      else if (st.isDirectory()) {
        out.set(rel, `dir ${mode}`);
        walk(p);
      } else out.set(rel, `${st.isFile() ? "file" : "other"} ${mode} ${st.size}`);
    }
  };
  walk(dir);
  return out;
}

/** The files setup itself writes, by content. */
function configFiles(root: string, except: string[] = []): Record<string, string> {
  const files = [
    "usr/share/qm/containers.conf",
    "usr/share/qm/seccomp-no-rt.json",
    "usr/share/containers/systemd/qm.container",
    "etc/qm/containers/containers.conf",
    "etc/qm/containers/storage.conf",
    "etc/qm/bluechi/agent.conf.d/agent.conf",
    "etc/qm/subuid",
    "etc/subuid",
    "etc/subgid",
  ];
  return Object.fromEntries(
    files
      .filter((f) => !except.includes(f))
      .map((f) => [f, existsSync(join(root, f)) ? readFileSync(join(root, f), "utf8") : "<missing>"]),
  );
}

describe("qm setup with real mmdebstrap", { skip }, () => {
  const roots: string[] = [];
  const newRoot = (name: string): string => {
    const dir = join(base, name);
    mkdirSync(dir);
    roots.push(dir);
    return dir;
  };
  const base = skip ? "" : tempDirOutside();
  after(() => {
    if (base) rmSync(base, { recursive: true, force: true });
  });
  let first = "";
  let source = "";

  test("builds a bootable tree into a temporary root", (t) => {
    first = newRoot("first");
    mkdirSync(join(first, "etc"));
    writeFileSync(join(first, "etc/subuid"), "alice:100000:65536\n");
    const started = Date.now();
    const r = qmSetup(first);
    t.diagnostic(`qm setup with mmdebstrap took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.equal(r.status, 0, r.stderr.slice(-3000));
    assert.equal(r.report?.rootfs?.action, "built");
    const rootfs = join(first, "usr/lib/qm/rootfs");
    assert.match(readlinkSync(join(rootfs, "sbin/init")), /systemd$/);
    assert.deepEqual(readdirSync(join(rootfs, "etc")), [], "the tree's /etc is a mountpoint for /etc/qm");
    assert.deepEqual(readdirSync(join(rootfs, "var")), [], "the tree's /var is a mountpoint for /var/qm");
    assert.ok(
      existsSync(join(first, "etc/qm/os-release")) || existsSync(join(first, "etc/qm/debian_version")),
    );
    assert.match(readFileSync(join(first, "var/qm/lib/dpkg/status"), "utf8"), /^Package: podman$/m);
    // The tree's own programs run: podman and systemd with their libraries.
    const podman = spawnSync("chroot", [rootfs, "/usr/bin/podman", "--version"], { encoding: "utf8" });
    assert.match(podman.stdout, /^podman version \d+\.\d+/);
    // Invoked as "init" outside PID 1, systemd would hand over to telinit: call it by its own name.
    const systemd = spawnSync("chroot", [rootfs, readlinkSync(join(rootfs, "sbin/init")), "--version"], {
      encoding: "utf8",
    });
    assert.match(systemd.stdout, /^systemd \d+/);
    // Upstream's configuration.
    const profile = JSON.parse(readFileSync(join(first, "usr/share/qm/seccomp-no-rt.json"), "utf8")) as {
      syscalls: { names: string[]; action: string; errnoRet?: number }[];
    };
    assert.ok(
      profile.syscalls.some(
        (s) => s.names.includes("sched_setattr") && s.action === "SCMP_ACT_ERRNO" && s.errnoRet === 1,
      ),
    );
    assert.equal(
      readFileSync(join(first, "etc/qm/bluechi/agent.conf.d/agent.conf"), "utf8"),
      "[bluechi-agent]\nNodeName=qm.car1\n",
    );
    assert.match(
      readFileSync(join(first, "etc/qm/containers/containers.conf"), "utf8"),
      /^oom_score_adj = 750$/m,
    );
    assert.equal(
      readFileSync(join(first, "etc/subuid"), "utf8"),
      "alice:100000:65536\nqmcontainers:1000000000:1500000000\ncontainers:2500000000:1500000000\n",
    );
    assert.ok(existsSync(join(first, "usr/share/containers/systemd/qm.container")));
  });

  test("a second run changes nothing and says so", () => {
    const r = qmSetup(first);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.report?.rootfs?.action, "unchanged");
    assert.equal(r.report?.changed, 0);
    assert.deepEqual(
      r.report?.changes.filter((c) => c.action !== "unchanged"),
      [],
    );
  });

  /** The start-limit hook and its configuration as an earlier qm setup wrote them (docs/decisions.md). */
  const retired = [
    "usr/libexec/qm/oci-qm-start-limit",
    "usr/share/containers/oci/hooks.d/qm-start-limit.json",
  ];
  const plantRetired = (root: string): void => {
    for (const p of retired) cpSync(join(repoRoot, "test/fixtures/setup-retired", p), join(root, p));
  };

  test("a rerun removes the files an earlier version wrote, and keeps one of the same name it did not write", () => {
    plantRetired(first);
    const r = qmSetup(first);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(
      r.report?.removed,
      retired.map((p) => join(first, p)),
    );
    assert.equal(r.report?.changed, 2);
    for (const p of retired) assert.equal(existsSync(join(first, p)), false, p);
    const foreign = join(first, retired[1] as string);
    writeFileSync(foreign, '{"version": "1.0.0", "hook": {"path": "/usr/local/bin/mine"}}\n');
    const again = qmSetup(first);
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(again.report?.removed, []);
    assert.equal(again.report?.changed, 0);
    assert.match(readFileSync(foreign, "utf8"), /mine/);
    rmSync(foreign);
  });

  test("kill -9 during package installation, then rerun: success and the same tree", async (t) => {
    const root = newRoot("killed-build");
    const child = spawn(process.execPath, [distBin("qm"), "setup", "--root", root, "--hostname", "car1"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    await waitForOutput(child, /I: (extracting|installing|unpacking)/, 300_000);
    child.kill("SIGKILL");
    await new Promise((r) => child.on("close", r));
    assert.ok(
      existsSync(join(root, "usr/lib/qm/rootfs.qm-staging")),
      "an interrupted build leaves only its staging directory",
    );
    assert.equal(existsSync(join(root, "usr/lib/qm/rootfs")), false);
    const started = Date.now();
    const r = qmSetup(root);
    t.diagnostic(`rerun after the kill took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.equal(r.status, 0, r.stderr.slice(-3000));
    assert.equal(existsSync(join(root, "usr/lib/qm/rootfs.qm-staging")), false);
    assert.deepEqual(configFiles(root, ["etc/subuid"]), configFiles(first, ["etc/subuid"]));
    const a = listing(join(first, "usr/lib/qm/rootfs/usr/bin"));
    const b = listing(join(root, "usr/lib/qm/rootfs/usr/bin"));
    assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
  });

  test("kill -9 during config writing, then rerun: success and the same files", () => {
    // An offline source built from the first tree, so the runs compare like with like.
    source = join(base, "source");
    spawnSync("cp", ["-a", join(first, "usr/lib/qm/rootfs"), source]);
    rmSync(join(source, ".qm-rootfs.json"));
    rmSync(join(source, "etc"), { recursive: true });
    rmSync(join(source, "var"), { recursive: true });
    spawnSync("cp", ["-a", join(first, "etc/qm"), join(source, "etc")]);
    spawnSync("cp", ["-a", join(first, "var/qm"), join(source, "var")]);
    const clean = newRoot("clean");
    const full = qmSetup(clean, ["--from-dir", source]);
    assert.equal(full.status, 0, full.stderr);
    const writes = full.report?.changes.filter((c) => c.action !== "unchanged").length ?? 0;
    assert.ok(writes >= 3, `a fresh root needs several writes (${writes})`);
    for (const killAfter of [1, Math.floor(writes / 2), writes - 1]) {
      const root = newRoot(`killed-config-${killAfter}`);
      const killed = qmSetup(root, ["--from-dir", source], {
        ...process.env,
        QM_FAULT_KILL_AFTER_WRITES: String(killAfter),
      });
      assert.equal(killed.signal, "SIGKILL", `killed after ${killAfter} writes`);
      assert.notDeepEqual(configFiles(root), configFiles(clean), "the killed run left work undone");
      const r = qmSetup(root, ["--from-dir", source]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.report?.changes.filter((c) => c.action !== "unchanged").length, writes - killAfter);
      assert.deepEqual(configFiles(root), configFiles(clean));
      assert.deepEqual(
        listing(root, ["usr/lib/qm/setup-state.json"]),
        listing(clean, ["usr/lib/qm/setup-state.json"]),
      );
      assert.equal(qmSetup(root, ["--from-dir", source]).report?.changed, 0);
    }
  });

  test("--remove-qm-rootfs removes what setup created and nothing else", () => {
    // Files an earlier version wrote go too, though this version's state file does not name them.
    plantRetired(first);
    for (const root of roots) {
      const r = qmSetup(root, ["--remove-qm-rootfs"]);
      assert.equal(r.status, 0, r.stderr);
    }
    assert.deepEqual(readdirSync(first).sort(), ["etc"]);
    assert.deepEqual(readdirSync(join(first, "etc")), ["subuid"]);
    assert.equal(readFileSync(join(first, "etc/subuid"), "utf8"), "alice:100000:65536\n");
    for (const root of roots.filter((r) => r !== first))
      assert.deepEqual(readdirSync(root), [], `${root} is empty`);
    const again = qmSetup(first, ["--remove-qm-rootfs"]);
    assert.equal(again.status, 0);
    assert.match(again.report?.notes.join("\n") ?? "", /nothing to remove/);
  });
});

describe("qm setup refuses bad input and changes nothing", { skip: rootSkipReason() }, () => {
  const untouched = (root: string, run: () => void): void => {
    const before = listing(root);
    run();
    assert.deepEqual(listing(root), before);
  };

  test("unknown option", (t) => {
    const root = tempDir(t);
    untouched(root, () => {
      const r = qmSetup(root, ["--frobnicate"]);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /unknown option --frobnicate/);
    });
  });

  test("a root that does not exist: status 1, as for one that cannot be written", (t) => {
    const root = join(tempDir(t), "missing");
    const r = qmSetup(root, ["--from-dir", "/usr/share/doc"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /QM_SETUP_ROOT.*no such directory/);
    assert.equal(existsSync(root), false);
  });

  test("unwritable root", (t) => {
    const root = mkdtempSync(join(tmpdir(), "qm-test-ro-"));
    t.after(() => {
      spawnSync("umount", [root]);
      rmSync(root, { recursive: true, force: true });
    });
    assert.equal(spawnSync("mount", ["-t", "tmpfs", "-o", "ro,size=1m", "qm-test", root]).status, 0);
    untouched(root, () => {
      const r = qmSetup(root, ["--from-dir", "/usr/share/doc"]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /QM_SETUP_ROOT.*cannot write below/);
    });
  });

  test("missing mmdebstrap, with the install hint", (t) => {
    const root = tempDir(t);
    untouched(root, () => {
      const r = qmSetup(root, [], { ...process.env, PATH: "/nonexistent" });
      assert.equal(r.status, 4);
      assert.match(r.stderr, /mmdebstrap is not installed/);
      assert.match(r.stderr, /hint: install it/);
    });
  });

  test("a host agent.conf that does not parse: file, line and column", (t) => {
    const root = tempDir(t);
    const conf = join(root, "etc/bluechi/agent.conf.d/agent.conf");
    mkdirSync(join(root, "etc/bluechi/agent.conf.d"), { recursive: true });
    writeFileSync(conf, "[bluechi-agent]\nNodeName=car1\nthis is not a key\n");
    untouched(root, () => {
      const r = qmSetup(root, ["--from-dir", "/usr/share/doc"]);
      assert.equal(r.status, 3);
      assert.match(r.stderr, new RegExp(`${conf}:3:1: expected Key=Value`));
    });
  });

  test("a tree qm did not build is never replaced", (t) => {
    const root = tempDir(t);
    mkdirSync(join(root, "usr/lib/qm/rootfs/usr"), { recursive: true });
    writeFileSync(join(root, "usr/lib/qm/rootfs/usr/precious"), "x");
    const r = qmSetup(root, ["--from-dir", "/usr/share/doc"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /QM_SETUP_ROOTFS_FOREIGN/);
    assert.equal(readFileSync(join(root, "usr/lib/qm/rootfs/usr/precious"), "utf8"), "x");
    qmSetup(root, ["--remove-qm-rootfs"]);
    assert.equal(readFileSync(join(root, "usr/lib/qm/rootfs/usr/precious"), "utf8"), "x");
  });
});

/** Builds go to /var/tmp: /tmp may be a small tmpfs. */
function tempDirOutside(): string {
  const dir = join("/var/tmp", `qm-setup-test-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(
      () => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${seen.slice(-2000)}`)),
      timeoutMs,
    );
    child.stderr?.on("data", (d: Buffer) => {
      seen += d.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("close", () => {
      clearTimeout(timer);
      reject(new Error(`qm setup ended before ${pattern}:\n${seen.slice(-2000)}`));
    });
  });
}
