/**
 * The sub-package manifest (dropin.json): what a drop-in package is called, which files it installs where,
 * what it depends on and what it needs from the host. Parsing is pure; errors name the manifest file.
 */
import { posix } from "node:path";
import { QmError } from "../core/errors.js";
import { assertLine, assertParagraphs, devicePathProblem, pathProblem } from "../core/text.js";

export interface ManifestFile {
  /** Path of the content, relative to the manifest's directory. */
  readonly source: string;
  /** Absolute path on the host (the partition's /etc is /etc/qm on the host). */
  readonly destination: string;
  readonly mode: number;
}

export interface ManifestDirectory {
  readonly path: string;
  readonly mode: number;
}

export interface HostNeeds {
  /** Device nodes the drop-in passes to the partition (optional ones are skipped when absent). */
  readonly devices: readonly string[];
  /** OCI hooks that must be installed on the host for the drop-in to have an effect. */
  readonly hooks: readonly string[];
  /** Packages to add to the partition's OS tree (qm setup --package NAME). */
  readonly partitionPackages: readonly string[];
}

export interface Upstream {
  readonly package: string;
  readonly status: "shipped" | "removed" | "replaced";
  readonly note: string;
}

export interface Manifest {
  readonly name: string;
  readonly package: string;
  /** Unset: the project version (catalog entries). */
  readonly version: string | undefined;
  readonly summary: string;
  readonly description: string;
  readonly files: readonly ManifestFile[];
  /** Also install the OCI hook executables and configurations (the oci-hooks package). */
  readonly hooks: boolean;
  readonly directories: readonly ManifestDirectory[];
  /** Packages this one depends on besides qm. */
  readonly requires: readonly string[];
  readonly host: HostNeeds;
  readonly upstream: Upstream | undefined;
}

/** Catalog names: letters, digits and _ . + - (upstream's img_tempdir and ttyUSB0 included). */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;
/** Package names must be valid for both dpkg and rpm: lower case, digits, + - . */
export const PACKAGE_PATTERN = /^[a-z0-9][a-z0-9+.-]+$/;
/** Names of packages in the partition's tree (Debian's, and Fedora's, which allow upper case and '_'). */
const TREE_PACKAGE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;
const VERSION_PATTERN = /^[0-9][A-Za-z0-9.+~]*$/;

export function manifestError(file: string, message: string, hint?: string): QmError {
  return new QmError("QM_DROPIN_MANIFEST", message, {
    location: { file, line: 1 },
    ...(hint ? { hint } : {}),
  });
}

/** The package name a catalog name gets when the manifest does not give one. */
export function defaultPackageName(name: string): string {
  return `qm-${name.toLowerCase().replaceAll("_", "-")}`;
}

/** Parse and check a manifest's text. `file` is used in error locations. */
export function parseManifest(text: string, file: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw manifestError(file, `not valid JSON: ${(error as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw manifestError(file, "not an object");
  const o = raw as Record<string, unknown>;
  const fail = (message: string): never => {
    throw manifestError(file, message, "see docs/dropins.md for the manifest fields");
  };
  const str = (key: string, required: boolean): string | undefined => {
    const v = o[key];
    if (v === undefined && !required) return undefined;
    if (typeof v !== "string" || v === "") return fail(`"${key}" must be a non-empty string`);
    return v;
  };
  const strings = (v: unknown, what: string): string[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((s) => typeof s !== "string"))
      return fail(`${what} must be a list of strings`);
    return v as string[];
  };
  const mode = (v: unknown, def: number, what: string): number => {
    if (v === undefined) return def;
    if (typeof v !== "string" || !/^0?[0-7]{3}$/.test(v))
      return fail(`${what}: mode must be octal text like "0644"`);
    const bits = Number.parseInt(v, 8);
    // Anyone who may write a drop-in may change what the partition is allowed to do.
    if (bits & 0o022) return fail(`${what}: mode ${v} lets users other than root write it; use 0644 or 0755`);
    return bits;
  };
  const absolute = (p: unknown, what: string): string => {
    const problem = typeof p === "string" ? pathProblem(p) : "is not a string";
    if (problem) return fail(`${what} ${JSON.stringify(p)} ${problem}`);
    return p as string;
  };
  const line = (v: string, what: string): string => assertLine(v, what, { location: { file, line: 1 } });

  const name = str("name", true) as string;
  if (!NAME_PATTERN.test(name)) fail(`"name" ${JSON.stringify(name)}: use letters, digits and _ . + -`);
  const pkg = str("package", false) ?? defaultPackageName(name);
  if (!PACKAGE_PATTERN.test(pkg))
    fail(`"package" ${JSON.stringify(pkg)}: use lower case letters, digits and + - .`);
  const version = str("version", false);
  if (version !== undefined && !VERSION_PATTERN.test(version))
    fail(`"version" ${JSON.stringify(version)}: must start with a digit and hold no '-' or spaces`);

  if (o.files !== undefined && !Array.isArray(o.files)) fail(`"files" must be a list`);
  const files = ((o.files as unknown[] | undefined) ?? []).map((f, i): ManifestFile => {
    if (typeof f !== "object" || f === null) return fail(`files[${i}] must be an object`);
    const e = f as Record<string, unknown>;
    const source = e.source;
    if (
      typeof source !== "string" ||
      source === "" ||
      posix.isAbsolute(source) ||
      source.split("/").includes("..")
    )
      return fail(`files[${i}].source must be a path inside the manifest's directory`);
    return {
      source,
      destination: absolute(e.destination, `files[${i}].destination`),
      mode: mode(e.mode, 0o644, `files[${i}]`),
    };
  });
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.destination)) fail(`two files install to ${f.destination}`);
    seen.add(f.destination);
  }
  if (o.directories !== undefined && !Array.isArray(o.directories)) fail(`"directories" must be a list`);
  const directories = ((o.directories as unknown[] | undefined) ?? []).map((d, i): ManifestDirectory => {
    const e = (typeof d === "object" && d !== null ? d : {}) as Record<string, unknown>;
    return {
      path: absolute(e.path, `directories[${i}].path`),
      mode: mode(e.mode, 0o755, `directories[${i}]`),
    };
  });
  const requires = strings(o.requires, `"requires"`);
  for (const r of requires)
    if (!PACKAGE_PATTERN.test(r)) fail(`"requires": ${JSON.stringify(r)} is not a package name`);

  const hostRaw = (typeof o.host === "object" && o.host !== null ? o.host : {}) as Record<string, unknown>;
  const host: HostNeeds = {
    devices: strings(hostRaw.devices, `"host.devices"`),
    hooks: strings(hostRaw.hooks, `"host.hooks"`),
    partitionPackages: strings(hostRaw.partitionPackages, `"host.partitionPackages"`),
  };
  for (const d of host.devices) {
    const problem = devicePathProblem(d, { glob: true });
    if (problem) fail(`"host.devices": ${JSON.stringify(d)} ${problem}`);
  }
  for (const h of host.hooks)
    if (!NAME_PATTERN.test(h)) fail(`"host.hooks": ${JSON.stringify(h)} is not a hook name`);
  for (const p of host.partitionPackages)
    if (!TREE_PACKAGE_PATTERN.test(p))
      fail(`"host.partitionPackages": ${JSON.stringify(p)} is not a package name`);
  let upstream: Upstream | undefined;
  if (o.upstream !== undefined) {
    const u = (typeof o.upstream === "object" && o.upstream !== null ? o.upstream : {}) as Record<
      string,
      unknown
    >;
    if (u.status !== "shipped" && u.status !== "removed" && u.status !== "replaced")
      fail(`"upstream.status" must be shipped, removed or replaced`);
    if (typeof u.package !== "string" || typeof u.note !== "string")
      fail(`"upstream" needs "package" and "note" strings`);
    upstream = {
      package: line(u.package as string, `"upstream.package"`),
      status: u.status as Upstream["status"],
      note: line(u.note as string, `"upstream.note"`),
    };
  }
  if (o.hooks !== undefined && typeof o.hooks !== "boolean") fail(`"hooks" must be true or false`);
  return {
    name,
    package: pkg,
    version,
    summary: line(str("summary", true) as string, `"summary"`),
    description: assertParagraphs(
      str("description", false) ?? (str("summary", true) as string),
      `"description"`,
      {
        location: { file, line: 1 },
      },
    ),
    files,
    hooks: o.hooks === true,
    directories,
    requires,
    host,
    upstream,
  };
}
