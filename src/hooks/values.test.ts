import assert from "node:assert/strict";
import { test } from "node:test";
import { shown } from "./log.js";
import { devName, sysfsPaths } from "./seat.js";
import { isDeviceEnabled, isGpuEnabled, isValidSeatName, seatName } from "./values.js";

test("device values: exactly true, 1 or yes", () => {
  for (const v of ["true", "1", "yes"]) assert.equal(isDeviceEnabled(v), true, v);
  for (const v of ["True", "TRUE", "YES", "Yes", "on", "2", "", "true ", "yes\n", "false", "no", "0"]) {
    assert.equal(isDeviceEnabled(v), false, JSON.stringify(v));
  }
});

test("GPU values: also True/TRUE/YES, but not mixed case", () => {
  for (const v of ["true", "1", "yes", "True", "TRUE", "YES"]) assert.equal(isGpuEnabled(v), true, v);
  for (const v of ["TrUe", "Yes", "yES", "on", "enable", "true false", "TRUE;true", ""]) {
    assert.equal(isGpuEnabled(v), false, JSON.stringify(v));
  }
});

test("seat values: any text but empty and null names the seat; logind names start with seat", () => {
  assert.equal(seatName("seat0"), "seat0");
  assert.equal(seatName("true"), "true");
  assert.equal(seatName(""), undefined);
  assert.equal(seatName("null"), undefined);
  assert.equal(isValidSeatName("seat0"), true);
  assert.equal(isValidSeatName("seat-usb_1"), true);
  for (const bad of ["true", "-h", "seat0;x", "seat 0", `seat${"x".repeat(300)}`]) {
    assert.equal(isValidSeatName(bad), false, bad);
  }
});

test("loginctl seat-status output: every /sys path in the device tree", () => {
  const out = [
    "seat0",
    "         Sessions: *2",
    "          Devices:",
    "                   ├─/sys/devices/LNXSYSTM:00/LNXPWRBN:00/input/input0",
    '                   │ input:input0 "Power Button"',
    "                   └─/sys/devices/pci0000:00/0000:00:02.0/drm/card0",
  ].join("\n");
  assert.deepEqual(sysfsPaths(out), [
    "/sys/devices/LNXSYSTM:00/LNXPWRBN:00/input/input0",
    "/sys/devices/pci0000:00/0000:00:02.0/drm/card0",
  ]);
  assert.deepEqual(sysfsPaths("/sys/devices/../../etc"), []);
});

test("udevadm info output: DEVNAME under /dev, quoted or not", () => {
  assert.equal(devName("P: /devices/x\nE: DEVNAME=/dev/dri/card0\nE: MAJOR=226\n"), "/dev/dri/card0");
  assert.equal(devName("E: DEVNAME='/dev/input/event3'\n"), "/dev/input/event3");
  assert.equal(devName("E: SUBSYSTEM=input\n"), undefined);
  assert.equal(devName("E: DEVNAME=/etc/shadow\n"), undefined);
});

test("log values: control characters escaped, long values cut", () => {
  assert.equal(shown("a\nb\u001b"), "a\\x0ab\\x1b");
  assert.equal(shown("x".repeat(300)).length, 200 + "...(300 chars)".length);
  assert.equal(shown(["true"]), '["true"]');
});

test("value and seat patterns are anchored at both ends", () => {
  for (const v of ["xtrue", "notyes", "01"]) assert.equal(isDeviceEnabled(v), false, v);
  for (const v of ["xseat0", "myseat"]) assert.equal(isValidSeatName(v), false, v);
  assert.equal(isValidSeatName(`seat${"x".repeat(250)}`), true);
  assert.equal(isValidSeatName(`seat${"x".repeat(251)}`), false);
});

test("udevadm DEVNAME: a line of its own; quotes stripped only when they enclose the whole value", () => {
  assert.equal(devName("XE: DEVNAME=/dev/a\n"), undefined);
  assert.equal(devName("E: DEVNAME=/dev/x'y'\n"), "/dev/x'y'");
  assert.equal(devName("E: DEVNAME='/dev/a'b\n"), undefined);
  assert.equal(devName("E: DEVNAME=\n"), undefined);
});
