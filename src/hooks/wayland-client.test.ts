// The wayland-client hook, run as the bundled executable. Mirrors upstream's test_wayland_gpu.py
// and the wayland-client parts of test_qm_error_handling.py and test_qm_performance.py.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { tempDir } from "../../test/helpers.js";
import { devicesOf, MockDevices, rulesOf, runHook, schemaProblems, specWith } from "./testing.js";

const WC = "oci-qm-wayland-client-devices";
const GPU = "org.containers.qm.wayland-client.gpu";

async function gpuRun(t: import("node:test").TestContext, value: string, extra: Record<string, string> = {}) {
  const dir = tempDir(t);
  const gpu = new MockDevices(dir).get("gpu");
  const run = await runHook(WC, specWith({ [GPU]: value, ...extra }), dir, { mocks: { gpu } });
  return { run, gpu };
}

describe("GPU annotation values (test_wayland_gpu)", () => {
  for (const value of ["true", "1", "yes", "True", "TRUE", "YES"]) {
    test(`${JSON.stringify(value)} enables the GPU: the render node and an allow rule are added`, async (t) => {
      const { run, gpu } = await gpuRun(t, value);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(schemaProblems(run.spec), []);
      assert.deepEqual(devicesOf(run.spec), [
        { path: gpu[0], type: "c", major: 226, minor: 128, fileMode: 8624, uid: 0, gid: 0 },
      ]);
      assert.deepEqual(rulesOf(run.spec), [
        { allow: true, type: "c", major: 226, minor: 128, access: "rwm" },
      ]);
    });
  }

  for (const value of ["false", "0", "no", "False", "NO", "FaLsE", "nO", "fAlSe", "No", "FALSE"]) {
    test(`${JSON.stringify(value)} gives no device`, async (t) => {
      const { run } = await gpuRun(t, value);
      assert.equal(run.code, 0);
      assert.equal(devicesOf(run.spec).length, 0);
      assert.match(run.log, /present but disabled/);
    });
  }

  const malformed = ["2", "42", "maybe", "truthy", "YES_PLEASE", "null", "", "[]", "{}", "true false"];
  for (const value of [...malformed, "TRUE;true", "on", "off", "enable", "disable", "TrUe", "Yes", " true"]) {
    test(`malformed value ${JSON.stringify(value)} gives no device`, async (t) => {
      const { run } = await gpuRun(t, value);
      assert.equal(run.code, 0);
      assert.equal(devicesOf(run.spec).length, 0);
      assert.equal(rulesOf(run.spec).length, 0);
    });
  }
});

describe("wayland-client behaviour", () => {
  test("GPU plus junk annotations succeeds", async (t) => {
    const { run } = await gpuRun(t, "true", {
      "org.containers.qm.wayland-client.junk": "%%%",
      "org.containers.qm.device.nonsense": "true",
      "random.key": "$(reboot)",
    });
    assert.equal(run.code, 0);
    assert.equal(devicesOf(run.spec).length, 1);
  });

  test("an existing render node is not added twice; other devices and rules are preserved", async (t) => {
    const dir = tempDir(t);
    const gpu = new MockDevices(dir).get("gpu");
    const linux = {
      devices: [
        { path: gpu[0], type: "c", major: 226, minor: 128 },
        { path: "/dev/existing", type: "c", major: 1, minor: 1 },
      ],
      resources: { devices: [{ allow: false, access: "rwm" }] },
    };
    const run = await runHook(WC, specWith({ [GPU]: "true" }, linux), dir, { mocks: { gpu } });
    assert.deepEqual(run.spec?.linux, linux);
    assert.match(run.log, /GPU device already exists in spec/);
  });

  test("the linux section is created when the GPU is granted", async (t) => {
    const dir = tempDir(t);
    const gpu = new MockDevices(dir).get("gpu");
    const run = await runHook(WC, { annotations: { [GPU]: "yes" } }, dir, { mocks: { gpu } });
    assert.equal(devicesOf(run.spec).length, 1);
    assert.equal(rulesOf(run.spec).length, 1);
  });

  test("output is indented like jq's, and the log ends with upstream's lines", async (t) => {
    const { run } = await gpuRun(t, "true");
    assert.match(run.stdout, /^\{\n {2}"annotations": \{/);
    const lines = run.log.trim().split("\n");
    assert.match(lines.at(-2) ?? "", / - qm-wayland-client-devices - INFO - Total devices in final spec: 1$/);
    assert.match(lines.at(-1) ?? "", / - INFO - QM Wayland Client Devices hook completed successfully$/);
  });

  test("no /dev/dri on the host: no device, no error", async (t) => {
    const dir = tempDir(t);
    const run = await runHook(WC, specWith({ [GPU]: "true" }), dir);
    assert.equal(run.code, 0);
    assert.equal(run.stderr, "");
    assert.deepEqual(schemaProblems(run.spec), []);
  });

  test("performance: under 3 s once, under 2 s each of three times", async (t) => {
    const first = await gpuRun(t, "true");
    assert.ok(first.run.ms < 3000, `${first.run.ms} ms`);
    for (let i = 0; i < 3; i++) {
      const { run } = await gpuRun(t, "true");
      assert.equal(run.code, 0);
      assert.ok(run.ms < 2000, `${run.ms} ms`);
    }
  });
});
