/**
 * oci-qm-device-manager: adds host devices to a container's spec on request.
 *   org.containers.qm.device.<type>=true|1|yes   -> linux.devices for that type (no cgroup rules, as upstream)
 *   org.containers.qm.wayland.seat=<seat>        -> the seat's devices, input and render nodes, plus cgroup allow rules
 * Also serves oci-qm-seat-manager.json, which points at this same executable.
 */
import { deviceInfo, discover, discoverRenderNodes, discoverSeatInputs, isDeviceType } from "./devices.js";
import { shown } from "./log.js";
import type { HookContext, HookDefinition } from "./runner.js";
import { seatDeviceNodes } from "./seat.js";
import { addCgroupRule, addDevice, deviceCount, isObject, type Json, specProblem } from "./spec.js";
import { ANNOTATION_PREFIX, DEVICE_PREFIX, isDeviceEnabled, SEAT_KEY, seatName } from "./values.js";

/** Returns how many devices were added. */
function addDeviceType(spec: Json, type: string, { log, env }: HookContext): number {
  if (!isDeviceType(type)) {
    log.log("WARNING", `Unknown device type: ${shown(type)}`);
    return 0;
  }
  log.log("INFO", `Enabling ${type} devices`);
  let added = 0;
  for (const path of discover(env, type)) {
    const info = deviceInfo(env, path);
    if (!info) {
      log.log("WARNING", `Not a device node, skipping: ${shown(path)}`);
      continue;
    }
    if (addDevice(spec, info)) {
      added++;
      log.log(
        "INFO",
        `Adding device: ${shown(path)} (type=${info.type}, major=${info.major}, minor=${info.minor})`,
      );
    }
  }
  log.log("INFO", `Found ${added} devices for ${type}`);
  return added;
}

/** Returns how many device entries and cgroup rules were added. */
function addSeat(spec: Json, seat: string, context: HookContext): number {
  const { log, env } = context;
  log.log("INFO", `Processing Wayland seat: ${shown(seat)}`);
  let added = 0;
  const paths = [...seatDeviceNodes(seat, env, log), ...discoverSeatInputs(env), ...discoverRenderNodes(env)];
  for (const path of paths) {
    const info = deviceInfo(env, path);
    if (!info) {
      log.log("WARNING", `Not a device node, skipping: ${shown(path)}`);
      continue;
    }
    const device = addDevice(spec, info);
    const rule = addCgroupRule(spec, info);
    if (device || rule) log.log("INFO", `Added seat device: ${shown(path)}`);
    added += Number(device) + Number(rule);
  }
  return added;
}

export const deviceManager: HookDefinition = {
  name: "oci-qm-device-manager",
  tag: "qm-device-manager",
  logFile: "/var/log/qm-device-manager.log",
  run(spec, context) {
    const { log } = context;
    let changed = false;
    if (spec.linux === undefined || spec.linux === null) {
      spec.linux = {};
      changed = true;
    }
    const annotations = spec.annotations ?? {};
    if (!isObject(annotations)) {
      log.log("ERROR", "annotations is not an object; spec left unchanged");
      return changed;
    }
    const ours = Object.entries(annotations).filter(([key]) => key.startsWith(ANNOTATION_PREFIX));
    if (ours.length === 0) {
      log.log("INFO", "No QM device annotations found");
      return changed;
    }
    const problem = specProblem(spec, true);
    if (problem) {
      log.log("ERROR", `${problem}; spec left unchanged`);
      return changed;
    }
    log.log("INFO", "Processing QM device annotations");
    for (const [key, value] of ours) {
      if (typeof value !== "string") {
        log.log("ERROR", `Ignoring annotation ${shown(key)}: value is not a string (${shown(value)})`);
        continue;
      }
      if (key.startsWith(DEVICE_PREFIX)) {
        if (!isDeviceEnabled(value)) {
          log.log("INFO", `Skipping device annotation with invalid value: ${shown(key)}=${shown(value)}`);
          continue;
        }
        log.log("INFO", `Processing annotation: ${shown(key)}=${value}`);
        if (addDeviceType(spec, key.slice(DEVICE_PREFIX.length), context) > 0) changed = true;
      } else if (key === SEAT_KEY) {
        const seat = seatName(value);
        if (seat === undefined) log.log("INFO", `Skipping empty seat annotation: ${shown(key)}`);
        else if (addSeat(spec, seat, context) > 0) changed = true;
      } else {
        log.log("INFO", `Skipping unknown QM annotation: ${shown(key)}`);
      }
    }
    return changed;
  },
  done(spec, { log }) {
    log.log("INFO", `Total devices in spec: ${deviceCount(spec)}`);
    log.log("INFO", "QM Device Manager hook completed successfully");
  },
};
