import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import { type GeneratedService, generateService, loadEffectiveUnit } from "../quadlet/index.js";
import type { Unit } from "../unit/unit.js";
import { expandSpecifiers } from "../unit/values.js";
import { configHash, MACHINE_DEVICES, runStatePath, runtimeUnitName } from "./runstate.js";
import { type ServiceSettings, serviceSettings } from "./service-settings.js";

/**
 * The partition as one value, loaded once per command: the effective qm.container (base file and drop-ins), the
 * generated service, its typed [Service] settings, and every name and path derived from them on this machine.
 * Nothing else derives a container name, cid file, cgroup or runtime path.
 */
export interface PartitionContext {
  readonly root: string;
  readonly unit: Unit;
  readonly service: GeneratedService;
  readonly settings: ServiceSettings;
  /** qm.service on /, qm-HASH.service below another root (see runtimeUnitName). */
  readonly serviceName: string;
  /** The container's name: the generated --name, specifiers expanded as systemd would. */
  readonly containerName: string;
  readonly paths: PartitionPaths;
  /** Hash of the generated service: equal to the recorded one when the running partition uses this configuration. */
  readonly configHash: string;
  /** Each source file (base, then drop-ins in application order) with the hash of its content. */
  readonly sources: readonly SourceFile[];
}

export interface SourceFile {
  readonly path: string;
  readonly sha256: string;
}

export interface PartitionPaths {
  /** podman's --cidfile (the generated one). */
  readonly cidFile: string;
  /** What qm start recorded (RunState). */
  readonly runState: string;
  /** Events of the direct-mode supervisor, one a line. */
  readonly supervisorLog: string;
  /** Present when the start limit was hit (direct mode). */
  readonly startLimitHit: string;
  /** Start times the retired prestart hook oci-qm-start-limit recorded: qm start and qm stop remove what is left. */
  readonly startLimitRecord: string;
}

/** qm's runtime directory on this machine: run state, supervisor, start limits; podman runs here in direct mode. */
export const RUN_DIR = "/run/qm";
export const START_LIMIT_DIR = `${RUN_DIR}/start-limit`;
const UNIT = "qm.container";

/** The value of the generated --name, with the specifiers systemd would expand for it. */
export function containerNameOf(execStart: readonly string[], serviceName: string): string {
  const base = serviceName.replace(/\.service$/, "");
  const at = execStart.findIndex((w) => w === "--name" || w.startsWith("--name="));
  const word =
    at < 0 ? undefined : execStart[at]?.startsWith("--name=") ? execStart[at]?.slice(7) : execStart[at + 1];
  if (word === undefined || word === "") return base;
  return expandSpecifiers(word, { n: serviceName, N: base, p: base, i: "" });
}

export function partitionPaths(serviceName: string): PartitionPaths {
  const base = serviceName.replace(/\.service$/, "");
  return {
    cidFile: `/run/${base}.cid`,
    runState: runStatePath(serviceName),
    supervisorLog: `${RUN_DIR}/${serviceName}.log`,
    startLimitHit: `${START_LIMIT_DIR}/${serviceName}.failed`,
    startLimitRecord: `${START_LIMIT_DIR}/${serviceName}`,
  };
}

function hashFile(path: string): string {
  try {
    return createHash("sha256").update(readFileSync(path)).digest("hex").slice(0, 16);
  } catch {
    return "";
  }
}

export function loadContext(root: string): PartitionContext {
  return contextOf(root, loadEffectiveUnit(root, UNIT), generateService(root, UNIT, MACHINE_DEVICES));
}

const SHARED_UNITS = "/usr/share/containers/systemd/";

/**
 * The context of a quadlet file given by path (qmctl's --config): below .../usr/share/containers/systemd it is read
 * with that prefix as the root, so that its drop-ins in .../etc/containers/systemd apply too; any other path is
 * searched on its own.
 */
export function loadContextOfFile(path: string): PartitionContext {
  const at = path.lastIndexOf(SHARED_UNITS);
  const root = at > 0 ? path.slice(0, at) : "/";
  const name = basename(path);
  const search = at >= 0 ? {} : { env: { QUADLET_UNIT_DIRS: dirname(path) } };
  return contextOf(
    root,
    loadEffectiveUnit(root, name, search),
    generateService(root, name, { ...MACHINE_DEVICES, ...search }),
  );
}

/** The context of a unit and the service generated from it. */
export function contextOf(root: string, unit: Unit, generated: GeneratedService): PartitionContext {
  const serviceName = runtimeUnitName(root, generated.serviceName);
  const service = { ...generated, serviceName };
  return {
    root,
    unit,
    service,
    settings: serviceSettings(unit),
    serviceName,
    containerName: containerNameOf(generated.execStart, serviceName),
    paths: partitionPaths(serviceName),
    configHash: configHash(service.text),
    sources: unit.sources.map((path) => ({ path, sha256: hashFile(path) })),
  };
}
