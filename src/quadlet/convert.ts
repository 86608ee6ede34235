/**
 * Pure conversion of quadlet units into systemd services, as podman 5.4's generator does it: the service
 * starts as a copy of the unit (comments included), gains [Unit] dependencies and [Service] settings, and
 * its ExecStart is built key by key in podman's order from the key tables (keys.ts). Every message is
 * podman's own text. Units reference each other through `UnitInfo`s, which conversions fill in as they go
 * (volumes, networks and images learn their resource names when converted), in quadlet's order.
 */

import { dirPath, joinPath } from "../unit/fs.js";
import { encodeRune, equalFold, runes, trimSpace } from "../unit/gostr.js";
import { extIndex, type UnitFile } from "../unit/unitfile.js";
import { readCsv, writeCsv } from "./csv.js";
import {
  BUILD,
  CONTAINER,
  type Group,
  IMAGE,
  type KeyTable,
  KUBE,
  NETWORK,
  POD,
  QUADLET,
  type UnitType,
  VOLUME,
} from "./keys.js";

export type { UnitType };

/** What other units need to know about a unit (UnitInfo in quadlet). */
export interface UnitInfo {
  /** The service name without ".service". */
  readonly serviceName: string;
  /** The podman object it creates, once known ("" when not known). */
  resourceName: string;
  /** For pods: the services of the containers that start with it. */
  readonly containersToStart: string[];
}

export interface ConvertOptions {
  /** Rootless mode (`-user`): changes the implicit network dependency. */
  readonly user?: boolean;
  /** The podman executable written into Exec lines (quadlet reads $PODMAN). */
  readonly podman?: string;
  /** Whether a host path exists (optional `AddDevice=-/dev/x`); consulted at generation time, as quadlet does. */
  readonly deviceExists?: (path: string) => boolean;
  /** The directory relative unit paths resolve against when a unit has no path. */
  readonly cwd?: string;
}

/** A unit quadlet refuses; `message` is podman's text, `key` the key it is about when there is one. */
export class ConvertError extends Error {
  constructor(
    message: string,
    readonly group?: string,
    readonly key?: string,
  ) {
    super(message);
  }
}

const SERVICE = "Service";
const UNIT = "Unit";
const AUTO_UPDATE_LABEL = "io.containers.autoupdate";

export const typeOf = (filename: string): UnitType | undefined => {
  const i = extIndex(filename);
  const ext = i < 0 ? "" : filename.slice(i + 1);
  return (["container", "volume", "network", "pod", "kube", "image", "build"] as const).find(
    (t) => t === ext,
  );
};

/** removeExtension: the name without its last extension (a leading dot is kept), with affixes. */
export function removeExtension(name: string, prefix = "", suffix = ""): string {
  const dot = name.lastIndexOf(".");
  return `${prefix}${dot > 0 ? name.slice(0, dot) : name}${suffix}`;
}

function serviceNameOf(unit: UnitFile, group: string, suffix: string): string {
  const name = unit.lookup(group, "ServiceName");
  return name !== undefined ? name : removeExtension(unit.filename, "", suffix);
}

const SUFFIX: Readonly<Record<UnitType, string>> = {
  container: "",
  kube: "",
  volume: "-volume",
  network: "-network",
  image: "-image",
  build: "-build",
  pod: "-pod",
};

const TABLE: Readonly<Record<UnitType, KeyTable>> = {
  container: CONTAINER,
  volume: VOLUME,
  network: NETWORK,
  pod: POD,
  kube: KUBE,
  image: IMAGE,
  build: BUILD,
};

/** The container name before systemd expands it. */
export function containerName(unit: UnitFile): string {
  const name = unit.lookup("Container", "ContainerName");
  if (name) return name;
  return unit.filename.includes("@") ? "systemd-%p_%i" : "systemd-%N";
}

/** The UnitInfo quadlet prepares for a unit before converting anything (generateUnitsInfoMap). */
export function unitInfoOf(unit: UnitFile, type: UnitType): UnitInfo {
  const serviceName = serviceNameOf(unit, TABLE[type].section, SUFFIX[type]);
  let resourceName = "";
  if (type === "container") {
    const resolved = containerName(unit).replaceAll("%N", serviceName);
    resourceName = resolved.includes("%") ? "" : resolved;
  } else if (type === "build") {
    resourceName = unit.lookupAll("Build", "ImageTag")[0] ?? "";
  }
  return { serviceName, resourceName, containersToStart: [] };
}

export const serviceFileName = (info: UnitInfo): string => `${info.serviceName}.service`;

/** strings.ToLower, rune by rune. */
function toLower(s: string): string {
  if (/^[\x00-\x7f]*$/.test(s)) return s.toLowerCase();
  let out = "";
  for (const r of runes(s)) {
    if (r === 0x130) {
      out += "i";
      continue;
    }
    const lower = String.fromCodePoint(r).toLowerCase();
    out += encodeRune(lower.length === String.fromCodePoint(r).length ? (lower.codePointAt(0) as number) : r);
  }
  return out;
}

const PORT_RANGE = /\d+(-\d+)?(\/udp|\/tcp)?$/;
const URL = /^((https?)|(git):\/\/)|(github\.com\/).+$/;

/** Systemd specifiers start with % (but %% is a literal percent sign). */
const startsWithSpecifier = (p: string): boolean => p.startsWith("%") && !p.startsWith("%%");

/** A path relative to the unit file's directory (getAbsolutePath). */
function absolutePath(unit: UnitFile, path: string, cwd: string): string {
  if (startsWithSpecifier(path) || path.startsWith("/")) return path;
  if (unit.path !== "") return joinPath(dirPath(unit.path), path);
  return joinPath(cwd, path);
}

const GROUP_KEYS = new Map<KeyTable, Map<Group, Array<[string, string]>>>();

/** The [key, flag] pairs of one group of a table, in table order. */
function groupKeys(table: KeyTable, group: Group): Array<[string, string]> {
  let byGroup = GROUP_KEYS.get(table);
  if (!byGroup) {
    byGroup = new Map();
    for (const [key, rule] of Object.entries(table.keys)) {
      if (rule === "custom") continue;
      byGroup.set(rule.group, [...(byGroup.get(rule.group) ?? []), [key, rule.flag]]);
    }
    GROUP_KEYS.set(table, byGroup);
  }
  return byGroup.get(group) ?? [];
}

/** One conversion in progress: the source unit, the service being built, and quadlet's helpers. */
class Conversion {
  readonly service: UnitFile;
  readonly table: KeyTable;
  readonly group: string;

  constructor(
    readonly unit: UnitFile,
    readonly type: UnitType,
    readonly info: UnitInfo,
    readonly units: ReadonlyMap<string, UnitInfo>,
    readonly options: ConvertOptions,
  ) {
    this.table = TABLE[type];
    this.group = this.table.section;
    this.service = unit.dup();
    this.service.filename = serviceFileName(info);
  }

  fail(message: string, key?: string): never {
    throw new ConvertError(message, key === undefined ? undefined : this.group, key);
  }

  get podmanPath(): string {
    return this.options.podman ?? "/usr/bin/podman";
  }

  /** podman, --module=M..., GlobalArgs... (createBasePodmanCommand). */
  base(): string[] {
    const argv = [this.podmanPath];
    for (const m of this.unit.lookupAll(this.group, "ContainersConfModule")) argv.push(`--module=${m}`);
    pushAll(argv, this.unit.lookupAllArgs(this.group, "GlobalArgs"));
    return argv;
  }

  /** Every key of the table marked with this group, in table order. */
  emit(argv: string[], group: Group): void {
    for (const [key, flag] of groupKeys(this.table, group)) {
      if (group === "string" || group === "health") {
        const v = this.unit.lookup(this.group, key);
        if (v) argv.push(flag, v);
      } else if (group === "strings") {
        for (const v of this.unit.lookupAll(this.group, key)) argv.push(flag, v);
      } else {
        const v = this.unit.lookupBoolean(this.group, key);
        if (v !== undefined) argv.push(v ? flag : `${flag}=false`);
      }
    }
  }

  checkKeys(): void {
    const check = (group: string, table: KeyTable): void => {
      for (const key of this.unit.listKeys(group)) {
        if (!Object.hasOwn(table.keys, key)) {
          throw new ConvertError(
            `unsupported key '${key}' in group '${group}' in ${this.unit.path}`,
            group,
            key,
          );
        }
      }
    };
    check(this.group, this.table);
    check("Quadlet", QUADLET);
  }

  /** addDefaultDependencies */
  defaultDependencies(): void {
    if (!this.service.lookupBooleanWithDefault("Quadlet", "DefaultDependencies", true)) return;
    const target = this.options.user ? "podman-user-wait-network-online.service" : "network-online.target";
    this.service.prependLine(UNIT, "After", target);
    this.service.prependLine(UNIT, "Wants", target);
  }

  sourcePath(): void {
    if (this.unit.path !== "") this.service.add(UNIT, "SourcePath", this.unit.path);
  }

  renameGroups(): void {
    this.service.renameGroup(this.group, `X-${this.group}`);
    this.service.renameGroup("Quadlet", "X-Quadlet");
  }

  requiresMounts(): void {
    this.service.add(UNIT, "RequiresMountsFor", "%t/containers");
  }

  depend(kind: "Requires" | "BindsTo", info: UnitInfo): void {
    this.service.add(UNIT, kind, serviceFileName(info));
    this.service.add(UNIT, "After", serviceFileName(info));
  }

  /** The common start: copy, default dependencies, SourcePath, key check, renamed groups. */
  start(): void {
    this.defaultDependencies();
    this.sourcePath();
    this.checkKeys();
    this.renameGroups();
  }

  /** KillMode=mixed unless mixed or control-group is set. */
  killMode(): void {
    const mode = this.service.lookup(SERVICE, "KillMode");
    if (mode === undefined) this.service.set(SERVICE, "KillMode", "mixed");
    else if (mode !== "mixed" && mode !== "control-group") this.fail(`invalid KillMode '${mode}'`);
  }

  syslogIdentifier(): void {
    if (!this.unit.hasKey(SERVICE, "SyslogIdentifier")) this.service.set(SERVICE, "SyslogIdentifier", "%N");
  }

  /** defaultOneshotServiceGroup */
  oneshot(remainAfterExit: boolean): void {
    if (this.service.lookup(SERVICE, "SyslogIdentifier") === undefined)
      this.service.set(SERVICE, "SyslogIdentifier", "%N");
    if (this.service.lookup(SERVICE, "Type") === undefined) this.service.set(SERVICE, "Type", "oneshot");
    if (remainAfterExit && this.service.lookup(SERVICE, "RemainAfterExit") === undefined) {
      this.service.set(SERVICE, "RemainAfterExit", "yes");
    }
  }

  /** Image=x.build / x.image: the image those units produce, with a dependency on their service. */
  imageSource(image: string): string {
    let name = image;
    for (const suffix of [".build", ".image"]) {
      if (!name.endsWith(suffix)) continue;
      const info = this.units.get(name);
      if (!info) this.fail(`requested Quadlet image ${name} was not found`, "Image");
      this.depend("Requires", info);
      name = info.resourceName;
    }
    return name;
  }

  /** handleStorageSource */
  storageSource(source: string, checkImage: boolean, key: string): string {
    let s = source;
    if (s === "") this.fail(`${key}= has an empty source`, key);
    if (s[0] === ".") s = absolutePath(this.unit, s, this.options.cwd ?? "/");
    if (s[0] === "/") {
      this.service.add(UNIT, "RequiresMountsFor", s);
    } else if (s.endsWith(".volume") || (checkImage && s.endsWith(".image"))) {
      const info = this.units.get(s);
      if (!info) this.fail(`requested Quadlet source ${s} was not found`, key);
      this.depend("Requires", info);
      s = info.resourceName;
    }
    return s;
  }

  /** addVolumes: Volume=[SOURCE:]DEST[:OPTIONS] */
  volumes(argv: string[]): void {
    for (const volume of this.unit.lookupAll(this.group, "Volume")) {
      const parts = splitN(volume, ":", 3);
      let source = "";
      let dest: string;
      let options = "";
      if (parts.length >= 2) {
        source = parts[0] as string;
        dest = parts[1] as string;
      } else {
        dest = parts[0] as string;
      }
      if (parts.length >= 3) options = `:${parts[2]}`;
      if (source !== "") source = this.storageSource(source, false, "Volume");
      argv.push("-v", source === "" ? dest : `${source}:${dest}${options}`);
    }
  }

  /** addNetworks: Network=NAME[:OPTIONS], NAME a .network or .container unit or anything podman knows. */
  networks(argv: string[]): void {
    for (let network of this.unit.lookupAll(this.group, "Network")) {
      if (network === "") continue;
      const colon = network.indexOf(":");
      const name = colon < 0 ? network : network.slice(0, colon);
      const options = colon < 0 ? "" : network.slice(colon + 1);
      const isNetwork = name.endsWith(".network");
      const isContainer = name.endsWith(".container");
      if (isNetwork || isContainer) {
        const info = this.units.get(name);
        if (!info) this.fail(`requested Quadlet unit ${name} was not found`, "Network");
        if (info.resourceName === "") this.fail(`cannot get the resource name of ${name}`, "Network");
        this.depend("Requires", info);
        if (colon >= 0) {
          if (isContainer)
            this.fail("extra options are not supported when joining another container's network", "Network");
          network = `${info.resourceName}:${options}`;
        } else {
          network = isContainer ? `container:${info.resourceName}` : info.resourceName;
        }
      }
      argv.push("--network", network);
    }
  }

  publishPorts(argv: string[]): void {
    for (const p of this.unit.lookupAll(this.group, "PublishPort")) argv.push("--publish", p);
  }

  logDriver(argv: string[]): void {
    const driver = this.unit.lookup(this.group, "LogDriver");
    if (driver !== undefined) argv.push("--log-driver", driver);
    for (const opt of this.unit.lookupAllStrv(this.group, "LogOpt")) argv.push("--log-opt", opt);
  }

  keyValues(argv: string[], key: string, flag: string): void {
    addKeys(argv, flag, this.unit.lookupAllKeyVal(this.group, key));
  }

  podmanArgs(argv: string[]): void {
    pushAll(argv, this.unit.lookupAllArgs(this.group, "PodmanArgs"));
  }

  /** handleUserMappings (with the deprecated Remap* keys). */
  userMappings(argv: string[], supportManual: boolean): void {
    const u = this.unit;
    const g = this.group;
    let defined = false;
    const userns = u.lookup(g, "UserNS");
    if (userns) {
      argv.push("--userns", userns);
      defined = true;
    }
    const uidMaps = u.lookupAllStrv(g, "UIDMap");
    defined ||= uidMaps.length > 0;
    for (const m of uidMaps) argv.push("--uidmap", m);
    const gidMaps = u.lookupAllStrv(g, "GIDMap");
    defined ||= gidMaps.length > 0;
    for (const m of gidMaps) argv.push("--gidmap", m);
    const subuid = u.lookup(g, "SubUIDMap");
    if (subuid) {
      argv.push("--subuidname", subuid);
      defined = true;
    }
    const subgid = u.lookup(g, "SubGIDMap");
    if (subgid) {
      argv.push("--subgidname", subgid);
      defined = true;
    }
    if (defined) {
      if (u.hasKey(g, "RemapUid") || u.hasKey(g, "RemapGid") || u.hasKey(g, "RemapUsers")) {
        this.fail("deprecated Remap keys are set along with explicit mapping keys", "RemapUsers");
      }
      return;
    }
    const remapUids = u.lookupAllStrv(g, "RemapUid");
    const remapGids = u.lookupAllStrv(g, "RemapGid");
    const remap = u.lookupLast(g, "RemapUsers") ?? "";
    switch (remap) {
      case "":
        if (remapUids.length > 0) this.fail("UidMap set without RemapUsers", "RemapUid");
        if (remapGids.length > 0) this.fail("GidMap set without RemapUsers", "RemapGid");
        return;
      case "manual":
        if (!supportManual) this.fail("RemapUsers=manual is not supported", "RemapUsers");
        for (const m of remapUids) argv.push("--uidmap", m);
        for (const m of remapGids) argv.push("--gidmap", m);
        return;
      case "auto": {
        const opts = [...remapUids.map((m) => `uidmapping=${m}`), ...remapGids.map((m) => `gidmapping=${m}`)];
        const size = u.lookupUint32(g, "RemapUidSize", 0);
        if (size > 0) opts.push(`size=${size}`);
        argv.push("--userns", opts.length > 0 ? `auto:${opts.join(",")}` : "auto");
        return;
      }
      case "keep-id": {
        const opts: string[] = [];
        if (remapUids.length > 1)
          this.fail("RemapUsers=keep-id supports only a single value for UID mapping", "RemapUid");
        if (remapUids.length === 1) opts.push(`uid=${remapUids[0]}`);
        if (remapGids.length > 1)
          this.fail("RemapUsers=keep-id supports only a single value for GID mapping", "RemapGid");
        if (remapGids.length === 1) opts.push(`gid=${remapGids[0]}`);
        argv.push("--userns", opts.length > 0 ? `keep-id:${opts.join(",")}` : "keep-id");
        return;
      }
      default:
        this.fail(`unsupported RemapUsers option '${remap}'`, "RemapUsers");
    }
  }

  /** handleSetWorkingDirectory: WorkingDirectory= of the service; returns a build context, if any. */
  setWorkingDirectory(): string {
    const u = this.unit;
    const value = u.lookup(this.group, "SetWorkingDirectory");
    if (!value) return "";
    let relativeTo = "";
    let context = "";
    switch (toLower(value)) {
      case "yaml":
        if (this.type !== "kube")
          this.fail(`SetWorkingDirectory=${value} is only supported in .kube files`, "SetWorkingDirectory");
        relativeTo = u.lookup(this.group, "Yaml") ?? this.fail("no Yaml key specified", "Yaml");
        break;
      case "file":
        if (this.type !== "build")
          this.fail(`SetWorkingDirectory=${value} is only supported in .build files`, "SetWorkingDirectory");
        relativeTo = u.lookup(this.group, "File") ?? this.fail("no File key specified", "File");
        break;
      case "unit":
        relativeTo = u.path;
        break;
      default:
        if (this.type !== "build")
          this.fail(`unsupported value for WorkingDirectory: ${value} `, "SetWorkingDirectory");
        context = value;
        if (!context.startsWith("/")) relativeTo = u.path;
    }
    if (relativeTo !== "" && !URL.test(context)) {
      if (u.lookup(SERVICE, "WorkingDirectory")) return "";
      const file = absolutePath(u, relativeTo, this.options.cwd ?? "/");
      this.service.add(SERVICE, "WorkingDirectory", dirPath(file));
    }
    return context;
  }
}

function pushAll(argv: string[], words: readonly string[]): void {
  for (const w of words) argv.push(w);
}

/** addKeys: FLAG KEY=VALUE for each key in byte order. */
function addKeys(argv: string[], flag: string, map: ReadonlyMap<string, string>): void {
  for (const k of [...map.keys()].sort()) argv.push(flag, `${k}=${map.get(k)}`);
}

/** strings.SplitN */
function splitN(s: string, sep: string, n: number): string[] {
  const out: string[] = [];
  let rest = s;
  while (out.length < n - 1) {
    const i = rest.indexOf(sep);
    if (i < 0) break;
    out.push(rest.slice(0, i));
    rest = rest.slice(i + sep.length);
  }
  out.push(rest);
  return out;
}

// ---------------------------------------------------------------- .container

function convertContainer(c: Conversion): void {
  const { unit, service } = c;
  const C = c.group;
  c.start();
  let image = unit.lookup(C, "Image") ?? "";
  const rootfs = unit.lookup(C, "Rootfs") ?? "";
  if (image === "" && rootfs === "") c.fail("no Image or Rootfs key specified");
  if (image !== "" && rootfs !== "")
    c.fail("the Image And Rootfs keys conflict can not be specified together", "Rootfs");
  if (image !== "") image = c.imageSource(image);
  const name = containerName(unit);
  service.add(SERVICE, "Environment", "PODMAN_SYSTEMD_UNIT=%n");
  c.killMode();
  const env = unit.lookupAllKeyVal(C, "Environment");
  c.requiresMounts();
  const stop = c.base();
  stop.push("rm", "-v", "-f", "-i", "--cidfile=%t/%N.cid");
  service.addCmdline(SERVICE, "ExecStop", stop);
  stop[0] = `-${stop[0]}`;
  service.addCmdline(SERVICE, "ExecStopPost", stop);

  const argv = c.base();
  argv.push("run", "--name", name, "--cidfile=%t/%N.cid", "--replace", "--rm");
  c.logDriver(argv);
  service.add(SERVICE, "Delegate", "yes");
  const cgroups = unit.lookup(C, "CgroupsMode");
  if (cgroups) argv.push("--cgroups", cgroups);
  else argv.push("--cgroups=split");
  c.emit(argv, "string");
  c.emit(argv, "strings");
  c.emit(argv, "bool");
  c.networks(argv);

  const type = service.lookup(SERVICE, "Type");
  if (type !== undefined && type !== "notify" && type !== "oneshot") c.fail(`invalid service Type '${type}'`);
  if (type !== "oneshot") {
    const notify = unit.lookup(C, "Notify");
    if (notify !== undefined && equalFold(notify, "healthy")) argv.push("--sdnotify=healthy");
    else if (unit.lookupBooleanWithDefault(C, "Notify", false)) argv.push("--sdnotify=container");
    else argv.push("--sdnotify=conmon");
    service.setv(SERVICE, "Type", "notify", "NotifyAccess", "all");
    argv.push("-d");
  }
  c.syslogIdentifier();

  if (unit.lookupBooleanWithDefault(C, "NoNewPrivileges", false))
    argv.push("--security-opt=no-new-privileges");
  if (unit.lookupBooleanWithDefault(C, "SecurityLabelDisable", false))
    argv.push("--security-opt", "label=disable");
  if (unit.lookupBooleanWithDefault(C, "SecurityLabelNested", false))
    argv.push("--security-opt", "label=nested");
  for (const [key, label] of [
    ["SecurityLabelType", "type"],
    ["SecurityLabelFileType", "filetype"],
    ["SecurityLabelLevel", "level"],
  ] as const) {
    const v = unit.lookup(C, key);
    if (v) argv.push("--security-opt", `label=${label}:${v}`);
  }
  for (let device of unit.lookupAllStrv(C, "AddDevice")) {
    if (device[0] === "-") {
      device = device.slice(1);
      // Only a path that does not exist drops an optional device (fileutils.Exists).
      if (c.options.deviceExists?.(device.split(":")[0] as string) === false) continue;
    }
    argv.push("--device", device);
  }
  const seccomp = unit.lookup(C, "SeccompProfile");
  if (seccomp !== undefined) argv.push("--security-opt", `seccomp=${seccomp}`);
  for (const cap of unit.lookupAllStrv(C, "DropCapability")) argv.push("--cap-drop", toLower(cap));
  for (const cap of unit.lookupAllStrv(C, "AddCapability")) argv.push("--cap-add", toLower(cap));
  for (const s of unit.lookupAllStrv(C, "Sysctl")) argv.push("--sysctl", s);
  const readOnly = unit.lookupBoolean(C, "ReadOnly");
  if (readOnly !== undefined) argv.push(readOnly ? "--read-only" : "--read-only=false");
  if (unit.lookupBooleanWithDefault(C, "VolatileTmp", false) && !readOnly) {
    argv.push("--tmpfs", "/tmp:rw,size=512M,mode=1777");
  }

  const user = unit.lookup(C, "User");
  const group = unit.lookup(C, "Group");
  if (!user) {
    if (group) c.fail("invalid Group set without User", "Group");
  } else {
    argv.push("--user", group ? `${user}:${group}` : user);
  }
  c.userMappings(argv, true);
  c.volumes(argv);

  const update = unit.lookup(C, "AutoUpdate");
  if (update) argv.push("--label", `${AUTO_UPDATE_LABEL}=${update}`);
  for (const raw of unit.lookupAll(C, "ExposeHostPort")) {
    const port = trimSpace(raw);
    if (!PORT_RANGE.test(port)) c.fail(`invalid port format '${port}'`, "ExposeHostPort");
    argv.push("--expose", port);
  }
  c.publishPorts(argv);
  addKeys(argv, "--env", env);
  c.keyValues(argv, "Label", "--label");
  c.keyValues(argv, "Annotation", "--annotation");
  for (const m of unit.lookupAllArgs(C, "Mask")) argv.push("--security-opt", `mask=${m}`);
  for (const m of unit.lookupAllArgs(C, "Unmask")) argv.push("--security-opt", `unmask=${m}`);
  for (const f of unit.lookupAllArgs(C, "EnvironmentFile")) {
    argv.push("--env-file", absolutePath(unit, f, c.options.cwd ?? "/"));
  }
  for (const s of unit.lookupAllArgs(C, "Secret")) argv.push("--secret", s);
  for (const m of unit.lookupAllArgs(C, "Mount")) argv.push("--mount", mountArg(c, m));
  c.emit(argv, "health");

  const pod = unit.lookup(C, "Pod");
  if (pod) {
    if (!pod.endsWith(".pod")) c.fail(`pod ${pod} is not Quadlet based`, "Pod");
    const podInfo = c.units.get(pod);
    if (!podInfo) c.fail(`quadlet pod unit ${pod} does not exist`, "Pod");
    argv.push("--pod-id-file", `%t/${podInfo.serviceName}.pod-id`);
    c.depend("BindsTo", podInfo);
    if (unit.lookupBooleanWithDefault(C, "StartWithPod", true))
      podInfo.containersToStart.push(service.filename);
  }
  c.podmanArgs(argv);
  if (image !== "") argv.push(image);
  else argv.push("--rootfs", rootfs);
  const exec = unit.lookupLastArgs(C, "Exec");
  if (exec) pushAll(argv, exec);
  service.addCmdline(SERVICE, "ExecStart", argv);
}

const MOUNT_SYNTAX =
  "incorrect mount format: should be --mount type=<bind|glob|tmpfs|volume>,[src=<host-dir|volume-name>,]target=<ctr-dir>[,options]";

/** resolveContainerMountParams: sources of volume, bind, glob and image mounts resolve like Volume=. */
function mountArg(c: Conversion, mount: string): string {
  const records = readCsv(mount);
  if (typeof records === "string") c.fail(records, "Mount");
  if (records.length !== 1) c.fail(MOUNT_SYNTAX, "Mount");
  let type = "";
  let found = false;
  const tokens: string[] = [];
  for (const s of records[0] as string[]) {
    const kv = s.split("=");
    if (found || !(kv.length === 2 && kv[0] === "type")) {
      tokens.push(s);
      continue;
    }
    type = kv[1] as string;
    found = true;
  }
  if (!found) c.fail(MOUNT_SYNTAX, "Mount");
  if (!["volume", "bind", "glob", "image"].includes(type)) return mount;
  let index = -1;
  let source = "";
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as string;
    const eq = t.indexOf("=");
    const key = eq < 0 ? t : t.slice(0, eq);
    if (key === "source" || key === "src") {
      if (eq < 0) c.fail("source parameter does not include a value", "Mount");
      index = i;
      source = t.slice(eq + 1);
    }
  }
  // Quadlet crashes on a mount without a source; qm-quadlet refuses it.
  if (index < 0 || source === "") c.fail(`Mount=${mount}: a ${type} mount needs a source`, "Mount");
  tokens[index] = `source=${c.storageSource(source, true, "Mount")}`;
  return writeCsv([`type=${type}`, ...tokens]);
}

// ---------------------------------------------------------------- .volume

function convertVolume(c: Conversion): void {
  const { unit, service } = c;
  const V = c.group;
  c.start();
  const name = unit.lookup(V, "VolumeName") || removeExtension(unit.filename, "systemd-");
  c.requiresMounts();
  const labels = unit.lookupAllKeyVal(V, "Label");
  const argv = c.base();
  argv.push("volume", "create", "--ignore");
  const driver = unit.lookup(V, "Driver");
  if (driver !== undefined) argv.push("--driver", driver);
  let opts: string;
  if (driver === "image") {
    const image = unit.lookup(V, "Image");
    if (image === undefined) c.fail("the key Image is mandatory when using the image driver", "Image");
    opts = `image=${c.imageSource(image)}`;
  } else {
    opts = "o=";
    const append = (s: string): void => {
      if (opts.length > 2) opts += ",";
      opts += s;
    };
    if (unit.hasKey(V, "User")) append(`uid=${unit.lookupUint32(V, "User", 0)}`);
    if (unit.hasKey(V, "Group")) append(`gid=${unit.lookupUint32(V, "Group", 0)}`);
    const copy = unit.lookupBoolean(V, "Copy");
    if (copy !== undefined) argv.push("--opt", copy ? "copy" : "nocopy");
    const device = unit.lookup(V, "Device");
    const devValid = device !== undefined && device !== "";
    if (devValid) argv.push("--opt", `device=${device}`);
    const devType = unit.lookup(V, "Type");
    if (devType) {
      if (!devValid) c.fail("key Type can't be used without Device", "Type");
      argv.push("--opt", `type=${devType}`);
    }
    const mountOpts = unit.lookup(V, "Options");
    if (mountOpts) {
      if (!devValid) c.fail("key Options can't be used without Device", "Options");
      append(mountOpts);
    }
  }
  if (opts.length > 2) argv.push("--opt", opts);
  addKeys(argv, "--label", labels);
  c.podmanArgs(argv);
  argv.push(name);
  service.addCmdline(SERVICE, "ExecStart", argv);
  c.oneshot(true);
  c.info.resourceName = name;
}

// ---------------------------------------------------------------- .network

function convertNetwork(c: Conversion): void {
  const { unit, service } = c;
  const N = c.group;
  c.start();
  const name = unit.lookup(N, "NetworkName") || removeExtension(unit.filename, "systemd-");
  c.requiresMounts();
  const argv = c.base();
  argv.push("network", "create", "--ignore");
  c.emit(argv, "bool");
  c.emit(argv, "string");
  c.emit(argv, "strings");
  const subnets = unit.lookupAll(N, "Subnet");
  const gateways = unit.lookupAll(N, "Gateway");
  const ranges = unit.lookupAll(N, "IPRange");
  if (subnets.length > 0) {
    if (gateways.length > subnets.length) c.fail("cannot set more gateways than subnets", "Gateway");
    if (ranges.length > subnets.length) c.fail("cannot set more ranges than subnets", "IPRange");
    subnets.forEach((s, i) => {
      argv.push("--subnet", s);
      if (i < gateways.length) argv.push("--gateway", gateways[i] as string);
      if (i < ranges.length) argv.push("--ip-range", ranges[i] as string);
    });
  } else if (ranges.length > 0 || gateways.length > 0) {
    c.fail("cannot set gateway or range without subnet", gateways.length > 0 ? "Gateway" : "IPRange");
  }
  c.keyValues(argv, "Options", "--opt");
  c.keyValues(argv, "Label", "--label");
  c.podmanArgs(argv);
  argv.push(name);
  service.addCmdline(SERVICE, "ExecStart", argv);
  c.oneshot(true);
  c.info.resourceName = name;
}

// ---------------------------------------------------------------- .kube

function convertKube(c: Conversion): void {
  const { unit, service } = c;
  const K = c.group;
  c.start();
  const yaml = unit.lookup(K, "Yaml");
  if (!yaml) c.fail("no Yaml key specified", "Yaml");
  const yamlPath = absolutePath(unit, yaml, c.options.cwd ?? "/");
  c.killMode();
  service.add(SERVICE, "Environment", "PODMAN_SYSTEMD_UNIT=%n");
  c.requiresMounts();
  const type = service.lookup(SERVICE, "Type");
  if (type !== undefined && type !== "notify" && type !== "oneshot") c.fail(`invalid service Type '${type}'`);
  if (type !== "oneshot") service.setv(SERVICE, "Type", "notify", "NotifyAccess", "all");
  c.syslogIdentifier();

  const argv = c.base();
  argv.push("kube", "play", "--replace", "--service-container=true");
  const propagation = unit.lookup(K, "ExitCodePropagation");
  if (propagation) argv.push(`--service-exit-code-propagation=${propagation}`);
  c.logDriver(argv);
  c.userMappings(argv, false);
  c.networks(argv);
  for (const update of unit.lookupAllStrv(K, "AutoUpdate")) {
    const slash = update.indexOf("/");
    const annotation =
      slash < 0
        ? `--annotation=${AUTO_UPDATE_LABEL}`
        : `--annotation=${AUTO_UPDATE_LABEL}/${update.slice(0, slash)}`;
    argv.push(`${annotation}=${slash < 0 ? update : update.slice(slash + 1)}`);
  }
  for (const m of unit.lookupAllStrv(K, "ConfigMap")) {
    argv.push("--configmap", absolutePath(unit, m, c.options.cwd ?? "/"));
  }
  c.publishPorts(argv);
  c.podmanArgs(argv);
  argv.push(yamlPath);
  service.addCmdline(SERVICE, "ExecStart", argv);

  const down = c.base();
  down.push("kube", "down");
  const force = unit.lookupBoolean(K, "KubeDownForce");
  if (force !== undefined) down.push(force ? "--force" : "--force=false");
  down.push(yamlPath);
  service.addCmdline(SERVICE, "ExecStopPost", down);
  c.setWorkingDirectory();
}

// ---------------------------------------------------------------- .image

function convertImage(c: Conversion): void {
  const { unit, service } = c;
  const I = c.group;
  c.defaultDependencies();
  c.sourcePath();
  c.checkKeys();
  const image = unit.lookup(I, "Image");
  if (!image) c.fail("no Image key specified", "Image");
  c.renameGroups();
  c.requiresMounts();
  const argv = c.base();
  argv.push("image", "pull");
  c.emit(argv, "string");
  c.emit(argv, "bool");
  c.podmanArgs(argv);
  argv.push(image);
  service.addCmdline(SERVICE, "ExecStart", argv);
  c.oneshot(true);
  c.info.resourceName = unit.lookup(I, "ImageTag") || image;
}

// ---------------------------------------------------------------- .build

function convertBuild(c: Conversion): void {
  const { unit, service } = c;
  const B = c.group;
  if (c.info.resourceName === "") c.fail("no ImageTag key specified", "ImageTag");
  c.defaultDependencies();
  c.renameGroups();
  c.requiresMounts();
  c.sourcePath();
  c.checkKeys();
  const argv = c.base();
  argv.push("build");
  const pull = unit.lookup(B, "Pull");
  if (pull) argv.push(`--pull=${pull}`);
  c.emit(argv, "string");
  c.emit(argv, "bool");
  c.emit(argv, "strings");
  c.keyValues(argv, "Annotation", "--annotation");
  c.keyValues(argv, "Environment", "--env");
  c.keyValues(argv, "Label", "--label");
  c.networks(argv);
  for (const s of unit.lookupAllArgs(B, "Secret")) argv.push("--secret", s);
  c.volumes(argv);
  const context = c.setWorkingDirectory();
  const workingDirectory = service.lookup(SERVICE, "WorkingDirectory") ?? "";
  const file = unit.lookup(B, "File") ?? "";
  if (workingDirectory === "" && file === "" && context === "") {
    c.fail("neither SetWorkingDirectory, nor File key specified", "File");
  }
  if (file !== "") argv.push("--file", file);
  c.podmanArgs(argv);
  if (context !== "") argv.push(context);
  else if (!file.startsWith("/") && !URL.test(file)) {
    if (workingDirectory === "")
      c.fail("relative path in File key requires SetWorkingDirectory key to be set", "File");
    argv.push(workingDirectory);
  }
  service.addCmdline(SERVICE, "ExecStart", argv);
  c.oneshot(false);
}

// ---------------------------------------------------------------- .pod

function convertPod(c: Conversion): void {
  const { unit, service } = c;
  const P = c.group;
  c.start();
  const name = unit.lookup(P, "PodName") || removeExtension(unit.filename, "systemd-");
  c.requiresMounts();
  for (const container of c.info.containersToStart) {
    service.add(UNIT, "Wants", container);
    service.add(UNIT, "Before", container);
  }
  c.syslogIdentifier();
  const podIdFile = "--pod-id-file=%t/%N.pod-id";
  const start = c.base();
  start.push("pod", "start", podIdFile);
  service.addCmdline(SERVICE, "ExecStart", start);
  const stop = c.base();
  stop.push("pod", "stop", podIdFile, "--ignore", "--time=10");
  service.addCmdline(SERVICE, "ExecStop", stop);
  const rm = c.base();
  rm.push("pod", "rm", podIdFile, "--ignore", "--force");
  service.addCmdline(SERVICE, "ExecStopPost", rm);

  const create = c.base();
  create.push(
    "pod",
    "create",
    "--infra-conmon-pidfile=%t/%N.pid",
    podIdFile,
    "--exit-policy=stop",
    "--replace",
  );
  c.userMappings(create, true);
  c.publishPorts(create);
  c.networks(create);
  c.emit(create, "string");
  c.emit(create, "strings");
  c.volumes(create);
  create.push("--infra-name", `${name}-infra`, "--name", name);
  c.podmanArgs(create);
  service.addCmdline(SERVICE, "ExecStartPre", create);
  service.setv(
    SERVICE,
    "Environment",
    "PODMAN_SYSTEMD_UNIT=%n",
    "Type",
    "forking",
    "Restart",
    "on-failure",
    "PIDFile",
    "%t/%N.pid",
  );
}

const CONVERTERS: Readonly<Record<UnitType, (c: Conversion) => void>> = {
  container: convertContainer,
  volume: convertVolume,
  network: convertNetwork,
  pod: convertPod,
  kube: convertKube,
  image: convertImage,
  build: convertBuild,
};

/**
 * Convert one unit (its drop-ins merged in) into its service. `units` maps every unit file name to its
 * UnitInfo; the conversion may fill in its own resource name and pods' container lists, as quadlet's does.
 * Throws ConvertError with podman's message.
 */
export function convertUnitFile(
  unit: UnitFile,
  units: ReadonlyMap<string, UnitInfo>,
  options: ConvertOptions = {},
): UnitFile {
  const type = typeOf(unit.filename);
  if (!type) throw new ConvertError(`Unsupported file type ${JSON.stringify(unit.filename)}`);
  const info = units.get(unit.filename);
  if (!info) throw new ConvertError(`internal error while processing ${type} ${unit.filename}`);
  const c = new Conversion(unit, type, info, units, options);
  CONVERTERS[type](c);
  return c.service;
}
