import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { type TestContext, test } from "node:test";
import { QmError } from "../core/errors.js";
import { shareDir } from "../core/paths.js";
import { loadContext } from "../partition/context.js";
import { generateService } from "../quadlet/index.js";
import { installDirect, readState, removeInstalled, STATE_PATH } from "./install.js";
import { listDropins } from "./list.js";
import { loadPackage } from "./package.js";
import { scaffold } from "./scaffold.js";

const KVM_CONF = "/etc/containers/systemd/qm.container.d/qm_dropin_mount_bind_kvm.conf";

function tempRoot(t: TestContext, withQm = true): string {
  const root = mkdtempSync(join(tmpdir(), "qm-dropin-unit-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  if (withQm) {
    mkdirSync(join(root, "usr/share/containers/systemd"), { recursive: true });
    writeFileSync(
      join(root, "usr/share/containers/systemd/qm.container"),
      readFileSync(join(shareDir(), "containers/systemd/qm.container")),
    );
  }
  return root;
}

function listing(root: string): string[] {
  const out: string[] = [];
  const visit = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      out.push(relative(root, join(d, e.name)));
      if (e.isDirectory()) visit(join(d, e.name));
    }
  };
  visit(root);
  return out.sort();
}

test("direct install writes marked, recorded files; remove restores the tree exactly", async (t) => {
  const root = tempRoot(t);
  writeFileSync(join(root, "dev-placeholder"), "");
  const before = listing(root);
  const r = await installDirect(loadPackage("kvm"), { root });
  assert.deepEqual(
    r.files.map((f) => f.action),
    ["created", "created"],
  );
  assert.match(readFileSync(join(root, KVM_CONF), "utf8"), /^# qm-dropin: package=qm-kvm version=/);
  assert.deepEqual(
    readState(root).packages["qm-kvm"]?.files.map((f) => f.path),
    [KVM_CONF, "/etc/qm/containers/systemd/kvm.container"],
  );
  // The partition below this root is the one to restart, not the host's.
  assert.equal(
    r.messages[0],
    `qm-kvm installed; restart the QM partition to apply it: qm restart --root ${root}`,
  );
  const again = await installDirect(loadPackage("kvm"), { root });
  assert.deepEqual(
    again.files.map((f) => f.action),
    ["unchanged", "unchanged"],
  );
  const removed = await removeInstalled("kvm", { root });
  assert.deepEqual(removed.messages, [
    `qm-kvm removed; restart the QM partition to apply it: qm restart --root ${root}`,
  ]);
  assert.equal(removed.via, "direct");
  assert.deepEqual(listing(root), before);
});

test("remove keeps a recorded file a person rewrote without the marker, and says so", async (t) => {
  const root = tempRoot(t);
  await installDirect(loadPackage("kvm"), { root });
  writeFileSync(join(root, KVM_CONF), "[Container]\nAddDevice=-/dev/kvm\n");
  const r = await removeInstalled("qm-kvm", { root });
  assert.deepEqual(
    r.files.find((f) => f.path === KVM_CONF),
    { path: KVM_CONF, action: "kept", why: "changed since installation and no longer carries the marker" },
  );
  assert.ok(existsSync(join(root, KVM_CONF)));
  assert.ok(!existsSync(join(root, "etc/qm/containers/systemd/kvm.container")));
  assert.ok(!existsSync(join(root, STATE_PATH)));
});

test("a local file at a destination is never overwritten; a missing dependency stops installation", async (t) => {
  const root = tempRoot(t);
  mkdirSync(join(root, "etc/containers/systemd/qm.container.d"), { recursive: true });
  writeFileSync(join(root, KVM_CONF), "[Container]\n");
  const before = listing(root);
  await assert.rejects(installDirect(loadPackage("kvm"), { root }), (e: unknown) => {
    return e instanceof QmError && e.code === "QM_DROPIN_CONFLICT";
  });
  await assert.rejects(installDirect(loadPackage("sound"), { root }), (e: unknown) => {
    return (
      e instanceof QmError &&
      e.code === "QM_DROPIN_DEPENDENCY" &&
      /qm dropin install oci-hooks/.test(e.hint ?? "")
    );
  });
  assert.deepEqual(listing(root), before);
  await assert.rejects(removeInstalled("kvm", { root }), /not installed/);
});

test("an invalid custom sub-package is refused and the root is unchanged", async (t) => {
  const root = tempRoot(t);
  const work = tempRoot(t, false);
  const { dir } = scaffold({ name: "cam", parent: work, nestedUnit: true, devices: ["/dev/video1"] });
  const before = listing(root);
  writeFileSync(
    join(dir, "qm_dropin_cam.conf"),
    "[Container]\nAddDevice=-/dev/video1\nAddDevcie=/dev/video2\n",
  );
  await assert.rejects(installDirect(loadPackage(dir), { root }), (e: unknown) => {
    return (
      e instanceof QmError &&
      e.code === "QM_QUADLET_UNSUPPORTED_KEY" &&
      e.location?.file === join(dir, "qm_dropin_cam.conf") &&
      e.location.line === 3
    );
  });
  assert.deepEqual(listing(root), before);
});

test("a scaffolded sub-package installs and adds its device to the partition", async (t) => {
  const root = tempRoot(t);
  writeFileSync(join(root, "video1"), "");
  mkdirSync(join(root, "dev"));
  writeFileSync(join(root, "dev/video1"), "");
  const { dir, files } = scaffold({
    name: "cam",
    parent: tempRoot(t, false),
    nestedUnit: true,
    devices: ["/dev/video1"],
  });
  assert.deepEqual(files, ["cam.container", "dropin.json", "qm_dropin_cam.conf"]);
  assert.throws(
    () => scaffold({ name: "cam", parent: join(dir, ".."), nestedUnit: false, devices: [] }),
    /exists/,
  );
  await installDirect(loadPackage(dir), { root });
  assert.ok(generateService(root, "qm.container").execStart.join(" ").includes("--device /dev/video1"));
  assert.ok(existsSync(join(root, "etc/qm/containers/systemd/cam.container")));
});

test("list: catalog state, drop-ins in effect with their owner, and a pending restart", async (t) => {
  const root = tempRoot(t);
  await installDirect(loadPackage("kvm"), { root });
  writeFileSync(join(root, "etc/containers/systemd/qm.container.d/99-local.conf"), "[Container]\n");
  mkdirSync(join(root, "usr/lib/containers/systemd/qm.container.d"), { recursive: true });
  writeFileSync(join(root, "usr/lib/containers/systemd/qm.container.d/50-vendor.conf"), "[Container]\n");
  let r = await listDropins(root);
  assert.equal(r.packages.find((p) => p.name === "kvm")?.installed, "direct");
  assert.equal(r.packages.find((p) => p.name === "ros2")?.installed, null);
  assert.deepEqual(
    r.dropins.map((d) => [d.path, d.package, d.inEffect]),
    // In the order quadlet applies them: by file name.
    [
      ["/etc/containers/systemd/qm.container.d/99-local.conf", null, true],
      [KVM_CONF, "qm-kvm", true],
      ["/usr/lib/containers/systemd/qm.container.d/50-vendor.conf", null, false],
    ],
  );
  assert.equal(r.running, false);
  assert.equal(r.restartPending, false);

  // A partition started with the configuration as it is now: no restart pending until a drop-in changes.
  const started = loadContext(root).configHash;
  const runState = async () => ({ running: true, pending: () => loadContext(root).configHash !== started });
  assert.equal((await listDropins(root, { runState })).restartPending, false);
  await removeInstalled("kvm", { root });
  r = await listDropins(root, { runState });
  assert.equal(r.running, true);
  assert.equal(r.restartPending, true);
  // A broken configuration cannot be compared: unknown, with the reason.
  writeFileSync(join(root, "etc/containers/systemd/qm.container.d/99-local.conf"), "[Container]\nBogus=1\n");
  r = await listDropins(root, {
    runState: async () => ({ running: true, pending: () => loadContext(root).configHash !== started }),
  });
  assert.equal(r.restartPending, null);
  assert.match(r.notes[0] ?? "", /99-local\.conf:2:1: unsupported key 'Bogus'/);
});
