import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot } from "../../test/helpers.js";
import { hookInstallPlan } from "./install-plan.js";

test("host plan: executables in /usr/libexec/oci/hooks.d, configs in /usr/share/containers/oci/hooks.d", () => {
  assert.deepEqual(hookInstallPlan(), [
    {
      source: "dist/oci-qm-device-manager.cjs",
      destination: "/usr/libexec/oci/hooks.d/oci-qm-device-manager",
      mode: 0o755,
    },
    {
      source: "dist/oci-qm-wayland-client-devices.cjs",
      destination: "/usr/libexec/oci/hooks.d/oci-qm-wayland-client-devices",
      mode: 0o755,
    },
    {
      source: "share/oci/hooks.d/oci-qm-device-manager.json",
      destination: "/usr/share/containers/oci/hooks.d/oci-qm-device-manager.json",
      mode: 0o644,
    },
    {
      source: "share/oci/hooks.d/oci-qm-seat-manager.json",
      destination: "/usr/share/containers/oci/hooks.d/oci-qm-seat-manager.json",
      mode: 0o644,
    },
    {
      source: "share/oci/hooks.d/oci-qm-wayland-client-devices.json",
      destination: "/usr/share/containers/oci/hooks.d/oci-qm-wayland-client-devices.json",
      mode: 0o644,
    },
  ]);
});

test("partition plan: the same files under the rootfs", () => {
  const plan = hookInstallPlan({ root: "/usr/lib/qm/rootfs" });
  assert.deepEqual(
    plan.map((f) => f.destination),
    hookInstallPlan().map((f) => `/usr/lib/qm/rootfs${f.destination}`),
  );
  assert.throws(() => hookInstallPlan({ root: "relative/dir" }), /absolute/);
});

test("every source exists, and every hook.path in a config is a planned executable", () => {
  const plan = hookInstallPlan();
  const dist = process.env.QM_DIST_DIR;
  for (const f of plan) {
    const path =
      dist && f.source.startsWith("dist/") ? join(dist, f.source.slice(5)) : join(repoRoot, f.source);
    assert.ok(existsSync(path), path);
  }
  const executables = new Set(plan.filter((f) => f.mode === 0o755).map((f) => f.destination));
  for (const f of plan.filter((p) => p.source.endsWith(".json"))) {
    const config = JSON.parse(readFileSync(join(repoRoot, f.source), "utf8")) as { hook: { path: string } };
    assert.ok(executables.has(config.hook.path), config.hook.path);
  }
});
