/**
 * The whole generator run as quadlet does it: find units in the search directories, load each with
 * its drop-ins, convert, and plan the output files ([Install] becomes symlinks). Errors in one unit
 * are collected and do not stop the others. Reading goes through the UnitFs port; nothing is written here.
 */
import { posix } from "node:path";
import { QmError, toQmError } from "../core/errors.js";
import {
  discoverUnits,
  expandSearchDirs,
  loadUnitFile,
  type SearchDirOptions,
  unitSearchDirs,
} from "../unit/dropins.js";
import { nodeUnitFs, type UnitFs } from "../unit/fs.js";
import type { Unit } from "../unit/unit.js";
import {
  type ConvertOptions,
  convertUnit,
  type GeneratedService,
  UNIT_TYPES,
  type UnitInfo,
  unitInfo,
} from "./convert.js";

export interface GenerateOptions extends ConvertOptions, SearchDirOptions {}

export interface GenerateResult {
  readonly services: readonly GeneratedService[];
  readonly errors: readonly QmError[];
  /** The search directories actually used, subdirectories included. */
  readonly searchDirs: readonly string[];
}

/** Load every unit in the search path, then convert each one. */
export function generateAll(fs: UnitFs, options: GenerateOptions = {}): GenerateResult {
  const dirs = expandSearchDirs(fs, unitSearchDirs(options), options);
  const errors: QmError[] = [];
  const infos = new Map<string, UnitInfo>();
  for (const found of discoverUnits(fs, dirs, UNIT_TYPES)) {
    try {
      const info = unitInfo(loadUnitFile(fs, dirs, found));
      if (info) infos.set(found.name, info);
    } catch (error) {
      errors.push(toQmError(error));
    }
  }
  const convertOptions: ConvertOptions = { deviceExists: (p) => fs.exists(p), ...options };
  const services: GeneratedService[] = [];
  for (const info of infos.values()) {
    try {
      services.push(convertUnit(info, infos, convertOptions));
    } catch (error) {
      errors.push(toQmError(error));
    }
  }
  return { services, errors, searchDirs: dirs };
}

/** The effective unit (base file + drop-ins, with provenance) for one unit file name, e.g. "qm.container". */
export function loadEffectiveUnit(root: string, name: string, options: SearchDirOptions = {}): Unit {
  return loadEffectiveUnitFrom(nodeUnitFs(root), name, options);
}

export function loadEffectiveUnitFrom(fs: UnitFs, name: string, options: SearchDirOptions = {}): Unit {
  const dirs = expandSearchDirs(fs, unitSearchDirs(options), options);
  const found = discoverUnits(fs, dirs, [posix.extname(name).slice(1)]).find((u) => u.name === name);
  if (!found) {
    throw new QmError(
      "QM_QUADLET_NOT_FOUND",
      `unit ${name} not found in ${dirs.join(", ") || "the search path"}`,
      {
        exitCode: 3,
        hint: "install it under /etc/containers/systemd or /usr/share/containers/systemd, or set QUADLET_UNIT_DIRS",
      },
    );
  }
  return loadUnitFile(fs, dirs, found);
}

/** Generate the service for one unit; other units in the search path are loaded so references resolve. */
export function generateService(root: string, name: string, options: GenerateOptions = {}): GeneratedService {
  return generateServiceFrom(nodeUnitFs(root), name, options);
}

export function generateServiceFrom(
  fs: UnitFs,
  name: string,
  options: GenerateOptions = {},
): GeneratedService {
  const result = generateAll(fs, options);
  const service = result.services.find((s) => s.sourceName === name);
  if (service) return service;
  const own = result.errors.find((e) => e.location?.file.endsWith(`/${name}`) || e.location?.file === name);
  if (own) throw own;
  loadEffectiveUnitFrom(fs, name, options);
  throw result.errors[0] ?? new QmError("QM_QUADLET_NOT_FOUND", `no service generated for ${name}`);
}

export type OutputFile =
  | { readonly kind: "file"; readonly path: string; readonly content: string }
  | { readonly kind: "symlink"; readonly path: string; readonly target: string };

/**
 * Files to write into a generator output directory: the service, and the symlinks `systemctl enable`
 * would create for [Install] WantedBy=, RequiredBy=, UpheldBy= and Alias=.
 */
export function outputFiles(service: GeneratedService, outputDir: string): OutputFile[] {
  const files: OutputFile[] = [
    { kind: "file", path: posix.join(outputDir, service.serviceName), content: service.text },
  ];
  let linkName = service.serviceName;
  const at = linkName.indexOf("@");
  if (at >= 0 && linkName[at + 1] === ".") {
    // A template is enabled only through DefaultInstance=.
    if (service.install.defaultInstance === undefined) return files;
    linkName = `${linkName.slice(0, at + 1)}${service.install.defaultInstance}${linkName.slice(at + 1)}`;
  }
  const target = `../${service.serviceName}`;
  const dep = (units: readonly string[], suffix: string): void => {
    for (const u of units)
      files.push({ kind: "symlink", path: posix.join(outputDir, `${u}.${suffix}`, linkName), target });
  };
  dep(service.install.wantedBy, "wants");
  dep(service.install.requiredBy, "requires");
  dep(service.install.upheldBy, "upholds");
  for (const alias of service.install.alias) {
    files.push({ kind: "symlink", path: posix.join(outputDir, alias), target: service.serviceName });
  }
  return files;
}
