/**
 * Input written by less trusted parties (docs/security.md): sub-package manifests and files, the partition's own
 * /etc and /var, state files below --root, command-line text that ends up in generated files. Each test plays the
 * attacker against the built executables and checks that nothing ran, nothing was written or removed outside the
 * root, and the refusal names what was refused.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { distBin, quadletRoot, rootSkipReason, tempDir } from "../helpers.js";

const skip = rootSkipReason();

function qm(...args: string[]) {
  const r = spawnSync(process.execPath, [distBin("qm"), ...args], { encoding: "utf8", timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A sub-package directory with one drop-in and the given manifest fields. */
function customPackage(
  dir: string,
  fields: Record<string, unknown>,
  files: Record<string, string> = {},
): string {
  const pkg = join(dir, "evil");
  mkdirSync(pkg, { recursive: true });
  const conf = "[Container]\nAddDevice=-/dev/null\n";
  writeFileSync(join(pkg, "evil.conf"), conf);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(pkg, name), text);
  const manifest = {
    name: "evil",
    version: "1.0",
    summary: "a drop-in",
    files: [{ source: "evil.conf", destination: "/etc/containers/systemd/qm.container.d/evil.conf" }],
    ...fields,
  };
  writeFileSync(join(pkg, "dropin.json"), JSON.stringify(manifest, null, 2));
  return pkg;
}

describe("manifest text never becomes code or fields in a package", { skip }, () => {
  for (const [what, fields] of [
    ["an RPM section in the description", { description: "fine\n%build\ntouch MARKER\n%pre\ntouch MARKER" }],
    ["a doubled %% section", { description: "fine\n%%build\ntouch MARKER" }],
    ["an rpm %include", { description: "fine\n %%include /etc/hostname" }],
    ["a shell expansion in the description", { description: "fine\n%(touch MARKER)" }],
    ["an RPM tag in the summary", { summary: "s\nProvides: qm\nObsoletes: qm" }],
    ["a control field in the summary", { summary: "s\nConflicts: qm\nProtected: yes" }],
    ["a newline in a partition package name", { host: { partitionPackages: ["x\n%post\ntouch MARKER"] } }],
    ["a quote in a destination", { files: [{ source: "evil.conf", destination: '/etc/qm/a"b' }] }],
  ] as const) {
    test(`${what}: qm dropin build refuses it, nothing runs`, (t) => {
      const dir = tempDir(t, "qm-hostile-build-");
      const marker = join(dir, "MARKER");
      const pkg = customPackage(dir, {
        ...fields,
        ...("description" in fields ? { description: fields.description.replaceAll("MARKER", marker) } : {}),
        ...("host" in fields
          ? {
              host: {
                partitionPackages: fields.host.partitionPackages.map((p) => p.replaceAll("MARKER", marker)),
              },
            }
          : {}),
      });
      for (const format of ["rpm", "deb"]) {
        const out = join(dir, `out-${format}`);
        const r = qm("dropin", "build", pkg, "--format", format, "--output", out);
        assert.equal(r.code, 3, `${format}: ${r.stderr}`);
        assert.match(r.stderr, /error\[QM_(UNSAFE_TEXT|DROPIN_MANIFEST)\]: .*dropin\.json/);
        assert.equal(existsSync(marker), false, "the injected command ran");
        assert.deepEqual(existsSync(out) ? readdirSync(out) : [], [], "no package was made");
      }
    });
  }

  test("world-writable modes and /dev/.. devices are refused", (t) => {
    const dir = tempDir(t, "qm-hostile-mode-");
    for (const fields of [
      {
        files: [
          { source: "evil.conf", destination: "/etc/containers/systemd/qm.container.d/e.conf", mode: "0666" },
        ],
      },
      { directories: [{ path: "/var/qm/shared", mode: "0777" }] },
      { host: { devices: ["/dev/../etc/shadow"] } },
    ]) {
      const pkg = customPackage(join(dir, String(Math.random())), fields);
      const r = qm("dropin", "build", pkg, "--format", "deb", "--output", join(dir, "out"));
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /mode 0[67]{3} lets users other than root write it|has a '\.\.' segment/);
    }
  });
});

describe("command-line text never becomes lines of a generated file", { skip }, () => {
  test("qm dropin new --device with a newline or '..' is refused and nothing is created", (t) => {
    const dir = tempDir(t, "qm-hostile-new-");
    for (const device of ["/dev/x\n[Service]\nExecStartPre=/bin/touch /tmp/qm-pwned", "/dev/../etc/shadow"]) {
      const r = qm("dropin", "new", "dev", "--device", device, "--output", dir);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /--device ".*" (has|is)/);
      assert.deepEqual(readdirSync(dir), []);
    }
  });

  test("qm setup --hostname with a newline is refused before anything is written", (t) => {
    const dir = tempDir(t, "qm-hostile-host-");
    const root = join(dir, "root");
    mkdirSync(root);
    const r = qm("setup", "--root", root, "--from-dir", dir, "--hostname", "car1\nControllerHost=evil");
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /error\[QM_SETUP_HOSTNAME\]: --hostname "car1\\nControllerHost=evil" is not a host name/,
    );
    assert.deepEqual(readdirSync(root), []);
  });
});

describe("links planted below a root are never followed out of it", { skip }, () => {
  test("qm dropin install refuses a partition /etc/qm/containers/systemd that is a link", (t) => {
    const dir = tempDir(t, "qm-hostile-link-");
    const root = quadletRoot(dir);
    const outside = join(dir, "outside");
    mkdirSync(outside);
    mkdirSync(join(root, "etc/qm/containers"), { recursive: true });
    symlinkSync(outside, join(root, "etc/qm/containers/systemd"));
    const r = qm("dropin", "install", "kvm", "--root", root);
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stderr, /error\[QM_UNSAFE_PATH\]: .*etc\/qm\/containers\/systemd: is a symbolic link/);
    assert.deepEqual(readdirSync(outside), [], "the nested unit was written through the link");
  });

  test("a nested unit that is a link out of the partition's /etc is never read", (t) => {
    const dir = tempDir(t, "qm-hostile-nested-");
    const root = quadletRoot(dir);
    // A host file (inside the root, outside the partition's tree) that is no unit: read, it would fail the
    // directory's units.
    mkdirSync(join(root, "etc/qm/containers/systemd"), { recursive: true });
    writeFileSync(join(root, "etc/app.secret"), "root:$6$SECRETHASH:19000\n");
    symlinkSync("../../../app.secret", join(root, "etc/qm/containers/systemd/evil.container"));
    const r = qm("dropin", "install", "kvm", "--root", root);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, /SECRETHASH|evil/);
  });

  test("qm setup refuses a partition /etc/qm/containers that is a link", (t) => {
    const dir = tempDir(t, "qm-hostile-setup-");
    const root = join(dir, "root");
    const tree = join(dir, "tree");
    for (const d of ["etc", "var"]) mkdirSync(join(tree, d), { recursive: true });
    const outside = join(dir, "outside");
    mkdirSync(outside);
    mkdirSync(join(root, "etc/qm"), { recursive: true });
    symlinkSync(outside, join(root, "etc/qm/containers"));
    const r = qm("setup", "--root", root, "--from-dir", tree, "--skip-systemctl");
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /error\[QM_UNSAFE_PATH\]: .*etc\/qm\/containers: is a symbolic link/);
    assert.deepEqual(
      readdirSync(outside),
      [],
      "containers.conf or storage.conf was written through the link",
    );
  });

  test("a sub-package whose file is a link to a host file is refused, not packaged or installed", (t) => {
    const dir = tempDir(t, "qm-hostile-pkglink-");
    const secret = join(dir, "secret");
    writeFileSync(secret, "root:$6$secret\n");
    const pkg = customPackage(dir, {
      files: [{ source: "a.conf", destination: "/etc/qm/containers/containers.conf.d/a.conf" }],
    });
    symlinkSync(secret, join(pkg, "a.conf"));
    const root = quadletRoot(dir);
    for (const args of [
      ["build", pkg, "--format", "deb", "--output", join(dir, "out")],
      ["install", pkg, "--root", root],
    ]) {
      const r = qm("dropin", ...args);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /error\[QM_UNSAFE_PATH\]: .*evil\/a\.conf: is a symbolic link/);
      assert.doesNotMatch(r.stderr, /secret/);
    }
    assert.equal(existsSync(join(root, "etc/qm/containers/containers.conf.d/a.conf")), false);
  });
});

describe("state files below a root are checked before anything is removed", { skip }, () => {
  test("qm setup --remove-qm-rootfs refuses a state file naming a path outside the root", (t) => {
    const dir = tempDir(t, "qm-hostile-state-");
    const root = join(dir, "root");
    const tree = join(dir, "tree");
    for (const d of ["etc", "var"]) mkdirSync(join(tree, d), { recursive: true });
    mkdirSync(root);
    assert.equal(qm("setup", "--root", root, "--from-dir", tree, "--skip-systemctl").code, 0);
    const victim = join(dir, "victim");
    writeFileSync(victim, "keep me\n");
    const statePath = join(root, "usr/lib/qm/setup-state.json");
    const state = JSON.parse(readFileSync(statePath, "utf8"));
    for (const entry of [
      { path: victim, kind: "file" },
      { path: `${root}/../victim`, kind: "file" },
      { path: `${root}/srv`, kind: "tree" },
    ]) {
      writeFileSync(statePath, JSON.stringify({ ...state, created: [...state.created, entry] }, null, 2));
      const r = qm("setup", "--root", root, "--remove-qm-rootfs", "--skip-systemctl");
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /error\[QM_SETUP_STATE\]: .*setup-state\.json:\d+: /);
      assert.equal(readFileSync(victim, "utf8"), "keep me\n");
      assert.ok(existsSync(join(root, "usr/share/containers/systemd/qm.container")), "nothing was removed");
    }
    writeFileSync(statePath, JSON.stringify(state));
    assert.equal(qm("setup", "--root", root, "--remove-qm-rootfs", "--skip-systemctl").code, 0);
  });

  test("qm dropin remove refuses a dropins.json whose paths climb out of the root", (t) => {
    const dir = tempDir(t, "qm-hostile-dropins-");
    const root = quadletRoot(dir);
    assert.equal(qm("dropin", "install", "kvm", "--root", root).code, 0);
    const victim = join(dir, "victim");
    writeFileSync(victim, "keep me\n");
    const statePath = join(root, "var/lib/qm/dropins.json");
    const state = JSON.parse(readFileSync(statePath, "utf8"));
    state.packages["qm-kvm"].files.push({ path: "/../victim", sha256: "0", mode: 420 });
    writeFileSync(statePath, JSON.stringify(state, null, 2));
    const r = qm("dropin", "remove", "kvm", "--root", root);
    assert.equal(r.code, 3, r.stderr);
    assert.match(
      r.stderr,
      /error\[QM_DROPIN_STATE\]: .*dropins\.json:\d+: .*"\/\.\.\/victim" has a '\.\.' segment/,
    );
    assert.equal(readFileSync(victim, "utf8"), "keep me\n");
  });
});

describe("nothing of a package installed into an image root runs on this machine", { skip }, () => {
  test("qm dropin install FILE.deb --root R runs none of the package's maintainer scripts", (t) => {
    const dir = tempDir(t, "qm-hostile-deb-");
    const marker = join(dir, "MARKER");
    const tree = join(dir, "pkg");
    mkdirSync(join(tree, "DEBIAN"), { recursive: true });
    mkdirSync(join(tree, "etc/containers/systemd/qm.container.d"), { recursive: true });
    writeFileSync(
      join(tree, "etc/containers/systemd/qm.container.d/evil.conf"),
      "[Container]\nAddDevice=-/dev/null\n",
    );
    writeFileSync(
      join(tree, "DEBIAN/control"),
      "Package: qm-evil\nVersion: 1.0\nArchitecture: all\nMaintainer: x <x@example.com>\nDepends: qm\nDescription: evil\n",
    );
    for (const script of ["preinst", "postinst"]) {
      writeFileSync(join(tree, "DEBIAN", script), `#!/bin/sh\necho ${script} >> ${marker}\n`);
      chmodSync(join(tree, "DEBIAN", script), 0o755);
    }
    const deb = join(dir, "qm-evil_1.0_all.deb");
    assert.equal(spawnSync("dpkg-deb", ["--root-owner-group", "-b", tree, deb]).status, 0);
    const root = quadletRoot(dir);
    const r = qm("dropin", "install", deb, "--root", root);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      existsSync(marker),
      false,
      `maintainer scripts ran: ${existsSync(marker) ? readFileSync(marker, "utf8") : ""}`,
    );
    assert.match(r.stdout, /maintainer scripts not run for an image root: preinst, postinst left out/);
    assert.ok(existsSync(join(root, "etc/containers/systemd/qm.container.d/evil.conf")));
    const removed = qm("dropin", "remove", "qm-evil", "--root", root);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(existsSync(marker), false);
  });
});

describe("qm setup stops only the builder it started", { skip }, () => {
  test("a leftover staging.json naming another session's processes kills nothing", async (t) => {
    const dir = tempDir(t, "qm-hostile-staging-");
    const root = join(dir, "root");
    const tree = join(dir, "tree");
    for (const d of ["etc", "var"]) mkdirSync(join(tree, d), { recursive: true });
    // An unrelated process that leads its own session, as a reused session id would name it.
    const bystander: ChildProcess = spawn("sleep", ["600"], { detached: true, stdio: "ignore" });
    t.after(() => bystander.kill("SIGKILL"));
    const pid = bystander.pid as number;
    const staging = join(root, "usr/lib/qm/rootfs.qm-staging");
    mkdirSync(staging, { recursive: true });
    const bootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    for (const state of [
      { pid: 1, builderSession: pid },
      { builder: { pid, start: 1, bootId } },
      { builder: { pid, start: 1, bootId: "another-boot" } },
    ]) {
      mkdirSync(staging, { recursive: true });
      writeFileSync(join(staging, "staging.json"), JSON.stringify(state));
      const r = qm("setup", "--root", root, "--from-dir", tree, "--skip-systemctl");
      assert.equal(r.code, 0, r.stderr);
      // Its parent (this test) is blocked in spawnSync: a killed bystander shows as a zombie until reaped.
      const stateOf = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0];
      assert.notEqual(stateOf, "Z", "the bystander was killed");
      assert.equal(existsSync(staging), false, "the staging directory was cleared");
    }
  });
});

describe("the generator writes nothing outside its output directory", { skip }, () => {
  test("qm-quadlet never creates /dev/kmsg where it is missing (a file there would hide the device)", (t) => {
    const dir = tempDir(t, "qm-hostile-kmsg-");
    const units = join(dir, "units");
    mkdirSync(units);
    writeFileSync(join(units, "a.container"), "[Container]\nImage=docker.io/library/a\n");
    // A private mount namespace whose /dev is an empty tmpfs, as in a chroot or container without /dev/kmsg.
    const r = spawnSync(
      "unshare",
      [
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        'mount -t tmpfs qm-test /dev && "$0" "$1" "$2/out" && ls -A /dev',
        process.execPath,
        distBin("qm-quadlet"),
        dir,
      ],
      { encoding: "utf8", env: { ...process.env, QUADLET_UNIT_DIRS: units } },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(join(dir, "out/a.service")), "the unit was generated");
    assert.equal(r.stdout, "", "files appeared in /dev");
  });
});
