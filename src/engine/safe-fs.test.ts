import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { SafeDir, SafeRoot } from "./safe-fs.js";

/** base/ inside a scratch directory, with a secret beside it that no walk below base may reach. */
function scratch(t: TestContext): { top: string; base: string; secret: string } {
  const top = mkdtempSync(join(tmpdir(), "qm-safe-fs-"));
  t.after(() => rmSync(top, { recursive: true, force: true }));
  const base = join(top, "base");
  mkdirSync(join(base, "etc/qm/containers"), { recursive: true });
  const secret = join(top, "secret");
  writeFileSync(secret, "host secret\n");
  return { top, base, secret };
}

const unsafe = { code: "QM_UNSAFE_PATH" };

describe("SafeDir, links refused", () => {
  it("reads regular files and reports absent ones as null", (t) => {
    const { base } = scratch(t);
    writeFileSync(join(base, "etc/qm/a.conf"), "x=1\n");
    const dir = new SafeDir(base);
    assert.equal(dir.readText("/etc/qm/a.conf"), "x=1\n");
    assert.equal(dir.readText("etc/qm/none.conf"), null);
    assert.equal(dir.readText("/no/such/dir/file"), null);
    assert.deepEqual(dir.list("/etc/qm"), ["a.conf", "containers"]);
    assert.equal(dir.list("/etc/none"), null);
  });

  it("refuses a link in any component, the last one included, naming it", (t) => {
    const { base, secret, top } = scratch(t);
    symlinkSync(secret, join(base, "etc/qm/leak.conf"));
    symlinkSync(top, join(base, "etc/qm/up"));
    const dir = new SafeDir(base);
    assert.throws(() => dir.read("/etc/qm/leak.conf"), {
      ...unsafe,
      message: new RegExp(`${base}/etc/qm/leak.conf: is a symbolic link`),
    });
    assert.throws(() => dir.read("/etc/qm/up/secret"), {
      ...unsafe,
      message: /etc\/qm\/up: is a symbolic link/,
    });
    assert.throws(() => dir.list("/etc/qm/up"), unsafe);
    assert.throws(() => dir.read("/etc/qm/../../secret"), { ...unsafe, message: /'\.\.'/ });
    // lstat reports a link as a link without following it.
    assert.equal(dir.lstat("/etc/qm/leak.conf")?.kind, "symlink");
  });

  it("writes never go through a link: not in a parent, and a link at the name is replaced, not followed", (t) => {
    const { base, secret, top } = scratch(t);
    // The partition made its containers directory a link to a host directory.
    rmSync(join(base, "etc/qm/containers"), { recursive: true });
    mkdirSync(join(top, "hostdir"));
    symlinkSync(join(top, "hostdir"), join(base, "etc/qm/containers"));
    const dir = new SafeDir(base);
    assert.throws(() => dir.write("/etc/qm/containers/containers.conf", "evil"), unsafe);
    assert.equal(existsSync(join(top, "hostdir/containers.conf")), false);
    assert.throws(() => dir.mkdir("/etc/qm/containers/systemd"), unsafe);
    assert.equal(existsSync(join(top, "hostdir/systemd")), false);

    symlinkSync(secret, join(base, "etc/qm/subuid"));
    dir.write("/etc/qm/subuid", "qm:1:2\n", 0o644);
    assert.equal(readFileSync(secret, "utf8"), "host secret\n");
    assert.equal(lstatSync(join(base, "etc/qm/subuid")).isFile(), true);
  });

  it("makes missing directories with their mode, announcing each before it exists", (t) => {
    const { base } = scratch(t);
    const dir = new SafeDir(base);
    const announced: string[] = [];
    dir.write("/var/lib/qm/state.json", "{}\n", 0o600, (p) => {
      assert.equal(existsSync(p), false, `${p} announced after it was made`);
      announced.push(p);
    });
    assert.deepEqual(announced, [join(base, "var"), join(base, "var/lib"), join(base, "var/lib/qm")]);
    assert.equal(statSync(join(base, "var/lib/qm/state.json")).mode & 0o777, 0o600);
    assert.equal(statSync(join(base, "var/lib/qm")).mode & 0o777, 0o755);
    assert.equal(dir.mkdir("/var/lib/qm"), false);
    assert.equal(dir.mkdir("/var/tmp", 0o1777), true);
    assert.equal(statSync(join(base, "var/tmp")).mode & 0o7777, 0o1777);
  });

  it("refuses a FIFO or a directory where a file is expected, without blocking", (t) => {
    const { base } = scratch(t);
    execFileSync("mkfifo", [join(base, "etc/qm/fifo.conf")]);
    const dir = new SafeDir(base);
    assert.throws(() => dir.read("/etc/qm/fifo.conf"), {
      ...unsafe,
      message: /not a regular file \(other\)/,
    });
    assert.throws(() => dir.read("/etc/qm/containers"), { ...unsafe, message: /not a regular file \(dir\)/ });
  });

  it("refuses files over the size limit before reading them", (t) => {
    const { base } = scratch(t);
    writeFileSync(join(base, "big"), Buffer.alloc(4096));
    assert.throws(() => new SafeDir(base).read("/big", 1024), {
      ...unsafe,
      message: /larger than the 1024 bytes/,
    });
    assert.equal(new SafeDir(base).read("/big", 4096)?.length, 4096);
  });

  it("unlink removes a link itself, never its target; rmdir only empty directories", (t) => {
    const { base, secret } = scratch(t);
    symlinkSync(secret, join(base, "etc/qm/link"));
    const dir = new SafeDir(base);
    assert.equal(dir.unlink("/etc/qm/link"), true);
    assert.equal(readFileSync(secret, "utf8"), "host secret\n");
    assert.equal(dir.unlink("/etc/qm/link"), false);
    assert.equal(dir.rmdir("/etc/qm"), false);
    assert.equal(dir.rmdir("/etc/qm/containers"), true);
    assert.throws(() => dir.unlink("/etc/qm"), unsafe);
  });

  it("symlink replaces what is there atomically and readlink reads it", (t) => {
    const { base } = scratch(t);
    const dir = new SafeDir(base);
    dir.symlink("/etc/qm/systemd/system/x.service", "/dev/null");
    assert.equal(dir.readlink("/etc/qm/systemd/system/x.service"), "/dev/null");
    dir.symlink("/etc/qm/systemd/system/x.service", "/dev/zero");
    assert.equal(dir.readlink("/etc/qm/systemd/system/x.service"), "/dev/zero");
    assert.equal(dir.readlink("/etc/qm/none"), null);
  });
});

describe("SafeDir, links confined", () => {
  it("follows links as if the base were /: absolute targets and '..' stay below it", (t) => {
    const { base } = scratch(t);
    mkdirSync(join(base, "usr/lib"), { recursive: true });
    writeFileSync(join(base, "usr/lib/os-release"), "ID=inside\n");
    symlinkSync("../usr/lib/os-release", join(base, "etc/os-release"));
    symlinkSync("/etc/os-release", join(base, "etc/abs"));
    // In the image this points at the image's own /etc, not the host's.
    symlinkSync("/etc", join(base, "etcl"));
    symlinkSync("../../../../../../etc/passwd", join(base, "etc/up"));
    const dir = new SafeDir(base, "confine");
    assert.equal(dir.readText("/etc/os-release"), "ID=inside\n");
    assert.equal(dir.readText("/etc/abs"), "ID=inside\n");
    assert.equal(dir.readText("/etcl/os-release"), "ID=inside\n");
    assert.equal(dir.readText("/etc/up"), null, "../.. stops at the base: base/etc/passwd does not exist");
    assert.equal(dir.resolve("/etcl/abs"), join(base, "usr/lib/os-release"));
    dir.write("/etcl/qm/new.conf", "y\n");
    assert.equal(readFileSync(join(base, "etc/qm/new.conf"), "utf8"), "y\n");
  });

  it("ends link loops with an error instead of hanging", (t) => {
    const { base } = scratch(t);
    symlinkSync("b", join(base, "a"));
    symlinkSync("a", join(base, "b"));
    assert.throws(() => new SafeDir(base, "confine").read("/a"), { ...unsafe, message: /too many levels/ });
  });
});

describe("SafeRoot", () => {
  it("confines host paths to the root and refuses links below the partition's trees", (t) => {
    const { base, secret, top } = scratch(t);
    mkdirSync(join(base, "var"), { recursive: true });
    // An administrator's link for the partition's /var is followed (inside the root).
    mkdirSync(join(base, "data/qm"), { recursive: true });
    symlinkSync("/data/qm", join(base, "var/qm"));
    symlinkSync(secret, join(base, "etc/qm/agent.conf"));
    symlinkSync(top, join(base, "etc/hostlink"));
    const root = new SafeRoot(base, { "/etc/qm": "refuse", "/var/qm": "refuse" });
    assert.throws(() => root.read("/etc/qm/agent.conf"), unsafe);
    root.write("/var/qm/tmp/x", "1");
    assert.equal(readFileSync(join(base, "data/qm/tmp/x"), "utf8"), "1");
    assert.equal(root.hostPath("/var/qm/tmp/x"), join(base, "data/qm/tmp/x"));
    // A host-side link to an absolute path is resolved inside the root, so the host's file is not read.
    assert.equal(root.readText("/etc/hostlink/secret"), null);
    assert.equal(root.exists("/etc/qm"), true);
  });
});
