// The spec edits the hooks make, in process: shape checks, device entries and cgroup rules.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { DeviceInfo } from "./devices.js";
import { addCgroupRule, addDevice, deviceCount, hasDevicePath, isObject, specProblem } from "./spec.js";

const info = (path: string, major = 226, minor = 128, type: "c" | "b" = "c"): DeviceInfo => ({
  path,
  type,
  major,
  minor,
  fileMode: 8624,
  uid: 0,
  gid: 63,
});

test("isObject: plain objects only", () => {
  assert.equal(isObject({}), true);
  assert.equal(isObject([]), false);
  assert.equal(isObject(null), false);
  assert.equal(isObject("x"), false);
  assert.equal(isObject(undefined), false);
});

test("specProblem: missing or null sections are fine, other shapes are named", () => {
  for (const rules of [true, false]) {
    assert.equal(specProblem({}, rules), undefined);
    assert.equal(specProblem({ linux: null }, rules), undefined);
    assert.equal(specProblem({ linux: {} }, rules), undefined);
    assert.equal(specProblem({ linux: { devices: null } }, rules), undefined);
    assert.equal(specProblem({ linux: { devices: [] } }, rules), undefined);
    assert.equal(specProblem({ linux: [] }, rules), "linux is not an object");
    assert.equal(specProblem({ linux: "x" }, rules), "linux is not an object");
    assert.equal(specProblem({ linux: { devices: {} } }, rules), "linux.devices is not an array");
    assert.equal(specProblem({ linux: { devices: "x" } }, rules), "linux.devices is not an array");
  }
  assert.equal(specProblem({ linux: { resources: null } }, true), undefined);
  assert.equal(specProblem({ linux: { resources: { devices: null } } }, true), undefined);
  assert.equal(specProblem({ linux: { resources: { devices: [] } } }, true), undefined);
  assert.equal(specProblem({ linux: { resources: [] } }, true), "linux.resources is not an object");
  assert.equal(
    specProblem({ linux: { resources: { devices: {} } } }, true),
    "linux.resources.devices is not an array",
  );
  // Without cgroup rules, resources are not looked at.
  assert.equal(specProblem({ linux: { resources: [] } }, false), undefined);
  assert.equal(specProblem({ linux: { resources: { devices: {} } } }, false), undefined);
});

test("deviceCount and hasDevicePath read linux.devices only when it has the right shape", () => {
  assert.equal(deviceCount({}), 0);
  assert.equal(deviceCount({ linux: [] }), 0);
  assert.equal(deviceCount({ linux: { devices: {} } }), 0);
  assert.equal(deviceCount({ linux: { devices: [{}, {}] } }), 2);
  const spec = { linux: { devices: [null, "x", { path: "/dev/a" }] } };
  assert.equal(hasDevicePath(spec, "/dev/a"), true);
  assert.equal(hasDevicePath(spec, "/dev/b"), false);
  assert.equal(hasDevicePath({ linux: { devices: "x" } }, "/dev/a"), false);
  assert.equal(hasDevicePath({ linux: [{ path: "/dev/a" }] }, "/dev/a"), false);
});

test("addDevice: creates linux and linux.devices, copies the fields, never adds a path twice", () => {
  const spec: Record<string, unknown> = {};
  assert.equal(addDevice(spec, info("/dev/dri/renderD128")), true);
  assert.deepEqual(spec, {
    linux: {
      devices: [
        { path: "/dev/dri/renderD128", type: "c", major: 226, minor: 128, fileMode: 8624, uid: 0, gid: 63 },
      ],
    },
  });
  assert.equal(addDevice(spec, info("/dev/dri/renderD128", 1, 1)), false);
  assert.equal(deviceCount(spec), 1);
  const other: Record<string, unknown> = { linux: "x" };
  assert.equal(addDevice(other, info("/dev/b", 7, 0, "b")), true);
  assert.deepEqual(other.linux, {
    devices: [{ path: "/dev/b", type: "b", major: 7, minor: 0, fileMode: 8624, uid: 0, gid: 63 }],
  });
  const kept = { linux: { devices: "x", other: 1 } };
  addDevice(kept, info("/dev/c"));
  assert.equal(kept.linux.other, 1);
  assert.equal(deviceCount(kept), 1);
});

test("addCgroupRule: an allow rwm rule per type/major/minor, existing rules kept", () => {
  const deny = { allow: false, type: "c", major: 226, minor: 129, access: "rwm" };
  const spec: Record<string, unknown> = { linux: { resources: { devices: [deny] } } };
  assert.equal(addCgroupRule(spec, info("/dev/dri/renderD128")), true);
  assert.deepEqual(spec, {
    linux: {
      resources: {
        devices: [deny, { allow: true, type: "c", major: 226, minor: 128, access: "rwm" }],
      },
    },
  });
  // Same numbers under another path: no second rule. A deny for the same device stays in force.
  assert.equal(addCgroupRule(spec, info("/dev/other", 226, 128)), false);
  assert.equal(addCgroupRule(spec, info("/dev/dri/renderD129", 226, 129)), false);
  // Each of type, major and minor tells rules apart.
  assert.equal(addCgroupRule(spec, info("/dev/b", 226, 128, "b")), true);
  assert.equal(addCgroupRule(spec, info("/dev/m", 227, 128)), true);
  assert.equal(addCgroupRule(spec, info("/dev/n", 226, 130)), true);
  const rules = ((spec.linux as Record<string, unknown>).resources as Record<string, unknown[]>).devices;
  assert.equal(rules?.length, 5);
});

test("addCgroupRule creates linux.resources.devices, replacing shapes that cannot hold rules", () => {
  for (const linux of [undefined, "x", { resources: "x" }, { resources: { devices: "x" } }]) {
    const spec: Record<string, unknown> = linux === undefined ? {} : { linux };
    assert.equal(addCgroupRule(spec, info("/dev/x", 1, 3)), true);
    assert.deepEqual(
      (spec.linux as Record<string, unknown>).resources,
      { devices: [{ allow: true, type: "c", major: 1, minor: 3, access: "rwm" }] },
      JSON.stringify(linux),
    );
  }
  const spec = { linux: { resources: { devices: [null, "x"] } } };
  assert.equal(addCgroupRule(spec, info("/dev/x", 1, 3)), true);
  assert.equal(spec.linux.resources.devices.length, 3);
});
