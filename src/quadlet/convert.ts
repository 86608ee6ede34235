/**
 * Pure conversion of quadlet units into systemd services, following podman-systemd.unit(5) for
 * podman 5.x. Input: effective units (base + drop-ins) and the map of all units found, so that
 * references between units (.network, .volume, .pod, .image, .container) resolve. Output: the
 * service as sections, plus the podman argv and [Service] settings as data for direct mode.
 */
import { posix } from "node:path";
import { ExitCode, QmError } from "../core/errors.js";
import { type Unit, type UnitValue, valueError, wordsOf } from "../unit/unit.js";
import { splitWords } from "../unit/values.js";
import { CONTAINER_KEYS, IMAGE_KEYS, NETWORK_KEYS, POD_KEYS, QUADLET_KEYS, VOLUME_KEYS } from "./keys.js";
import { renderService, ServiceBuilder, type ServiceEntry, type ServiceSection } from "./service.js";

export const UNIT_TYPES = ["container", "volume", "network", "pod", "image"] as const;
export type UnitType = (typeof UNIT_TYPES)[number];

const SECTION: Record<UnitType, string> = {
  container: "Container",
  volume: "Volume",
  network: "Network",
  pod: "Pod",
  image: "Image",
};
const KEYS: Record<UnitType, ReadonlySet<string>> = {
  container: CONTAINER_KEYS,
  volume: VOLUME_KEYS,
  network: NETWORK_KEYS,
  pod: POD_KEYS,
  image: IMAGE_KEYS,
};
const DEPENDENCY_KEYS = [
  "Wants",
  "Requires",
  "Requisite",
  "BindsTo",
  "PartOf",
  "Upholds",
  "Conflicts",
  "Before",
  "After",
];

/** What other units need to know about a unit: its service name and the podman object it creates. */
export interface UnitInfo {
  readonly name: string;
  readonly type: UnitType;
  readonly path: string;
  readonly serviceName: string;
  /** Container, volume, network or pod name; the image reference for .image units. */
  readonly resourceName: string;
  readonly unit: Unit;
}

export interface ConvertOptions {
  /** Rootless mode (`-user`): changes the implicit network dependency. */
  readonly user?: boolean;
  /** The podman executable written into Exec lines. */
  readonly podman?: string;
  /** Whether a host path exists (optional `AddDevice=-/dev/x`); consulted at generation time, as quadlet does. */
  readonly deviceExists?: (path: string) => boolean;
}

export interface GeneratedService {
  readonly sourceName: string;
  readonly sourcePath: string;
  readonly serviceName: string;
  readonly type: UnitType;
  readonly sections: readonly ServiceSection[];
  /** The unit file text. */
  readonly text: string;
  /** ExecStart as podman receives it after systemd's unquoting; `%` specifiers and `${VAR}` unexpanded. */
  readonly execStart: readonly string[];
  /** Every [Service] assignment of the generated unit, in order. */
  readonly service: readonly ServiceEntry[];
  /** [Install] targets applied at generation time as symlinks. */
  readonly install: InstallInfo;
}

export interface InstallInfo {
  readonly wantedBy: readonly string[];
  readonly requiredBy: readonly string[];
  readonly upheldBy: readonly string[];
  readonly alias: readonly string[];
  readonly defaultInstance?: string;
}

const base = (name: string): string => name.slice(0, name.length - posix.extname(name).length);
const typeOf = (name: string): UnitType | undefined => {
  const ext = posix.extname(name).slice(1);
  return (UNIT_TYPES as readonly string[]).includes(ext) ? (ext as UnitType) : undefined;
};

function invalid(unit: Unit, section: string, key: string, message: string): QmError {
  const v = unit.last(section, key);
  if (v) return valueError(v, message, "QM_QUADLET_INVALID");
  return new QmError("QM_QUADLET_INVALID", message, {
    exitCode: ExitCode.invalidConfig,
    location: { file: unit.path, line: 1 },
  });
}

/** Service and resource names, as quadlet derives them before converting anything. */
export function unitInfo(unit: Unit): UnitInfo | undefined {
  const type = typeOf(unit.name);
  if (!type) return undefined;
  const b = base(unit.name);
  const sec = SECTION[type];
  const svc = (suffix: string): string => `${unit.get(sec, "ServiceName") ?? `${b}${suffix}`}.service`;
  switch (type) {
    case "container":
      return {
        name: unit.name,
        type,
        path: unit.path,
        unit,
        serviceName: `${b}.service`,
        resourceName: unit.get(sec, "ContainerName") ?? "systemd-%N",
      };
    case "volume":
      return {
        name: unit.name,
        type,
        path: unit.path,
        unit,
        serviceName: `${b}-volume.service`,
        resourceName: unit.get(sec, "VolumeName") ?? `systemd-${b}`,
      };
    case "network":
      return {
        name: unit.name,
        type,
        path: unit.path,
        unit,
        serviceName: `${b}-network.service`,
        resourceName: unit.get(sec, "NetworkName") ?? `systemd-${b}`,
      };
    case "pod":
      return {
        name: unit.name,
        type,
        path: unit.path,
        unit,
        serviceName: svc("-pod"),
        resourceName: unit.get(sec, "PodName") ?? `systemd-${b}`,
      };
    case "image":
      return {
        name: unit.name,
        type,
        path: unit.path,
        unit,
        serviceName: `${b}-image.service`,
        resourceName: unit.get(sec, "ImageTag") ?? unit.get(sec, "Image") ?? "",
      };
  }
}

/** Reject keys the section does not know, naming file, line and key. */
export function checkKeys(unit: Unit, type: UnitType): void {
  const check = (section: string, allowed: ReadonlySet<string>): void => {
    for (const e of unit.section(section)?.entries ?? []) {
      if (!allowed.has(e.key)) {
        throw new QmError(
          "QM_QUADLET_UNSUPPORTED_KEY",
          `unsupported key '${e.key}' in group '${section}' in ${e.file}`,
          {
            exitCode: ExitCode.invalidConfig,
            location: { file: e.file, line: e.line, column: 1 },
            hint: `see podman-systemd.unit(5) for the keys [${section}] accepts`,
            details: { section, key: e.key },
          },
        );
      }
    }
  };
  check(SECTION[type], KEYS[type]);
  check("Quadlet", QUADLET_KEYS);
}

class Cmd {
  readonly args: string[];
  constructor(podman: string) {
    this.args = [podman];
  }
  add(...a: string[]): this {
    this.args.push(...a);
    return this;
  }
}

function ref(
  units: ReadonlyMap<string, UnitInfo>,
  unit: Unit,
  section: string,
  key: string,
  name: string,
  type: UnitType,
): UnitInfo {
  const info = units.get(name);
  if (!info || info.type !== type) {
    throw invalid(unit, section, key, `requested Quadlet ${type} ${name} was not found`);
  }
  return info;
}

function depend(svc: ServiceBuilder, target: string, kind: "Requires" | "BindsTo" = "Requires"): void {
  svc.add("Unit", kind, target);
  svc.add("Unit", "After", target);
}

/** podman [GlobalArgs] [--module M] — the part every command shares. */
function basePodman(unit: Unit, section: string, podman: string): Cmd {
  const cmd = new Cmd(podman);
  for (const m of unit.all(section, "ContainersConfModule")) cmd.add("--module", m.value);
  cmd.add(...unit.words(section, "GlobalArgs"));
  return cmd;
}

/** Copy every non-quadlet section through untouched; rename the quadlet section to X-<Name>. */
function startService(
  info: UnitInfo,
  units: ReadonlyMap<string, UnitInfo>,
  options: ConvertOptions,
): ServiceBuilder {
  const svc = new ServiceBuilder();
  const unit = info.unit;
  const own = SECTION[info.type];
  for (const s of unit.sections) {
    if (s.name === "Quadlet") continue;
    const name = s.name === own ? `X-${own}` : s.name;
    svc.ensure(name);
    for (const e of s.entries) {
      let value = e.value;
      if (s.name === "Unit" && DEPENDENCY_KEYS.includes(e.key)) value = translateDependencies(value, units);
      svc.add(name, e.key, value);
    }
  }
  const defaultDeps = unit.boolean("Quadlet", "DefaultDependencies") ?? true;
  if (defaultDeps) {
    const target = options.user ? "podman-user-wait-network-online.service" : "network-online.target";
    svc.prepend("Unit", "After", target);
    svc.prepend("Unit", "Wants", target);
  }
  svc.add("Unit", "SourcePath", unit.path);
  return svc;
}

/** `After=db.container` means the service generated from it. */
function translateDependencies(value: string, units: ReadonlyMap<string, UnitInfo>): string {
  return value
    .split(/(\s+)/)
    .map((w) => units.get(w)?.serviceName ?? w)
    .join("");
}

function finish(info: UnitInfo, svc: ServiceBuilder, execStart: readonly string[]): GeneratedService {
  const sections = svc.sections();
  const install = info.unit.section("Install");
  const words = (key: string): string[] =>
    (install?.entries ?? []).filter((e) => e.key === key).flatMap((e) => wordsOf(e));
  const defaultInstance = info.unit.get("Install", "DefaultInstance");
  return {
    sourceName: info.name,
    sourcePath: info.path,
    serviceName: info.serviceName,
    type: info.type,
    sections,
    text: renderService(sections),
    execStart,
    service: sections.find((s) => s.name === "Service")?.entries ?? [],
    install: {
      wantedBy: words("WantedBy"),
      requiredBy: words("RequiredBy"),
      upheldBy: words("UpheldBy"),
      alias: words("Alias"),
      ...(defaultInstance === undefined ? {} : { defaultInstance }),
    },
  };
}

/** A oneshot service that runs one podman command and stays "active" afterwards. */
function oneshot(svc: ServiceBuilder, unit: Unit, argv: string[]): void {
  const type = unit.get("Service", "Type");
  if (type !== undefined && type !== "oneshot") {
    throw invalid(unit, "Service", "Type", `invalid service Type '${type}'`);
  }
  svc.addCommand("Service", "ExecStart", argv);
  svc.set("Service", "Type", "oneshot");
  svc.set("Service", "RemainAfterExit", "yes");
  if (!svc.has("Service", "SyslogIdentifier")) svc.set("Service", "SyslogIdentifier", "%N");
}

function resolvePath(unit: Unit, path: string): string {
  if (path.startsWith("/") || path.startsWith("%") || path.startsWith("$")) return path;
  return posix.normalize(posix.join(posix.dirname(unit.path), path));
}

/** Volume=SRC:DST[:OPTS] with SRC a .volume unit, a relative path or a host path. */
function volumeArg(
  svc: ServiceBuilder,
  unit: Unit,
  section: string,
  v: UnitValue,
  units: ReadonlyMap<string, UnitInfo>,
): string {
  const parts = v.value.split(":");
  let source = parts[0] ?? "";
  if (parts.length > 1) {
    if (source.endsWith(".volume")) {
      const info = ref(units, unit, section, "Volume", source, "volume");
      depend(svc, info.serviceName);
      source = info.resourceName;
    } else if (source.startsWith(".")) {
      source = resolvePath(unit, source);
    }
    if (source.startsWith("/")) svc.add("Unit", "RequiresMountsFor", source);
    parts[0] = source;
  }
  return parts.join(":");
}

function networkArg(
  svc: ServiceBuilder,
  unit: Unit,
  section: string,
  value: string,
  units: ReadonlyMap<string, UnitInfo>,
): string {
  const colon = value.indexOf(":");
  const name = colon < 0 ? value : value.slice(0, colon);
  const opts = colon < 0 ? "" : value.slice(colon);
  if (name.endsWith(".network")) {
    const info = ref(units, unit, section, "Network", name, "network");
    depend(svc, info.serviceName);
    return `${info.resourceName}${opts}`;
  }
  if (name.endsWith(".container") && section === "Container") {
    const info = ref(units, unit, section, "Network", name, "container");
    depend(svc, info.serviceName);
    return `container:${info.resourceName === "systemd-%N" ? `systemd-${base(info.name)}` : info.resourceName}${opts}`;
  }
  return value;
}

function imageArg(
  svc: ServiceBuilder,
  unit: Unit,
  section: string,
  key: string,
  image: string,
  units: ReadonlyMap<string, UnitInfo>,
): string {
  if (!image.endsWith(".image")) return image;
  const info = ref(units, unit, section, key, image, "image");
  depend(svc, info.serviceName);
  return info.resourceName;
}

const PORT_RANGE = /^\d{1,5}(-\d{1,5})?(\/(tcp|udp|sctp))?$/;

// ---------------------------------------------------------------- .container

export function convertContainer(
  info: UnitInfo,
  units: ReadonlyMap<string, UnitInfo>,
  options: ConvertOptions = {},
): GeneratedService {
  const unit = info.unit;
  const C = "Container";
  checkKeys(unit, "container");
  const podmanPath = options.podman ?? "/usr/bin/podman";
  const image = unit.get(C, "Image");
  const rootfs = unit.get(C, "Rootfs");
  if (image === undefined && rootfs === undefined) {
    throw new QmError("QM_QUADLET_INVALID", `no Image or Rootfs key specified in ${unit.path}`, {
      exitCode: ExitCode.invalidConfig,
      location: { file: unit.path, line: 1 },
      hint: "a .container needs Image= (an image reference) or Rootfs= (a directory)",
    });
  }
  if (image !== undefined && rootfs !== undefined) {
    throw invalid(unit, C, "Rootfs", "the Image and Rootfs keys conflict and cannot be used together");
  }
  const svc = startService(info, units, options);
  const name = info.resourceName;

  svc.add("Service", "Environment", "PODMAN_SYSTEMD_UNIT=%n");
  const killMode = unit.get("Service", "KillMode");
  if (killMode !== undefined && killMode !== "mixed" && killMode !== "control-group") {
    throw invalid(unit, "Service", "KillMode", `invalid KillMode '${killMode}'`);
  }
  if (killMode === undefined) svc.set("Service", "KillMode", "mixed");
  svc.add("Unit", "RequiresMountsFor", "%t/containers");

  const stop = basePodman(unit, C, podmanPath).add("rm", "-v", "-f", "-i", "--cidfile=%t/%N.cid").args;
  svc.addCommand("Service", "ExecStop", stop);
  svc.addCommand("Service", "ExecStopPost", [`-${stop[0]}`, ...stop.slice(1)]);

  const reloadCmd = unit.last(C, "ReloadCmd");
  const reloadSignal = unit.get(C, "ReloadSignal");
  if (reloadCmd?.value && reloadSignal) {
    throw invalid(unit, C, "ReloadSignal", "ReloadCmd and ReloadSignal are mutually exclusive");
  }
  if (reloadCmd?.value) {
    svc.addCommand("Service", "ExecReload", [
      ...basePodman(unit, C, podmanPath).add("exec", "--cidfile=%t/%N.cid").args,
      ...wordsOf(reloadCmd),
    ]);
  } else if (reloadSignal) {
    svc.addCommand(
      "Service",
      "ExecReload",
      basePodman(unit, C, podmanPath).add("kill", "--cidfile=%t/%N.cid", "--signal", reloadSignal).args,
    );
  }

  const cmd = basePodman(unit, C, podmanPath).add(
    "run",
    "--name",
    name,
    "--cidfile=%t/%N.cid",
    "--replace",
    "--rm",
  );
  const str = (key: string, flag: string): void => {
    const v = unit.get(C, key);
    if (v !== undefined) cmd.add(flag, v);
  };
  const each = (key: string, flag: string): void => {
    for (const v of unit.all(C, key)) cmd.add(flag, v.value);
  };
  const bool = (key: string, flag: string, whenFalse = false): void => {
    const b = unit.boolean(C, key);
    if (b === true) cmd.add(flag);
    else if (b === false && whenFalse) cmd.add(`${flag}=false`);
  };

  str("LogDriver", "--log-driver");
  each("LogOpt", "--log-opt");
  svc.add("Service", "Delegate", "yes");
  cmd.add(`--cgroups=${unit.get(C, "CgroupsMode") ?? "split"}`);

  const serviceType = unit.get("Service", "Type");
  if (serviceType !== undefined && serviceType !== "notify" && serviceType !== "oneshot") {
    throw invalid(unit, "Service", "Type", `invalid service Type '${serviceType}'`);
  }
  if (serviceType !== "oneshot") {
    const notify = unit.get(C, "Notify");
    if (notify === "healthy") cmd.add("--sdnotify=healthy");
    else cmd.add(unit.boolean(C, "Notify") ? "--sdnotify=container" : "--sdnotify=conmon");
    svc.set("Service", "Type", "notify");
    svc.set("Service", "NotifyAccess", "all");
    cmd.add("-d");
  }
  if (!svc.has("Service", "SyslogIdentifier")) svc.set("Service", "SyslogIdentifier", "%N");

  if (unit.boolean(C, "SecurityLabelDisable")) cmd.add("--security-opt", "label=disable");
  if (unit.boolean(C, "SecurityLabelNested")) cmd.add("--security-opt", "label=nested");
  str("PidsLimit", "--pids-limit");
  const label = (key: string, what: string): void => {
    const v = unit.get(C, key);
    if (v !== undefined) cmd.add("--security-opt", `label=${what}:${v}`);
  };
  label("SecurityLabelType", "type");
  label("SecurityLabelFileType", "filetype");
  label("SecurityLabelLevel", "level");
  each("Ulimit", "--ulimit");

  for (const device of unit.words(C, "AddDevice")) {
    let d = device;
    if (d.startsWith("-")) {
      d = d.slice(1);
      const exists = options.deviceExists ?? (() => true);
      if (!exists(d.split(":")[0] as string)) continue;
    }
    cmd.add("--device", d);
  }
  const seccomp = unit.last(C, "SeccompProfile");
  if (seccomp !== undefined) cmd.add("--security-opt", `seccomp=${seccomp.value}`);
  for (const m of unit.words(C, "Mask")) cmd.add("--security-opt", `mask=${m}`);
  for (const m of unit.words(C, "Unmask")) cmd.add("--security-opt", `unmask=${m}`);
  for (const c of unit.words(C, "DropCapability")) cmd.add("--cap-drop", c.toLowerCase());
  for (const c of unit.words(C, "AddCapability")) cmd.add("--cap-add", c.toLowerCase());

  const readOnly = unit.boolean(C, "ReadOnly");
  if (readOnly !== undefined) cmd.add(readOnly ? "--read-only" : "--read-only=false");
  if (readOnly) {
    const tmpfs = unit.boolean(C, "ReadOnlyTmpfs");
    if (tmpfs !== undefined) cmd.add(tmpfs ? "--read-only-tmpfs" : "--read-only-tmpfs=false");
  }
  if (unit.boolean(C, "VolatileTmp") && !readOnly) cmd.add("--tmpfs", "/tmp:rw,size=512M,mode=1777");

  const user = unit.get(C, "User");
  const group = unit.get(C, "Group");
  if (group !== undefined && user === undefined) {
    throw invalid(unit, C, "Group", "Group= needs User= (podman sets both with --user UID:GID)");
  }
  if (user !== undefined) cmd.add("--user", group === undefined ? user : `${user}:${group}`);
  str("WorkingDir", "-w");

  str("UserNS", "--userns");
  each("UIDMap", "--uidmap");
  each("GIDMap", "--gidmap");
  str("SubUIDMap", "--subuidname");
  str("SubGIDMap", "--subgidname");

  for (const t of unit.all(C, "Tmpfs")) {
    if ((t.value.match(/:/g) ?? []).length > 1)
      throw valueError(t, `invalid tmpfs format '${t.value}'`, "QM_QUADLET_INVALID");
    cmd.add("--tmpfs", t.value);
  }
  for (const v of unit.all(C, "Volume")) cmd.add("-v", volumeArg(svc, unit, C, v, units));

  const update = unit.get(C, "AutoUpdate");
  if (update !== undefined) cmd.add("--label", `io.containers.autoupdate=${update}`);
  for (const p of unit.all(C, "ExposeHostPort")) {
    for (const port of wordsOf(p)) {
      if (!PORT_RANGE.test(port)) throw valueError(p, `invalid port format '${port}'`, "QM_QUADLET_INVALID");
      cmd.add("--expose", port);
    }
  }
  each("PublishPort", "--publish");
  for (const [k, v] of sorted(unit.keyValues(C, "Environment"))) cmd.add("--env", `${k}=${v}`);
  str("IP", "--ip");
  str("IP6", "--ip6");
  for (const [k, v] of sorted(unit.keyValues(C, "Label"))) cmd.add("--label", `${k}=${v}`);
  for (const [k, v] of sorted(unit.keyValues(C, "Annotation"))) cmd.add("--annotation", `${k}=${v}`);
  for (const f of unit.words(C, "EnvironmentFile")) cmd.add("--env-file", resolvePath(unit, f));
  bool("EnvironmentHost", "--env-host", true);
  for (const s of unit.words(C, "Secret")) cmd.add("--secret", s);
  for (const m of unit.all(C, "Mount")) cmd.add("--mount", mountArg(svc, unit, m, units));

  str("HealthCmd", "--health-cmd");
  str("HealthInterval", "--health-interval");
  str("HealthLogDestination", "--health-log-destination");
  str("HealthMaxLogCount", "--health-max-log-count");
  str("HealthMaxLogSize", "--health-max-log-size");
  str("HealthOnFailure", "--health-on-failure");
  str("HealthRetries", "--health-retries");
  str("HealthStartPeriod", "--health-start-period");
  str("HealthStartupCmd", "--health-startup-cmd");
  str("HealthStartupInterval", "--health-startup-interval");
  str("HealthStartupRetries", "--health-startup-retries");
  str("HealthStartupSuccess", "--health-startup-success");
  str("HealthStartupTimeout", "--health-startup-timeout");
  str("HealthTimeout", "--health-timeout");
  str("HostName", "--hostname");

  const pod = unit.get(C, "Pod");
  if (pod !== undefined) {
    if (!pod.endsWith(".pod")) throw invalid(unit, C, "Pod", `pod '${pod}' is not Quadlet based`);
    const podInfo = ref(units, unit, C, "Pod", pod, "pod");
    cmd.add("--pod", podInfo.resourceName);
    depend(svc, podInfo.serviceName, "BindsTo");
  }
  for (const n of unit.all(C, "Network")) cmd.add("--network", networkArg(svc, unit, C, n.value, units));
  each("NetworkAlias", "--network-alias");
  for (const d of unit.words(C, "DNS")) cmd.add("--dns", d);
  for (const d of unit.words(C, "DNSOption")) cmd.add("--dns-option", d);
  for (const d of unit.words(C, "DNSSearch")) cmd.add("--dns-search", d);
  each("AddHost", "--add-host");
  each("GroupAdd", "--group-add");
  str("Entrypoint", "--entrypoint");
  str("Memory", "--memory");
  str("Pull", "--pull");
  str("Retry", "--retry");
  str("RetryDelay", "--retry-delay");
  str("ShmSize", "--shm-size");
  str("StopSignal", "--stop-signal");
  str("StopTimeout", "--stop-timeout");
  for (const s of unit.words(C, "Sysctl")) cmd.add("--sysctl", s);
  str("Timezone", "--tz");
  bool("NoNewPrivileges", "--security-opt=no-new-privileges");
  bool("RunInit", "--init");
  if (unit.boolean(C, "HttpProxy") === false) cmd.add("--http-proxy=false");

  cmd.add(...unit.words(C, "PodmanArgs"));
  if (image !== undefined) cmd.add(imageArg(svc, unit, C, "Image", image, units));
  else cmd.add("--rootfs", rootfs as string);
  const exec = unit.last(C, "Exec");
  if (exec !== undefined) cmd.add(...wordsOf(exec));

  svc.addCommand("Service", "ExecStart", cmd.args);
  return finish(info, svc, cmd.args);
}

function mountArg(
  svc: ServiceBuilder,
  unit: Unit,
  m: UnitValue,
  units: ReadonlyMap<string, UnitInfo>,
): string {
  const fields = m.value.split(",");
  const typeField = fields.find((f) => f.startsWith("type="));
  const type = typeField?.slice(5);
  return fields
    .map((f) => {
      const eq = f.indexOf("=");
      const k = eq < 0 ? f : f.slice(0, eq);
      const v = eq < 0 ? "" : f.slice(eq + 1);
      if (k !== "source" && k !== "src") return f;
      if (type === "volume" && v.endsWith(".volume")) {
        const info = ref(units, unit, "Container", "Mount", v, "volume");
        depend(svc, info.serviceName);
        return `${k}=${info.resourceName}`;
      }
      if (type === "image" && v.endsWith(".image")) {
        const info = ref(units, unit, "Container", "Mount", v, "image");
        depend(svc, info.serviceName);
        return `${k}=${info.resourceName}`;
      }
      if ((type === "bind" || type === undefined) && v.startsWith(".")) return `${k}=${resolvePath(unit, v)}`;
      return f;
    })
    .join(",");
}

function sorted(map: Map<string, string>): Array<[string, string]> {
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

// ---------------------------------------------------------------- .volume

export function convertVolume(
  info: UnitInfo,
  units: ReadonlyMap<string, UnitInfo>,
  options: ConvertOptions = {},
): GeneratedService {
  const unit = info.unit;
  const V = "Volume";
  checkKeys(unit, "volume");
  const svc = startService(info, units, options);
  const cmd = basePodman(unit, V, options.podman ?? "/usr/bin/podman").add("volume", "create", "--ignore");
  const driver = unit.get(V, "Driver");
  if (driver !== undefined) cmd.add("--driver", driver);
  const opts: string[] = [];
  const device = unit.get(V, "Device");
  if (device !== undefined) {
    opts.push(`device=${device}`);
    if (device.startsWith("/")) svc.add("Unit", "RequiresMountsFor", device);
    const copy = unit.boolean(V, "Copy");
    if (copy === true) cmd.add("--opt", "copy");
  } else if (unit.boolean(V, "Copy") ?? true) {
    cmd.add("--opt", "copy");
  }
  const type = unit.get(V, "Type");
  if (type !== undefined) opts.push(`type=${type}`);
  const mountOpts = unit.get(V, "Options");
  if (mountOpts !== undefined) opts.push(`o=${mountOpts}`);
  const user = unit.get(V, "User");
  if (user !== undefined) opts.push(`uid=${user}`);
  const group = unit.get(V, "Group");
  if (group !== undefined) opts.push(`gid=${group}`);
  const image = unit.get(V, "Image");
  if (driver === "image") {
    if (image === undefined)
      throw invalid(unit, V, "Driver", "the key Image is mandatory when using the image driver");
    opts.push(`image=${imageArg(svc, unit, V, "Image", image, units)}`);
  }
  for (const o of opts) cmd.add("--opt", o);
  for (const [k, v] of sorted(unit.keyValues(V, "Label"))) cmd.add("--label", `${k}=${v}`);
  cmd.add(...unit.words(V, "PodmanArgs"));
  cmd.add(info.resourceName);
  oneshot(svc, unit, cmd.args);
  return finish(info, svc, cmd.args);
}

// ---------------------------------------------------------------- .network

export function convertNetwork(
  info: UnitInfo,
  units: ReadonlyMap<string, UnitInfo>,
  options: ConvertOptions = {},
): GeneratedService {
  const unit = info.unit;
  const N = "Network";
  checkKeys(unit, "network");
  const podmanPath = options.podman ?? "/usr/bin/podman";
  const svc = startService(info, units, options);
  const cmd = basePodman(unit, N, podmanPath).add("network", "create", "--ignore");
  if (unit.boolean(N, "DisableDNS")) cmd.add("--disable-dns");
  for (const d of unit.words(N, "DNS")) cmd.add("--dns", d);
  const driver = unit.get(N, "Driver");
  if (driver !== undefined) cmd.add("--driver", driver);
  const subnets = unit.all(N, "Subnet");
  const gateways = unit.all(N, "Gateway");
  const ranges = unit.all(N, "IPRange");
  if (gateways.length > subnets.length)
    throw invalid(unit, N, "Gateway", "cannot set more gateways than subnets");
  if (ranges.length > subnets.length)
    throw invalid(unit, N, "IPRange", "cannot set more ranges than subnets");
  subnets.forEach((s, i) => {
    cmd.add("--subnet", s.value);
    const g = gateways[i];
    if (g) cmd.add("--gateway", g.value);
    const r = ranges[i];
    if (r) cmd.add("--ip-range", r.value);
  });
  const iface = unit.get(N, "InterfaceName");
  if (iface !== undefined) cmd.add("--interface-name", iface);
  if (unit.boolean(N, "IPv6")) cmd.add("--ipv6");
  if (unit.boolean(N, "Internal")) cmd.add("--internal");
  const ipam = unit.get(N, "IPAMDriver");
  if (ipam !== undefined) cmd.add("--ipam-driver", ipam);
  for (const o of unit.words(N, "Options")) cmd.add("--opt", o);
  for (const [k, v] of sorted(unit.keyValues(N, "Label"))) cmd.add("--label", `${k}=${v}`);
  cmd.add(...unit.words(N, "PodmanArgs"));
  cmd.add(info.resourceName);
  if (unit.boolean(N, "NetworkDeleteOnStop")) {
    svc.addCommand(
      "Service",
      "ExecStopPost",
      basePodman(unit, N, podmanPath).add("network", "rm", info.resourceName).args,
    );
  }
  oneshot(svc, unit, cmd.args);
  return finish(info, svc, cmd.args);
}

// ---------------------------------------------------------------- .pod

export function convertPod(
  info: UnitInfo,
  units: ReadonlyMap<string, UnitInfo>,
  options: ConvertOptions = {},
): GeneratedService {
  const unit = info.unit;
  const P = "Pod";
  checkKeys(unit, "pod");
  const podmanPath = options.podman ?? "/usr/bin/podman";
  const svc = startService(info, units, options);
  // Containers that start with the pod: the pod service wants them and starts before them.
  for (const other of units.values()) {
    if (other.type !== "container" || other.unit.get("Container", "Pod") !== info.name) continue;
    if (other.unit.boolean("Container", "StartWithPod") === false) continue;
    svc.add("Unit", "Wants", other.serviceName);
    svc.add("Unit", "Before", other.serviceName);
  }
  const podId = "--pod-id-file=%t/%N.pod-id";
  const type = unit.get("Service", "Type");
  if (type !== undefined && type !== "forking")
    throw invalid(unit, "Service", "Type", `invalid service Type '${type}'`);
  svc.set("Service", "Environment", "PODMAN_SYSTEMD_UNIT=%n");
  svc.set("Service", "Type", "forking");
  svc.set("Service", "Restart", unit.get("Service", "Restart") ?? "on-failure");
  svc.set("Service", "PIDFile", "%t/%N.pid");
  svc.add("Unit", "RequiresMountsFor", "%t/containers");

  const create = basePodman(unit, P, podmanPath).add(
    "pod",
    "create",
    "--infra-conmon-pidfile=%t/%N.pid",
    podId,
    "--exit-policy",
    unit.get(P, "ExitPolicy") ?? "stop",
    "--replace",
  );
  const str = (key: string, flag: string): void => {
    const v = unit.get(P, key);
    if (v !== undefined) create.add(flag, v);
  };
  const each = (key: string, flag: string): void => {
    for (const v of unit.all(P, key)) create.add(flag, v.value);
  };
  str("UserNS", "--userns");
  each("UIDMap", "--uidmap");
  each("GIDMap", "--gidmap");
  str("SubUIDMap", "--subuidname");
  str("SubGIDMap", "--subgidname");
  each("PublishPort", "--publish");
  for (const n of unit.all(P, "Network")) create.add("--network", networkArg(svc, unit, P, n.value, units));
  each("NetworkAlias", "--network-alias");
  for (const v of unit.all(P, "Volume")) create.add("-v", volumeArg(svc, unit, P, v, units));
  each("AddHost", "--add-host");
  for (const d of unit.words(P, "DNS")) create.add("--dns", d);
  for (const d of unit.words(P, "DNSOption")) create.add("--dns-option", d);
  for (const d of unit.words(P, "DNSSearch")) create.add("--dns-search", d);
  str("HostName", "--hostname");
  str("IP", "--ip");
  str("IP6", "--ip6");
  str("ShmSize", "--shm-size");
  for (const [k, v] of sorted(unit.keyValues(P, "Label"))) create.add("--label", `${k}=${v}`);
  create.add("--infra-name", `${info.resourceName}-infra`, "--name", info.resourceName);
  create.add(...unit.words(P, "PodmanArgs"));

  const start = basePodman(unit, P, podmanPath).add("pod", "start", podId).args;
  const stop = basePodman(unit, P, podmanPath).add("pod", "stop", podId, "--ignore", "--time=10").args;
  const rm = basePodman(unit, P, podmanPath).add("pod", "rm", podId, "--ignore", "--force").args;
  svc.addCommand("Service", "ExecStartPre", create.args);
  svc.addCommand("Service", "ExecStart", start);
  svc.addCommand("Service", "ExecStop", stop);
  svc.addCommand("Service", "ExecStopPost", rm);
  if (!svc.has("Service", "SyslogIdentifier")) svc.set("Service", "SyslogIdentifier", "%N");
  return finish(info, svc, start);
}

// ---------------------------------------------------------------- .image

export function convertImage(
  info: UnitInfo,
  units: ReadonlyMap<string, UnitInfo>,
  options: ConvertOptions = {},
): GeneratedService {
  const unit = info.unit;
  const I = "Image";
  checkKeys(unit, "image");
  const image = unit.get(I, "Image");
  if (image === undefined) throw invalid(unit, I, "Image", `no Image key specified in ${unit.path}`);
  const svc = startService(info, units, options);
  const cmd = basePodman(unit, I, options.podman ?? "/usr/bin/podman").add("image", "pull");
  const flag = (key: string, name: string): void => {
    const v = unit.get(I, key);
    if (v !== undefined) cmd.add(`${name}=${v}`);
  };
  if (unit.boolean(I, "AllTags")) cmd.add("--all-tags");
  flag("Arch", "--arch");
  flag("AuthFile", "--authfile");
  flag("CertDir", "--cert-dir");
  flag("Creds", "--creds");
  flag("DecryptionKey", "--decryption-key");
  flag("OS", "--os");
  flag("Retry", "--retry");
  flag("RetryDelay", "--retry-delay");
  const tls = unit.boolean(I, "TLSVerify");
  if (tls !== undefined) cmd.add(`--tls-verify=${tls}`);
  flag("Variant", "--variant");
  cmd.add(...unit.words(I, "PodmanArgs"));
  cmd.add(image);
  oneshot(svc, unit, cmd.args);
  return finish(info, svc, cmd.args);
}

/** Convert any supported unit; throws a located QmError when the unit is invalid. */
export function convertUnit(
  info: UnitInfo,
  units: ReadonlyMap<string, UnitInfo>,
  options: ConvertOptions = {},
): GeneratedService {
  switch (info.type) {
    case "container":
      return convertContainer(info, units, options);
    case "volume":
      return convertVolume(info, units, options);
    case "network":
      return convertNetwork(info, units, options);
    case "pod":
      return convertPod(info, units, options);
    case "image":
      return convertImage(info, units, options);
  }
}

/** Split a value the way quadlet splits PodmanArgs= (exported for callers composing extra argv). */
export const splitArgs = (value: string): string[] => splitWords(value);
