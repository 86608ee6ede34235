/**
 * The differential corpus: every key of podman-systemd.unit(5) (podman 5.4) for the seven unit types,
 * each written in many value shapes; drop-ins of every kind; references between units; [Install] links;
 * search-path shapes; and invalid input. Names carry the case prefix ("{p}") so cases can share runs.
 */
import type { DiffCase, Entry } from "./quadlet-differential.js";

type Files = Readonly<Record<string, Entry>>;

interface KeySpec {
  /** Typical values ("{p}" is the case prefix). */
  readonly values: readonly string[];
  /** Lines the unit needs for the key to matter (e.g. User= for Group=). */
  readonly with?: string;
  /** Replaces the type's base lines. */
  readonly base?: string;
  /** Other files the key refers to. */
  readonly files?: Readonly<Record<string, string>>;
}

interface TypeSpec {
  readonly section: string;
  readonly ext: string;
  readonly base: string;
  readonly keys: Readonly<Record<string, KeySpec | readonly string[]>>;
}

const POD = { "{p}-grp.pod": "[Pod]\n" };
const NET = { "{p}-lan.network": "[Network]\nSubnet=10.89.0.0/24\n" };
const VOL = { "{p}-data.volume": "[Volume]\n" };
const IMG = { "{p}-img.image": "[Image]\nImage=docker.io/library/busybox\nImageTag=localhost/busybox:tag\n" };
const BLD = {
  "{p}-app.build": "[Build]\nImageTag=localhost/app:1\nImageTag=localhost/app:2\nFile=/srv/Containerfile\n",
};

const USERNS_KEYS: Record<string, KeySpec | readonly string[]> = {
  UserNS: ["keep-id", "auto:size=100"],
  UIDMap: ["0:1000:1", "+1:@2000:10"],
  GIDMap: ["0:1000:1"],
  SubUIDMap: ["qm"],
  SubGIDMap: ["qm"],
  RemapUsers: ["auto", "keep-id", "manual", "bogus"],
  RemapUid: { values: ["0:1000:1"], with: "RemapUsers=manual" },
  RemapGid: { values: ["0:1000:1"], with: "RemapUsers=keep-id" },
  RemapUidSize: { values: ["100", "0x10", "-3", "99999999999"], with: "RemapUsers=auto" },
};

export const TYPES: readonly TypeSpec[] = [
  {
    section: "Container",
    ext: "container",
    base: "Image=docker.io/library/alpine",
    keys: {
      ...USERNS_KEYS,
      AddCapability: ["CAP_NET_ADMIN", "all", "Sys_Nice cap_chown"],
      AddDevice: ["/dev/null", "-/dev/qm-does-not-exist", "-/dev/null:/dev/x:rw", "/dev/fuse:/dev/fuse"],
      AddHost: ["host.example:1.2.3.4"],
      Annotation: ["org.example=1", "a=1 b=2", "bare"],
      AutoUpdate: ["registry", "local"],
      CgroupsMode: ["enabled", "no-conmon"],
      ContainerName: ["web", "%N-x", "web-%i"],
      ContainersConfModule: ["/etc/containers/m.conf"],
      DNS: ["1.1.1.1", "none"],
      DNSOption: ["ndots:1"],
      DNSSearch: ["example.com"],
      DropCapability: ["ALL", "sys_boot sys_resource"],
      Entrypoint: ["/bin/sh", '["/bin/sh", "-c"]'],
      Environment: ["A=1", "A=1 B=2", "PATH=/bin:/usr/bin X"],
      EnvironmentFile: ["/etc/env", "./rel.env", "%h/env"],
      EnvironmentHost: ["true", "false"],
      Exec: ["/bin/sh -c 'echo hi'", "sleep infinity", "a\\\\b"],
      ExposeHostPort: ["8080", "8000-8010/udp", "80/sctp", "abc", " 90 "],
      GlobalArgs: ["--log-level=debug", "--events-backend file"],
      Group: { values: ["10", "wheel"], with: "User=1000" },
      GroupAdd: ["wheel", "keep-groups"],
      HealthCmd: ["/bin/true", "curl -f http://localhost/"],
      HealthInterval: ["30s"],
      HealthLogDestination: ["local", "/var/log/h"],
      HealthMaxLogCount: ["5"],
      HealthMaxLogSize: ["500"],
      HealthOnFailure: ["kill"],
      HealthRetries: ["3"],
      HealthStartPeriod: ["10s"],
      HealthStartupCmd: ["/bin/true"],
      HealthStartupInterval: ["5s"],
      HealthStartupRetries: ["2"],
      HealthStartupSuccess: ["1"],
      HealthStartupTimeout: ["3s"],
      HealthTimeout: ["10s"],
      HostName: ["web.example"],
      Image: {
        values: [
          "docker.io/library/alpine",
          "alpine",
          "localhost/x",
          "sha256:abc",
          "{p}-img.image",
          "{p}-app.build",
          "{p}-none.image",
        ],
        base: "",
        files: { ...IMG, ...BLD },
      },
      IP: ["10.88.0.10"],
      IP6: ["fd00::10"],
      Label: ["l=1", 'a=1 b="2 3"', "bare"],
      LogDriver: ["journald", "passthrough"],
      LogOpt: ["tag=x", 'tag="{{.ImageName}}" max-size=1m'],
      Mask: ["/proc/kcore", "/a:/b"],
      Mount: {
        values: [
          "type=bind,source=/srv,target=/srv",
          "type=bind,src=./rel,dst=/x",
          "type=volume,source={p}-data.volume,destination=/data",
          "type=image,source={p}-img.image,target=/i",
          "type=tmpfs,destination=/run",
          "source=/abs,target=/t",
          'type=bind,"source=/a b",target=/x',
          "type=glob,src=/usr/lib/*.so,dst=/l",
          "type=volume,source={p}-missing.volume,target=/m",
          'type=bind,source=/s,target=/t,"ro"',
          'type=bind,source=/s,target=/t,bad"quote',
          "type=devpts,target=/dev/pts",
        ],
        files: { ...VOL, ...IMG },
      },
      Network: {
        values: [
          "host",
          "none",
          "{p}-lan.network",
          "{p}-lan.network:ip=10.89.0.5",
          "{p}-missing.network",
          "slirp4netns:port_handler=slirp4netns",
        ],
        files: NET,
      },
      NetworkAlias: ["web"],
      NoNewPrivileges: ["true", "false"],
      Notify: ["true", "healthy", "HEALTHY", "no"],
      PidsLimit: ["-1", "100"],
      Pod: { values: ["{p}-grp.pod", "other", "{p}-none.pod"], files: POD },
      PodmanArgs: ["--cpus 2", "--env 'A=b c'", "--memory=1g --no-hosts"],
      PublishPort: ["8080:80", "[::]:8080:80/tcp", "127.0.0.1::80"],
      Pull: ["never", "newer"],
      ReadOnly: ["true", "false"],
      ReadOnlyTmpfs: ["true", "false"],
      Rootfs: { values: ["/srv/rootfs", "/srv/rootfs:O"], base: "" },
      RunInit: ["true", "false"],
      SeccompProfile: ["/usr/share/qm/seccomp.json", '""'],
      Secret: ["token,type=env,target=TOKEN"],
      SecurityLabelDisable: ["true"],
      SecurityLabelFileType: ["qm_file_t"],
      SecurityLabelLevel: ["s0:c1,c2"],
      SecurityLabelNested: ["true", "false"],
      SecurityLabelType: ["qm_t"],
      ServiceName: ["{p}-svc", "{p}-%i"],
      ShmSize: ["64m"],
      StartWithPod: { values: ["true", "false"], with: "Pod={p}-grp.pod", files: POD },
      StopSignal: ["SIGTERM"],
      StopTimeout: ["10"],
      Sysctl: ["net.ipv4.ip_forward=1", "a=1 b=2"],
      Timezone: ["local", "Europe/Berlin"],
      Tmpfs: ["/tmp", "/run:rw,size=64m"],
      Ulimit: ["nofile=1000:2000", "host"],
      Unmask: ["ALL", "/proc/sys"],
      User: ["1000", "nobody"],
      Volume: {
        values: [
          "/srv:/srv:ro",
          "{p}-data.volume:/data",
          "./rel:/rel",
          "anon",
          ":/x",
          "named:/n:z",
          "{p}-missing.volume:/m",
          "%h/x:/y",
        ],
        files: VOL,
      },
      WorkingDir: ["/w", "%h"],
    },
  },
  {
    section: "Volume",
    ext: "volume",
    base: "",
    keys: {
      ContainersConfModule: ["/etc/m.conf"],
      Copy: ["true", "false"],
      Device: ["/dev/sdb1", "tmpfs"],
      Driver: ["local", "image"],
      GlobalArgs: ["--log-level=debug"],
      Group: ["100", "0x10", "-1", "wheel"],
      Image: {
        values: ["docker.io/library/alpine", "{p}-img.image", "{p}-app.build", "short"],
        with: "Driver=image",
        files: { ...IMG, ...BLD },
      },
      Label: ["l=1", "a=1 b=2"],
      Options: { values: ["nodev,noexec", "size=10m"], with: "Device=tmpfs" },
      PodmanArgs: ["--driver local"],
      ServiceName: ["{p}-vsvc"],
      Type: { values: ["tmpfs", "bind"], with: "Device=/srv" },
      User: ["1000", "010", "root"],
      VolumeName: ["data", "%N"],
    },
  },
  {
    section: "Network",
    ext: "network",
    base: "",
    keys: {
      ContainersConfModule: ["/etc/m.conf"],
      DisableDNS: ["true", "false"],
      DNS: ["1.1.1.1"],
      Driver: ["bridge", "macvlan"],
      Gateway: { values: ["10.89.0.1"], with: "Subnet=10.89.0.0/24" },
      GlobalArgs: ["--log-level=debug"],
      Internal: ["true", "false"],
      IPAMDriver: ["dhcp"],
      IPRange: { values: ["10.89.0.128/25"], with: "Subnet=10.89.0.0/24" },
      IPv6: ["true", "false"],
      Label: ["l=1"],
      NetworkName: ["lan", "%N"],
      Options: ["isolate=true", "mtu=1500 vlan=5"],
      PodmanArgs: ["--subnet 10.0.0.0/8"],
      ServiceName: ["{p}-nsvc"],
      Subnet: ["10.89.0.0/24", "fd00::/64"],
    },
  },
  {
    section: "Pod",
    ext: "pod",
    base: "",
    keys: {
      ...USERNS_KEYS,
      AddHost: ["host:1.2.3.4"],
      ContainersConfModule: ["/etc/m.conf"],
      DNS: ["1.1.1.1"],
      DNSOption: ["ndots:1"],
      DNSSearch: ["example.com"],
      GlobalArgs: ["--log-level=debug"],
      IP: ["10.88.0.2"],
      IP6: ["fd00::2"],
      Network: {
        values: ["host", "{p}-lan.network", "{p}-lan.network:ip=1.2.3.4", "{p}-c.container"],
        files: { ...NET, "{p}-c.container": "[Container]\nImage=docker.io/library/alpine\n" },
      },
      NetworkAlias: ["pod"],
      PodmanArgs: ["--cpus 2"],
      PodName: ["grp", "%N"],
      PublishPort: ["8080:80"],
      ServiceName: ["{p}-psvc"],
      ShmSize: ["64m"],
      Volume: { values: ["/srv:/srv", "{p}-data.volume:/data", "./x:/y"], files: VOL },
    },
  },
  {
    section: "Kube",
    ext: "kube",
    base: "Yaml=/srv/app.yaml",
    keys: {
      UserNS: ["keep-id"],
      RemapUsers: ["auto", "manual", "keep-id"],
      RemapUid: { values: ["0:1000:1"], with: "RemapUsers=auto" },
      RemapGid: { values: ["0:1000:1"], with: "RemapUsers=auto" },
      RemapUidSize: { values: ["10"], with: "RemapUsers=auto" },
      AutoUpdate: ["registry", "web/local", "a/b/c"],
      ConfigMap: ["/etc/cm.yaml", "./cm.yaml"],
      ContainersConfModule: ["/etc/m.conf"],
      ExitCodePropagation: ["all", "none"],
      GlobalArgs: ["--log-level=debug"],
      KubeDownForce: ["true", "false"],
      LogDriver: ["journald"],
      LogOpt: ["tag=k"],
      Network: { values: ["host", "{p}-lan.network"], files: NET },
      PodmanArgs: ["--no-hosts"],
      PublishPort: ["8080:80"],
      ServiceName: ["{p}-ksvc"],
      SetWorkingDirectory: ["yaml", "unit", "file", "/abs", "YAML"],
      Yaml: { values: ["/srv/app.yaml", "./app.yaml", "%h/app.yaml"], base: "" },
    },
  },
  {
    section: "Image",
    ext: "image",
    base: "Image=docker.io/library/alpine",
    keys: {
      AllTags: ["true", "false"],
      Arch: ["arm64"],
      AuthFile: ["/etc/auth.json"],
      CertDir: ["/etc/certs"],
      ContainersConfModule: ["/etc/m.conf"],
      Creds: ["user:pass"],
      DecryptionKey: ["/k.pem"],
      GlobalArgs: ["--log-level=debug"],
      Image: {
        values: [
          "docker.io/library/alpine",
          "alpine:latest",
          "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ],
        base: "",
      },
      ImageTag: ["localhost/tag"],
      OS: ["linux"],
      PodmanArgs: ["--quiet"],
      ServiceName: ["{p}-isvc"],
      TLSVerify: ["true", "false"],
      Variant: ["v8"],
    },
  },
  {
    section: "Build",
    ext: "build",
    base: "ImageTag=localhost/app\nFile=/srv/Containerfile",
    keys: {
      Annotation: ["a=1"],
      Arch: ["arm64"],
      AuthFile: ["/etc/auth.json"],
      ContainersConfModule: ["/etc/m.conf"],
      DNS: ["1.1.1.1"],
      DNSOption: ["ndots:1"],
      DNSSearch: ["example.com"],
      Environment: ["A=1"],
      File: {
        values: [
          "/srv/Containerfile",
          "Containerfile",
          "https://example.com/Containerfile",
          "github.com/x/y",
        ],
        base: "ImageTag=localhost/app",
      },
      ForceRM: ["true", "false"],
      GlobalArgs: ["--log-level=debug"],
      GroupAdd: ["wheel"],
      ImageTag: { values: ["localhost/app", "localhost/a localhost/b"], base: "File=/srv/Containerfile" },
      Label: ["l=1"],
      Network: { values: ["host", "{p}-lan.network"], files: NET },
      PodmanArgs: ["--squash"],
      Pull: ["never", "always"],
      Secret: ["id=s,src=/s"],
      ServiceName: ["{p}-bsvc"],
      SetWorkingDirectory: {
        values: ["unit", "file", "/srv/ctx", "https://example.com/ctx.tar", "ctx", "yaml"],
        base: "ImageTag=localhost/app\nFile=Containerfile",
      },
      Target: ["build"],
      TLSVerify: ["true", "false"],
      Variant: ["v8"],
      Volume: { values: ["/srv:/srv", "{p}-data.volume:/data"], files: VOL },
    },
  },
];

/** Value shapes: each gives the key's lines (after "KEY=") for a typical value v. */
const SHAPES: ReadonlyArray<[string, (v: string) => readonly string[]]> = [
  ["plain", (v) => [v]],
  ["double-quoted", (v) => [`"${v} x"`]],
  ["whole-quoted", (v) => [`"${v}"`]],
  ["single-quoted", (v) => [`'${v} y' z`]],
  ["escaped", (v) => [`${v}\\x41\\t\\"q\\\\ \\u00e9\\101\\s`]],
  ["specifiers", (v) => [`%h/%N/${v}-%i%%`]],
  ["env", (v) => [`\${HOME}/${v} $USER`]],
  ["continuation", (v) => [`${v} \\\n   next`]],
  ["continuation-blank", (v) => [`${v} \\\n\n   after`]],
  ["continuation-comment", (v) => [`${v}\\\n# c\n  tail`]],
  ["repeated", (v) => [v, `${v}-2`]],
  ["reset", (v) => [v, "", `${v}-3`]],
  ["empty", () => [""]],
  ["spaces", (v) => [`   ${v}   `]],
  ["bad-escape", (v) => [`${v}\\q`]],
  ["unbalanced", (v) => [`"${v}`]],
  ["bool-yes", () => ["yes"]],
  ["bool-OFF", () => ["OFF"]],
  ["number", () => ["0x1F"]],
  ["unicode", (v) => [`${v}é\u00a0ü`]],
  ["relative", (v) => [`./${v}`]],
  ["empty-word", (v) => [`${v} "" after`]],
];

const fill = (s: string, p: string): string => s.replaceAll("{p}", p);

function unitText(
  section: string,
  base: string,
  extra: string | undefined,
  key: string,
  lines: readonly string[],
): string {
  const body = [base, extra].filter((x) => x !== undefined && x !== "").join("\n");
  return `[${section}]\n${body ? `${body}\n` : ""}${lines.map((l) => `${key}=${l}`).join("\n")}\n`;
}

/** One case per key, value and shape. */
export function keyCases(): DiffCase[] {
  const out: DiffCase[] = [];
  for (const t of TYPES) {
    for (const [key, rawSpec] of Object.entries(t.keys)) {
      const spec: KeySpec = Array.isArray(rawSpec) ? { values: rawSpec } : (rawSpec as KeySpec);
      const base = spec.base ?? t.base;
      spec.values.forEach((value, vi) => {
        for (const [shape, make] of SHAPES) {
          // The first value gets every shape; the others are the typical forms.
          if (vi > 0 && shape !== "plain" && shape !== "whole-quoted" && shape !== "repeated") continue;
          out.push({
            id: `${t.ext}/${key}=${value}/${shape}`,
            type: t.ext,
            files: (p) => {
              const files: Record<string, Entry> = {};
              for (const [name, content] of Object.entries(spec.files ?? {}))
                files[fill(name, p)] = fill(content, p);
              files[`${p}-u.${t.ext}`] = fill(unitText(t.section, base, spec.with, key, make(value)), p);
              return files;
            },
          });
        }
      });
    }
  }
  return out;
}

const container = (lines: string): string => `[Container]\nImage=docker.io/library/alpine\n${lines}`;

function simple(
  id: string,
  type: string,
  files: (p: string) => Files,
  extra: Partial<DiffCase> = {},
): DiffCase {
  return { id, type, files, ownDir: true, ...extra };
}

/** Drop-ins, templates, references, [Install], search paths, flags and invalid input. */
export function specialCases(): DiffCase[] {
  const out: DiffCase[] = [];
  const add = (c: DiffCase): void => {
    out.push(c);
  };

  // ---- drop-ins
  add(
    simple("dropin/name.container.d", "container", (p) => ({
      [`${p}-web.container`]: container("Environment=A=1\n"),
      [`${p}-web.container.d/10-a.conf`]: "[Container]\nEnvironment=B=2\n",
      [`${p}-web.container.d/20-b.conf`]:
        "[Container]\nEnvironment=\nEnvironment=C=3\n[Service]\nRestart=always\n",
      [`${p}-web.container.d/ignored.txt`]: "[Container]\nEnvironment=X=1\n",
    })),
  );
  add(
    simple("dropin/dash-prefixes", "container", (p) => ({
      [`${p}-web-app-x.container`]: container(""),
      [`${p}-.container.d/10.conf`]: "[Container]\nLabel=a=1\n",
      [`${p}-web-.container.d/10.conf`]: "[Container]\nLabel=b=2\n",
      [`${p}-web-app-.container.d/20.conf`]: "[Container]\nLabel=c=3\n",
      [`${p}-web-app-x.container.d/30.conf`]: "[Container]\nLabel=d=4\n",
    })),
  );
  add(
    simple("dropin/shadowing-across-dirs", "container", (p) => ({
      [`${p}-web.container`]: container(""),
      [`${p}-web.container.d/10.conf`]: "[Container]\nLabel=top=1\n",
      [`sub/${p}-web.container.d/10.conf`]: "[Container]\nLabel=sub=1\n",
      [`sub/${p}-web.container.d/05.conf`]: "[Container]\nLabel=sub5=1\n",
      [`sub/${p}-.container.d/10.conf`]: "[Container]\nLabel=subprefix=1\n",
      [`${p}-.container.d/01.conf`]: "[Container]\nLabel=prefix1=1\n",
    })),
  );
  add(
    simple("dropin/template-and-instance", "container", (p) => ({
      [`${p}-web@.container`]: container(
        "Environment=T=1\n[Install]\nWantedBy=multi-user.target\nDefaultInstance=main\n",
      ),
      [`${p}-web@a.container`]: container("Environment=I=1\n[Install]\nWantedBy=default.target\n"),
      [`${p}-web@.container.d/10.conf`]: "[Container]\nLabel=template=1\n",
      [`${p}-web@a.container.d/20.conf`]: "[Container]\nLabel=instance=1\n",
      [`${p}-web-@.container.d/05.conf`]: "[Container]\nLabel=prefix-template=1\n",
      [`${p}-@.container.d/01.conf`]: "[Container]\nLabel=p-template=1\n",
    })),
  );
  add(
    simple("dropin/instance-symlink", "container", (p) => ({
      [`${p}-web@.container`]: container(""),
      [`${p}-web@b.container`]: { symlink: `${p}-web@.container` },
      [`${p}-web@.container.d/10.conf`]: "[Container]\nExec=/bin/true\n",
    })),
  );
  add(
    simple(
      "dropin/type-wide",
      "container",
      (p) => ({
        [`${p}-web.container`]: container(""),
        [`${p}-db.volume`]: "[Volume]\n",
        "container.d/10.conf": "[Container]\nLabel=all=1\n[Unit]\nDescription=from container.d\n",
        "volume.d/10.conf": "[Volume]\nLabel=v=1\n",
      }),
      { alone: true },
    ),
  );
  add(
    simple("dropin/bad-dropin", "container", (p) => ({
      [`${p}-web.container`]: container(""),
      [`${p}-web.container.d/10.conf`]: "[Container]\nthis is bad\n",
      [`${p}-web.container.d/20.conf`]: "[Container]\nLabel=ok=1\n",
    })),
  );
  add(
    simple("dropin/comments-only-and-empty", "container", (p) => ({
      [`${p}-web.container`]: container("# in container\n"),
      [`${p}-web.container.d/10.conf`]: "# just a comment\n; another\n",
      [`${p}-web.container.d/20.conf`]: "",
      [`${p}-web.container.d/30.conf`]: "\n\n# trailing\n[Service]\n# before key\nRestart=no\n# after\n",
    })),
  );
  add(
    simple("dropin/dir-named-conf", "container", (p) => ({
      [`${p}-web.container`]: container(""),
      [`${p}-web.container.d/10.conf`]: { dir: true },
    })),
  );
  add(
    simple("dropin/dropin-dir-is-file", "container", (p) => ({
      [`${p}-web.container`]: container(""),
      [`${p}-web.container.d`]: "not a directory\n",
    })),
  );
  add(
    simple("dropin/new-sections", "volume", (p) => ({
      [`${p}-v.volume`]: "[Volume]\n",
      [`${p}-v.volume.d/10.conf`]:
        "[Unit]\nDescription=d\n[X-Custom]\nK=V\n[Quadlet]\nDefaultDependencies=false\n",
    })),
  );
  for (const type of ["network", "pod", "kube", "image", "build"]) {
    const section = type[0]?.toUpperCase() + type.slice(1);
    const base: Record<string, string> = {
      network: "",
      pod: "",
      kube: "Yaml=/srv/k.yaml\n",
      image: "Image=docker.io/library/alpine\n",
      build: "ImageTag=localhost/b\nFile=/srv/Containerfile\n",
    };
    add(
      simple(`dropin/${type}`, type, (p) => ({
        [`${p}-a-b.${type}`]: `[${section}]\n${base[type]}`,
        [`${p}-a-b.${type}.d/10.conf`]: `[${section}]\nPodmanArgs=--x\n[Service]\nTimeoutStartSec=5\n`,
        [`${p}-a-.${type}.d/20.conf`]: `[${section}]\nGlobalArgs=--g\n`,
      })),
    );
  }

  // ---- references and names
  add(
    simple("ref/service-names-everywhere", "container", (p) => ({
      [`${p}-c.container`]: container(
        `Network=${p}-n.network\nVolume=${p}-v.volume:/v\nMount=type=volume,source=${p}-v.volume,target=/m\nPod=${p}-p.pod\n[Unit]\nAfter=${p}-n.network\nRequires=${p}-v.volume ${p}-other.service\n`,
      ),
      [`${p}-n.network`]: `[Network]\nServiceName=${p}-netsvc\nNetworkName=lan\n`,
      [`${p}-v.volume`]: `[Volume]\nServiceName=${p}-volsvc\nVolumeName=vol\n`,
      [`${p}-p.pod`]: `[Pod]\nServiceName=${p}-podsvc\nPodName=grp\n`,
    })),
  );
  add(
    simple("ref/image-and-build", "image", (p) => ({
      [`${p}-a.container`]: `[Container]\nImage=${p}-i.image\n`,
      [`${p}-b.container`]: `[Container]\nImage=${p}-b.build\n`,
      [`${p}-v.volume`]: `[Volume]\nDriver=image\nImage=${p}-i.image\n`,
      [`${p}-i.image`]: `[Image]\nImage=docker.io/library/alpine\nServiceName=${p}-isvc\n`,
      [`${p}-b.build`]: `[Build]\nImageTag=localhost/first\nImageTag=localhost/second\nFile=/srv/Containerfile\nVolume=${p}-v.volume:/v\n`,
    })),
  );
  add(
    simple("ref/build-tag-is-image-unit", "build", (p) => ({
      [`${p}-a.container`]: `[Container]\nImage=${p}-b.build\n`,
      [`${p}-b.build`]: `[Build]\nImageTag=${p}-i.image\nFile=/srv/Containerfile\n`,
      [`${p}-i.image`]: "[Image]\nImage=docker.io/library/alpine\nImageTag=localhost/final\n",
    })),
  );
  add(
    simple("ref/network-container", "container", (p) => ({
      [`${p}-a.container`]: container(`Network=${p}-b.container\n`),
      [`${p}-b.container`]: container("ContainerName=bee\n"),
      [`${p}-c.container`]: container(`Network=${p}-d@.container\n`),
      [`${p}-d@.container`]: container(""),
      [`${p}-e.container`]: container(`Network=${p}-b.container:opt\n`),
    })),
  );
  add(
    simple("ref/failed-network", "network", (p) => ({
      [`${p}-a.container`]: container(`Network=${p}-bad.network\n`),
      [`${p}-bad.network`]: "[Network]\nGateway=1.2.3.4\n",
    })),
  );
  add(
    simple("ref/pod-many-containers", "pod", (p) => {
      const files: Record<string, Entry> = { [`${p}-g.pod`]: "[Pod]\n" };
      for (let i = 0; i < 5; i++) {
        files[`${p}-m${i}.container`] = container(`Pod=${p}-g.pod\n${i === 2 ? "StartWithPod=false\n" : ""}`);
      }
      return files;
    }),
  );
  add(
    simple("ref/service-name-empty", "container", (p) => ({
      [`${p}-a.container`]: container("ServiceName=\n"),
      [`${p}-b.volume`]: "[Volume]\nServiceName=\n",
    })),
  );

  // ---- templates
  add(
    simple("template/names", "container", (p) => ({
      [`${p}-t@.container`]: container("[Install]\nWantedBy=default.target\n"),
      [`${p}-t@x.container`]: container(
        "[Install]\nWantedBy=default.target\nRequiredBy=a.target b.target\nAlias=al@x.service\n",
      ),
      [`${p}-n@.container`]: container("ContainerName=web-%i\n"),
      [`${p}-v@.volume`]: "[Volume]\n",
      [`${p}-k@.pod`]: "[Pod]\n[Install]\nDefaultInstance=inst\nWantedBy=default.target\n",
    })),
  );

  // ---- [Install]
  for (const [id, install] of [
    ["wantedby", "WantedBy=multi-user.target default.target\nWantedBy=x.target"],
    ["requiredby", "RequiredBy=a.target\nRequiredBy=\nRequiredBy=b.target"],
    ["alias", "Alias=alias1.service sub/alias2.service"],
    ["paths", "WantedBy=a/b.target\nRequiredBy=../c.target"],
    ["alias-traversal", "Alias=../../escape.service\nAlias=/abs/x.service\nAlias=sub/../../y.service"],
    ["alias-dot", "Alias=x/..\nAlias=."],
    ["quoted", "WantedBy=\"a b.target\" 'c.target'"],
  ] as const) {
    add(
      simple(`install/${id}`, "container", (p) => ({
        [`${p}-i.container`]: container(`[Install]\n${install}\n`),
      })),
    );
  }
  add(
    simple("install/default-instance", "container", (p) => ({
      [`${p}-t@.container`]: container(
        "[Install]\nDefaultInstance=a\nWantedBy=multi-user.target\nRequiredBy=x.target\n",
      ),
    })),
  );

  // ---- [Unit]/[Service]/[Quadlet] handling
  for (const [id, lines] of [
    ["killmode-control-group", "[Service]\nKillMode=control-group"],
    ["killmode-bad", "[Service]\nKillMode=process"],
    ["killmode-quoted", '[Service]\nKillMode="mixed"'],
    ["type-oneshot", "[Service]\nType=oneshot"],
    ["type-bad", "[Service]\nType=simple"],
    ["type-notify-twice", "[Service]\nType=notify\nType=oneshot"],
    ["syslog", "[Service]\nSyslogIdentifier=me"],
    ["env-service", "[Service]\nEnvironment=A=1\nEnvironment=B=2"],
    ["no-default-deps", "[Quadlet]\nDefaultDependencies=false"],
    ["quadlet-unknown", "[Quadlet]\nBogus=1"],
    ["unit-first", "[Unit]\nDescription=x\nAfter=y.service"],
    ["repeated-sections", "[Service]\nRestart=always\n[Container]\nLabel=late=1\n[Service]\nRestart=no"],
  ] as const) {
    add(simple(`service/${id}`, "container", (p) => ({ [`${p}-s.container`]: container(`${lines}\n`) })));
    add(
      simple(`service/${id}/kube`, "kube", (p) => ({
        [`${p}-s.kube`]: `[Kube]\nYaml=/srv/k.yaml\n${lines}\n`,
      })),
    );
  }
  add(
    simple("service/pod-env-replaced", "pod", (p) => ({
      [`${p}-s.pod`]: "[Pod]\n[Service]\nEnvironment=A=1\nEnvironment=B=2\nRestart=always\n",
    })),
  );
  add(
    simple("service/oneshot-defaults", "volume", (p) => ({
      [`${p}-s.volume`]: "[Volume]\n[Service]\nType=simple\nRemainAfterExit=no\nSyslogIdentifier=v\n",
    })),
  );
  add(
    simple("service/build-wd", "build", (p) => ({
      [`${p}-s.build`]: "[Build]\nImageTag=x\nFile=rel/Containerfile\n[Service]\nWorkingDirectory=/srv\n",
    })),
  );

  // ---- invalid input and syntax
  for (const [id, text] of [
    ["not-key-value", "[Container]\nImage=docker.io/a/b\njust words\n"],
    ["key-before-group", "Image=x\n[Container]\n"],
    ["empty-key", "[Container]\n=value\n"],
    ["space-key", "[Container]\n  \u00a0=value\n"],
    ["bad-group", "[Con[tainer]\nImage=x\n"],
    ["group-trailing", "[Container]   \t\nImage=docker.io/a/b\n"],
    ["group-junk", "[Container] junk\nImage=x\n"],
    ["control-in-group", "[Cont\u0001ainer]\n"],
    ["unterminated-group", "[Container\nImage=x\n"],
    ["no-groups", "# only a comment\n"],
    ["empty-file", ""],
    ["crlf", "[Container]\r\nImage=docker.io/a/b\r\nExec=a b\r\n"],
    ["no-final-newline", "[Container]\nImage=docker.io/a/b"],
    ["trailing-backslash-eof", "[Container]\nImage=docker.io/a/b\nExec=a \\"],
    ["continuation-into-group", "[Container]\nImage=docker.io/a/b\nExec=a \\\n\n[Service]\nRestart=no\n"],
    ["continuation-at-eof-blank", "[Container]\nImage=docker.io/a/b\nExec=a \\\n\n"],
    ["only-backslash", "[Container]\nImage=docker.io/a/b\n\\\nExec=x\n"],
    ["unknown-key", "[Container]\nImage=docker.io/a/b\nNoSuchKey=1\n"],
    ["deprecated-key", "[Container]\nImage=docker.io/a/b\nVolatileTmp=true\n"],
    ["deprecated-key-read-only", "[Container]\nImage=docker.io/a/b\nReadOnly=yes\nVolatileTmp=true\n"],
    ["newer-key", "[Container]\nImage=docker.io/a/b\nMemory=1g\n"],
    ["no-image", "[Container]\nExec=/bin/true\n"],
    ["image-and-rootfs", "[Container]\nImage=a/b\nRootfs=/r\n"],
    ["group-no-user", "[Container]\nImage=docker.io/a/b\nGroup=10\n"],
    ["remap-conflict", "[Container]\nImage=docker.io/a/b\nUserNS=auto\nRemapUsers=auto\n"],
    ["remap-uid-alone", "[Container]\nImage=docker.io/a/b\nRemapUid=0:1:1\n"],
    ["keep-id-two-maps", "[Container]\nImage=docker.io/a/b\nRemapUsers=keep-id\nRemapUid=1\nRemapUid=2\n"],
    ["tabs-and-spaces", "  [Container]  \n\tImage = docker.io/a/b \n  Label  =  a=1  \n"],
    ["semicolon-comments", "; c\n[Container]\n;Image=x\nImage=docker.io/a/b\n"],
    ["key-with-spaces", "[Container]\nImage=docker.io/a/b\n[Service]\nMy Key=1\n"],
    ["lowercase-section", "[container]\nImage=x\n"],
    ["nbsp-key", "[Container]\nImage=docker.io/a/b\n[Service]\nKey\u00e0=1\n"],
  ] as const) {
    add(simple(`syntax/${id}`, "container", (p) => ({ [`${p}-x.container`]: text })));
  }
  add(
    simple("syntax/invalid-utf8", "container", (p) => ({
      [`${p}-x.container`]: Buffer.from(
        '[Container]\nImage=docker.io/a/b\nLabel=a=\xff\xfe "q\xc3"\nExec="\xe9 x"\n',
        "latin1",
      ),
    })),
  );
  add(
    simple("syntax/one-bad-unit-drops-its-dir", "container", (p) => ({
      [`${p}-a.container`]: container(""),
      [`${p}-b.container`]: "[Container]\nbad\n",
      [`sub/${p}-a.container`]: container("Label=from-sub=1\n"),
      [`sub/${p}-c.container`]: container(""),
    })),
  );
  add(
    simple("syntax/unit-is-directory", "container", (p) => ({
      [`${p}-d.container`]: { dir: true },
      [`${p}-e.container`]: container(""),
    })),
  );
  add(
    simple("syntax/dangling-unit-symlink", "container", (p) => ({
      [`${p}-d.container`]: { symlink: "/nonexistent/x.container" },
    })),
  );
  add(
    simple("syntax/unit-symlink", "container", (p) => ({
      [`${p}-real.txt`]: container(""),
      [`${p}-l.container`]: { symlink: `${p}-real.txt` },
    })),
  );

  // ---- search paths
  add(
    simple(
      "search/symlink-loops",
      "container",
      (p) => ({
        [`${p}-a.container`]: container(""),
        a: { symlink: "." },
        b: { symlink: "." },
        c: { symlink: "c2" },
        c2: { symlink: "c" },
        "d/e": { symlink: ".." },
        [`deep/${p}-deep.container`]: container(""),
        "deep/up": { symlink: "../deep" },
      }),
      { alone: true },
    ),
  );
  add(
    simple("search/dot-d-dirs-skipped", "container", (p) => ({
      [`${p}-a.container`]: container(""),
      [`x.d/${p}-hidden.container`]: container(""),
      [`sub/${p}-b.container`]: container(""),
      [`sub/${p}-a.container`]: container("Label=shadowed=1\n"),
    })),
  );
  add(
    simple(
      "search/relative-and-missing-dirs",
      "container",
      (p) => ({ [`${p}-a.container`]: container("") }),
      {
        unitDirs: (dir) => `${dir}:/nonexistent-qm-dir:relative/dir:${dir}`,
      },
    ),
  );
  add(
    simple("search/empty-entry", "container", (p) => ({ [`${p}-a.container`]: container("") }), {
      unitDirs: (dir) => `${dir}::${dir}/x`,
    }),
  );
  add(
    simple(
      "search/dir-via-symlink",
      "container",
      (p) => ({ [`real/${p}-a.container`]: container("EnvironmentFile=./e\n") }),
      { unitDirs: (dir) => `${dir}/real/../real/` },
    ),
  );
  add(simple("search/nothing", "container", () => ({ "readme.txt": "no units\n" })));

  // ---- flags, modes and environment
  add(
    simple(
      "flags/user",
      "container",
      (p) => ({ [`${p}-a.container`]: container(""), [`${p}-b.volume`]: "[Volume]\n" }),
      { flags: ["-user"] },
    ),
  );
  add(
    simple(
      "flags/verbose",
      "container",
      (p) => ({ [`${p}-a.container`]: container("[Install]\nWantedBy=default.target\n") }),
      { flags: ["-v"] },
    ),
  );
  add(
    simple("flags/user-by-name", "container", (p) => ({ [`${p}-a.container`]: container("") }), {
      program: "podman-user-generator",
    }),
  );
  add(
    simple("flags/user-false", "container", (p) => ({ [`${p}-a.container`]: container("") }), {
      program: "podman-user-generator",
      flags: ["-user=false"],
    }),
  );
  add(
    simple(
      "flags/podman-env",
      "container",
      (p) => ({ [`${p}-a.container`]: container(""), [`${p}-n.network`]: "[Network]\n" }),
      { env: () => ({ PODMAN: "/opt/bin/podman" }) },
    ),
  );
  for (const argv of [
    ["-bogus"],
    ["-v=maybe"],
    ["-help"],
    ["--h"],
    ["---x"],
    ["-="],
    ["-dryrun=0", "-no-kmsg-log"],
    ["-no-kmsg-log"],
  ]) {
    add(
      simple(`flags/argv ${argv.join(" ")}`, "container", (p) => ({ [`${p}-a.container`]: container("") }), {
        argv,
      }),
    );
  }
  add(
    simple(
      "user-mode/dirs",
      "container",
      (p) => ({
        [`config/containers/systemd/${p}-a.container`]: container(""),
        [`config/containers/systemd/sub/${p}-b.container`]: container(""),
        [`runtime/containers/systemd/${p}-a.container`]: container("Label=runtime=1\n"),
      }),
      {
        alone: true,
        flags: ["-user"],
        unitDirs: () => undefined,
        env: (dir) => ({ XDG_RUNTIME_DIR: `${dir}/runtime`, XDG_CONFIG_HOME: `${dir}/config` }),
      },
    ),
  );
  add(
    simple(
      "user-mode/dropins",
      "container",
      (p) => ({
        [`config/containers/systemd/${p}-web.container`]: container("Label=base=1\n"),
        [`config/containers/systemd/${p}-web.container.d/10.conf`]: "[Container]\nLabel=config=1\n",
        [`runtime/containers/systemd/${p}-web.container.d/10.conf`]: "[Container]\nLabel=runtime=1\n",
        [`runtime/containers/systemd/${p}-.container.d/20.conf`]: "[Container]\nLabel=prefix=1\n",
        "config/containers/systemd/container.d/30.conf": "[Container]\nLabel=all=1\n",
      }),
      {
        alone: true,
        flags: ["-user"],
        unitDirs: () => undefined,
        env: (dir) => ({ XDG_RUNTIME_DIR: `${dir}/runtime`, XDG_CONFIG_HOME: `${dir}/config` }),
      },
    ),
  );
  add(
    simple("user-mode/no-home", "container", (p) => ({ [`${p}-a.container`]: container("") }), {
      alone: true,
      flags: ["-user"],
      unitDirs: () => undefined,
      env: () => ({ XDG_CONFIG_HOME: "relative/config" }),
    }),
  );
  return out;
}
