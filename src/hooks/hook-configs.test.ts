// The checks of upstream's test_hook_configs.py, on share/oci/hooks.d/oci-qm-*.json.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, test } from "node:test";
import { distBin, repoRoot } from "../../test/helpers.js";

const dir = join(repoRoot, "share/oci/hooks.d");
const files = readdirSync(dir).filter((f) => f.startsWith("oci-qm-") && f.endsWith(".json"));

interface HookConfig {
  version?: unknown;
  hook?: { path?: unknown };
  when?: { annotations?: Record<string, unknown> };
  stages?: unknown;
}
const load = (file: string): HookConfig => JSON.parse(readFileSync(join(dir, file), "utf8")) as HookConfig;
const annotationsOf = (file: string): Record<string, unknown> => load(file).when?.annotations ?? {};

test("the three upstream hook configurations are shipped", () => {
  assert.deepEqual(files.sort(), [
    "oci-qm-device-manager.json",
    "oci-qm-seat-manager.json",
    "oci-qm-wayland-client-devices.json",
  ]);
});

for (const file of files) {
  describe(file, () => {
    test("is valid JSON with version, hook, when, stages and hook.path", () => {
      const config = load(file);
      for (const key of ["version", "hook", "when", "stages"]) assert.ok(key in config, key);
      assert.equal(typeof config.hook?.path, "string");
    });

    test("version is semver 1.0.0 (podman's current hook schema)", () => {
      assert.match(String(load(file).version), /^\d+\.\d+\.\d+$/);
      assert.equal(load(file).version, "1.0.0");
    });

    test("stages: valid OCI stages, precreate included, poststop excluded", () => {
      const stages = load(file).stages;
      assert.ok(Array.isArray(stages) && stages.length > 0);
      for (const s of stages) assert.ok(["prestart", "precreate", "poststart", "poststop"].includes(s), s);
      assert.ok(stages.includes("precreate"));
      assert.ok(!stages.includes("poststop"));
    });

    test("annotation keys and values compile as regular expressions", () => {
      const annotations = annotationsOf(file);
      assert.ok(Object.keys(annotations).length > 0);
      for (const [key, value] of Object.entries(annotations)) {
        assert.doesNotThrow(() => new RegExp(key), key);
        assert.equal(typeof value, "string");
        assert.doesNotThrow(() => new RegExp(String(value)), String(value));
      }
    });

    test("hook.path names an installed executable we build (the seat manager shares the device manager)", () => {
      const path = String(load(file).hook?.path);
      assert.match(path, /^\/usr\/libexec\/oci\/hooks\.d\//);
      const expected =
        file === "oci-qm-seat-manager.json" ? "oci-qm-device-manager" : basename(file, ".json");
      assert.equal(basename(path), expected);
      const bundle = statSync(distBin(expected));
      assert.ok(bundle.isFile() && (bundle.mode & 0o111) !== 0);
    });
  });
}

test("the device pattern matches audio, video, input and ttys annotations", () => {
  const patterns = Object.keys(annotationsOf("oci-qm-device-manager.json")).filter((p) =>
    p.includes("device"),
  );
  assert.ok(patterns.length > 0);
  for (const p of patterns) {
    for (const type of ["audio", "video", "input", "ttys"]) {
      assert.match(`org.containers.qm.device.${type}`, new RegExp(p));
    }
    assert.doesNotMatch("org.containers.qm.devicex", new RegExp(p));
  }
});

test("the wayland-client pattern matches ...wayland-client.gpu; the seat pattern matches ...wayland.seat", () => {
  for (const p of Object.keys(annotationsOf("oci-qm-wayland-client-devices.json"))) {
    assert.match("org.containers.qm.wayland-client.gpu", new RegExp(p));
  }
  for (const p of Object.keys(annotationsOf("oci-qm-seat-manager.json"))) {
    assert.match("org.containers.qm.wayland.seat", new RegExp(p));
  }
});

test("no annotation pattern appears in two hooks", () => {
  const all = files.flatMap((f) => Object.keys(annotationsOf(f)));
  assert.equal(new Set(all).size, all.length);
});

test("hook bundles stay light: only node:fs and node:path loaded up front, no qm CLI code", (t) => {
  // npm run mutate bundles instrumented code (every mutant inside, and its switches): size and shape say nothing there.
  if (process.env.QM_MUTATE_GROUP) return t.skip("bundles are instrumented in a mutation run");
  for (const name of ["oci-qm-device-manager", "oci-qm-wayland-client-devices"]) {
    const code = readFileSync(distBin(name), "utf8");
    // CommonJS bundles: module-level requires are on unindented `var` lines; lazy ones sit inside functions.
    const topLevel = code.split("\n").filter((l) => l.startsWith("var "));
    const imports = topLevel.flatMap((l) => [...l.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]));
    assert.deepEqual([...new Set(imports)].sort(), ["node:fs", "node:path"], name);
    assert.doesNotMatch(code, /^import /m, `${name} is CommonJS (Node 18 runs it without an extension)`);
    assert.ok(code.length < 32 * 1024, `${name} is ${code.length} bytes`);
    assert.doesNotMatch(code, /QmError|Usage: qm /, name);
  }
});
