/**
 * oci-qm-wayland-client-devices: org.containers.qm.wayland-client.gpu=true gives a Wayland client
 * the host's GPU render nodes, with cgroup allow rules.
 */
import { deviceInfo, discoverRenderNodes } from "./devices.js";
import { shown } from "./log.js";
import type { HookDefinition } from "./runner.js";
import { addCgroupRule, addDevice, deviceCount, hasDevicePath, isObject, specProblem } from "./spec.js";
import { GPU_KEY, isGpuEnabled } from "./values.js";

export const waylandClientDevices: HookDefinition = {
  name: "oci-qm-wayland-client-devices",
  tag: "qm-wayland-client-devices",
  logFile: "/var/log/qm-wayland-client-devices.log",
  indent: 2,
  run(spec, { log, env }) {
    const annotations = spec.annotations ?? {};
    if (!isObject(annotations)) {
      log.log("ERROR", "annotations is not an object; spec left unchanged");
      return false;
    }
    const value = annotations[GPU_KEY];
    if (value === undefined || value === null) {
      log.log("INFO", "No Wayland client GPU annotation found");
      return false;
    }
    if (typeof value !== "string") {
      log.log("ERROR", `Ignoring annotation ${GPU_KEY}: value is not a string (${shown(value)})`);
      return false;
    }
    if (!isGpuEnabled(value)) {
      log.log("INFO", `Wayland client GPU annotation present but disabled: ${shown(value)}`);
      return false;
    }
    log.log("INFO", `Processing Wayland client GPU annotation: ${value} (enabled)`);
    const problem = specProblem(spec, true);
    if (problem) {
      log.log("ERROR", `${problem}; spec left unchanged`);
      return false;
    }
    const nodes = discoverRenderNodes(env);
    log.log("INFO", `Found ${nodes.length} GPU render devices`);
    let changed = false;
    for (const path of nodes) {
      if (hasDevicePath(spec, path)) {
        log.log("INFO", `GPU device already exists in spec: ${shown(path)}`);
        continue;
      }
      const info = deviceInfo(env, path);
      if (!info) {
        log.log("WARNING", `Failed to get device info for ${shown(path)}, skipping`);
        continue;
      }
      addDevice(spec, info);
      addCgroupRule(spec, info);
      changed = true;
      log.log("INFO", `Added GPU device: ${shown(path)}`);
    }
    return changed;
  },
  done(spec, { log }) {
    log.log("INFO", `Total devices in final spec: ${deviceCount(spec)}`);
    log.log("INFO", "QM Wayland Client Devices hook completed successfully");
  },
};
