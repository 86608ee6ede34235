// The two hooks' own logic, in process: deviceManager.run and waylandClientDevices.run on specs, with mock
// device lists (regular files, as in upstream's tests) and a log collector.
import assert from "node:assert/strict";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { tempDir } from "../../test/helpers.js";
import { deviceManager } from "./device-manager.js";
import type { Level } from "./log.js";
import type { HookContext } from "./runner.js";
import type { Json } from "./spec.js";
import { devicesOf, MockDevices, rulesOf } from "./testing.js";
import { waylandClientDevices } from "./wayland-client.js";

const DEVICE = "org.containers.qm.device.";
const SEAT = "org.containers.qm.wayland.seat";
const GPU = "org.containers.qm.wayland-client.gpu";

function context(mocks: Record<string, string[]> = {}, testMode = true): HookContext & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    env: { testMode, mocks: new Map(Object.entries(mocks).map(([k, v]) => [k.toUpperCase(), v])) },
    log: { log: (level: Level, message: string) => lines.push(`${level} ${message}`) },
  };
}

function fixture(t: TestContext) {
  const dir = tempDir(t);
  return { dir, mock: new MockDevices(dir) };
}

test("device manager: linux is created when missing or null, even with nothing to do", () => {
  for (const spec of [{}, { linux: null }] as Json[]) {
    const c = context();
    assert.equal(deviceManager.run(spec, c), true);
    assert.deepEqual(spec.linux, {});
    assert.deepEqual(c.lines, ["INFO No QM device annotations found"]);
  }
  const c = context();
  const spec: Json = { linux: {}, annotations: null };
  assert.equal(deviceManager.run(spec, c), false);
  assert.deepEqual(spec, { linux: {}, annotations: null });
});

test("device manager: annotations that are not an object leave the spec alone", () => {
  for (const annotations of [[], "x", 3]) {
    const c = context();
    const spec: Json = { linux: {}, annotations };
    assert.equal(deviceManager.run(spec, c), false);
    assert.deepEqual(c.lines, ["ERROR annotations is not an object; spec left unchanged"]);
    const bare: Json = { annotations };
    assert.equal(deviceManager.run(bare, context()), true, "linux was created");
  }
});

test("device manager: a malformed linux section is reported and left as it is", (t) => {
  const { mock } = fixture(t);
  const audio = mock.get("audio");
  for (const [linux, problem] of [
    [{ devices: {} }, "linux.devices is not an array"],
    [{ resources: { devices: "x" } }, "linux.resources.devices is not an array"],
  ] as const) {
    const c = context({ audio });
    const spec: Json = { annotations: { [`${DEVICE}audio`]: "true" }, linux };
    assert.equal(deviceManager.run(spec, c), false);
    assert.deepEqual(c.lines, [`ERROR ${problem}; spec left unchanged`]);
    assert.deepEqual(spec.linux, linux);
  }
});

test("device manager: a device type adds its devices in list order, logged, without cgroup rules", (t) => {
  const { dir, mock } = fixture(t);
  const audio = mock.get("audio");
  const c = context({ audio });
  const spec: Json = { annotations: { [`${DEVICE}audio`]: "true", other: "x" }, linux: {} };
  assert.equal(deviceManager.run(spec, c), true);
  assert.deepEqual(devicesOf(spec), [
    { path: join(dir, "snd/controlC0"), type: "c", major: 116, minor: 1, fileMode: 8624, uid: 0, gid: 63 },
    { path: join(dir, "snd/pcmC0D0p"), type: "c", major: 116, minor: 2, fileMode: 8624, uid: 0, gid: 63 },
  ]);
  assert.deepEqual(rulesOf(spec), []);
  assert.deepEqual(c.lines, [
    "INFO Processing QM device annotations",
    `INFO Processing annotation: ${DEVICE}audio=true`,
    "INFO Enabling audio devices",
    `INFO Adding device: ${dir}/snd/controlC0 (type=c, major=116, minor=1)`,
    `INFO Adding device: ${dir}/snd/pcmC0D0p (type=c, major=116, minor=2)`,
    "INFO Found 2 devices for audio",
  ]);
});

test("device manager: devices already in the spec, missing paths and empty lists change nothing", (t) => {
  const { dir, mock } = fixture(t);
  const [first] = mock.get("ttyUSB");
  const gone = join(dir, "ttyUSB9");
  const existing = { path: first, type: "c", major: 188, minor: 0 };
  const c = context({ ttyUSB: [first as string, gone], radio: [] });
  const spec: Json = {
    annotations: { [`${DEVICE}ttyUSB`]: "yes", [`${DEVICE}radio`]: "1" },
    linux: { devices: [existing] },
  };
  assert.equal(deviceManager.run(spec, c), false);
  assert.deepEqual(devicesOf(spec), [existing]);
  assert.deepEqual(c.lines, [
    "INFO Processing QM device annotations",
    `INFO Processing annotation: ${DEVICE}ttyUSB=yes`,
    "INFO Enabling ttyUSB devices",
    `WARNING Not a device node, skipping: ${gone}`,
    "INFO Found 0 devices for ttyUSB",
    `INFO Processing annotation: ${DEVICE}radio=1`,
    "INFO Enabling radio devices",
    "INFO Found 0 devices for radio",
  ]);
});

test("device manager: unknown types, values that do not enable, non-string values and unknown keys", (t) => {
  const { mock } = fixture(t);
  const audio = mock.get("audio");
  const c = context({ audio });
  const spec: Json = {
    annotations: {
      [`${DEVICE}toString`]: "true",
      [`${DEVICE}audio`]: "True",
      [`${DEVICE}video`]: true,
      "org.containers.qm.other": "true",
      [SEAT]: "",
      "org.containers.qmx": "true",
    },
    linux: {},
  };
  assert.equal(deviceManager.run(spec, c), false);
  assert.deepEqual(spec.linux, {});
  assert.deepEqual(c.lines, [
    "INFO Processing QM device annotations",
    `INFO Processing annotation: ${DEVICE}toString=true`,
    "WARNING Unknown device type: toString",
    `INFO Skipping device annotation with invalid value: ${DEVICE}audio=True`,
    `ERROR Ignoring annotation ${DEVICE}video: value is not a string (true)`,
    "INFO Skipping unknown QM annotation: org.containers.qm.other",
    `INFO Skipping empty seat annotation: ${SEAT}`,
  ]);
});

test("device manager: a seat adds its nodes, inputs and render nodes, each with an allow rule", (t) => {
  const { dir, mock } = fixture(t);
  const seat = [join(dir, "video0")];
  mock.get("video");
  const input = mock.get("input");
  const gpu = mock.get("gpu");
  const c = context({ seat, input, gpu });
  const deny = { allow: false, type: "c", major: 13, minor: 1, access: "rwm" };
  const spec: Json = {
    annotations: { [SEAT]: "seat0" },
    linux: { devices: [{ path: input[0], type: "c", major: 13, minor: 0 }], resources: { devices: [deny] } },
  };
  assert.equal(deviceManager.run(spec, c), true);
  assert.deepEqual(
    devicesOf(spec).map((d) => [d.path, d.major, d.minor]),
    [
      [input[0], 13, 0],
      [join(dir, "video0"), 81, 0],
      [input[1], 13, 1],
      [input[2], 13, 2],
      [gpu[0], 226, 128],
    ],
  );
  assert.deepEqual(
    rulesOf(spec).map((r) => [r.allow, r.major, r.minor, r.access]),
    [
      [false, 13, 1, "rwm"],
      [true, 81, 0, "rwm"],
      [true, 13, 0, "rwm"],
      [true, 13, 2, "rwm"],
      [true, 226, 128, "rwm"],
    ],
  );
  assert.deepEqual(c.lines, [
    "INFO Processing QM device annotations",
    "INFO Processing Wayland seat: seat0",
    `INFO Added seat device: ${join(dir, "video0")}`,
    `INFO Added seat device: ${input[0]}`,
    `INFO Added seat device: ${input[1]}`,
    `INFO Added seat device: ${input[2]}`,
    `INFO Added seat device: ${gpu[0]}`,
  ]);
});

test("device manager: a seat whose devices are all present already, or missing, changes nothing", (t) => {
  const { dir } = fixture(t);
  const gone = join(dir, "input/event7");
  const c = context({ seat: [], input: [gone], gpu: [] });
  const spec: Json = { annotations: { [SEAT]: "seat0" }, linux: {} };
  assert.equal(deviceManager.run(spec, c), false);
  assert.deepEqual(spec.linux, {});
  assert.deepEqual(c.lines.slice(1), [
    "INFO Processing Wayland seat: seat0",
    `WARNING Not a device node, skipping: ${gone}`,
  ]);
  // Only a cgroup rule missing: still a change.
  const { mock } = fixture(t);
  const gpu = mock.get("gpu");
  const present: Json = {
    annotations: { [SEAT]: "seat0" },
    linux: { devices: [{ path: gpu[0], type: "c", major: 226, minor: 128 }] },
  };
  assert.equal(deviceManager.run(present, context({ seat: [], input: [], gpu })), true);
  assert.deepEqual(rulesOf(present), [{ allow: true, type: "c", major: 226, minor: 128, access: "rwm" }]);
  assert.equal(deviceManager.run(present, context({ seat: [], input: [], gpu })), false);
});

test("device manager done: the device count and the closing line", () => {
  const c = context();
  deviceManager.done?.({ linux: { devices: [{}, {}, {}] } }, c);
  assert.deepEqual(c.lines, [
    "INFO Total devices in spec: 3",
    "INFO QM Device Manager hook completed successfully",
  ]);
  assert.equal(deviceManager.name, "oci-qm-device-manager");
  assert.equal(deviceManager.tag, "qm-device-manager");
  assert.equal(deviceManager.logFile, "/var/log/qm-device-manager.log");
  assert.equal(deviceManager.indent, undefined);
});

test("wayland client: the GPU annotation adds render nodes with allow rules", (t) => {
  const { mock } = fixture(t);
  const gpu = mock.get("gpu");
  const c = context({ gpu });
  const spec: Json = { annotations: { [GPU]: "TRUE" } };
  assert.equal(waylandClientDevices.run(spec, c), true);
  assert.deepEqual(spec.linux, {
    devices: [{ path: gpu[0], type: "c", major: 226, minor: 128, fileMode: 8624, uid: 0, gid: 0 }],
    resources: { devices: [{ allow: true, type: "c", major: 226, minor: 128, access: "rwm" }] },
  });
  assert.deepEqual(c.lines, [
    "INFO Processing Wayland client GPU annotation: TRUE (enabled)",
    "INFO Found 1 GPU render devices",
    `INFO Added GPU device: ${gpu[0]}`,
  ]);
});

test("wayland client: nodes already present or not devices are skipped, each logged", (t) => {
  const { dir, mock } = fixture(t);
  const [present] = mock.get("gpu");
  const gone = join(dir, "dri/renderD129");
  const existing = { path: present, type: "c", major: 226, minor: 128 };
  const c = context({ gpu: [present as string, gone] });
  const spec: Json = { annotations: { [GPU]: "1" }, linux: { devices: [existing] } };
  assert.equal(waylandClientDevices.run(spec, c), false);
  assert.deepEqual(spec.linux, { devices: [existing] });
  assert.deepEqual(c.lines, [
    "INFO Processing Wayland client GPU annotation: 1 (enabled)",
    "INFO Found 2 GPU render devices",
    `INFO GPU device already exists in spec: ${present}`,
    `WARNING Failed to get device info for ${gone}, skipping`,
  ]);
});

test("wayland client: missing, null, non-string and disabled values, and bad shapes, change nothing", (t) => {
  const { mock } = fixture(t);
  const gpu = mock.get("gpu");
  const cases: [Json, string][] = [
    [{}, "INFO No Wayland client GPU annotation found"],
    [{ annotations: {} }, "INFO No Wayland client GPU annotation found"],
    [{ annotations: null }, "INFO No Wayland client GPU annotation found"],
    [{ annotations: { [GPU]: null } }, "INFO No Wayland client GPU annotation found"],
    [{ annotations: [] }, "ERROR annotations is not an object; spec left unchanged"],
    [{ annotations: { [GPU]: 1 } }, `ERROR Ignoring annotation ${GPU}: value is not a string (1)`],
    [{ annotations: { [GPU]: "Yes" } }, "INFO Wayland client GPU annotation present but disabled: Yes"],
    [{ annotations: { [GPU]: "true" }, linux: [] }, "ERROR linux is not an object; spec left unchanged"],
    [
      { annotations: { [GPU]: "true" }, linux: { resources: [] } },
      "ERROR linux.resources is not an object; spec left unchanged",
    ],
  ];
  for (const [spec, line] of cases) {
    const before = JSON.stringify(spec);
    const c = context({ gpu });
    assert.equal(waylandClientDevices.run(spec, c), false, before);
    assert.equal(JSON.stringify(spec), before);
    assert.equal(c.lines.at(-1), line, before);
  }
});

test("wayland client done, and its identity", () => {
  const c = context();
  waylandClientDevices.done?.({}, c);
  assert.deepEqual(c.lines, [
    "INFO Total devices in final spec: 0",
    "INFO QM Wayland Client Devices hook completed successfully",
  ]);
  assert.equal(waylandClientDevices.name, "oci-qm-wayland-client-devices");
  assert.equal(waylandClientDevices.tag, "qm-wayland-client-devices");
  assert.equal(waylandClientDevices.logFile, "/var/log/qm-wayland-client-devices.log");
  assert.equal(waylandClientDevices.indent, 2);
});
