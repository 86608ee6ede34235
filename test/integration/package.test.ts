// qm as a distribution package: builds the .deb and .rpm (scripts/package.mjs), checks them with lintian,
// rpmlint and rpm's queries, signs them with a throwaway key, then installs the .deb into a clean Debian 12 tree
// (mmdebstrap, cached) with only Debian's packages: apt-get pulls the dependencies from the archive, every
// executable runs on Debian's own Node.js, sub-packages install with plain dpkg, an upgrade keeps edited files,
// and removal then purge leave nothing of qm behind. The host's dpkg database is never touched.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { VERSION } from "../../src/core/version.js";
import { cachedDebianTree, runInTree, treeFiles, unpackTree } from "../debian-tree.js";
import { repoRoot, rootSkipReason } from "../helpers.js";

const TOOLS = [
  "dpkg-buildpackage",
  "dh",
  "rpmbuild",
  "rpmsign",
  "lintian",
  "rpmlint",
  "mmdebstrap",
  "gpg",
  "unshare",
];
const missing = TOOLS.filter((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status !== 0);
const skip =
  rootSkipReason() ??
  (missing.length > 0 ? `missing ${missing.join(", ")} (scripts/install-host-deps --test)` : undefined);

const PREVIOUS = `${VERSION}~pre1`;
const DEB = `qm_${VERSION}_all.deb`;
const RPM = `qm-${VERSION}-1.noarch.rpm`;
const SRPM = `qm-${VERSION}-1.src.rpm`;
const KEY = "qm-package-test@example.org";
/** Where the packages wait inside the tree (removed before the last file list is taken). */
const IN_TREE = "/var/tmp/qm-packages";
/**
 * Paths that are not qm's: dpkg's and apt's own records, which change with any package operation, and crun's state
 * directory (on tmpfs on a real host), made when qm doctor asks the OCI runtime about itself.
 */
const NOT_QMS = /^\/var\/(lib\/(dpkg|apt)|cache\/(apt|debconf)|log)\/|^\/run\/crun$/;
/** A dpkg-query format field, e.g. ${Version}. */
const f = (name: string): string => `\${${name}}`;
const docs = (): string => readFileSync(join(repoRoot, "docs/packaging.md"), "utf8");

function sh(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(file, args, { encoding: "utf8", env, maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, `${file} ${args.join(" ")} (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const sha256 = (path: string): string => createHash("sha256").update(readFileSync(path)).digest("hex");

/** Build packages with scripts/package.mjs into `output`. */
function buildPackages(output: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  return sh(process.execPath, [join(repoRoot, "scripts/package.mjs"), "--output", output, ...args], env);
}

/** debian/control's Depends of qm, without debhelper's substitution variables. */
function debDepends(): string {
  const control = readFileSync(join(repoRoot, "debian/control"), "utf8");
  const line = /^Depends: (.+)$/m.exec(control.slice(control.indexOf("Package: qm")))?.[1] ?? "";
  return line
    .split(",")
    .map((d) => d.trim())
    .filter((d) => d !== "" && !d.startsWith("${"))
    .join(", ");
}

describe("qm as .deb and .rpm", { skip }, () => {
  let work = "";
  let gnupg = "";
  let tree = "";
  const out = (...p: string[]): string => join(work, ...p);
  const timings: string[] = [];
  const timed = <T>(what: string, fn: () => T): T => {
    const started = Date.now();
    try {
      return fn();
    } finally {
      timings.push(`${what} ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  };
  /** Run in the tree; the status must be 0. Returns stdout (`all`: stdout and stderr). */
  const inTree = (script: string, env: Record<string, string> = {}, all = false): string => {
    const r = runInTree(tree, script, env);
    assert.equal(
      r.status,
      0,
      `in the tree: ${script}\n(exit ${r.status} ${r.signal ?? ""})\n${r.stdout}\n${r.stderr}`,
    );
    return all ? `${r.stdout}\n${r.stderr}` : r.stdout;
  };
  const logOf = (script: string): string => inTree(script, {}, true);

  before(() => {
    work = mkdtempSync("/var/tmp/qm-package-test-");
    // A throwaway signing key, as a distribution's build system would hold its own.
    gnupg = mkdtempSync("/tmp/qm-gpg-");
    const gpgEnv = { ...process.env, GNUPGHOME: gnupg };
    sh(
      "gpg",
      [
        "--batch",
        "--passphrase",
        "",
        "--quick-gen-key",
        `qm package test <${KEY}>`,
        "ed25519",
        "sign",
        "never",
      ],
      gpgEnv,
    );
    timed("build: deb+rpm, unsigned", () => buildPackages(out("plain"), ["deb", "rpm"]));
    timed("build: deb+rpm, signed", () =>
      buildPackages(out("signed"), ["--sign", KEY, "deb", "rpm"], gpgEnv),
    );
    timed("build: previous deb", () => buildPackages(out("previous"), ["--version", PREVIOUS, "deb"]));
    writeFileSync(out("key.asc"), sh("gpg", ["--armor", "--export", KEY], gpgEnv));
    const tarball = timed("cached Debian 12 tree", () => cachedDebianTree("bookworm", debDepends()));
    tree = out("tree");
    timed("unpack tree", () => unpackTree(tarball, tree));
  });

  after(() => {
    if (gnupg) {
      spawnSync("gpgconf", ["--kill", "all"], { env: { ...process.env, GNUPGHOME: gnupg } });
      rmSync(gnupg, { recursive: true, force: true });
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test("one command puts both packages, their source RPM, .buildinfo and .changes in one folder", (t) => {
    t.diagnostic(timings.join("; "));
    for (const f of [DEB, RPM, SRPM, `qm_${VERSION}_amd64.changes`, `qm_${VERSION}_amd64.buildinfo`])
      assert.ok(existsSync(out("plain", f)), f);
  });

  test("the same inputs give the same .deb and the same RPM payload; signing changes neither", () => {
    assert.equal(sha256(out("plain", DEB)), sha256(out("signed", DEB)));
    const payload = (f: string): string => sh("rpm", ["-qp", "--qf", "%{PAYLOADDIGEST}", f]);
    assert.equal(payload(out("plain", RPM)), payload(out("signed", RPM)));
  });

  test("the .deb: contents, dependencies, maintainer scripts", () => {
    const info = sh("dpkg-deb", ["-f", out("plain", DEB), "Package", "Version", "Architecture", "Depends"]);
    assert.match(info, /^Package: qm$/m);
    assert.match(info, new RegExp(`^Version: ${VERSION.replaceAll(".", "\\.")}$`, "m"));
    assert.match(info, /^Architecture: all$/m);
    assert.match(info, /^Depends: .*nodejs \(>= 18\.20\), podman \(>= 4\.0\), runc \| crun, conmon/m);
    // What qm setup needs to install the SELinux module on SELinux hosts, and nowhere else.
    assert.match(
      sh("dpkg-deb", ["-f", out("plain", DEB), "Suggests"]),
      /selinux-policy-dev.*semodule-utils.*policycoreutils/,
    );
    const files = sh("dpkg-deb", ["-c", out("plain", DEB)]);
    for (const f of [
      "./usr/lib/qm-manager/dist/qm.mjs",
      "./usr/lib/qm-manager/dist/oci-qm-device-manager.cjs",
      "./usr/lib/qm-manager/share/containers/systemd/qm.container",
      "./usr/lib/qm-manager/share/oci/hooks.d/oci-qm-device-manager.json",
      "./usr/lib/qm-manager/share/selinux/debian/qm.te",
      "./usr/lib/qm-manager/share/selinux/debian/qm.if",
      "./usr/lib/qm-manager/share/selinux/debian/qm.fc",
      "./usr/share/man/man8/qm.8.gz",
      "./usr/share/bash-completion/completions/qmctl",
      "./usr/share/zsh/vendor-completions/_qmctl",
      "./usr/share/fish/vendor_completions.d/qmctl.fish",
      "./usr/bin/qm -> ../lib/qm-manager/dist/qm.mjs",
      "./usr/lib/systemd/system-generators/qm-quadlet-generator -> ",
      "./etc/containers/systemd/qm.container.d/",
    ])
      assert.ok(files.includes(f), `${f} in the .deb`);
    // Nothing of what qm setup owns: its tree, its state, the files it writes.
    assert.doesNotMatch(
      files,
      /\.\/usr\/lib\/qm\/|\.\/usr\/share\/qm\/|\.\/usr\/share\/containers\/systemd\//,
    );
    const control = mkdtempSync(join(work, "control-"));
    sh("dpkg-deb", ["-e", out("plain", DEB), control]);
    for (const script of ["postinst", "prerm", "postrm"]) {
      sh("sh", ["-n", join(control, script)]);
      assert.match(readFileSync(join(control, script), "utf8"), /DPKG_ROOT/, `${script} skips image roots`);
    }
    assert.match(
      readFileSync(join(control, "prerm"), "utf8"),
      /"\$1" = remove .*\n.*qm stop[\s\S]*--remove-qm-rootfs/,
    );
    assert.ok(!existsSync(join(control, "conffiles")), "qm ships no configuration file under /etc");
  });

  test("the .rpm: rpm -qp --requires --provides --scripts", () => {
    const rpm = out("plain", RPM);
    const requires = sh("rpm", ["-qp", "--requires", rpm]).split("\n");
    for (const r of ["nodejs >= 18.20", "podman >= 4.0", "(crun or runc)", "conmon", "/usr/bin/node"])
      assert.ok(requires.includes(r), `Requires: ${r} (got ${requires.join(", ")})`);
    assert.ok(!requires.includes("/usr/bin/env"), "no /usr/bin/env interpreter");
    assert.ok(sh("rpm", ["-qp", "--provides", rpm]).split("\n").includes(`qm = ${VERSION}-1`));
    const scripts = sh("rpm", ["-qp", "--scripts", rpm]);
    // "NAME scriptlet (using /bin/sh):" headers, each followed by its script.
    const parts = scripts.split(/^(\w+) scriptlet \(using [^)]+\):$/m);
    const section = (name: string): string => {
      const at = parts.indexOf(name);
      assert.ok(at > 0, `${name} scriptlet in:\n${scripts}`);
      return parts[at + 1] ?? "";
    };
    const preun = section("preuninstall");
    assert.match(preun, /"\$1" -eq 0/, "only on erase, never on upgrade");
    assert.match(preun, /qm stop[\s\S]*qm setup --remove-qm-rootfs/);
    assert.match(section("postinstall"), /\[ -d \/run\/systemd\/system \][\s\S]*daemon-reload/);
    assert.match(section("postuninstall"), /"\$1" -eq 0/);
    for (const name of ["postinstall", "preuninstall", "postuninstall"]) {
      const file = join(work, `${name}.sh`);
      writeFileSync(file, section(name));
      sh("sh", ["-n", file]);
    }
    const files = sh("rpm", ["-qlp", rpm]);
    for (const f of [
      "/usr/bin/qm",
      "/usr/lib/qm-manager/dist/qm.mjs",
      "/usr/lib/qm-manager/share/selinux/debian/qm.te",
      "/usr/lib/systemd/system-generators/qm-quadlet-generator",
      "/usr/share/man/man8/qm.8.gz",
      "/etc/containers/systemd/qm.container.d",
    ])
      assert.ok(files.split("\n").includes(f), `${f} in the .rpm`);
  });

  test("lintian: no errors; every warning is listed in docs/packaging.md", () => {
    const r = timed("lintian", () =>
      spawnSync("lintian", ["--info", "--pedantic", out("plain", DEB)], { encoding: "utf8" }),
    );
    const tags = [...`${r.stdout}${r.stderr}`.matchAll(/^([EWIPX]): qm: ([a-z0-9-]+)/gm)];
    assert.deepEqual(
      tags.filter((m) => m[1] === "E").map((m) => m[2]),
      [],
      r.stdout,
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    for (const m of tags)
      assert.ok(docs().includes(`\`${m[2]}\``), `lintian ${m[1]}: ${m[2]} is not in docs/packaging.md`);
  });

  test("rpmlint on the signed .rpm, .src.rpm and the spec: no errors; every warning is listed in docs", () => {
    // rpmlint checks signatures against the default rpm database: a throwaway one that knows the key.
    const home = mkdtempSync(join(work, "home-"));
    writeFileSync(join(home, ".rpmmacros"), `%_dbpath ${join(home, "rpmdb")}\n`);
    sh("rpm", ["--dbpath", join(home, "rpmdb"), "--import", out("key.asc")]);
    const r = timed("rpmlint", () =>
      spawnSync(
        "rpmlint",
        [
          "-r",
          join(repoRoot, "rpm/qm.rpmlintrc"),
          out("signed", RPM),
          out("signed", SRPM),
          join(repoRoot, "rpm/qm.spec"),
        ],
        { encoding: "utf8", env: { ...process.env, HOME: home } },
      ),
    );
    const lines = [...r.stdout.matchAll(/^\S+: ([EW]): ([a-z0-9%-]+)/gm)];
    assert.deepEqual(
      lines.filter((m) => m[1] === "E").map((m) => m[0]),
      [],
      r.stdout,
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    for (const m of lines)
      assert.ok(docs().includes(`\`${m[2]}\``), `rpmlint ${m[1]}: ${m[2]} is not in docs/packaging.md`);
  });

  test("the signatures verify: gpg on the .changes, rpm -K with the key", () => {
    sh("gpg", ["--verify", out("signed", `qm_${VERSION}_amd64.changes`)], {
      ...process.env,
      GNUPGHOME: gnupg,
    });
    const db = mkdtempSync(join(work, "rpmdb-"));
    sh("rpm", ["--dbpath", db, "--import", out("key.asc")]);
    const checked = sh("rpm", ["--dbpath", db, "-K", out("signed", RPM), out("signed", SRPM)]);
    assert.equal(checked.match(/digests signatures OK/g)?.length, 2, checked);
    // Unsigned packages do not pass a check that requires signatures.
    const unsigned = spawnSync("rpm", [
      "--dbpath",
      db,
      "-K",
      "--define",
      "_pkgverify_level signature",
      out("plain", RPM),
    ]);
    assert.notEqual(unsigned.status, 0);
  });

  describe("in a clean Debian 12 tree", () => {
    let before0 = new Set<string>();
    let installed = new Set<string>();
    let qmFiles: string[] = [];

    test("apt-get install ./qm_PREVIOUS_all.deb pulls nodejs, podman, an OCI runtime and conmon from the archive", () => {
      before0 = treeFiles(tree);
      assert.equal(
        inTree(`dpkg-query -W -f '${f("db:Status-Status")}' nodejs podman 2>/dev/null || true`),
        "",
      );
      mkdirSync(join(tree, IN_TREE));
      for (const f of [out("previous", `qm_${PREVIOUS}_all.deb`), out("plain", DEB)])
        copyFileSync(f, join(tree, IN_TREE, f.slice(f.lastIndexOf("/") + 1)));
      const log = timed("apt-get install (dependencies from the archive)", () =>
        logOf(`apt-get install -y -q --no-install-recommends ${IN_TREE}/qm_${PREVIOUS}_all.deb`),
      );
      for (const dep of ["nodejs", "podman", "conmon"])
        assert.match(log, new RegExp(`Setting up ${dep} `), dep);
      assert.match(log, /Setting up (runc|crun) /);
      const status = inTree(
        `dpkg-query -W -f '${f("Package")} ${f("Version")} ${f("db:Status-Status")}\\n' qm nodejs podman conmon`,
      );
      assert.match(status, new RegExp(`^qm ${PREVIOUS.replaceAll(".", "\\.")} installed$`, "m"));
      assert.match(status, /^nodejs 18\.20\.\S+ installed$/m, "Debian 12's own nodejs");
      installed = treeFiles(tree);
      qmFiles = inTree("dpkg -L qm").trim().split("\n");
    });

    test("Debian's Node.js 18 is the only one: node --version, and where node comes from", () => {
      assert.match(inTree("node --version"), /^v18\.20\.\d+\n$/);
      assert.match(inTree('dpkg -S "$(readlink -f "$(command -v node)")"'), /^nodejs: /);
      assert.equal(inTree("ls /usr/local/bin"), "");
    });

    test("every executable's --help and --version on Node 18", () => {
      for (const exe of [
        "qm",
        "qmctl",
        "qm-quadlet",
        "oci-qm-device-manager",
        "oci-qm-wayland-client-devices",
      ]) {
        const dash = exe === "qm-quadlet" ? "-" : "--";
        assert.match(inTree(`${exe} ${dash}version`), new RegExp(VERSION.replaceAll(".", "\\.")), exe);
        // qm-quadlet, like podman's quadlet (Go's flag package), prints its usage on stderr.
        assert.ok(
          inTree(`${exe} ${dash}help`, {}, exe === "qm-quadlet").trim().length > 0,
          `${exe} ${dash}help`,
        );
      }
      assert.match(
        inTree("/usr/lib/qm-manager/dist/oci-qm-partition-cgroups.cjs --version"),
        /^oci-qm-partition-cgroups /,
      );
      assert.equal(inTree("head -1 /usr/lib/qm-manager/dist/qm.mjs"), "#!/usr/bin/node\n");
    });

    test("qm doctor --json and qm dropin list on Node 18", () => {
      const r = runInTree(tree, "qm doctor --json");
      // Host not ready (4) is an answer too: the tree has no cgroup file system mounted.
      assert.ok(r.status === 0 || r.status === 4, r.stderr);
      const report = JSON.parse(r.stdout) as { qmVersion: string; checks: unknown[] };
      assert.equal(report.qmVersion, VERSION);
      assert.ok(report.checks.length > 5);
      const list = JSON.parse(inTree("qm dropin list --json")) as { packages: { name: string }[] };
      assert.ok(list.packages.some((p) => p.name === "kvm"));
    });

    test("qm-quadlet -dryrun and the systemd generator on Node 18 (Debian 12's podman has no quadlet)", () => {
      const dry = inTree("qm-quadlet -dryrun", {
        QUADLET_UNIT_DIRS: "/usr/lib/qm-manager/share/containers/systemd",
      });
      assert.match(dry, /^---qm\.service---$/m);
      assert.match(dry, /^ExecStart=\/usr\/bin\/podman run /m);
      // -no-kmsg-log: the tree has no /dev/kmsg, and qm-quadlet would create a regular file there.
      inTree(
        "d=$(mktemp -d) && QUADLET_UNIT_DIRS=/usr/lib/qm-manager/share/containers/systemd " +
          '/usr/lib/systemd/system-generators/qm-quadlet-generator -no-kmsg-log "$d" "$d" "$d" && ' +
          'test -s "$d/qm.service" && rm -rf "$d"',
      );
    });

    test("qm setup in the tree (a directory as the partition's tree); the cgroup hook it installs runs on Node 18", () => {
      inTree(
        "mkdir -p /var/tmp/qm-mini/etc /var/tmp/qm-mini/var && echo ID=debian > /var/tmp/qm-mini/etc/os-release",
      );
      timed("qm setup", () =>
        inTree("qm setup --from-dir /var/tmp/qm-mini --hostname pkgtest && rm -rf /var/tmp/qm-mini"),
      );
      for (const p of [
        "/usr/lib/qm/rootfs",
        "/usr/lib/qm/setup-state.json",
        "/etc/qm/containers/containers.conf",
      ])
        assert.ok(existsSync(join(tree, p)), p);
      assert.equal(
        inTree('echo \'{"ociVersion":"1.0.2"}\' | /usr/libexec/qm/oci-qm-partition-cgroups'),
        '{"ociVersion":"1.0.2"}\n',
      );
    });

    test("upgrade to this build keeps edited files under /etc", () => {
      inTree(
        "printf '[Container]\\nEnvironment=EDITED=1\\n' > /etc/containers/systemd/qm.container.d/50-local.conf && " +
          "echo '# edited by a person' >> /etc/qm/containers/containers.conf",
      );
      const edited = [
        "/etc/containers/systemd/qm.container.d/50-local.conf",
        "/etc/qm/containers/containers.conf",
      ].map((p) => [p, readFileSync(join(tree, p), "utf8")] as const);
      const log = timed("upgrade", () =>
        logOf(`apt-get install -y -q --no-install-recommends ${IN_TREE}/${DEB}`),
      );
      assert.match(log, new RegExp(`qm: upgraded from ${PREVIOUS.replaceAll(".", "\\.")}; run 'qm setup'`));
      assert.match(
        inTree(`dpkg-query -W -f '${f("Version")}' qm`),
        new RegExp(`^${VERSION.replaceAll(".", "\\.")}$`),
      );
      for (const [p, text] of edited) assert.equal(readFileSync(join(tree, p), "utf8"), text, p);
      assert.ok(existsSync(join(tree, "usr/lib/qm/rootfs")), "the partition's tree is kept");
      inTree("rm /etc/containers/systemd/qm.container.d/50-local.conf");
    });

    test("qm-kvm from 'qm dropin build kvm --format deb' (Node 18) installs with plain dpkg -i; list sees it; removal keeps the drop-in directories", () => {
      inTree("qm dropin build kvm --format deb --output /var/tmp/qm-dropins");
      const installLog = logOf(`dpkg -i /var/tmp/qm-dropins/qm-kvm_${VERSION}_all.deb`);
      assert.doesNotMatch(installLog, /ignor/i);
      const list = JSON.parse(inTree("qm dropin list --json")) as {
        packages: { name: string; installed: string | null }[];
      };
      assert.deepEqual(
        list.packages.filter((p) => p.name === "kvm").map((p) => p.installed),
        ["dpkg"],
      );
      assert.equal(inTree(`dpkg-query -W -f '${f("Depends")}' qm-kvm`), `qm (>= ${VERSION})`);
      inTree("dpkg -P qm-kvm");
      // The qm package owns them: dpkg keeps them when a sub-package that used them goes.
      for (const d of ["/etc/containers/systemd", "/etc/containers/systemd/qm.container.d"]) {
        assert.ok(existsSync(join(tree, d)), `${d} kept`);
        assert.match(inTree(`dpkg -S ${d}`), /^qm: /m);
      }
    });

    test("qm-oci-hooks through 'qm dropin install FILE.deb' (no waived dependency); the hooks run on Node 18 where podman finds them", () => {
      inTree("qm dropin build oci-hooks --format deb --output /var/tmp/qm-dropins");
      const log = logOf(`qm dropin install /var/tmp/qm-dropins/qm-oci-hooks_${VERSION}_all.deb`);
      assert.doesNotMatch(log, /ignore the dependency/);
      const hooks = "/usr/libexec/oci/hooks.d";
      const spec = (annotations: Record<string, string>): string =>
        `'${JSON.stringify({ ociVersion: "1.0.2", annotations, linux: {} })}'`;
      const audio = JSON.parse(
        inTree(
          `echo ${spec({ "org.containers.qm.device.audio": "true" })} | ${hooks}/oci-qm-device-manager`,
          {
            TEST_LOGFILE: "/tmp/dm.log",
            TEST_MOCK_AUDIO_DEVICES: "/dev/null",
          },
        ),
      ) as { linux: { devices?: { path: string }[] } };
      assert.deepEqual(
        audio.linux.devices?.map((d) => d.path),
        ["/dev/null"],
      );
      const gpu = JSON.parse(
        inTree(
          `echo ${spec({ "org.containers.qm.wayland-client.gpu": "true" })} | ${hooks}/oci-qm-wayland-client-devices`,
          {
            TEST_LOGFILE: "/tmp/wc.log",
            TEST_MOCK_GPU_DEVICES: "/dev/zero",
          },
        ),
      ) as { linux: { devices?: { path: string }[] } };
      assert.deepEqual(
        gpu.linux.devices?.map((d) => d.path),
        ["/dev/zero"],
      );
      // The seat query loads node:child_process on first use; the tree has no loginctl, which is a WARNING.
      inTree(
        `echo ${spec({ "org.containers.qm.wayland.seat": "seat0" })} | ${hooks}/oci-qm-device-manager >/dev/null`,
      );
      const seatLog = readFileSync(join(tree, "var/log/qm-device-manager.log"), "utf8");
      assert.match(seatLog, /WARNING - loginctl .*failed/);
      assert.doesNotMatch(seatLog, / - ERROR - /);
      inTree(
        "rm -f /tmp/dm.log /tmp/wc.log && qm dropin remove qm-oci-hooks && dpkg -P qm-oci-hooks && rm -rf /var/tmp/qm-dropins",
      );
    });

    test("dpkg -r removes the partition and the package; dpkg -P leaves nothing of qm behind", (t) => {
      const removeLog = timed("dpkg -r", () => logOf("dpkg -r qm"));
      assert.match(removeLog, /removed \/usr\/lib\/qm\/rootfs/);
      for (const p of [
        "/usr/lib/qm",
        "/etc/qm",
        "/var/qm",
        "/usr/share/qm",
        "/usr/bin/qm",
        "/usr/lib/qm-manager",
      ])
        assert.ok(!existsSync(join(tree, p)), `${p} removed`);
      assert.ok(existsSync(join(tree, "var/log/qm-device-manager.log")), "logs stay until purge");
      inTree("dpkg -P qm");
      assert.ok(!existsSync(join(tree, "var/log/qm-device-manager.log")), "purge removes the hooks' logs");
      inTree(`rm -rf ${IN_TREE}`);
      const now = treeFiles(tree);
      // Everything new since qm was installed is gone ...
      const added = [...now].filter((p) => !installed.has(p) && !NOT_QMS.test(p));
      assert.deepEqual(added, []);
      // ... so are qm's own files (apart from directories other packages own too) ...
      const owned = new Set(
        inTree(`dpkg-query -L $(dpkg-query -W -f '${f("Package")} ') 2>/dev/null || true`).split("\n"),
      );
      const left = qmFiles.filter((p) => p !== "/." && now.has(p) && !owned.has(p));
      assert.deepEqual(left, []);
      // ... and nothing that was not there before and no package owns names qm (the dependencies' scripts leave
      // alternatives, enablement links and such; merged /usr makes dpkg's paths and the tree's differ).
      const unowned = [...now].filter((p) => !before0.has(p) && !owned.has(p) && !NOT_QMS.test(p));
      assert.deepEqual(
        unowned.filter((p) => /qm/i.test(p)),
        [],
      );
      assert.match(
        inTree(`dpkg-query -W -f '${f("db:Status-Status")}' qm 2>&1 || true`),
        /no packages found|not-installed|^$/,
      );
      t.diagnostic(timings.join("; "));
    });
  });
});
