// The device manager hook, run as the bundled executable (dist/oci-qm-device-manager.cjs) the way
// podman runs it. Mirrors upstream's oci-hooks/tests (test_qm_basic, _devices, _error_handling,
// _validation, _wayland, _logging, _performance) plus the safety rules of this implementation.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { distBin, tempDir } from "../../test/helpers.js";
import { devicesOf, MockDevices, rulesOf, runHook, schemaProblems, specWith } from "./testing.js";

const DM = "oci-qm-device-manager";
const WC = "oci-qm-wayland-client-devices";
const DEVICE = "org.containers.qm.device.";
const SEAT = "org.containers.qm.wayland.seat";
/** Run a hook with arguments and a TEST_LOGFILE in dir (which must stay unwritten). */
const runHookArgs = (hook: string, args: string[], dir: string) =>
  spawnSync(process.execPath, [distBin(hook), ...args], {
    encoding: "utf8",
    env: { TEST_LOGFILE: join(dir, "log") },
  });

const TYPES = ["audio", "video", "input", "ttys", "ttyUSB", "dvb", "radio"] as const;

describe("basic behaviour (test_qm_basic)", () => {
  const cases: [string, Record<string, string>][] = [
    ["no annotations", {}],
    ["an unknown device type", { [`${DEVICE}unknown`]: "true" }],
    ["audio=false", { [`${DEVICE}audio`]: "false" }],
  ];
  for (const hook of [DM, WC] as const) {
    for (const [what, annotations] of cases) {
      test(`${hook} with ${what}: succeeds, schema-valid, adds no device`, async (t) => {
        const dir = tempDir(t);
        const run = await runHook(hook, specWith(annotations), dir);
        assert.equal(run.code, 0, run.stderr);
        assert.deepEqual(schemaProblems(run.spec), []);
        assert.equal(devicesOf(run.spec).length, 0);
      });
    }
  }

  test("the device manager logs an unknown device type as a WARNING", async (t) => {
    const run = await runHook(DM, specWith({ [`${DEVICE}unknown`]: "true" }), tempDir(t));
    assert.match(run.log, / - WARNING - Unknown device type: unknown$/m);
  });

  test("the schema check rejects a missing linux, non-object annotations and extra top-level keys", () => {
    assert.deepEqual(schemaProblems({ annotations: {}, linux: {} }), []);
    assert.notDeepEqual(schemaProblems({ annotations: {} }), []);
    assert.notDeepEqual(schemaProblems({ annotations: "x", linux: {} }), []);
    assert.notDeepEqual(schemaProblems({ annotations: {}, linux: {}, extra: 1 }), []);
  });

  test("the device manager creates the linux section when it is missing", async (t) => {
    const run = await runHook(DM, { annotations: { [`${DEVICE}audio`]: "true" } }, tempDir(t));
    assert.equal(run.code, 0);
    assert.deepEqual(run.spec?.linux, {});
  });

  test("the device manager creates the linux section even without QM annotations", async (t) => {
    const run = await runHook(DM, { annotations: {} }, tempDir(t));
    assert.deepEqual(run.spec, { annotations: {}, linux: {} });
    assert.match(run.log, /No QM device annotations found/);
  });

  for (const annotations of [
    { "com.example.gpu": "true" },
    { "org.containers.qm.wayland-client.unknown": "true" },
  ]) {
    test(`the wayland-client hook ignores ${Object.keys(annotations)[0]}`, async (t) => {
      const dir = tempDir(t);
      const gpu = new MockDevices(dir).get("gpu");
      const run = await runHook(WC, specWith(annotations), dir, { mocks: { gpu } });
      assert.equal(run.code, 0);
      assert.equal(devicesOf(run.spec).length, 0);
    });
  }
});

describe("device types (test_qm_devices)", () => {
  for (const type of TYPES) {
    test(`${type} on this host: succeeds and keeps the linux section`, async (t) => {
      const run = await runHook(DM, specWith({ [`${DEVICE}${type}`]: "true" }), tempDir(t));
      assert.equal(run.code, 0, run.stderr);
      assert.ok(run.spec && "linux" in run.spec);
      assert.deepEqual(schemaProblems(run.spec), []);
    });
  }

  const expected: Record<(typeof TYPES)[number], [number, number, number]> = {
    // count, major, first minor (upstream's synthetic numbers)
    audio: [2, 116, 1],
    video: [2, 81, 0],
    input: [3, 13, 0],
    ttys: [3, 4, 0],
    ttyUSB: [2, 188, 0],
    dvb: [2, 212, 0],
    radio: [2, 81, 64],
  };
  for (const type of TYPES) {
    test(`${type} with mock devices: every mock is added with synthetic numbers`, async (t) => {
      const dir = tempDir(t);
      const paths = new MockDevices(dir).get(type);
      const run = await runHook(DM, specWith({ [`${DEVICE}${type}`]: "true" }), dir, {
        mocks: { [type]: paths },
      });
      assert.equal(run.code, 0, run.stderr);
      const devices = devicesOf(run.spec);
      const [count, major, minor] = expected[type];
      assert.equal(devices.length, count);
      assert.deepEqual(
        devices.map((d) => d.path),
        paths,
      );
      assert.deepEqual(devices[0], {
        path: paths[0],
        type: "c",
        major,
        minor,
        fileMode: 8624,
        uid: 0,
        gid: type === "audio" ? 63 : 0,
      });
      assert.equal(devices[1]?.minor, minor + 1);
      // Device annotations add device nodes only, never cgroup rules (as upstream).
      assert.equal(rulesOf(run.spec).length, 0);
    });
  }

  test("values 1 and yes enable a type; TRUE, True, on and 2 do not", async (t) => {
    const dir = tempDir(t);
    const audio = new MockDevices(dir).get("audio");
    for (const [value, count] of [
      ["1", 2],
      ["yes", 2],
      ["TRUE", 0],
      ["True", 0],
      ["on", 0],
      ["2", 0],
      [" true", 0],
      ["true\n", 0],
    ] as const) {
      const run = await runHook(DM, specWith({ [`${DEVICE}audio`]: value }), dir, { mocks: { audio } });
      assert.equal(run.code, 0);
      assert.equal(devicesOf(run.spec).length, count, `value ${JSON.stringify(value)}`);
    }
  });

  test("several types at once, and a device listed twice is added once", async (t) => {
    const dir = tempDir(t);
    const mock = new MockDevices(dir);
    const audio = mock.get("audio");
    const video = mock.get("video");
    const run = await runHook(
      DM,
      specWith({ [`${DEVICE}audio`]: "true", [`${DEVICE}video`]: "yes", [`${DEVICE}radio`]: "false" }),
      dir,
      { mocks: { audio: [...audio, ...audio], video, radio: mock.get("radio") } },
    );
    assert.deepEqual(
      devicesOf(run.spec).map((d) => d.path),
      [...audio, ...video],
    );
  });

  test("real character devices are described from stat: type, numbers, raw st_mode, owner", async (t) => {
    const dir = tempDir(t);
    // /dev/null and /dev/zero exist on every Linux host; listing them as mocks reads their real numbers.
    const run = await runHook(DM, specWith({ [`${DEVICE}ttys`]: "true" }), dir, {
      mocks: { ttys: ["/dev/null", "/dev/zero"] },
    });
    const st = statSync("/dev/null");
    assert.deepEqual(devicesOf(run.spec), [
      { path: "/dev/null", type: "c", major: 1, minor: 3, fileMode: st.mode, uid: st.uid, gid: st.gid },
      {
        path: "/dev/zero",
        type: "c",
        major: 1,
        minor: 5,
        fileMode: statSync("/dev/zero").mode,
        uid: statSync("/dev/zero").uid,
        gid: statSync("/dev/zero").gid,
      },
    ]);
  });

  test("ttys on this host adds exactly the /dev/tty0-7 character devices that exist", async (t) => {
    const run = await runHook(DM, specWith({ [`${DEVICE}ttys`]: "true" }), tempDir(t));
    const present = [0, 1, 2, 3, 4, 5, 6, 7]
      .map((n) => `/dev/tty${n}`)
      .filter((p) => {
        try {
          return statSync(p).isCharacterDevice();
        } catch {
          return false;
        }
      });
    assert.deepEqual(
      devicesOf(run.spec).map((d) => d.path),
      present,
    );
  });

  test("a listed mock path that does not exist is skipped with a WARNING", async (t) => {
    const dir = tempDir(t);
    const run = await runHook(DM, specWith({ [`${DEVICE}radio`]: "true" }), dir, {
      mocks: { radio: [join(dir, "radio9")] },
    });
    assert.equal(devicesOf(run.spec).length, 0);
    assert.match(run.log, /WARNING - Not a device node, skipping: .*radio9/);
  });
});

describe("error handling (test_qm_error_handling)", () => {
  test("non-QM annotations add no device", async (t) => {
    const dir = tempDir(t);
    const audio = new MockDevices(dir).get("audio");
    const run = await runHook(DM, specWith({ "com.example.device.audio": "true", "io.podman.x": "1" }), dir, {
      mocks: { audio },
    });
    assert.equal(run.code, 0);
    assert.equal(devicesOf(run.spec).length, 0);
  });

  test("an existing device is preserved and not duplicated", async (t) => {
    const dir = tempDir(t);
    const audio = new MockDevices(dir).get("audio");
    const existing = { path: "/dev/existing", type: "c", major: 1, minor: 1, fileMode: 8630, uid: 0, gid: 0 };
    const already = { path: audio[0], type: "c", major: 99, minor: 99 };
    const run = await runHook(
      DM,
      specWith({ [`${DEVICE}audio`]: "true" }, { devices: [existing, already] }),
      dir,
      {
        mocks: { audio },
      },
    );
    assert.deepEqual(devicesOf(run.spec), [
      existing,
      already,
      { path: audio[1], type: "c", major: 116, minor: 2, fileMode: 8624, uid: 0, gid: 63 },
    ]);
  });

  test("existing resources.devices rules are preserved when the seat annotation is true", async (t) => {
    const dir = tempDir(t);
    const mock = new MockDevices(dir);
    const rules = [
      { allow: false, access: "rwm" },
      { allow: false, type: "a" },
      { allow: true, type: "c", major: 1, minor: 3, access: "rwm" },
    ];
    const run = await runHook(DM, specWith({ [SEAT]: "true" }, { resources: { devices: rules } }), dir, {
      mocks: { input: mock.get("input"), gpu: mock.get("gpu") },
    });
    assert.equal(run.code, 0, run.stderr);
    const after = rulesOf(run.spec);
    assert.deepEqual(after.slice(0, 3), rules);
    // event0, event1, mice and renderD128 each get a device node and an allow rule.
    assert.equal(devicesOf(run.spec).length, 4);
    assert.deepEqual(after.slice(3), [
      { allow: true, type: "c", major: 13, minor: 0, access: "rwm" },
      { allow: true, type: "c", major: 13, minor: 1, access: "rwm" },
      { allow: true, type: "c", major: 13, minor: 2, access: "rwm" },
      { allow: true, type: "c", major: 226, minor: 128, access: "rwm" },
    ]);
  });

  test("stdin that is not JSON: ERROR on stderr and in the log, input echoed, exit 1", async (t) => {
    for (const hook of [DM, WC] as const) {
      const run = await runHook(hook, "this is { not json", tempDir(t));
      assert.equal(run.code, 1);
      assert.equal(run.stdout, "this is { not json");
      assert.match(run.stderr, / - ERROR - OCI spec on stdin is not valid JSON/);
      assert.match(run.log, / - ERROR - OCI spec on stdin is not valid JSON/);
    }
  });

  test("--version and --help answer without reading stdin or logging", async (t) => {
    const dir = tempDir(t);
    for (const hook of [DM, WC] as const) {
      const version = spawnSync(process.execPath, [distBin(hook), "--version"], {
        encoding: "utf8",
        env: {},
      });
      assert.equal(version.status, 0);
      assert.match(version.stdout, new RegExp(`^${hook} \\d+\\.\\d+\\.\\d+\\n$`));
      const help = runHookArgs(hook, ["--help"], dir);
      assert.equal(help.status, 0);
      assert.match(help.stdout, /^Usage: /);
      assert.equal(existsSync(join(dir, "log")), false);
    }
  });

  test("empty stdin: 'Failed to read OCI spec from stdin', exit 1 (both hooks)", async (t) => {
    for (const hook of [DM, WC] as const) {
      const run = await runHook(hook, "", tempDir(t));
      assert.equal(run.code, 1);
      assert.equal(run.stdout, "");
      assert.match(run.stderr, /ERROR - Failed to read OCI spec from stdin/);
    }
  });

  for (const input of ["[]", "42", '"spec"', "null", "[1,2,3]"]) {
    test(`JSON that is not an object (${input}) is passed through unchanged with an ERROR, exit 0`, async (t) => {
      const run = await runHook(DM, input, tempDir(t));
      assert.equal(run.code, 0);
      assert.equal(run.stdout, input);
      assert.match(run.log, /ERROR - OCI spec is not a JSON object/);
    });
  }

  const malformed: [string, Record<string, unknown>][] = [
    ["linux is a string", { annotations: { [`${DEVICE}audio`]: "true" }, linux: "x" }],
    ["linux.devices is an object", { annotations: { [`${DEVICE}audio`]: "true" }, linux: { devices: {} } }],
    ["annotations is an array", { annotations: [`${DEVICE}audio=true`], linux: {} }],
    ["annotations is a string", { annotations: `${DEVICE}audio=true`, linux: {} }],
    [
      "linux.resources.devices is a string (seat)",
      { annotations: { [SEAT]: "seat0" }, linux: { resources: { devices: "all" } } },
    ],
  ];
  for (const [what, spec] of malformed) {
    test(`malformed spec (${what}): logged ERROR, spec unchanged, exit 0`, async (t) => {
      const dir = tempDir(t);
      const mock = new MockDevices(dir);
      const text = JSON.stringify(spec);
      const run = await runHook(DM, text, dir, { mocks: { audio: mock.get("audio"), gpu: mock.get("gpu") } });
      assert.equal(run.code, 0);
      assert.equal(run.stdout, text);
      assert.match(run.log, / - ERROR - /);
    });
  }

  test("a spec larger than 16 MiB is passed through byte for byte", async (t) => {
    const big = JSON.stringify({
      annotations: { [`${DEVICE}ttys`]: "true" },
      linux: {},
      pad: "x".repeat(17 << 20),
    });
    const run = await runHook(DM, big, tempDir(t));
    assert.equal(run.code, 0);
    assert.equal(run.stdout.length, big.length);
    assert.ok(run.stdout === big);
    assert.match(run.log, /ERROR - OCI spec larger than/);
  });

  test("uint64 literals survive an edit exactly", async (t) => {
    const dir = tempDir(t);
    const audio = new MockDevices(dir).get("audio");
    const text =
      `{"annotations":{"${DEVICE}audio":"true"},"process":{"rlimits":[{"type":"RLIMIT_NOFILE",` +
      `"hard":18446744073709551615,"soft":1024}]},"linux":{"resources":{"memory":{"limit":9223372036854775807,` +
      `"swappiness":1.0,"x":-9223372036854775808}}}}`;
    const run = await runHook(DM, text, dir, { mocks: { audio } });
    assert.equal(run.code, 0);
    for (const literal of [
      '"hard":18446744073709551615',
      ":9223372036854775807",
      '"swappiness":1,',
      '"x":-9223372036854775808',
    ]) {
      assert.ok(run.stdout.includes(literal), `${literal} in ${run.stdout}`);
    }
    assert.equal(devicesOf(run.spec).length, 2);
  });
});

describe("annotation values are data, never code (test_qm_validation and more)", () => {
  test("every device and rule has the right shape when all types and a seat are requested", async (t) => {
    const dir = tempDir(t);
    const mock = new MockDevices(dir);
    const mocks: Record<string, string[]> = { gpu: mock.get("gpu") };
    const annotations: Record<string, string> = { [SEAT]: "seat0" };
    for (const type of TYPES) {
      mocks[type] = mock.get(type);
      annotations[`${DEVICE}${type}`] = "true";
    }
    const run = await runHook(DM, specWith(annotations), dir, { mocks, env: { PATH: dir } });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(schemaProblems(run.spec), []);
    const devices = devicesOf(run.spec);
    assert.equal(devices.length, 2 + 2 + 3 + 3 + 2 + 2 + 2 + 1);
    for (const d of devices) {
      assert.equal(typeof d.path, "string");
      assert.ok(d.type === "c" || d.type === "b");
      assert.ok(Number.isInteger(d.major) && Number.isInteger(d.minor));
    }
    const rules = rulesOf(run.spec);
    assert.ok(rules.length > 0);
    for (const r of rules) {
      assert.equal(typeof r.allow, "boolean");
      assert.ok(r.type === "c" || r.type === "b" || r.type === "a");
    }
  });

  for (const [what, value] of [
    ["a boolean", true],
    ["an integer", 1],
    ["a list", ["true"]],
    ["an object", { v: "true" }],
    ["null", null],
  ] as const) {
    test(`a non-string annotation value (${what}) is logged and ignored, never a crash`, async (t) => {
      const dir = tempDir(t);
      const mock = new MockDevices(dir);
      const audio = mock.get("audio");
      const spec = specWith({ [`${DEVICE}audio`]: value, [`${DEVICE}video`]: "true" });
      const run = await runHook(DM, spec, dir, { mocks: { audio, video: mock.get("video") } });
      assert.equal(run.code, 0, run.stderr);
      // The string-valued annotation next to it still works.
      assert.deepEqual(
        devicesOf(run.spec).map((d) => String(d.path).replace(dir, "")),
        ["/video0", "/video1"],
      );
      assert.match(
        run.log,
        /ERROR - Ignoring annotation org\.containers\.qm\.device\.audio: value is not a string/,
      );
      const wc = await runHook(WC, specWith({ "org.containers.qm.wayland-client.gpu": value }), dir, {
        mocks: { gpu: mock.get("gpu") },
      });
      assert.equal(wc.code, 0, wc.stderr);
      assert.equal(devicesOf(wc.spec).length, 0);
    });
  }

  test("shell syntax in values, type names and seat names is never executed", async (t) => {
    const dir = tempDir(t);
    const marker = join(dir, "pwned");
    const payload = `$(touch ${marker})`;
    const spec = specWith({
      [`${DEVICE}${payload}`]: "true",
      [`${DEVICE}audio`]: `true; touch ${marker}`,
      [`${DEVICE}video`]: `\`touch ${marker}\``,
      [SEAT]: `seat0; touch ${marker}`,
      "org.containers.qm.wayland-client.gpu": payload,
    });
    const dm = await runHook(DM, spec, dir);
    const wc = await runHook(WC, spec, dir);
    assert.equal(dm.code, 0);
    assert.equal(wc.code, 0);
    assert.equal(existsSync(marker), false);
    assert.match(dm.log, /WARNING - Unknown device type: \$\(touch /);
    assert.match(dm.log, /Not a logind seat name/);
  });

  test("newlines in annotation values cannot forge log lines", async (t) => {
    const dir = tempDir(t);
    const run = await runHook(
      DM,
      specWith({ [`${DEVICE}audio`]: "no\n2020-01-01 00:00:00 - x - ERROR - forged" }),
      dir,
    );
    assert.equal(run.code, 0);
    assert.doesNotMatch(run.log, /^2020-01-01/m);
    assert.match(run.log, /no\\x0a2020-01-01/);
  });
});

describe("wayland seat (test_qm_wayland)", () => {
  for (const key of [SEAT, `${SEAT}.0`, `${SEAT}.1`]) {
    test(`${key}=true succeeds`, async (t) => {
      const dir = tempDir(t);
      const mock = new MockDevices(dir);
      const run = await runHook(DM, specWith({ [key]: "true" }), dir, {
        mocks: { input: mock.get("input"), gpu: mock.get("gpu") },
      });
      assert.equal(run.code, 0, run.stderr);
      // Only the exact key names a seat; .seat.0 and .seat.1 are unknown QM annotations (as upstream).
      const expected = key === SEAT ? 4 : 0;
      assert.equal(devicesOf(run.spec).length, expected);
      assert.equal(rulesOf(run.spec).length, expected);
      if (key !== SEAT) assert.match(run.log, /Skipping unknown QM annotation/);
    });
  }

  test("the seat's input filter keeps event*, mice* and mouse* only", async (t) => {
    const dir = tempDir(t);
    const mock = new MockDevices(dir);
    const input = [
      ...mock.get("input"),
      join(dir, "input/js0"),
      join(dir, "input/mouse1"),
      join(dir, "input/by-id"),
    ];
    for (const p of input.slice(3)) writeFileSync(p, "");
    const run = await runHook(DM, specWith({ [SEAT]: "seat0" }), dir, {
      mocks: { input, seat: ["/dev/null"] },
    });
    assert.deepEqual(
      devicesOf(run.spec).map((d) => String(d.path).replace(dir, "")),
      ["/dev/null", "/input/event0", "/input/event1", "/input/mice", "/input/mouse1"],
    );
  });

  test("existing devices are preserved and an existing rule for the same device is not duplicated", async (t) => {
    const dir = tempDir(t);
    const existing = { path: "/dev/existing", type: "c", major: 10, minor: 10 };
    const deny = { allow: false, type: "c", major: 1, minor: 3, access: "rwm" };
    const run = await runHook(
      DM,
      specWith({ [SEAT]: "seat0" }, { devices: [existing], resources: { devices: [deny] } }),
      dir,
      { mocks: { seat: ["/dev/null", "/dev/zero", "/dev/null"] } },
    );
    assert.deepEqual(
      devicesOf(run.spec).map((d) => d.path),
      ["/dev/existing", "/dev/null", "/dev/zero"],
    );
    // The explicit deny for 1:3 stays the only rule for /dev/null.
    assert.deepEqual(rulesOf(run.spec), [
      deny,
      { allow: true, type: "c", major: 1, minor: 5, access: "rwm" },
    ]);
  });

  test("multiple and conflicting seat annotations succeed", async (t) => {
    const dir = tempDir(t);
    const run = await runHook(
      DM,
      specWith({
        [SEAT]: "seat0",
        [`${SEAT}.0`]: "seat1",
        [`${SEAT}.1`]: "false",
        [`${DEVICE}input`]: "true",
      }),
      dir,
      { mocks: { seat: ["/dev/null"] } },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(schemaProblems(run.spec), []);
    assert.equal(devicesOf(run.spec).length, 1);
  });

  for (const value of ["", "null"]) {
    test(`seat value ${JSON.stringify(value)} means no seat`, async (t) => {
      const dir = tempDir(t);
      const run = await runHook(DM, specWith({ [SEAT]: value }), dir, { mocks: { seat: ["/dev/null"] } });
      assert.equal(devicesOf(run.spec).length, 0);
    });
  }

  test("loginctl and udevadm are asked with argv arrays and their output is followed", async (t) => {
    const dir = tempDir(t);
    const calls = join(dir, "calls");
    // Tiny stand-ins on PATH: they record their argv and print what logind/udev would.
    writeFileSync(
      join(dir, "loginctl"),
      `#!/bin/sh\nprintf '%s|' loginctl "$@" >> ${calls}; echo >> ${calls}\n` +
        "printf 'seat0\\n  Sessions: *1\\n  Devices:\\n   \\342\\224\\234\\342\\224\\200/sys/devices/virtual/mem/null\\n" +
        "   \\342\\224\\202 mem:null\\n   \\342\\224\\224\\342\\224\\200/sys/devices/virtual/mem/zero\\n" +
        "   /sys/devices/virtual/nothing\\n'\n",
    );
    writeFileSync(
      join(dir, "udevadm"),
      `#!/bin/sh\nprintf '%s|' udevadm "$@" >> ${calls}; echo >> ${calls}\n` +
        'case "$3" in\n' +
        "  */null) printf 'P: /devices/virtual/mem/null\\nN: null\\nE: DEVNAME=/dev/null\\nE: MAJOR=1\\n' ;;\n" +
        "  */zero) printf \"E: DEVNAME='/dev/zero'\\n\" ;;\n" +
        "  *) printf 'E: SUBSYSTEM=virtual\\n' ;;\n" +
        "esac\n",
    );
    chmodSync(join(dir, "loginctl"), 0o755);
    chmodSync(join(dir, "udevadm"), 0o755);
    const run = await runHook(DM, specWith({ [SEAT]: "seat-x_1" }), dir, {
      env: { PATH: `${dir}:/usr/bin:/bin` },
    });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(readFileSync(calls, "utf8").trim().split("\n"), [
      "loginctl|--no-pager|--full|seat-status|seat-x_1|",
      "udevadm|info|-x|/sys/devices/virtual/mem/null|",
      "udevadm|info|-x|/sys/devices/virtual/mem/zero|",
      "udevadm|info|-x|/sys/devices/virtual/nothing|",
    ]);
    assert.deepEqual(
      devicesOf(run.spec).map((d) => d.path),
      ["/dev/null", "/dev/zero"],
    );
    assert.deepEqual(
      rulesOf(run.spec).map((r) => `${r.type} ${r.major}:${r.minor} ${r.access}`),
      ["c 1:3 rwm", "c 1:5 rwm"],
    );
  });

  test("a failing or missing loginctl is a WARNING; input and render nodes are still added", async (t) => {
    const dir = tempDir(t);
    const mock = new MockDevices(dir);
    const run = await runHook(DM, specWith({ [SEAT]: "seat0" }), dir, {
      env: { PATH: join(dir, "empty") },
      mocks: { gpu: mock.get("gpu") },
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.log, /WARNING - loginctl .* failed/);
    assert.equal(devicesOf(run.spec).length, 1);
  });
});

describe("logging (test_qm_logging)", () => {
  test("log lines have upstream's format and name the hook", async (t) => {
    const dir = tempDir(t);
    const audio = new MockDevices(dir).get("audio");
    const run = await runHook(DM, specWith({ [`${DEVICE}audio`]: "true" }), dir, { mocks: { audio } });
    const lines = run.log.trim().split("\n");
    assert.ok(lines.length >= 3);
    for (const line of lines) {
      assert.match(
        line,
        /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d - qm-device-manager - (DEBUG|INFO|WARNING|ERROR) - /,
      );
    }
    assert.match(run.log, /QM Device Manager/);
    assert.match(run.log, /completed successfully/);
    assert.match(run.log, /INFO - Total devices in spec: 2$/m);
    assert.equal(run.stderr, "");
  });

  test("an unwritable log location never fails the hook", async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, "file"), "");
    const run = await runHook(DM, specWith({ [`${DEVICE}ttys`]: "true" }), dir, {
      logFile: join(dir, "file", "sub", "hook.log"),
    });
    assert.equal(run.code, 0);
    assert.ok(run.spec);
  });
});

describe("performance (test_qm_performance)", () => {
  test("multiple device types in under 5 s; audio five times under 3 s each", async (t) => {
    const dir = tempDir(t);
    const mock = new MockDevices(dir);
    const mocks: Record<string, string[]> = {};
    const annotations: Record<string, string> = {};
    for (const type of TYPES) {
      mocks[type] = mock.get(type);
      annotations[`${DEVICE}${type}`] = "true";
    }
    const all = await runHook(DM, specWith(annotations), dir, { mocks });
    assert.equal(all.code, 0);
    assert.ok(all.ms < 5000, `${all.ms} ms`);
    for (let i = 0; i < 5; i++) {
      const run = await runHook(DM, specWith({ [`${DEVICE}audio`]: "true" }), dir, {
        mocks: { audio: mocks.audio ?? [] },
      });
      assert.equal(run.code, 0);
      assert.ok(run.ms < 3000, `${run.ms} ms`);
    }
  });
});
