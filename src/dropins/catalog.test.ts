import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { shareDir } from "../core/paths.js";
import { HOOK_CONFIGS, HOOK_EXECUTABLES } from "../hooks/install-plan.js";
import { generateServiceFrom } from "../quadlet/index.js";
import { memoryUnitFs } from "../unit/fs.js";
import { catalogNames, loadPackage, readMarker } from "./package.js";
import { NESTED_UNIT_DIR, validateFiles } from "./validate.js";

const shipped = readFileSync(join(shareDir(), "containers/systemd/qm.container"), "utf8");
/** The host as the shipped qm.container sees it, with every optional device present. */
const host = (files: Record<string, string> = {}) =>
  memoryUnitFs({
    "/usr/share/containers/systemd/qm.container": shipped,
    "/dev/kvm": "",
    "/dev/net/tun": "",
    "/dev/video0": "",
    "/dev/fuse": "",
    ...files,
  });

const EXPECTED = [
  "dvb",
  "img_tempdir",
  "input",
  "kvm",
  "oci-hooks",
  "radio",
  "ros2",
  "sound",
  "text2speech",
  "tty7",
  "ttyUSB0",
  "video",
  "wayland",
];

test("the catalog holds upstream's sub-packages", () => {
  assert.deepEqual(catalogNames(), EXPECTED);
});

for (const name of EXPECTED) {
  test(`catalog ${name}: manifest parses, files carry the marker, qm.container generates with it`, () => {
    const pkg = loadPackage(name);
    assert.equal(pkg.manifest.name, name);
    assert.match(pkg.manifest.package, /^qm-/);
    assert.ok(pkg.manifest.upstream, "upstream status recorded");
    for (const f of pkg.files) {
      if (/\.(conf|container|socket|ini)$/.test(f.destination))
        assert.equal(readMarker(f.content)?.package, pkg.manifest.package, f.destination);
    }
    const report = validateFiles(host(), pkg.files);
    assert.equal(report.execStart[0], "/usr/bin/podman");
    assert.equal(report.nested.length, pkg.files.filter((f) => f.kind === "nested-unit").length);
  });
}

/** The podman command line of the partition with one catalog entry's files in place. */
function withEntry(name: string): string {
  const pkg = loadPackage(name);
  const files = Object.fromEntries(pkg.files.map((f) => [f.destination, f.content.toString("utf8")]));
  return generateServiceFrom(host(files), "qm.container").execStart.join(" ");
}

test("catalog effects on the partition's podman command match upstream's", () => {
  const base = generateServiceFrom(host(), "qm.container").execStart.join(" ");
  assert.doesNotMatch(base, /\/dev\/net\/tun/);
  assert.match(withEntry("kvm"), /--device \/dev\/net\/tun/);
  assert.match(withEntry("kvm"), /--device \/dev\/kvm/);
  assert.match(withEntry("video"), /--device \/dev\/video0/);
  assert.match(withEntry("sound"), /--annotation org\.containers\.qm\.device\.audio=true/);
  assert.match(withEntry("tty7"), /--annotation org\.containers\.qm\.device\.ttys=true/);
  assert.match(withEntry("ttyUSB0"), /--annotation org\.containers\.qm\.device\.ttyUSB=true/);
  assert.match(withEntry("input"), /org\.containers\.qm\.device\.input=true/);
  assert.match(withEntry("dvb"), /org\.containers\.qm\.device\.dvb=true/);
  assert.match(withEntry("radio"), /org\.containers\.qm\.device\.radio=true/);
  assert.match(withEntry("wayland"), /--annotation org\.containers\.qm\.wayland\.seat=seat0/);
  // Entries without a qm.container drop-in leave the partition's command alone.
  for (const name of ["ros2", "img_tempdir", "oci-hooks", "text2speech"])
    assert.equal(withEntry(name), base, name);
});

test("kvm's nested unit runs the upstream image with /dev/kvm inside the partition", () => {
  const pkg = loadPackage("kvm");
  const unit = pkg.files.find((f) => f.destination === `${NESTED_UNIT_DIR}/kvm.container`);
  assert.ok(unit);
  const fs = memoryUnitFs({ [unit.destination]: unit.content.toString("utf8"), "/dev/kvm": "" });
  const svc = generateServiceFrom(fs, "kvm.container", { env: { QUADLET_UNIT_DIRS: NESTED_UNIT_DIR } });
  const argv = svc.execStart.join(" ");
  assert.match(argv, /--name kvm-container/);
  assert.match(argv, /--device \/dev\/kvm/);
  assert.match(argv, /quay\.io\/qm-images\/kvm:latest/);
});

test("oci-hooks installs the hook plan's files; img_tempdir the containers.conf drop-in", () => {
  const hooks = loadPackage("oci-hooks").files.map((f) => f.destination);
  assert.deepEqual(
    hooks,
    [
      ...HOOK_EXECUTABLES.map((n) => `/usr/libexec/oci/hooks.d/${n}`),
      ...HOOK_CONFIGS.map((n) => `/usr/share/containers/oci/hooks.d/${n}`),
    ].sort(),
  );
  for (const f of loadPackage("oci-hooks").files)
    assert.equal(f.mode, f.destination.endsWith(".json") ? 0o644 : 0o755, f.destination);
  const conf = loadPackage("img_tempdir").files[0];
  assert.equal(conf?.destination, "/etc/qm/containers/containers.conf.d/qm_dropin_img_tempdir.conf");
  assert.match(conf?.content.toString() ?? "", /^image_copy_tmp_dir="\/var\/tmp\.dir"$/m);
  assert.deepEqual(loadPackage("text2speech").manifest.requires, ["qm-sound"]);
  assert.deepEqual(loadPackage("sound").manifest.requires, ["qm-oci-hooks"]);
});
