import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { generateService, loadEffectiveUnit } from "../../src/quadlet/index.js";
import { distBin, quadletRoot, repoRoot, rootSkipReason, tempDir } from "../helpers.js";
import { testPartition } from "../partition-fixture.js";

const skip = rootSkipReason();
const partitionSkip =
  skip ??
  (spawnSync("podman", ["--version"]).status === 0 ? undefined : "podman is not installed") ??
  (spawnSync("mmdebstrap", ["--version"]).status === 0 ? undefined : "mmdebstrap is not installed");
const KVM_CONF = "/etc/containers/systemd/qm.container.d/qm_dropin_mount_bind_kvm.conf";

function qm(...args: string[]) {
  const r = spawnSync(process.execPath, [distBin("qm"), ...args], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function sh(file: string, ...args: string[]): string {
  const r = spawnSync(file, args, { encoding: "utf8" });
  assert.equal(r.status, 0, `${file} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** Every path below root with its type, mode and content hash-relevant bytes, except the package databases. */
function listing(root: string, except: readonly string[] = []): string[] {
  const out: string[] = [];
  const visit = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const rel = relative(root, p);
      if (except.some((e) => rel === e || rel.startsWith(`${e}/`))) continue;
      const st = statSync(p);
      out.push(`${rel} ${st.mode.toString(8)} ${st.isFile() ? readFileSync(p, "utf8").length : "dir"}`);
      if (st.isDirectory()) visit(p);
    }
  };
  visit(root);
  return out;
}

/** A target root with the partition's qm.container installed and placeholder device files (never mknod). */
function partitionRoot(dir: string): string {
  const root = quadletRoot(dir);
  mkdirSync(join(root, "dev/net"), { recursive: true });
  writeFileSync(join(root, "dev/kvm"), "");
  writeFileSync(join(root, "dev/net/tun"), "");
  return root;
}

const devices = (root: string): string[] => {
  const argv = generateService(root, "qm.container").execStart;
  return argv.flatMap((a, i) => (a === "--device" ? [argv[i + 1] as string] : []));
};

test("kvm builds as .deb and .rpm with its files, the qm dependency and restart scriptlets", {
  skip,
}, (t) => {
  const out = tempDir(t, "qm-dropin-pkgs-");
  for (const format of ["deb", "rpm"]) {
    const r = qm("--json", "dropin", "build", "kvm", "--format", format, "--output", out);
    assert.equal(r.code, 0, r.stderr);
    const built = JSON.parse(r.stdout) as { path: string; bytes: number; millis: number };
    assert.ok(built.bytes > 500, `${format}: ${built.bytes} bytes`);
    t.diagnostic(`${format}: ${built.bytes} bytes in ${built.millis} ms`);
  }
  const deb = join(out, "qm-kvm_0.1.0_all.deb");
  const rpm = join(out, "qm-kvm-0.1.0-1.noarch.rpm");
  assert.deepEqual(
    readdirSync(out).sort(),
    [rpm, deb].map((p) => relative(out, p)).sort(),
    "no temporary files left",
  );

  const contents = sh("dpkg-deb", "-c", deb);
  assert.match(
    contents,
    /-rw-r--r-- root\/root .* \.\/etc\/containers\/systemd\/qm\.container\.d\/qm_dropin_mount_bind_kvm\.conf/,
  );
  assert.match(contents, /\.\/etc\/qm\/containers\/systemd\/kvm\.container/);
  assert.equal(sh("dpkg-deb", "-f", deb, "Depends").trim(), "qm (>= 0.1.0)");
  assert.equal(sh("dpkg-deb", "-f", deb, "Architecture").trim(), "all");
  const control = tempDir(t, "qm-dropin-ctrl-");
  sh("dpkg-deb", "-e", deb, control);
  assert.match(readFileSync(join(control, "postinst"), "utf8"), /systemctl daemon-reload[\s\S]*qm restart/);
  assert.match(readFileSync(join(control, "postrm"), "utf8"), /qm-kvm removed; restart the QM partition/);

  // rpm queries open a database; keep it in a temporary directory, never the host's.
  const db = ["--dbpath", tempDir(t, "qm-dropin-rpmdb-")];
  assert.deepEqual(
    sh("rpm", ...db, "-qlp", rpm)
      .trim()
      .split("\n"),
    [KVM_CONF, "/etc/qm/containers/systemd/kvm.container"],
  );
  assert.match(sh("rpm", ...db, "-qpR", rpm), /^qm >= 0\.1\.0$/m);
  assert.equal(sh("rpm", ...db, "-qp", "--qf", "%{ARCH}", rpm), "noarch");
  const scripts = sh("rpm", ...db, "-qp", "--scripts", rpm);
  assert.match(scripts, /postinstall scriptlet[\s\S]*daemon-reload[\s\S]*qm restart/);
  assert.match(scripts, /postuninstall scriptlet[\s\S]*\[ "\$1" -eq 0 \]/);

  // Reproducible: a second build gives the same bytes.
  const again = tempDir(t, "qm-dropin-pkgs2-");
  assert.equal(qm("dropin", "build", "kvm", "--format", "deb", "--output", again).code, 0);
  assert.ok(readFileSync(join(again, "qm-kvm_0.1.0_all.deb")).equals(readFileSync(deb)));
});

test("the kvm .deb installed with dpkg into an isolated root adds the devices; removal takes them away", {
  skip,
}, (t) => {
  const dir = tempDir(t, "qm-dropin-dpkg-");
  const root = partitionRoot(dir);
  assert.equal(qm("dropin", "build", "kvm", "--format", "deb", "--output", dir).code, 0);
  // The image has its own (empty) dpkg database; it is the only thing allowed to differ afterwards.
  mkdirSync(join(root, "var/lib/dpkg/info"), { recursive: true });
  writeFileSync(join(root, "var/lib/dpkg/status"), "");
  const except = ["var/lib/dpkg"];
  const before = listing(root, except);
  // The shipped qm.container already asks for -/dev/kvm; /dev/fuse is absent under the root.
  assert.deepEqual(devices(root), ["/dev/kvm"]);

  const inst = qm("dropin", "install", join(dir, "qm-kvm_0.1.0_all.deb"), "--root", root);
  assert.equal(inst.code, 0, inst.stderr);
  assert.match(inst.stdout, /via dpkg/);
  assert.match(inst.stdout, /restart the QM partition to apply it: qm restart/);
  assert.match(
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a dpkg-query format, not a template
    sh("dpkg-query", `--admindir=${join(root, "var/lib/dpkg")}`, "-W", "-f", "${Status}", "qm-kvm"),
    /install ok installed/,
  );
  const fromDropin = loadEffectiveUnit(root, "qm.container")
    .all("Container", "AddDevice")
    .filter((v) => v.file === KVM_CONF)
    .map((v) => v.value);
  assert.deepEqual(fromDropin, ["-/dev/net/tun", "-/dev/kvm"]);
  assert.ok(devices(root).includes("/dev/kvm"));
  assert.ok(devices(root).includes("/dev/net/tun"));
  const list = JSON.parse(qm("--json", "dropin", "list", "--root", root).stdout) as {
    packages: { name: string; installed: string | null }[];
    dropins: { path: string; package: string | null; inEffect: boolean }[];
  };
  assert.equal(list.packages.find((p) => p.name === "kvm")?.installed, "dpkg");
  assert.deepEqual(list.dropins, [{ path: KVM_CONF, package: "qm-kvm", inEffect: true }]);

  const rm = qm("dropin", "remove", "kvm", "--root", root);
  assert.equal(rm.code, 0, rm.stderr);
  assert.match(rm.stdout, /via dpkg/);
  assert.ok(!devices(root).includes("/dev/net/tun"));
  assert.equal(
    loadEffectiveUnit(root, "qm.container")
      .all("Container", "AddDevice")
      .some((v) => v.file === KVM_CONF),
    false,
  );
  assert.deepEqual(listing(root, except), before);
});

test("catalog install and remove with --root leave the tree as it was", { skip }, (t) => {
  const root = partitionRoot(tempDir(t, "qm-dropin-direct-"));
  const before = listing(root);
  for (const name of ["oci-hooks", "sound", "kvm", "img_tempdir"]) {
    const r = qm("dropin", "install", name, "--root", root);
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
  }
  assert.match(
    readFileSync(join(root, "etc/containers/systemd/qm.container.d/qm_dropin_mount_bind_snd.conf"), "utf8"),
    /^# qm-dropin: package=qm-sound/,
  );
  assert.equal(statSync(join(root, "usr/libexec/oci/hooks.d/oci-qm-device-manager")).mode & 0o777, 0o755);
  assert.ok(statSync(join(root, "var/qm/tmp.dir")).isDirectory());
  assert.ok(devices(root).includes("/dev/net/tun"));
  const refused = qm("dropin", "remove", "oci-hooks", "--root", root);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /qm-sound needs qm-oci-hooks/);
  for (const name of ["sound", "kvm", "img_tempdir", "oci-hooks"]) {
    const r = qm("dropin", "remove", name, "--root", root);
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
  }
  assert.deepEqual(listing(root), before);
});

test("a drop-in with an unknown key is refused with file:line and the root stays unchanged", {
  skip,
}, (t) => {
  const dir = tempDir(t, "qm-dropin-bad-");
  const root = partitionRoot(dir);
  const before = listing(root);
  cpSync(join(repoRoot, "test/fixtures/dropins/bad-key"), join(dir, "bad-key"), { recursive: true });

  const direct = qm("dropin", "install", join(dir, "bad-key"), "--root", root);
  assert.equal(direct.code, 3, direct.stderr);
  assert.match(
    direct.stderr,
    /error\[QM_QUADLET_UNSUPPORTED_KEY\]: .*bad-key\/qm_dropin_bad_key\.conf:5:1: unsupported key 'AddDevise'/,
  );
  assert.match(direct.stderr, /nothing was installed/);
  assert.deepEqual(listing(root), before);

  // The same file inside a .deb built by hand (qm dropin build refuses it too).
  const built = qm("dropin", "build", join(dir, "bad-key"), "--output", dir);
  assert.equal(built.code, 3);
  const tree = join(dir, "deb");
  mkdirSync(join(tree, "DEBIAN"), { recursive: true });
  mkdirSync(join(tree, "etc/containers/systemd/qm.container.d"), { recursive: true });
  writeFileSync(
    join(tree, "DEBIAN/control"),
    "Package: qm-bad-key\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@localhost>\nDescription: bad\n",
  );
  cpSync(
    join(dir, "bad-key/qm_dropin_bad_key.conf"),
    join(tree, "etc/containers/systemd/qm.container.d/qm_dropin_bad_key.conf"),
  );
  sh("dpkg-deb", "--root-owner-group", "--build", tree, join(dir, "qm-bad-key_1.0_all.deb"));
  const pkg = qm("dropin", "install", join(dir, "qm-bad-key_1.0_all.deb"), "--root", root);
  assert.equal(pkg.code, 3, pkg.stderr);
  assert.match(
    pkg.stderr,
    /qm-bad-key_1\.0_all\.deb!\/etc\/containers\/systemd\/qm\.container\.d\/qm_dropin_bad_key\.conf:5:1/,
  );
  assert.deepEqual(listing(root), before, "not even a dpkg database was created");
});

test("qm dropin --help teaches with examples; usage errors exit 2", () => {
  const help = qm("dropin", "--help");
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Examples:\n {2}qm dropin list/);
  assert.match(help.stdout, /install FILE\.deb\|FILE\.rpm/);
  assert.equal(qm("dropin").code, 2);
  assert.equal(qm("dropin", "frobnicate").code, 2);
  assert.equal(qm("dropin", "build", "kvm", "--format", "zip").code, 2);
  const unknown = qm("dropin", "show", "nosuch");
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no sub-package 'nosuch' in the catalog/);
});

test("after qm restart, the kvm sub-package's devices exist inside the running partition", {
  skip: partitionSkip,
}, (t) => {
  const p = testPartition(t);
  // podman takes optional devices from this machine's /dev, whatever the root: the host must have them.
  if (!existsSync("/dev/net/tun")) return t.skip("this host has no /dev/net/tun to hand out");
  const hostKvm = existsSync("/dev/kvm");
  const hasTun = (): boolean => p.podman("exec", "qm", "test", "-c", "/dev/net/tun").status === 0;
  {
    const r = p.qm("start", "--root", p.root);
    assert.equal(r.status, 0, r.stderr);
  }
  assert.equal(hasTun(), false, "no /dev/net/tun before the sub-package");
  const install = p.qm("dropin", "install", "kvm", "--root", p.root);
  assert.equal(install.status, 0, install.stderr);
  // The partition of that root runs and was started without the drop-in.
  assert.match(
    p.qm("dropin", "list", "--root", p.root).stdout,
    /^Restart pending: the running partition uses an older configuration; apply it with 'qm restart'$/m,
  );
  {
    const r = p.qm("restart", "--root", p.root);
    assert.equal(r.status, 0, r.stderr);
  }
  assert.equal(hasTun(), true, "/dev/net/tun inside after the restart");
  assert.match(p.qm("dropin", "list", "--root", p.root).stdout, /^Restart pending: no$/m);
  assert.equal(
    p.podman("exec", "qm", "test", "-c", "/dev/kvm").status === 0,
    hostKvm,
    "/dev/kvm as on the host",
  );
  {
    const r = p.qm("dropin", "remove", "kvm", "--root", p.root);
    assert.equal(r.status, 0, r.stderr);
  }
  {
    const r = p.qm("restart", "--root", p.root);
    assert.equal(r.status, 0, r.stderr);
  }
  assert.equal(hasTun(), false, "gone again after remove and restart");
});
