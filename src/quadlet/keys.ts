/**
 * The keys of each quadlet unit type (podman 5.4's generator, checked against it key by key) and how
 * each becomes podman arguments. This one table per type decides both which keys a unit may use and
 * the argv: a key with a `flag` is emitted by the converter when it reaches the key's `group`, in table
 * order; a key marked `custom` is read by the converter's own code at the place podman reads it.
 *
 * Groups:
 *   string   the last value, when not empty: FLAG VALUE
 *   strings  every value (after the last empty one): FLAG VALUE each
 *   bool     a boolean: FLAG, or FLAG=false
 *   health   like string, in the fixed order podman writes --health-* options
 * Podman emits the keys of one string/strings/bool group in an order that changes from run to run (Go map
 * iteration); qm-quadlet emits them in table order.
 */

export type Group = "string" | "strings" | "bool" | "health";
export type Rule = { readonly group: Group; readonly flag: string } | "custom";

export interface KeyTable {
  /** The quadlet section, e.g. "Container". */
  readonly section: string;
  readonly keys: Readonly<Record<string, Rule>>;
}

const str = (flag: string): Rule => ({ group: "string", flag });
const all = (flag: string): Rule => ({ group: "strings", flag });
const bool = (flag: string): Rule => ({ group: "bool", flag });
const health = (name: string): Rule => ({ group: "health", flag: `--health-${name}` });
const custom: Rule = "custom";

/** Keys every type reads in the same way. */
const COMMON: Record<string, Rule> = {
  ContainersConfModule: custom,
  GlobalArgs: custom,
  PodmanArgs: custom,
  ServiceName: custom,
};
/** User namespace keys (handleUserMappings). */
const USERNS: Record<string, Rule> = {
  UserNS: custom,
  UIDMap: custom,
  GIDMap: custom,
  SubUIDMap: custom,
  SubGIDMap: custom,
  RemapUsers: custom,
  RemapUid: custom,
  RemapGid: custom,
  RemapUidSize: custom,
};

export const CONTAINER: KeyTable = {
  section: "Container",
  keys: {
    ...COMMON,
    ...USERNS,
    Image: custom,
    Rootfs: custom,
    ContainerName: custom,
    LogDriver: custom,
    LogOpt: custom,
    CgroupsMode: custom,
    Timezone: str("--tz"),
    PidsLimit: str("--pids-limit"),
    ShmSize: str("--shm-size"),
    Entrypoint: str("--entrypoint"),
    WorkingDir: str("--workdir"),
    IP: str("--ip"),
    IP6: str("--ip6"),
    HostName: str("--hostname"),
    StopSignal: str("--stop-signal"),
    StopTimeout: str("--stop-timeout"),
    Pull: str("--pull"),
    NetworkAlias: all("--network-alias"),
    Ulimit: all("--ulimit"),
    DNS: all("--dns"),
    DNSOption: all("--dns-option"),
    DNSSearch: all("--dns-search"),
    GroupAdd: all("--group-add"),
    AddHost: all("--add-host"),
    Tmpfs: all("--tmpfs"),
    RunInit: bool("--init"),
    EnvironmentHost: bool("--env-host"),
    ReadOnlyTmpfs: bool("--read-only-tmpfs"),
    Network: custom,
    Notify: custom,
    NoNewPrivileges: custom,
    SecurityLabelDisable: custom,
    SecurityLabelNested: custom,
    SecurityLabelType: custom,
    SecurityLabelFileType: custom,
    SecurityLabelLevel: custom,
    AddDevice: custom,
    SeccompProfile: custom,
    DropCapability: custom,
    AddCapability: custom,
    Sysctl: custom,
    ReadOnly: custom,
    VolatileTmp: custom,
    User: custom,
    Group: custom,
    Volume: custom,
    AutoUpdate: custom,
    ExposeHostPort: custom,
    PublishPort: custom,
    Environment: custom,
    Label: custom,
    Annotation: custom,
    Mask: custom,
    Unmask: custom,
    EnvironmentFile: custom,
    Secret: custom,
    Mount: custom,
    HealthCmd: health("cmd"),
    HealthInterval: health("interval"),
    HealthOnFailure: health("on-failure"),
    HealthLogDestination: health("log-destination"),
    HealthMaxLogCount: health("max-log-count"),
    HealthMaxLogSize: health("max-log-size"),
    HealthRetries: health("retries"),
    HealthStartPeriod: health("start-period"),
    HealthTimeout: health("timeout"),
    HealthStartupCmd: health("startup-cmd"),
    HealthStartupInterval: health("startup-interval"),
    HealthStartupRetries: health("startup-retries"),
    HealthStartupSuccess: health("startup-success"),
    HealthStartupTimeout: health("startup-timeout"),
    Pod: custom,
    StartWithPod: custom,
    Exec: custom,
  },
};

export const VOLUME: KeyTable = {
  section: "Volume",
  keys: {
    ...COMMON,
    VolumeName: custom,
    Driver: custom,
    Image: custom,
    User: custom,
    Group: custom,
    Copy: custom,
    Device: custom,
    Type: custom,
    Options: custom,
    Label: custom,
  },
};

export const NETWORK: KeyTable = {
  section: "Network",
  keys: {
    ...COMMON,
    NetworkName: custom,
    DisableDNS: bool("--disable-dns"),
    Internal: bool("--internal"),
    IPv6: bool("--ipv6"),
    Driver: str("--driver"),
    IPAMDriver: str("--ipam-driver"),
    DNS: all("--dns"),
    Subnet: custom,
    Gateway: custom,
    IPRange: custom,
    Options: custom,
    Label: custom,
  },
};

export const POD: KeyTable = {
  section: "Pod",
  keys: {
    ...COMMON,
    ...USERNS,
    PodName: custom,
    PublishPort: custom,
    Network: custom,
    IP: str("--ip"),
    IP6: str("--ip6"),
    ShmSize: str("--shm-size"),
    NetworkAlias: all("--network-alias"),
    DNS: all("--dns"),
    DNSOption: all("--dns-option"),
    DNSSearch: all("--dns-search"),
    AddHost: all("--add-host"),
    Volume: custom,
  },
};

export const KUBE: KeyTable = {
  section: "Kube",
  keys: {
    ...COMMON,
    UserNS: custom,
    RemapUsers: custom,
    RemapUid: custom,
    RemapGid: custom,
    RemapUidSize: custom,
    Yaml: custom,
    ExitCodePropagation: custom,
    LogDriver: custom,
    LogOpt: custom,
    Network: custom,
    AutoUpdate: custom,
    ConfigMap: custom,
    PublishPort: custom,
    KubeDownForce: custom,
    SetWorkingDirectory: custom,
  },
};

export const IMAGE: KeyTable = {
  section: "Image",
  keys: {
    ...COMMON,
    Image: custom,
    ImageTag: custom,
    Arch: str("--arch"),
    AuthFile: str("--authfile"),
    CertDir: str("--cert-dir"),
    Creds: str("--creds"),
    DecryptionKey: str("--decryption-key"),
    OS: str("--os"),
    Variant: str("--variant"),
    AllTags: bool("--all-tags"),
    TLSVerify: bool("--tls-verify"),
  },
};

export const BUILD: KeyTable = {
  section: "Build",
  keys: {
    ...COMMON,
    Pull: custom,
    Arch: str("--arch"),
    AuthFile: str("--authfile"),
    Target: str("--target"),
    Variant: str("--variant"),
    TLSVerify: bool("--tls-verify"),
    ForceRM: bool("--force-rm"),
    DNS: all("--dns"),
    DNSOption: all("--dns-option"),
    DNSSearch: all("--dns-search"),
    GroupAdd: all("--group-add"),
    ImageTag: all("--tag"),
    Annotation: custom,
    Environment: custom,
    Label: custom,
    Network: custom,
    Secret: custom,
    Volume: custom,
    SetWorkingDirectory: custom,
    File: custom,
  },
};

/** [Quadlet] is read by every type. */
export const QUADLET: KeyTable = { section: "Quadlet", keys: { DefaultDependencies: custom } };

export const TABLES = {
  container: CONTAINER,
  volume: VOLUME,
  network: NETWORK,
  pod: POD,
  kube: KUBE,
  image: IMAGE,
  build: BUILD,
} as const;

export type UnitType = keyof typeof TABLES;
export const UNIT_TYPES = Object.keys(TABLES) as UnitType[];
