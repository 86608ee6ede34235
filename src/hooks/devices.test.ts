// Device discovery and description, in process: the test-mode environment, the synthetic numbers of
// mock devices, dev_t splitting, and the directory walks over this host's /dev.
import assert from "node:assert/strict";
import { lstatSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../../test/helpers.js";
import {
  DEVICE_TYPES,
  deviceInfo,
  discover,
  discoverRenderNodes,
  discoverSeatInputs,
  findCharDevices,
  globCharDevices,
  type HookEnv,
  isDeviceType,
  MOCK_FILE_MODE,
  mockDevices,
  readHookEnv,
  splitDev,
} from "./devices.js";

const host: HookEnv = { testMode: false, mocks: new Map() };
const mocked = (mocks: Record<string, string[]>): HookEnv => ({
  testMode: true,
  mocks: new Map(Object.entries(mocks)),
});

/** Regular files under dir, created; returns their paths. */
function files(dir: string, ...relative: string[]): string[] {
  return relative.map((r) => {
    const path = join(dir, r);
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, "");
    return path;
  });
}

/** Character devices directly in dir, found independently of the code under test. */
const charDevicesIn = (dir: string): string[] =>
  readdirSync(dir)
    .sort()
    .map((n) => `${dir}/${n}`)
    .filter((p) => lstatSync(p).isCharacterDevice());

test("readHookEnv: test mode needs TEST_LOGFILE; mock lists come only in test mode", () => {
  const env = {
    TEST_LOGFILE: "/tmp/log",
    TEST_MOCK_AUDIO_DEVICES: "/a,,/b,",
    TEST_MOCK_TTYUSB_DEVICES: "/dev/ttyUSB0",
    TEST_MOCK_GPU_DEVICES: "",
    XTEST_MOCK_VIDEO_DEVICES: "/v",
    TEST_MOCK_RADIO_DEVICESX: "/r",
    TEST_MOCK__DEVICES: "/e",
  };
  const read = readHookEnv(env);
  assert.equal(read.testMode, true);
  assert.deepEqual(
    [...read.mocks],
    [
      ["AUDIO", ["/a", "/b"]],
      ["TTYUSB", ["/dev/ttyUSB0"]],
    ],
  );
  const off = readHookEnv({ ...env, TEST_LOGFILE: "" });
  assert.equal(off.testMode, false);
  assert.equal(off.mocks.size, 0);
  assert.equal(readHookEnv({}).testMode, false);
});

test("mockDevices: by upper-cased type, and only in test mode", () => {
  const env = mocked({ TTYUSB: ["/m"] });
  assert.deepEqual(mockDevices(env, "ttyUSB"), ["/m"]);
  assert.equal(mockDevices(env, "audio"), undefined);
  assert.equal(mockDevices({ ...env, testMode: false }, "ttyUSB"), undefined);
});

test("mock devices get upstream's synthetic numbers, minor = base + position in the list", (t) => {
  const dir = tempDir(t);
  const paths = files(
    dir,
    "snd/controlC0",
    "video0",
    "input/event0",
    "dri/renderD128",
    "ttyUSB0",
    "dvb/adapter0/frontend0",
    "radio0",
    "tty3",
    "other",
  );
  const env = mocked({ ALL: paths });
  const numbers = paths.map((p) => {
    const d = deviceInfo(env, p);
    return d && [d.path.slice(dir.length), d.type, d.major, d.minor, d.fileMode, d.uid, d.gid];
  });
  assert.deepEqual(numbers, [
    ["/snd/controlC0", "c", 116, 1, 8624, 0, 63],
    ["/video0", "c", 81, 1, 8624, 0, 0],
    ["/input/event0", "c", 13, 2, 8624, 0, 0],
    ["/dri/renderD128", "c", 226, 131, 8624, 0, 0],
    ["/ttyUSB0", "c", 188, 4, 8624, 0, 0],
    ["/dvb/adapter0/frontend0", "c", 212, 5, 8624, 0, 0],
    ["/radio0", "c", 81, 70, 8624, 0, 0],
    ["/tty3", "c", 4, 7, 8624, 0, 0],
    ["/other", "c", 1, 8, 8624, 0, 0],
  ]);
  assert.equal(MOCK_FILE_MODE, 0o20660);
});

test("a mock path is described only when listed, existing, and in test mode", (t) => {
  const dir = tempDir(t);
  const [listed, unlisted] = files(dir, "snd/a", "snd/b");
  const second = mocked({ AUDIO: ["/x", listed as string] });
  assert.equal(deviceInfo(second, listed as string)?.minor, 2);
  assert.equal(deviceInfo(second, unlisted as string), undefined);
  assert.equal(deviceInfo({ ...second, testMode: false }, listed as string), undefined);
  assert.equal(deviceInfo(mocked({ AUDIO: [join(dir, "snd/gone")] }), join(dir, "snd/gone")), undefined);
});

test("real device nodes are described from stat, following symlinks", (t) => {
  const st = statSync("/dev/null");
  assert.deepEqual(deviceInfo(host, "/dev/null"), {
    path: "/dev/null",
    type: "c",
    major: 1,
    minor: 3,
    fileMode: st.mode,
    uid: st.uid,
    gid: st.gid,
  });
  assert.equal(st.mode & 0o170000, 0o020000);
  const link = join(tempDir(t), "link");
  symlinkSync("/dev/null", link);
  assert.equal(deviceInfo(host, link)?.major, 1);
  // A test-mode environment does not change what a real device is.
  assert.equal(deviceInfo(mocked({ A: ["/dev/null"] }), "/dev/null")?.minor, 3);
  const block = readdirSync("/dev")
    .map((n) => `/dev/${n}`)
    .find((p) => lstatSync(p).isBlockDevice());
  if (block) {
    const d = deviceInfo(host, block);
    assert.equal(d?.type, "b");
    assert.equal(d?.fileMode, statSync(block).mode);
  }
  assert.equal(deviceInfo(host, "/dev"), undefined);
  assert.equal(deviceInfo(host, "/nonexistent/dev"), undefined);
});

test("splitDev: glibc's major/minor split, large numbers included", () => {
  assert.deepEqual(splitDev(0x103n), [1, 3]);
  assert.deepEqual(splitDev(0xe280n), [226, 128]);
  // makedev(0x12345, 0x6789a)
  assert.deepEqual(splitDev(316661085455770n), [0x12345, 0x6789a]);
  assert.deepEqual(splitDev(0xfff00n), [0xfff, 0]);
  assert.deepEqual(splitDev(0xfff000ffn), [0, 0xfffff]);
  // makedev(0xabcde123, 0x12345678): the high bits of the major do not leak into the minor.
  assert.deepEqual(splitDev(0xabcde12345612378n), [0xabcde123, 0x12345678]);
});

test("findCharDevices: character devices, sorted, to the depth asked, symlinks not followed", (t) => {
  const top = charDevicesIn("/dev");
  assert.ok(top.includes("/dev/null"));
  assert.deepEqual(findCharDevices("/dev", 1), top);
  const deeper = readdirSync("/dev")
    .sort()
    .map((n) => `/dev/${n}`)
    .filter((p) => lstatSync(p).isDirectory())
    .flatMap((d) => charDevicesIn(d));
  const all = findCharDevices("/dev");
  for (const p of [...top, ...deeper]) assert.ok(all.includes(p), p);
  if (deeper.length > 0) assert.notDeepEqual(all, top);
  const dir = tempDir(t);
  files(dir, "sub/regular");
  symlinkSync("/dev/null", join(dir, "null"));
  symlinkSync("/dev", join(dir, "dev"));
  assert.deepEqual(findCharDevices(dir), []);
  assert.deepEqual(findCharDevices(join(dir, "missing")), []);
});

test("globCharDevices: names with the prefix that resolve to character devices", (t) => {
  const dir = tempDir(t);
  symlinkSync("/dev/null", join(dir, "radio1"));
  symlinkSync("/dev/zero", join(dir, "radio0"));
  symlinkSync("/nonexistent", join(dir, "radio2"));
  symlinkSync("/dev/null", join(dir, "xradio"));
  files(dir, "radio3");
  mkdirSync(join(dir, "radio4"));
  assert.deepEqual(globCharDevices("radio", dir), [join(dir, "radio0"), join(dir, "radio1")]);
  assert.deepEqual(globCharDevices("null"), ["/dev/null"]);
  assert.deepEqual(globCharDevices("radio", join(dir, "missing")), []);
});

test("device types: the annotation names, each found where upstream looks", () => {
  assert.deepEqual(Object.keys(DEVICE_TYPES), ["audio", "video", "input", "ttys", "ttyUSB", "dvb", "radio"]);
  for (const type of Object.keys(DEVICE_TYPES)) assert.equal(isDeviceType(type), true);
  for (const type of ["unknown", "toString", "constructor", "TTYUSB", ""])
    assert.equal(isDeviceType(type), false);
  const ttys = charDevicesIn("/dev").filter((p) => /^\/dev\/tty[0-7]$/.test(p));
  assert.deepEqual(DEVICE_TYPES.ttys?.(), ttys);
  assert.deepEqual(
    DEVICE_TYPES.video?.(),
    charDevicesIn("/dev").filter((p) => /^\/dev\/(video|media)/.test(p)),
  );
  assert.deepEqual(DEVICE_TYPES.ttyUSB?.(), globCharDevices("ttyUSB"));
  assert.deepEqual(DEVICE_TYPES.radio?.(), globCharDevices("radio"));
  assert.deepEqual(DEVICE_TYPES.audio?.(), findCharDevices("/dev/snd"));
  assert.deepEqual(DEVICE_TYPES.input?.(), findCharDevices("/dev/input"));
  assert.deepEqual(DEVICE_TYPES.dvb?.(), findCharDevices("/dev/dvb"));
});

test("discover: mocks in test mode, the host otherwise, nothing for unknown types", () => {
  const env = mocked({ TTYS: ["/m/tty9"], UNKNOWN: ["/m/x"], TOSTRING: ["/m/y"] });
  assert.deepEqual(discover(env, "ttys"), ["/m/tty9"]);
  assert.deepEqual(discover(env, "unknown"), []);
  assert.deepEqual(discover(env, "toString"), []);
  assert.deepEqual(
    discover(host, "ttys"),
    charDevicesIn("/dev").filter((p) => /^\/dev\/tty[0-7]$/.test(p)),
  );
  assert.deepEqual(discover(mocked({}), "ttys"), discover(host, "ttys"));
});

test("discoverRenderNodes: the gpu mock list as given, or /dev/dri nodes named render*", () => {
  assert.deepEqual(discoverRenderNodes(mocked({ GPU: ["/m/card0", "/m/renderD128"] })), [
    "/m/card0",
    "/m/renderD128",
  ]);
  assert.deepEqual(
    discoverRenderNodes(host),
    findCharDevices("/dev/dri").filter((p) => p.includes("/render")),
  );
});

test("discoverSeatInputs: event<N>, mice, mice<N> and mouse<N> only", () => {
  const list = [
    "/m/input/event0",
    "/m/input/event12",
    "/m/input/event",
    "/m/input/event1x",
    "/m/input/mice",
    "/m/input/mice0",
    "/m/input/mouse",
    "/m/input/mouse2",
    "/m/input/js0",
    "/m/input/xevent3",
    "/m/input/by-path/event4",
  ];
  assert.deepEqual(discoverSeatInputs(mocked({ INPUT: list })), [
    "/m/input/event0",
    "/m/input/event12",
    "/m/input/mice",
    "/m/input/mice0",
    "/m/input/mouse2",
    "/m/input/by-path/event4",
  ]);
  assert.deepEqual(
    discoverSeatInputs(host),
    findCharDevices("/dev/input").filter((p) => /\/(event[0-9]+|mice[0-9]*|mouse[0-9]+)$/.test(p)),
  );
});
