// A seat's device nodes, in process, with stand-ins for loginctl and udevadm first on PATH.
import assert from "node:assert/strict";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { tempDir } from "../../test/helpers.js";
import type { HookEnv } from "./devices.js";
import type { Level } from "./log.js";
import { seatDeviceNodes } from "./seat.js";

const host: HookEnv = { testMode: false, mocks: new Map() };

function collector() {
  const lines: string[] = [];
  return { lines, log: (level: Level, message: string) => lines.push(`${level} ${message}`) };
}

/** Put executables named after the keys, with these shell bodies, first on PATH for this test. */
function tools(t: TestContext, scripts: Record<string, string>): string {
  const dir = tempDir(t);
  for (const [name, body] of Object.entries(scripts)) {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\necho "${name} $*" >> ${dir}/calls\n${body}\n`);
    chmodSync(path, 0o755);
  }
  const saved = process.env.PATH;
  process.env.PATH = `${dir}:${saved}`;
  t.after(() => {
    process.env.PATH = saved;
  });
  return dir;
}

const SEAT_STATUS = [
  "seat0",
  "          Devices:",
  "                   ├─/sys/devices/platform/i8042/serio0/input/input3",
  "                   ├─/sys/devices/pci0000:00/0000:00:02.0/drm/card0",
  "                   └─/sys/devices/virtual/misc/none",
].join("\n");

const UDEVADM = `case "$3" in
  */input3) echo "E: DEVNAME=/dev/input/event3" ;;
  */card0) echo "P: /devices/card0"; echo "E: DEVNAME='/dev/dri/card0'" ;;
  *) echo "udevadm: no device" >&2; exit 2 ;;
esac`;

test("a mocked seat is the mock list, unchecked and without running anything", () => {
  const c = collector();
  const env: HookEnv = { testMode: true, mocks: new Map([["SEAT", ["/m/a", "/m/b"]]]) };
  assert.deepEqual(seatDeviceNodes("not a seat;", env, c), ["/m/a", "/m/b"]);
  assert.deepEqual(c.lines, []);
});

test("a name logind cannot have is not asked about", (t) => {
  const dir = tools(t, { loginctl: "exit 0" });
  const c = collector();
  assert.deepEqual(seatDeviceNodes("--help", host, c), []);
  assert.deepEqual(c.lines, ["WARNING Not a logind seat name, skipping seat-status: --help"]);
  assert.throws(() => readFileSync(join(dir, "calls")), { code: "ENOENT" });
});

test("loginctl's sysfs paths become the nodes udevadm names, in order", (t) => {
  const dir = tools(t, { loginctl: `cat <<'EOF'\n${SEAT_STATUS}\nEOF`, udevadm: UDEVADM });
  const c = collector();
  assert.deepEqual(seatDeviceNodes("seat0", host, c), ["/dev/input/event3", "/dev/dri/card0"]);
  assert.deepEqual(readFileSync(join(dir, "calls"), "utf8").split("\n"), [
    "loginctl --no-pager --full seat-status seat0",
    "udevadm info -x /sys/devices/platform/i8042/serio0/input/input3",
    "udevadm info -x /sys/devices/pci0000:00/0000:00:02.0/drm/card0",
    "udevadm info -x /sys/devices/virtual/misc/none",
    "",
  ]);
  assert.deepEqual(c.lines, [
    "WARNING udevadm info -x /sys/devices/virtual/misc/none failed: exit status 2 udevadm: no device",
    "INFO Found 2 device nodes on seat seat0",
  ]);
});

test("a failing loginctl is a WARNING with its status and stderr, and no nodes", (t) => {
  tools(t, { loginctl: 'echo "Failed to get seat: No such seat" >&2; exit 1' });
  const c = collector();
  assert.deepEqual(seatDeviceNodes("seat1", host, c), []);
  assert.deepEqual(c.lines, [
    "WARNING loginctl --no-pager --full seat-status seat1 failed: exit status 1 Failed to get seat: No such seat",
  ]);
});

test("a missing loginctl is a WARNING naming the error", (t) => {
  const saved = process.env.PATH;
  process.env.PATH = tempDir(t);
  t.after(() => {
    process.env.PATH = saved;
  });
  const c = collector();
  assert.deepEqual(seatDeviceNodes("seat0", host, c), []);
  assert.equal(c.lines.length, 1);
  assert.match(
    c.lines[0] as string,
    /^WARNING loginctl --no-pager --full seat-status seat0 failed: .*ENOENT/,
  );
});

test("udevadm output without a DEVNAME under /dev adds nothing", (t) => {
  tools(t, {
    loginctl: "echo '  └─/sys/devices/a'; echo '  └─/sys/devices/b'",
    udevadm: `case "$3" in */a) echo "E: DEVNAME=/etc/shadow" ;; *) echo "E: MAJOR=1" ;; esac`,
  });
  const c = collector();
  assert.deepEqual(seatDeviceNodes("seat0", host, c), []);
  assert.deepEqual(c.lines, ["INFO Found 0 device nodes on seat seat0"]);
});
