#!/usr/bin/env node
// The .deb and .rpm of qm itself, from the built bundles (run 'make build' or 'node scripts/build.mjs' first;
// 'make deb rpm' does both).
//
//   node scripts/package.mjs [--output DIR] [--version VERSION] [--sign KEY] deb|rpm...
//
// One release tree, qm-VERSION/ (package.json, LICENSE, README.md, Makefile, dist/, share/, man/, debian/, rpm/),
// is laid out in a temporary directory. The .deb is built there by dpkg-buildpackage (debhelper, debian/), the
// .rpm by rpmbuild from rpm/qm.spec and that tree as a tarball (also the source RPM). File times are clamped to
// the date of debian/changelog's newest entry, so the same inputs give the same packages. The results appear in
// DIR (default packages/) by one rename each: qm_VERSION_all.deb with its .buildinfo and .changes,
// qm-VERSION-1.noarch.rpm and qm-VERSION-1.src.rpm. --version replaces the version (e.g. 0.1.0~rc1 for a build
// that sorts before 0.1.0). --sign KEY signs with that GnuPG key (GNUPGHOME is honoured): the .buildinfo and
// .changes through dpkg-buildpackage, both RPMs through rpmsign. The packager named in the RPMs is debian/control's
// Maintainer. Exit status: 0 built, 1 a build failed, 2 usage error.
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const usage = "usage: node scripts/package.mjs [--output DIR] [--version VERSION] [--sign KEY] deb|rpm...";

function fail(message, status = 1) {
  process.stderr.write(`package: ${message}\n`);
  process.exit(status);
}

const args = process.argv.slice(2);
let output = join(root, "packages");
let version = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
let signKey = null;
const formats = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "--output" && args[i + 1]) output = resolve(args[++i]);
  else if (a === "--version" && args[i + 1]) version = args[++i];
  else if (a === "--sign" && args[i + 1]) signKey = args[++i];
  else if (a === "deb" || a === "rpm") formats.push(a);
  else if (a === "-h" || a === "--help") {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  } else fail(`unknown argument ${a}\n${usage}`, 2);
}
if (formats.length === 0) fail(usage, 2);
// Debian and RPM both accept this; '~' sorts before the version without it in both.
if (!/^[0-9][A-Za-z0-9.+~]*$/.test(version)) fail(`not a package version: ${version}`, 2);
// The bundles: dist/, or QM_DIST_DIR (as scripts/build.mjs and the tests use it).
const dist = process.env.QM_DIST_DIR ?? join(root, "dist");
if (!existsSync(join(dist, "qm.mjs"))) fail(`${dist} is not built: run 'make build' first`);

/** Runs a command; on failure prints its output's tail and exits. */
function run(file, argv, options = {}) {
  const r = spawnSync(file, argv, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, ...options });
  if (r.error) fail(`${file}: ${r.error.message}`);
  if (r.status !== 0) {
    const tail = `${r.stdout}\n${r.stderr}`.trim().split("\n").slice(-40).join("\n");
    fail(`${file} ${argv.join(" ")} failed (exit ${r.status}):\n${tail}`);
  }
  return r.stdout;
}

/** The newest debian/changelog entry's date, as seconds since the epoch: every file time in both packages. */
function changelogEpoch(text) {
  const m = /^ -- .+? {2}(.+)$/m.exec(text);
  const t = m ? Date.parse(m[1]) : Number.NaN;
  if (Number.isNaN(t)) fail("debian/changelog: no date in its newest entry");
  return Math.floor(t / 1000);
}

const changelog = readFileSync(join(root, "debian/changelog"), "utf8");
const maintainer = /^Maintainer: (.+)$/m.exec(readFileSync(join(root, "debian/control"), "utf8"))?.[1];
if (!maintainer) fail("debian/control has no Maintainer");
const epoch = changelogEpoch(changelog);
const env = {
  ...process.env,
  SOURCE_DATE_EPOCH: String(epoch),
  LC_ALL: "C.UTF-8",
  TZ: "UTC",
  // The Makefile's own variables must not leak into the package builds' make.
  MAKEFLAGS: "",
  MAKELEVEL: "",
};
const work = mkdtempSync(join(tmpdir(), "qm-package-"));
// Also when fail() exits in the middle of a build.
process.on("exit", () => rmSync(work, { recursive: true, force: true }));
const name = `qm-${version}`;
const tree = join(work, name);
const made = [];

try {
  mkdirSync(tree);
  for (const entry of ["package.json", "LICENSE", "README.md", "Makefile", "share", "man", "debian", "rpm"])
    cpSync(join(root, entry), join(tree, entry), { recursive: true });
  cpSync(dist, join(tree, "dist"), { recursive: true });
  // The version the packages carry: debian/changelog's newest entry and the spec's Version line.
  writeFileSync(join(tree, "debian/changelog"), changelog.replace(/^qm \([^)]*\)/, `qm (${version})`));
  const specPath = join(tree, "rpm/qm.spec");
  writeFileSync(
    specPath,
    readFileSync(specPath, "utf8").replace(/^Version:(\s+).*$/m, `Version:$1${version}`),
  );

  if (formats.includes("deb")) {
    const sign = signKey ? [`--sign-key=${signKey}`] : ["--no-sign"];
    run("dpkg-buildpackage", ["--build=binary", ...sign], { cwd: tree, env });
    for (const f of readdirSync(work).filter((f) => /^qm_.*\.(deb|buildinfo|changes)$/.test(f)))
      made.push(join(work, f));
  }
  if (formats.includes("rpm")) {
    const top = join(work, "rpmbuild");
    mkdirSync(join(top, "SOURCES"), { recursive: true });
    // A reproducible tarball: sorted names, fixed owner and times, gzip without a name or time stamp. Only the
    // top-level debian/ is left out (share/selinux/debian holds the SELinux module's sources).
    const tar = spawnSync(
      "sh",
      [
        "-c",
        'tar --sort=name --mtime="@$1" --owner=0 --group=0 --numeric-owner --exclude="$3/debian" -C "$2" -cf - "$3" | gzip -9n > "$4"',
        "sh",
        String(epoch),
        work,
        name,
        join(top, "SOURCES", `${name}.tar.gz`),
      ],
      { encoding: "utf8" },
    );
    if (tar.status !== 0) fail(`making the source tarball failed: ${tar.stderr}`);
    // On a distribution that does not use rpm, its database knows no package: BuildRequires cannot be checked.
    const rpmHost = spawnSync("rpm", ["-q", "rpm"], { encoding: "utf8" }).status === 0;
    const define = (k, v) => ["--define", `${k} ${v}`];
    run(
      "rpmbuild",
      [
        "-ba",
        ...(rpmHost ? [] : ["--nodeps"]),
        ...define("_topdir", top),
        ...define("_buildhost", "qm"),
        ...define("packager", maintainer),
        ...define("use_source_date_epoch_as_buildtime", "1"),
        ...define("clamp_mtime_to_source_date_epoch", "1"),
        ...define("_build_id_links", "none"),
        // Debian's rpm runs brp-compress with dash, whose read has no -d: man pages would stay uncompressed.
        // A noarch package needs nothing else of __os_install_post (no ELF files to strip).
        ...(rpmHost ? [] : define("__os_install_post", "bash /usr/lib/rpm/brp-compress %{_prefix}")),
        specPath,
      ],
      { env },
    );
    const rpms = [join(top, "RPMS/noarch"), join(top, "SRPMS")].flatMap((dir) =>
      readdirSync(dir)
        .filter((f) => f.endsWith(".rpm"))
        .map((f) => join(dir, f)),
    );
    if (signKey) {
      // Debian's rpm names gpg2, which Debian no longer ships under that name.
      const gpg = spawnSync("sh", ["-c", "command -v gpg2 || command -v gpg"], {
        encoding: "utf8",
      }).stdout.trim();
      run("rpmsign", [...define("_gpg_name", signKey), ...define("__gpg", gpg), "--addsign", ...rpms], {
        env,
      });
    }
    made.push(...rpms);
  }

  mkdirSync(output, { recursive: true });
  for (const file of made) {
    const base = file.slice(file.lastIndexOf("/") + 1);
    // Copy next to the destination, then rename: a package in DIR is always complete.
    const temp = join(output, `.${base}.${process.pid}.tmp`);
    try {
      copyFileSync(file, temp);
      renameSync(temp, join(output, base));
    } finally {
      rmSync(temp, { force: true });
    }
    process.stdout.write(`${join(output, base)} ${statSync(join(output, base)).size}\n`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
