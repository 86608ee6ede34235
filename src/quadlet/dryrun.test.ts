// biome-ignore-all lint/suspicious/noTemplateCurlyInString: expected outputs are literal unit-file text.
// qm-quadlet -dryrun in process (and a few runs into an output directory), unit type by unit type and key by key:
// every key of the key tables (keys.ts) with its podman option, boolean keys with both values, numeric boundaries,
// references between units, image name warnings, [Install] symlinks and podman's error messages. Each expected
// output is what podman 5.4.2's quadlet (test/quadlet-reference.ts) gives for the same files, with the keys of one
// option group in qm-quadlet's table order where podman's order changes from run to run (test/quadlet-differential.ts,
// normalisation 3), qm-quadlet's header line in written files, and "@DIR@" for the case's directory.
import assert from "node:assert/strict";
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../../test/helpers.js";
import { runQuadlet } from "../cli/quadlet.js";

interface Case {
  readonly id: string;
  readonly argv?: readonly string[];
  /** podman's quadlet panics on these units (a mount without a source); qm-quadlet refuses them. */
  readonly refPanics?: boolean;
  /** Write into @DIR@/out instead of -dryrun; `tree` is what it holds. */
  readonly output?: boolean;
  readonly files: Readonly<Record<string, string>>;
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly tree?: string;
}

/** The files under dir, sorted: "PATH MODE\nCONTENT" for a file, "PATH -> TARGET" for a symlink. */
function snapshot(dir: string, rel = ""): string[] {
  const lines: string[] = [];
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const path = rel ? `${rel}/${name}` : name;
    const st = lstatSync(join(dir, path));
    if (st.isSymbolicLink()) lines.push(`${path} -> ${readlinkSync(join(dir, path))}`);
    else if (st.isDirectory()) lines.push(...snapshot(dir, path));
    else lines.push(`${path} ${(st.mode & 0o7777).toString(8)}\n${readFileSync(join(dir, path), "latin1")}`);
  }
  return lines;
}

const CASES: readonly Case[] = [
  {
    id: "container-defaults",
    files: {
      "a.container": `# a comment
[Unit]
Description=A

[Container]
Image=docker.io/library/busybox:latest

[Install]
WantedBy=multi-user.target
`,
    },
    status: 0,
    stdout: `---a.service---
# a comment
[Unit]
Wants=network-online.target
After=network-online.target
Description=A
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers

[X-Container]
Image=docker.io/library/busybox:latest

[Install]
WantedBy=multi-user.target

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d docker.io/library/busybox:latest

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
`,
  },
  {
    id: "container-user-mode",
    argv: ["-user"],
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
`,
    },
    status: 0,
    stdout: `---a.service---
[X-Container]
Image=docker.io/library/busybox:latest

[Unit]
Wants=podman-user-wait-network-online.service
After=podman-user-wait-network-online.service
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d docker.io/library/busybox:latest

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
`,
  },
  {
    id: "container-no-default-dependencies",
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
[Quadlet]
DefaultDependencies=false
`,
    },
    status: 0,
    stdout: `---a.service---
[X-Container]
Image=docker.io/library/busybox:latest

[X-Quadlet]
DefaultDependencies=false

[Unit]
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d docker.io/library/busybox:latest

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
`,
  },
  {
    id: "container-default-dependencies-true",
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
[Quadlet]
DefaultDependencies=true
`,
    },
    status: 0,
    stdout: `---a.service---
[X-Container]
Image=docker.io/library/busybox:latest

[X-Quadlet]
DefaultDependencies=true

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d docker.io/library/busybox:latest

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
`,
  },
  {
    id: "container-string-keys",
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
Timezone=Europe/Berlin
PidsLimit=100
ShmSize=64m
Entrypoint=/bin/sh
WorkingDir=/w
IP=10.88.0.5
IP6=fd00::5
HostName=h1
StopSignal=SIGINT
StopTimeout=7
Pull=never
`,
    },
    status: 0,
    stdout: `---a.service---
[X-Container]
Image=docker.io/library/busybox:latest
Timezone=Europe/Berlin
PidsLimit=100
ShmSize=64m
Entrypoint=/bin/sh
WorkingDir=/w
IP=10.88.0.5
IP6=fd00::5
HostName=h1
StopSignal=SIGINT
StopTimeout=7
Pull=never

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --tz Europe/Berlin --pids-limit 100 --shm-size 64m --entrypoint /bin/sh --workdir /w --ip 10.88.0.5 --ip6 fd00::5 --hostname h1 --stop-signal SIGINT --stop-timeout 7 --pull never --sdnotify=conmon -d docker.io/library/busybox:latest

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
`,
  },
  {
    id: "container-string-keys-empty",
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
Timezone=
PidsLimit=
HostName=
`,
    },
    status: 0,
    stdout: `---a.service---
[X-Container]
Image=docker.io/library/busybox:latest
Timezone=
PidsLimit=
HostName=

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d docker.io/library/busybox:latest

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
`,
  },
  {
    id: "container-strings-keys",
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
NetworkAlias=n1
NetworkAlias=n2
Ulimit=nofile=10:20
DNS=1.1.1.1
DNS=8.8.8.8
DNSOption=ndots:2
DNSSearch=example.com
GroupAdd=wheel
GroupAdd=10
AddHost=h:1.2.3.4
Tmpfs=/t
Tmpfs=/u:size=1m
`,
    },
    status: 0,
    stdout: `---a.service---
[X-Container]
Image=docker.io/library/busybox:latest
NetworkAlias=n1
NetworkAlias=n2
Ulimit=nofile=10:20
DNS=1.1.1.1
DNS=8.8.8.8
DNSOption=ndots:2
DNSSearch=example.com
GroupAdd=wheel
GroupAdd=10
AddHost=h:1.2.3.4
Tmpfs=/t
Tmpfs=/u:size=1m

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --network-alias n1 --network-alias n2 --ulimit nofile=10:20 --dns 1.1.1.1 --dns 8.8.8.8 --dns-option ndots:2 --dns-search example.com --group-add wheel --group-add 10 --add-host h:1.2.3.4 --tmpfs /t --tmpfs /u:size=1m --sdnotify=conmon -d docker.io/library/busybox:latest

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
`,
  },
  {
    id: "container-strings-reset",
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
DNS=1.1.1.1
DNS=
DNS=9.9.9.9
`,
    },
    status: 0,
    stdout: `---a.service---
[X-Container]
Image=docker.io/library/busybox:latest
DNS=1.1.1.1
DNS=
DNS=9.9.9.9

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --dns 9.9.9.9 --sdnotify=conmon -d docker.io/library/busybox:latest

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
`,
  },
  {
    id: "container-bools-true",
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
RunInit=true
EnvironmentHost=yes
ReadOnlyTmpfs=1
NoNewPrivileges=true
SecurityLabelDisable=true
SecurityLabelNested=true
Notify=true
ReadOnly=true
VolatileTmp=true
`,
    },
    status: 0,
    stdout: `---a.service---
[X-Container]
Image=docker.io/library/busybox:latest
RunInit=true
EnvironmentHost=yes
ReadOnlyTmpfs=1
NoNewPrivileges=true
SecurityLabelDisable=true
SecurityLabelNested=true
Notify=true
ReadOnly=true
VolatileTmp=true

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --init --env-host --read-only-tmpfs --sdnotify=container -d --security-opt=no-new-privileges --security-opt label=disable --security-opt label=nested --read-only docker.io/library/busybox:latest

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
`,
  },
  {
    id: "container-bools-false",
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
RunInit=false
EnvironmentHost=no
ReadOnlyTmpfs=0
NoNewPrivileges=false
SecurityLabelDisable=false
SecurityLabelNested=false
Notify=false
ReadOnly=false
VolatileTmp=false
`,
    },
    status: 0,
    stdout: `---a.service---
[X-Container]
Image=docker.io/library/busybox:latest
RunInit=false
EnvironmentHost=no
ReadOnlyTmpfs=0
NoNewPrivileges=false
SecurityLabelDisable=false
SecurityLabelNested=false
Notify=false
ReadOnly=false
VolatileTmp=false

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --init=false --env-host=false --read-only-tmpfs=false --sdnotify=conmon -d --read-only=false docker.io/library/busybox:latest

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
`,
  },
  {
    id: "container-volatile-tmp",
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
VolatileTmp=true
`,
    },
    status: 0,
    stdout: `---a.service---
[X-Container]
Image=docker.io/library/busybox:latest
VolatileTmp=true

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d --tmpfs /tmp:rw,size=512M,mode=1777 docker.io/library/busybox:latest

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
`,
  },
  {
    id: "container-notify-healthy",
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
Notify=HeAlThY
`,
    },
    status: 0,
    stdout: `---a.service---
[X-Container]
Image=docker.io/library/busybox:latest
Notify=HeAlThY

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=healthy -d docker.io/library/busybox:latest

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
`,
  },
  {
    id: "container-oneshot",
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
Notify=true
[Service]
Type=oneshot
`,
    },
    status: 0,
    stdout: `---a.service---
[X-Container]
Image=docker.io/library/busybox:latest
Notify=true

[Service]
Type=oneshot
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split docker.io/library/busybox:latest

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
`,
  },
  {
    id: "container-type-notify",
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
[Service]
Type=notify
`,
    },
    status: 0,
    stdout: `---a.service---
[X-Container]
Image=docker.io/library/busybox:latest

[Service]
Type=notify
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d docker.io/library/busybox:latest

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
`,
  },
  {
    id: "container-type-simple",
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
[Service]
Type=simple
`,
    },
    status: 1,
    stdout: ``,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
quadlet-generator[42]: converting "a.container": invalid service Type 'simple'
`,
  },
  {
    id: "container-killmode",
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
[Service]
KillMode=control-group
SyslogIdentifier=x
`,
      "b.container": `[Container]
Image=docker.io/library/busybox:latest
[Service]
KillMode=mixed
`,
      "c.container": `[Container]
Image=docker.io/library/busybox:latest
[Service]
KillMode=none
`,
    },
    status: 1,
    stdout: `---a.service---
[X-Container]
Image=docker.io/library/busybox:latest

[Service]
KillMode=control-group
SyslogIdentifier=x
Environment=PODMAN_SYSTEMD_UNIT=%n
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d docker.io/library/busybox:latest

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers

---b.service---
[X-Container]
Image=docker.io/library/busybox:latest

[Service]
KillMode=mixed
Environment=PODMAN_SYSTEMD_UNIT=%n
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d docker.io/library/busybox:latest

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/b.container
RequiresMountsFor=%t/containers

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
quadlet-generator[42]: Loading source unit file @DIR@/units/b.container
quadlet-generator[42]: Loading source unit file @DIR@/units/c.container
quadlet-generator[42]: converting "c.container": invalid KillMode 'none'
`,
  },
  {
    id: "container-health",
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
HealthCmd=/bin/true
HealthInterval=5s
HealthOnFailure=kill
HealthLogDestination=/l
HealthMaxLogCount=3
HealthMaxLogSize=100
HealthRetries=2
HealthStartPeriod=1s
HealthTimeout=2s
HealthStartupCmd=/bin/false
HealthStartupInterval=3s
HealthStartupRetries=4
HealthStartupSuccess=5
HealthStartupTimeout=6s
`,
    },
    status: 0,
    stdout: `---a.service---
[X-Container]
Image=docker.io/library/busybox:latest
HealthCmd=/bin/true
HealthInterval=5s
HealthOnFailure=kill
HealthLogDestination=/l
HealthMaxLogCount=3
HealthMaxLogSize=100
HealthRetries=2
HealthStartPeriod=1s
HealthTimeout=2s
HealthStartupCmd=/bin/false
HealthStartupInterval=3s
HealthStartupRetries=4
HealthStartupSuccess=5
HealthStartupTimeout=6s

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d --health-cmd /bin/true --health-interval 5s --health-on-failure kill --health-log-destination /l --health-max-log-count 3 --health-max-log-size 100 --health-retries 2 --health-start-period 1s --health-timeout 2s --health-startup-cmd /bin/false --health-startup-interval 3s --health-startup-retries 4 --health-startup-success 5 --health-startup-timeout 6s docker.io/library/busybox:latest

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
`,
  },
  {
    id: "container-security",
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
SecurityLabelType=t_t
SecurityLabelFileType=f_t
SecurityLabelLevel=s0:c1
AddDevice=/dev/null
AddDevice=-/dev/absent-device:rw
AddDevice=-/dev/zero:/dev/z:r
SeccompProfile=/s.json
DropCapability=CAP_SYS_ADMIN Net_Raw
AddCapability=SYS_TIME
AddCapability=caP_İ
Sysctl=net.ipv4.ip_forward=1 kernel.msgmax=10
`,
    },
    status: 0,
    stdout: `---a.service---
[X-Container]
Image=docker.io/library/busybox:latest
SecurityLabelType=t_t
SecurityLabelFileType=f_t
SecurityLabelLevel=s0:c1
AddDevice=/dev/null
AddDevice=-/dev/absent-device:rw
AddDevice=-/dev/zero:/dev/z:r
SeccompProfile=/s.json
DropCapability=CAP_SYS_ADMIN Net_Raw
AddCapability=SYS_TIME
AddCapability=caP_Ä°
Sysctl=net.ipv4.ip_forward=1 kernel.msgmax=10

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d --security-opt label=type:t_t --security-opt label=filetype:f_t --security-opt label=level:s0:c1 --device /dev/null --device /dev/zero:/dev/z:r --security-opt seccomp=/s.json --cap-drop cap_sys_admin --cap-drop net_raw --cap-add sys_time --cap-add cap_i --sysctl net.ipv4.ip_forward=1 --sysctl kernel.msgmax=10 docker.io/library/busybox:latest

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
`,
  },
  {
    id: "container-seccomp-empty",
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
SeccompProfile=
`,
    },
    status: 0,
    stdout: `---a.service---
[X-Container]
Image=docker.io/library/busybox:latest
SeccompProfile=

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d --security-opt seccomp= docker.io/library/busybox:latest

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
`,
  },
  {
    id: "container-user-group",
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
User=1000
Group=100
`,
      "b.container": `[Container]
Image=docker.io/library/busybox:latest
User=u
`,
      "c.container": `[Container]
Image=docker.io/library/busybox:latest
Group=g
`,
      "d.container": `[Container]
Image=docker.io/library/busybox:latest
User=
Group=
`,
    },
    status: 1,
    stdout: `---a.service---
[X-Container]
Image=docker.io/library/busybox:latest
User=1000
Group=100

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d --user 1000:100 docker.io/library/busybox:latest

---b.service---
[X-Container]
Image=docker.io/library/busybox:latest
User=u

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/b.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d --user u docker.io/library/busybox:latest

---d.service---
[X-Container]
Image=docker.io/library/busybox:latest
User=
Group=

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/d.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d docker.io/library/busybox:latest

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
quadlet-generator[42]: Loading source unit file @DIR@/units/b.container
quadlet-generator[42]: Loading source unit file @DIR@/units/c.container
quadlet-generator[42]: Loading source unit file @DIR@/units/d.container
quadlet-generator[42]: converting "c.container": invalid Group set without User
`,
  },
  {
    id: "container-userns",
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
UserNS=keep-id:uid=1
UIDMap=0:1:2 3:4:5
UIDMap=6:7:8
GIDMap=0:1:2
SubUIDMap=su
SubGIDMap=sg
`,
      "b.container": `[Container]
Image=docker.io/library/busybox:latest
SubUIDMap=su
`,
      "c.container": `[Container]
Image=docker.io/library/busybox:latest
SubGIDMap=sg
`,
      "d.container": `[Container]
Image=docker.io/library/busybox:latest
GIDMap=0:1:2
`,
    },
    status: 0,
    stdout: `---a.service---
[X-Container]
Image=docker.io/library/busybox:latest
UserNS=keep-id:uid=1
UIDMap=0:1:2 3:4:5
UIDMap=6:7:8
GIDMap=0:1:2
SubUIDMap=su
SubGIDMap=sg

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d --userns keep-id:uid=1 --uidmap 0:1:2 --uidmap 3:4:5 --uidmap 6:7:8 --gidmap 0:1:2 --subuidname su --subgidname sg docker.io/library/busybox:latest

---b.service---
[X-Container]
Image=docker.io/library/busybox:latest
SubUIDMap=su

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/b.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d --subuidname su docker.io/library/busybox:latest

---c.service---
[X-Container]
Image=docker.io/library/busybox:latest
SubGIDMap=sg

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/c.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d --subgidname sg docker.io/library/busybox:latest

---d.service---
[X-Container]
Image=docker.io/library/busybox:latest
GIDMap=0:1:2

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/d.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d --gidmap 0:1:2 docker.io/library/busybox:latest

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
quadlet-generator[42]: Loading source unit file @DIR@/units/b.container
quadlet-generator[42]: Loading source unit file @DIR@/units/c.container
quadlet-generator[42]: Loading source unit file @DIR@/units/d.container
`,
  },
  {
    id: "container-remap-auto",
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
RemapUsers=auto
`,
      "b.container": `[Container]
Image=docker.io/library/busybox:latest
RemapUsers=auto
RemapUid=0:1:2
RemapGid=3:4:5 6:7:8
RemapUidSize=0
`,
      "c.container": `[Container]
Image=docker.io/library/busybox:latest
RemapUsers=auto
RemapUidSize=1
`,
      "d.container": `[Container]
Image=docker.io/library/busybox:latest
RemapUsers=auto
RemapUidSize=4294967295
`,
    },
    status: 0,
    stdout: `---a.service---
[X-Container]
Image=docker.io/library/busybox:latest
RemapUsers=auto

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d --userns auto docker.io/library/busybox:latest

---b.service---
[X-Container]
Image=docker.io/library/busybox:latest
RemapUsers=auto
RemapUid=0:1:2
RemapGid=3:4:5 6:7:8
RemapUidSize=0

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/b.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d --userns auto:uidmapping=0:1:2,gidmapping=3:4:5,gidmapping=6:7:8 docker.io/library/busybox:latest

---c.service---
[X-Container]
Image=docker.io/library/busybox:latest
RemapUsers=auto
RemapUidSize=1

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/c.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d --userns auto:size=1 docker.io/library/busybox:latest

---d.service---
[X-Container]
Image=docker.io/library/busybox:latest
RemapUsers=auto
RemapUidSize=4294967295

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/d.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d --userns auto:size=4294967295 docker.io/library/busybox:latest

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
quadlet-generator[42]: Loading source unit file @DIR@/units/b.container
quadlet-generator[42]: Loading source unit file @DIR@/units/c.container
quadlet-generator[42]: Loading source unit file @DIR@/units/d.container
`,
  },
  {
    id: "container-remap-keep-id",
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
RemapUsers=keep-id
`,
      "b.container": `[Container]
Image=docker.io/library/busybox:latest
RemapUsers=keep-id
RemapUid=5
RemapGid=6
`,
      "c.container": `[Container]
Image=docker.io/library/busybox:latest
RemapUsers=keep-id
RemapUid=5 6
`,
      "d.container": `[Container]
Image=docker.io/library/busybox:latest
RemapUsers=keep-id
RemapGid=5 6
`,
      "e.container": `[Container]
Image=docker.io/library/busybox:latest
RemapUsers=keep-id
RemapGid=7
`,
    },
    status: 1,
    stdout: `---a.service---
[X-Container]
Image=docker.io/library/busybox:latest
RemapUsers=keep-id

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d --userns keep-id docker.io/library/busybox:latest

---b.service---
[X-Container]
Image=docker.io/library/busybox:latest
RemapUsers=keep-id
RemapUid=5
RemapGid=6

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/b.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d --userns keep-id:uid=5,gid=6 docker.io/library/busybox:latest

---e.service---
[X-Container]
Image=docker.io/library/busybox:latest
RemapUsers=keep-id
RemapGid=7

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/e.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d --userns keep-id:gid=7 docker.io/library/busybox:latest

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
quadlet-generator[42]: Loading source unit file @DIR@/units/b.container
quadlet-generator[42]: Loading source unit file @DIR@/units/c.container
quadlet-generator[42]: Loading source unit file @DIR@/units/d.container
quadlet-generator[42]: Loading source unit file @DIR@/units/e.container
quadlet-generator[42]: converting "c.container": RemapUsers=keep-id supports only a single value for UID mapping
converting "d.container": RemapUsers=keep-id supports only a single value for GID mapping
`,
  },
  {
    id: "container-remap-manual",
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
RemapUsers=manual
RemapUid=0:1:2
RemapGid=3:4:5
`,
      "b.container": `[Container]
Image=docker.io/library/busybox:latest
RemapUsers=bogus
`,
      "c.container": `[Container]
Image=docker.io/library/busybox:latest
RemapUid=0:1:2
`,
      "d.container": `[Container]
Image=docker.io/library/busybox:latest
RemapGid=0:1:2
`,
      "e.container": `[Container]
Image=docker.io/library/busybox:latest
UserNS=host
RemapUsers=auto
`,
      "f.container": `[Container]
Image=docker.io/library/busybox:latest
UIDMap=0:1:2
RemapUid=0:1:2
`,
      "g.container": `[Container]
Image=docker.io/library/busybox:latest
GIDMap=0:1:2
RemapGid=0:1:2
`,
      "h.container": `[Container]
Image=docker.io/library/busybox:latest
RemapUsers=
RemapUid=1
`,
    },
    status: 1,
    stdout: `---a.service---
[X-Container]
Image=docker.io/library/busybox:latest
RemapUsers=manual
RemapUid=0:1:2
RemapGid=3:4:5

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d --uidmap 0:1:2 --gidmap 3:4:5 docker.io/library/busybox:latest

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
quadlet-generator[42]: Loading source unit file @DIR@/units/b.container
quadlet-generator[42]: Loading source unit file @DIR@/units/c.container
quadlet-generator[42]: Loading source unit file @DIR@/units/d.container
quadlet-generator[42]: Loading source unit file @DIR@/units/e.container
quadlet-generator[42]: Loading source unit file @DIR@/units/f.container
quadlet-generator[42]: Loading source unit file @DIR@/units/g.container
quadlet-generator[42]: Loading source unit file @DIR@/units/h.container
quadlet-generator[42]: converting "b.container": unsupported RemapUsers option 'bogus'
converting "c.container": UidMap set without RemapUsers
converting "d.container": GidMap set without RemapUsers
converting "e.container": deprecated Remap keys are set along with explicit mapping keys
converting "f.container": deprecated Remap keys are set along with explicit mapping keys
converting "g.container": deprecated Remap keys are set along with explicit mapping keys
converting "h.container": UidMap set without RemapUsers
`,
  },
  {
    id: "container-volumes",
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
Volume=/src:/dst:ro,z
Volume=/only
Volume=v.volume:/data
Volume=./rel:/r
Volume=named:/n:U
Volume=%h/x:/h
`,
      "v.volume": `[Volume]
`,
      "b.container": `[Container]
Image=docker.io/library/busybox:latest
Volume=missing.volume:/m
`,
      "c.container": `[Container]
Image=docker.io/library/busybox:latest
Volume=:/empty
`,
    },
    status: 1,
    stdout: `---v-volume.service---
[X-Volume]

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/v.volume
RequiresMountsFor=%t/containers

[Service]
ExecStart=/usr/bin/podman volume create --ignore systemd-v
SyslogIdentifier=%N
Type=oneshot
RemainAfterExit=yes

---a.service---
[X-Container]
Image=docker.io/library/busybox:latest
Volume=/src:/dst:ro,z
Volume=/only
Volume=v.volume:/data
Volume=./rel:/r
Volume=named:/n:U
Volume=%h/x:/h

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers
RequiresMountsFor=/src
Requires=v-volume.service
After=v-volume.service
RequiresMountsFor=@DIR@/units/rel

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d -v /src:/dst:ro,z -v /only -v systemd-v:/data -v @DIR@/units/rel:/r -v named:/n:U -v %h/x:/h docker.io/library/busybox:latest

---c.service---
[X-Container]
Image=docker.io/library/busybox:latest
Volume=:/empty

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/c.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d -v /empty docker.io/library/busybox:latest

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
quadlet-generator[42]: Loading source unit file @DIR@/units/b.container
quadlet-generator[42]: Loading source unit file @DIR@/units/c.container
quadlet-generator[42]: Loading source unit file @DIR@/units/v.volume
quadlet-generator[42]: converting "b.container": requested Quadlet source missing.volume was not found
`,
  },
  {
    id: "container-networks",
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
Network=host
Network=
Network=n.network
Network=n.network:ip=10.0.0.2
Network=b.container
Network=bridge:mac=aa
`,
      "n.network": `[Network]
`,
      "b.container": `[Container]
Image=docker.io/library/busybox:latest
ContainerName=bee
`,
      "c.container": `[Container]
Image=docker.io/library/busybox:latest
Network=b.container:x
`,
      "d.container": `[Container]
Image=docker.io/library/busybox:latest
Network=missing.network
`,
      "e.container": `[Container]
Image=docker.io/library/busybox:latest
Network=f.container
`,
      "f.container": `[Container]
Image=docker.io/library/busybox:latest
ContainerName=%p
`,
    },
    status: 1,
    stdout: `---n-network.service---
[X-Network]

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/n.network
RequiresMountsFor=%t/containers

[Service]
ExecStart=/usr/bin/podman network create --ignore systemd-n
SyslogIdentifier=%N
Type=oneshot
RemainAfterExit=yes

---a.service---
[X-Container]
Image=docker.io/library/busybox:latest
Network=host
Network=
Network=n.network
Network=n.network:ip=10.0.0.2
Network=b.container
Network=bridge:mac=aa

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers
Requires=n-network.service
After=n-network.service
Requires=n-network.service
After=n-network.service
Requires=b.service
After=b.service

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --network systemd-n --network systemd-n:ip=10.0.0.2 --network container:bee --network bridge:mac=aa --sdnotify=conmon -d docker.io/library/busybox:latest

---b.service---
[X-Container]
Image=docker.io/library/busybox:latest
ContainerName=bee

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/b.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name bee --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d docker.io/library/busybox:latest

---f.service---
[X-Container]
Image=docker.io/library/busybox:latest
ContainerName=%p

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/f.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name %p --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d docker.io/library/busybox:latest

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
quadlet-generator[42]: Loading source unit file @DIR@/units/b.container
quadlet-generator[42]: Loading source unit file @DIR@/units/c.container
quadlet-generator[42]: Loading source unit file @DIR@/units/d.container
quadlet-generator[42]: Loading source unit file @DIR@/units/e.container
quadlet-generator[42]: Loading source unit file @DIR@/units/f.container
quadlet-generator[42]: Loading source unit file @DIR@/units/n.network
quadlet-generator[42]: converting "c.container": extra options are not supported when joining another container's network
converting "d.container": requested Quadlet unit missing.network was not found
converting "e.container": cannot get the resource name of f.container
`,
  },
  {
    id: "container-ports-env-labels",
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
ExposeHostPort=80
ExposeHostPort= 1000-2000/udp 
ExposeHostPort=53/tcp
PublishPort=8080:80
PublishPort=127.0.0.1:53:53/udp
Environment=B=2 A=1
Environment=C="x y"
Label=l2=b l1=a
Annotation=an=1
Mask=/proc/a /proc/b
Unmask=ALL
EnvironmentFile=env.txt
EnvironmentFile=/etc/e
Secret=s1,type=env
AutoUpdate=registry
LogDriver=journald
LogOpt=tag=x
LogOpt=max-size=1m
CgroupsMode=no-conmon
ContainerName=named
PodmanArgs=--memory 10m
GlobalArgs=--log-level=debug
ContainersConfModule=/m.conf
ContainersConfModule=/n.conf
Exec=/bin/sh -c "echo hi"
`,
    },
    status: 0,
    stdout: `---a.service---
[X-Container]
Image=docker.io/library/busybox:latest
ExposeHostPort=80
ExposeHostPort=1000-2000/udp
ExposeHostPort=53/tcp
PublishPort=8080:80
PublishPort=127.0.0.1:53:53/udp
Environment=B=2 A=1
Environment=C="x y"
Label=l2=b l1=a
Annotation=an=1
Mask=/proc/a /proc/b
Unmask=ALL
EnvironmentFile=env.txt
EnvironmentFile=/etc/e
Secret=s1,type=env
AutoUpdate=registry
LogDriver=journald
LogOpt=tag=x
LogOpt=max-size=1m
CgroupsMode=no-conmon
ContainerName=named
PodmanArgs=--memory 10m
GlobalArgs=--log-level=debug
ContainersConfModule=/m.conf
ContainersConfModule=/n.conf
Exec=/bin/sh -c "echo hi"

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman --module=/m.conf --module=/n.conf --log-level=debug rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman --module=/m.conf --module=/n.conf --log-level=debug rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman --module=/m.conf --module=/n.conf --log-level=debug run --name named --cidfile=%t/%N.cid --replace --rm --log-driver journald --log-opt tag=x --log-opt max-size=1m --cgroups no-conmon --sdnotify=conmon -d --label io.containers.autoupdate=registry --expose 80 --expose 1000-2000/udp --expose 53/tcp --publish 8080:80 --publish 127.0.0.1:53:53/udp --env A=1 --env B=2 --env "C=x y" --label l1=a --label l2=b --annotation an=1 --security-opt mask=/proc/a --security-opt mask=/proc/b --security-opt unmask=ALL --env-file @DIR@/units/env.txt --env-file /etc/e --secret s1,type=env --memory 10m docker.io/library/busybox:latest /bin/sh -c "echo hi"

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
`,
  },
  {
    id: "container-bad-ports",
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
ExposeHostPort=eighty
`,
      "b.container": `[Container]
Image=docker.io/library/busybox:latest
ExposeHostPort=80/sctp
`,
      "c.container": `[Container]
Image=docker.io/library/busybox:latest
ExposeHostPort=1-
`,
    },
    status: 1,
    stdout: ``,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
quadlet-generator[42]: Loading source unit file @DIR@/units/b.container
quadlet-generator[42]: Loading source unit file @DIR@/units/c.container
quadlet-generator[42]: converting "a.container": invalid port format 'eighty'
converting "b.container": invalid port format '80/sctp'
converting "c.container": invalid port format '1-'
`,
  },
  {
    id: "container-rootfs",
    files: {
      "a.container": `[Container]
Rootfs=/r:O
`,
      "b.container": `[Container]
Rootfs=/r
Image=docker.io/library/busybox:latest
`,
      "c.container": `[Container]
ContainerName=x
`,
    },
    status: 1,
    stdout: `---a.service---
[X-Container]
Rootfs=/r:O

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d --rootfs /r:O

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
quadlet-generator[42]: Loading source unit file @DIR@/units/b.container
quadlet-generator[42]: Loading source unit file @DIR@/units/c.container
quadlet-generator[42]: converting "b.container": the Image And Rootfs keys conflict can not be specified together
converting "c.container": no Image or Rootfs key specified
`,
  },
  {
    id: "container-mounts",
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
Mount=type=bind,src=/a,dst=/b
Mount=type=volume,source=v.volume,destination=/d,ro
Mount=type=tmpfs,dst=/t
Mount=type=image,source=i.image,target=/x
Mount=type=bind,source=./rel,target=/y
Mount="type=bind,src=/a b,dst=/c"
Mount=type=glob,src=/g*,dst=/g
Mount=dst=/z,type=bind,src=/z
`,
      "v.volume": `[Volume]
`,
      "i.image": `[Image]
Image=docker.io/library/x:1
`,
      "b.container": `[Container]
Image=docker.io/library/busybox:latest
Mount=src=/a,dst=/b
`,
      "d.container": `[Container]
Image=docker.io/library/busybox:latest
Mount=type=bind,src,dst=/b
`,
      "e.container": `[Container]
Image=docker.io/library/busybox:latest
Mount=type=bind,src=/a,dst="/b
`,
      "g.container": `[Container]
Image=docker.io/library/busybox:latest
Mount=type=volume,src=no.volume,dst=/b
`,
      "h.container": `[Container]
Image=docker.io/library/busybox:latest
Mount=type=bind,src="/a"x,dst=/b
`,
    },
    status: 1,
    stdout: `---i-image.service---
[X-Image]
Image=docker.io/library/x:1

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/i.image
RequiresMountsFor=%t/containers

[Service]
ExecStart=/usr/bin/podman image pull docker.io/library/x:1
SyslogIdentifier=%N
Type=oneshot
RemainAfterExit=yes

---v-volume.service---
[X-Volume]

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/v.volume
RequiresMountsFor=%t/containers

[Service]
ExecStart=/usr/bin/podman volume create --ignore systemd-v
SyslogIdentifier=%N
Type=oneshot
RemainAfterExit=yes

---a.service---
[X-Container]
Image=docker.io/library/busybox:latest
Mount=type=bind,src=/a,dst=/b
Mount=type=volume,source=v.volume,destination=/d,ro
Mount=type=tmpfs,dst=/t
Mount=type=image,source=i.image,target=/x
Mount=type=bind,source=./rel,target=/y
Mount="type=bind,src=/a b,dst=/c"
Mount=type=glob,src=/g*,dst=/g
Mount=dst=/z,type=bind,src=/z

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers
RequiresMountsFor=/a
Requires=v-volume.service
After=v-volume.service
Requires=i-image.service
After=i-image.service
RequiresMountsFor=@DIR@/units/rel
RequiresMountsFor=/a b
RequiresMountsFor=/g*
RequiresMountsFor=/z

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d --mount type=bind,source=/a,dst=/b --mount type=volume,source=systemd-v,destination=/d,ro --mount type=tmpfs,dst=/t --mount type=image,source=docker.io/library/x:1,target=/x --mount type=bind,source=@DIR@/units/rel,target=/y --mount "type=bind,source=/a b,dst=/c" --mount type=glob,source=/g*,dst=/g --mount type=bind,dst=/z,source=/z docker.io/library/busybox:latest

---e.service---
[X-Container]
Image=docker.io/library/busybox:latest
Mount=type=bind,src=/a,dst="/b

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/e.container
RequiresMountsFor=%t/containers
RequiresMountsFor=/a

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d --mount type=bind,source=/a,dst=/b docker.io/library/busybox:latest

---h.service---
[X-Container]
Image=docker.io/library/busybox:latest
Mount=type=bind,src="/a"x,dst=/b

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/h.container
RequiresMountsFor=%t/containers
RequiresMountsFor=/ax

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d --mount type=bind,source=/ax,dst=/b docker.io/library/busybox:latest

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
quadlet-generator[42]: Loading source unit file @DIR@/units/b.container
quadlet-generator[42]: Loading source unit file @DIR@/units/d.container
quadlet-generator[42]: Loading source unit file @DIR@/units/e.container
quadlet-generator[42]: Loading source unit file @DIR@/units/g.container
quadlet-generator[42]: Loading source unit file @DIR@/units/h.container
quadlet-generator[42]: Loading source unit file @DIR@/units/i.image
quadlet-generator[42]: Loading source unit file @DIR@/units/v.volume
quadlet-generator[42]: converting "b.container": incorrect mount format: should be --mount type=<bind|glob|tmpfs|volume>,[src=<host-dir|volume-name>,]target=<ctr-dir>[,options]
converting "d.container": source parameter does not include a value
converting "g.container": requested Quadlet source no.volume was not found
`,
  },
  {
    id: "container-mount-without-source",
    refPanics: true,
    files: {
      "c.container": `[Container]
Image=docker.io/library/busybox:latest
Mount=type=bind,dst=/b
`,
      "f.container": `[Container]
Image=docker.io/library/busybox:latest
Mount=type=bind,src=,dst=/b
`,
    },
    status: 1,
    stdout: ``,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/c.container
quadlet-generator[42]: Loading source unit file @DIR@/units/f.container
quadlet-generator[42]: converting "c.container": Mount=type=bind,dst=/b: a bind mount needs a source
converting "f.container": Mount=type=bind,src=,dst=/b: a bind mount needs a source
`,
  },
  {
    id: "container-pod",
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
Pod=p.pod
`,
      "b.container": `[Container]
Image=docker.io/library/busybox:latest
Pod=p.pod
StartWithPod=false
`,
      "c.container": `[Container]
Image=docker.io/library/busybox:latest
Pod=p.pod
StartWithPod=true
`,
      "p.pod": `[Pod]
`,
      "d.container": `[Container]
Image=docker.io/library/busybox:latest
Pod=notapod
`,
      "e.container": `[Container]
Image=docker.io/library/busybox:latest
Pod=missing.pod
`,
    },
    status: 1,
    stdout: `---a.service---
[X-Container]
Image=docker.io/library/busybox:latest
Pod=p.pod

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers
BindsTo=p-pod.service
After=p-pod.service

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d --pod-id-file %t/p-pod.pod-id docker.io/library/busybox:latest

---b.service---
[X-Container]
Image=docker.io/library/busybox:latest
Pod=p.pod
StartWithPod=false

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/b.container
RequiresMountsFor=%t/containers
BindsTo=p-pod.service
After=p-pod.service

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d --pod-id-file %t/p-pod.pod-id docker.io/library/busybox:latest

---c.service---
[X-Container]
Image=docker.io/library/busybox:latest
Pod=p.pod
StartWithPod=true

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/c.container
RequiresMountsFor=%t/containers
BindsTo=p-pod.service
After=p-pod.service

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d --pod-id-file %t/p-pod.pod-id docker.io/library/busybox:latest

---p-pod.service---
[X-Pod]

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/p.pod
RequiresMountsFor=%t/containers
Wants=a.service
Before=a.service
Wants=c.service
Before=c.service

[Service]
SyslogIdentifier=%N
ExecStart=/usr/bin/podman pod start --pod-id-file=%t/%N.pod-id
ExecStop=/usr/bin/podman pod stop --pod-id-file=%t/%N.pod-id --ignore --time=10
ExecStopPost=/usr/bin/podman pod rm --pod-id-file=%t/%N.pod-id --ignore --force
ExecStartPre=/usr/bin/podman pod create --infra-conmon-pidfile=%t/%N.pid --pod-id-file=%t/%N.pod-id --exit-policy=stop --replace --infra-name systemd-p-infra --name systemd-p
Environment=PODMAN_SYSTEMD_UNIT=%n
Type=forking
Restart=on-failure
PIDFile=%t/%N.pid

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
quadlet-generator[42]: Loading source unit file @DIR@/units/b.container
quadlet-generator[42]: Loading source unit file @DIR@/units/c.container
quadlet-generator[42]: Loading source unit file @DIR@/units/d.container
quadlet-generator[42]: Loading source unit file @DIR@/units/e.container
quadlet-generator[42]: Loading source unit file @DIR@/units/p.pod
quadlet-generator[42]: converting "d.container": pod notapod is not Quadlet based
converting "e.container": quadlet pod unit missing.pod does not exist
`,
  },
  {
    id: "container-image-units",
    files: {
      "a.container": `[Container]
Image=i.image
`,
      "b.container": `[Container]
Image=b.build
`,
      "i.image": `[Image]
Image=docker.io/library/x:1
ImageTag=localhost/tagged
`,
      "j.image": `[Image]
Image=docker.io/library/y:2
`,
      "c.container": `[Container]
Image=j.image
`,
      "b.build": `[Build]
ImageTag=localhost/built
File=/Containerfile
`,
      "d.container": `[Container]
Image=none.image
`,
      "e.container": `[Container]
Image=none.build
`,
    },
    status: 1,
    stdout: `---i-image.service---
[X-Image]
Image=docker.io/library/x:1
ImageTag=localhost/tagged

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/i.image
RequiresMountsFor=%t/containers

[Service]
ExecStart=/usr/bin/podman image pull docker.io/library/x:1
SyslogIdentifier=%N
Type=oneshot
RemainAfterExit=yes

---j-image.service---
[X-Image]
Image=docker.io/library/y:2

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/j.image
RequiresMountsFor=%t/containers

[Service]
ExecStart=/usr/bin/podman image pull docker.io/library/y:2
SyslogIdentifier=%N
Type=oneshot
RemainAfterExit=yes

---b-build.service---
[X-Build]
ImageTag=localhost/built
File=/Containerfile

[Unit]
Wants=network-online.target
After=network-online.target
RequiresMountsFor=%t/containers
SourcePath=@DIR@/units/b.build

[Service]
ExecStart=/usr/bin/podman build --tag localhost/built --file /Containerfile
SyslogIdentifier=%N
Type=oneshot

---a.service---
[X-Container]
Image=i.image

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
Requires=i-image.service
After=i-image.service
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d localhost/tagged

---b.service---
[X-Container]
Image=b.build

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/b.container
Requires=b-build.service
After=b-build.service
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d localhost/built

---c.service---
[X-Container]
Image=j.image

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/c.container
Requires=j-image.service
After=j-image.service
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d docker.io/library/y:2

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
quadlet-generator[42]: Loading source unit file @DIR@/units/b.build
quadlet-generator[42]: Loading source unit file @DIR@/units/b.container
quadlet-generator[42]: Loading source unit file @DIR@/units/c.container
quadlet-generator[42]: Loading source unit file @DIR@/units/d.container
quadlet-generator[42]: Loading source unit file @DIR@/units/e.container
quadlet-generator[42]: Loading source unit file @DIR@/units/i.image
quadlet-generator[42]: Loading source unit file @DIR@/units/j.image
quadlet-generator[42]: converting "d.container": requested Quadlet image none.image was not found
converting "e.container": requested Quadlet image none.build was not found
`,
  },
  {
    id: "container-template",
    files: {
      "a@.container": `[Container]
Image=docker.io/library/busybox:latest
`,
      "b@x.container": `[Container]
Image=docker.io/library/busybox:latest
`,
    },
    status: 0,
    stdout: `---a@.service---
[X-Container]
Image=docker.io/library/busybox:latest

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a@.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%p_%i --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d docker.io/library/busybox:latest

---b@x.service---
[X-Container]
Image=docker.io/library/busybox:latest

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/b@x.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%p_%i --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d docker.io/library/busybox:latest

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a@.container
quadlet-generator[42]: Loading source unit file @DIR@/units/b@x.container
`,
  },
  {
    id: "container-service-name",
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
ServiceName=svc
`,
    },
    status: 0,
    stdout: `---svc.service---
[X-Container]
Image=docker.io/library/busybox:latest
ServiceName=svc

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d docker.io/library/busybox:latest

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
`,
  },
  {
    id: "container-unsupported-key",
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
Bogus=1
`,
      "b.container": `[Container]
Image=docker.io/library/busybox:latest
[Quadlet]
Bogus=2
`,
    },
    status: 1,
    stdout: ``,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
quadlet-generator[42]: Loading source unit file @DIR@/units/b.container
quadlet-generator[42]: converting "a.container": unsupported key 'Bogus' in group 'Container' in @DIR@/units/a.container
converting "b.container": unsupported key 'Bogus' in group 'Quadlet' in @DIR@/units/b.container
`,
  },
  {
    id: "image-name-warnings",
    files: {
      "a.container": `[Container]
Image=busybox
`,
      "b.container": `[Container]
Image=library/busybox
`,
      "c.container": `[Container]
Image=localhost/x
`,
      "d.container": `[Container]
Image=registry:5000/x
`,
      "e.container": `[Container]
Image=sha256:abc
`,
      "f.container": `[Container]
Image=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
`,
      "g.container": `[Container]
Image=0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
`,
      "h.container": `[Container]
Image=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde
`,
      "i.container": `[Container]
Image=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg
`,
      "j.container": `[Container]
Image=０００００００００００００００００００００a
`,
      "k.container": `[Container]
Image=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0
`,
      "l.container": `[Container]
Image=localhostx/y
`,
      "v.volume": `[Volume]
Driver=image
Image=busybox
`,
      "w.volume": `[Volume]
Image=busybox
`,
      "i.image": `[Image]
Image=busybox
`,
      "b.kube": `[Kube]
Yaml=/b.yaml
Image=busybox
`,
    },
    status: 1,
    stdout: `---i-image.service---
[X-Image]
Image=busybox

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/i.image
RequiresMountsFor=%t/containers

[Service]
ExecStart=/usr/bin/podman image pull busybox
SyslogIdentifier=%N
Type=oneshot
RemainAfterExit=yes

---w-volume.service---
[X-Volume]
Image=busybox

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/w.volume
RequiresMountsFor=%t/containers

[Service]
ExecStart=/usr/bin/podman volume create --ignore systemd-w
SyslogIdentifier=%N
Type=oneshot
RemainAfterExit=yes

---v-volume.service---
[X-Volume]
Driver=image
Image=busybox

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/v.volume
RequiresMountsFor=%t/containers

[Service]
ExecStart=/usr/bin/podman volume create --ignore --driver image --opt image=busybox systemd-v
SyslogIdentifier=%N
Type=oneshot
RemainAfterExit=yes

---h.service---
[X-Container]
Image=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/h.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde

---d.service---
[X-Container]
Image=registry:5000/x

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/d.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d registry:5000/x

---e.service---
[X-Container]
Image=sha256:abc

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/e.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d sha256:abc

---f.service---
[X-Container]
Image=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/f.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef

---g.service---
[X-Container]
Image=0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/g.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF

---a.service---
[X-Container]
Image=busybox

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d busybox

---i.service---
[X-Container]
Image=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/i.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg

---c.service---
[X-Container]
Image=localhost/x

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/c.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d localhost/x

---j.service---
[X-Container]
Image=ï¼ï¼ï¼ï¼ï¼ï¼ï¼ï¼ï¼ï¼ï¼ï¼ï¼ï¼ï¼ï¼ï¼ï¼ï¼ï¼ï¼a

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/j.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d ï¼ï¼ï¼ï¼ï¼ï¼ï¼ï¼ï¼ï¼ï¼ï¼ï¼ï¼ï¼ï¼ï¼ï¼ï¼ï¼ï¼a

---k.service---
[X-Container]
Image=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/k.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0

---l.service---
[X-Container]
Image=localhostx/y

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/l.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d localhostx/y

---b.service---
[X-Container]
Image=library/busybox

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/b.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d library/busybox

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
quadlet-generator[42]: Loading source unit file @DIR@/units/b.container
quadlet-generator[42]: Loading source unit file @DIR@/units/b.kube
quadlet-generator[42]: Loading source unit file @DIR@/units/c.container
quadlet-generator[42]: Loading source unit file @DIR@/units/d.container
quadlet-generator[42]: Loading source unit file @DIR@/units/e.container
quadlet-generator[42]: Loading source unit file @DIR@/units/f.container
quadlet-generator[42]: Loading source unit file @DIR@/units/g.container
quadlet-generator[42]: Loading source unit file @DIR@/units/h.container
quadlet-generator[42]: Loading source unit file @DIR@/units/i.container
quadlet-generator[42]: Loading source unit file @DIR@/units/i.image
quadlet-generator[42]: Loading source unit file @DIR@/units/j.container
quadlet-generator[42]: Loading source unit file @DIR@/units/k.container
quadlet-generator[42]: Loading source unit file @DIR@/units/l.container
quadlet-generator[42]: Loading source unit file @DIR@/units/v.volume
quadlet-generator[42]: Loading source unit file @DIR@/units/w.volume
quadlet-generator[42]: Warning: i.image specifies the image "busybox" which not a fully qualified image name. This is not ideal for performance and security reasons. See the podman-pull manpage discussion of short-name-aliases.conf for details.
quadlet-generator[42]: Warning: w.volume specifies the image "busybox" which not a fully qualified image name. This is not ideal for performance and security reasons. See the podman-pull manpage discussion of short-name-aliases.conf for details.
quadlet-generator[42]: Warning: v.volume specifies the image "busybox" which not a fully qualified image name. This is not ideal for performance and security reasons. See the podman-pull manpage discussion of short-name-aliases.conf for details.
quadlet-generator[42]: Warning: h.container specifies the image "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde" which not a fully qualified image name. This is not ideal for performance and security reasons. See the podman-pull manpage discussion of short-name-aliases.conf for details.
quadlet-generator[42]: Warning: a.container specifies the image "busybox" which not a fully qualified image name. This is not ideal for performance and security reasons. See the podman-pull manpage discussion of short-name-aliases.conf for details.
quadlet-generator[42]: Warning: i.container specifies the image "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg" which not a fully qualified image name. This is not ideal for performance and security reasons. See the podman-pull manpage discussion of short-name-aliases.conf for details.
quadlet-generator[42]: Warning: k.container specifies the image "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0" which not a fully qualified image name. This is not ideal for performance and security reasons. See the podman-pull manpage discussion of short-name-aliases.conf for details.
quadlet-generator[42]: Warning: l.container specifies the image "localhostx/y" which not a fully qualified image name. This is not ideal for performance and security reasons. See the podman-pull manpage discussion of short-name-aliases.conf for details.
quadlet-generator[42]: Warning: b.container specifies the image "library/busybox" which not a fully qualified image name. This is not ideal for performance and security reasons. See the podman-pull manpage discussion of short-name-aliases.conf for details.
quadlet-generator[42]: converting "b.kube": unsupported key 'Image' in group 'Kube' in @DIR@/units/b.kube
`,
  },
  {
    id: "install-links",
    argv: ["-no-kmsg-log", "-v"],
    output: true,
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
[Install]
WantedBy=multi-user.target default.target
WantedBy=with/slash.target
RequiredBy=x.target
RequiredBy=y/z.target
Alias=alias.service
Alias=sub/dir/al.service
Alias=../up.service
`,
      "t@.container": `[Container]
Image=docker.io/library/busybox:latest
[Install]
WantedBy=t.target
DefaultInstance=inst
`,
      "u@.container": `[Container]
Image=docker.io/library/busybox:latest
[Install]
WantedBy=u.target
RequiredBy=u2.target
Alias=ua@.service
`,
      "v@i.container": `[Container]
Image=docker.io/library/busybox:latest
[Install]
WantedBy=v.target
`,
      "n.network": `[Network]
[Install]
RequiredBy=n.target
`,
    },
    status: 0,
    stdout: ``,
    stderr: `quadlet-generator[42]: Starting quadlet-generator, output to: @DIR@/out
quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
quadlet-generator[42]: Loading source unit file @DIR@/units/n.network
quadlet-generator[42]: Loading source unit file @DIR@/units/t@.container
quadlet-generator[42]: Loading source unit file @DIR@/units/u@.container
quadlet-generator[42]: Loading source unit file @DIR@/units/v@i.container
quadlet-generator[42]: writing "@DIR@/out/n-network.service"
quadlet-generator[42]: Creating symlink @DIR@/out/n.target.requires/n-network.service -> ../n-network.service
quadlet-generator[42]: writing "@DIR@/out/a.service"
quadlet-generator[42]: Creating symlink @DIR@/out/alias.service -> a.service
quadlet-generator[42]: Creating symlink @DIR@/out/sub/dir/al.service -> ../../a.service
quadlet-generator[42]: Can't create symlink ../up.service: Rel: can't make a.service relative to ..
quadlet-generator[42]: Creating symlink @DIR@/out/multi-user.target.wants/a.service -> ../a.service
quadlet-generator[42]: Creating symlink @DIR@/out/default.target.wants/a.service -> ../a.service
quadlet-generator[42]: Creating symlink @DIR@/out/x.target.requires/a.service -> ../a.service
quadlet-generator[42]: writing "@DIR@/out/t@.service"
quadlet-generator[42]: Creating symlink @DIR@/out/t.target.wants/t@inst.service -> ../t@.service
quadlet-generator[42]: writing "@DIR@/out/u@.service"
quadlet-generator[42]: Creating symlink @DIR@/out/ua@.service -> u@.service
quadlet-generator[42]: writing "@DIR@/out/v@i.service"
quadlet-generator[42]: Creating symlink @DIR@/out/v.target.wants/v@i.service -> ../v@i.service
`,
    tree: `a.service 644
# Automatically generated by qm-quadlet
# 
[X-Container]
Image=docker.io/library/busybox:latest

[Install]
WantedBy=multi-user.target default.target
WantedBy=with/slash.target
RequiredBy=x.target
RequiredBy=y/z.target
Alias=alias.service
Alias=sub/dir/al.service
Alias=../up.service

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d docker.io/library/busybox:latest

alias.service -> a.service
default.target.wants/a.service -> ../a.service
multi-user.target.wants/a.service -> ../a.service
n-network.service 644
# Automatically generated by qm-quadlet
# 
[X-Network]

[Install]
RequiredBy=n.target

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/n.network
RequiresMountsFor=%t/containers

[Service]
ExecStart=/usr/bin/podman network create --ignore systemd-n
SyslogIdentifier=%N
Type=oneshot
RemainAfterExit=yes

n.target.requires/n-network.service -> ../n-network.service
sub/dir/al.service -> ../../a.service
t.target.wants/t@inst.service -> ../t@.service
t@.service 644
# Automatically generated by qm-quadlet
# 
[X-Container]
Image=docker.io/library/busybox:latest

[Install]
WantedBy=t.target
DefaultInstance=inst

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/t@.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%p_%i --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d docker.io/library/busybox:latest

u@.service 644
# Automatically generated by qm-quadlet
# 
[X-Container]
Image=docker.io/library/busybox:latest

[Install]
WantedBy=u.target
RequiredBy=u2.target
Alias=ua@.service

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/u@.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%p_%i --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d docker.io/library/busybox:latest

ua@.service -> u@.service
v.target.wants/v@i.service -> ../v@i.service
v@i.service 644
# Automatically generated by qm-quadlet
# 
[X-Container]
Image=docker.io/library/busybox:latest

[Install]
WantedBy=v.target

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/v@i.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%p_%i --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d docker.io/library/busybox:latest

x.target.requires/a.service -> ../a.service`,
  },
  {
    id: "output-no-install",
    argv: ["-no-kmsg-log"],
    output: true,
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
`,
      "b.volume": `[Volume]
`,
      "c.container": `[Container]
Image=docker.io/library/busybox:latest
Bogus=1
`,
    },
    status: 1,
    stdout: ``,
    stderr: `quadlet-generator[42]: converting "c.container": unsupported key 'Bogus' in group 'Container' in @DIR@/units/c.container
`,
    tree: `a.service 644
# Automatically generated by qm-quadlet
# 
[X-Container]
Image=docker.io/library/busybox:latest

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d docker.io/library/busybox:latest

b-volume.service 644
# Automatically generated by qm-quadlet
# 
[X-Volume]

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/b.volume
RequiresMountsFor=%t/containers

[Service]
ExecStart=/usr/bin/podman volume create --ignore systemd-b
SyslogIdentifier=%N
Type=oneshot
RemainAfterExit=yes
`,
  },
  {
    id: "build-file-urls",
    files: {
      "a.build": `[Build]
ImageTag=localhost/a
File=httpfoo
`,
      "b.build": `[Build]
ImageTag=localhost/b
File=https-x/y
`,
      "c.build": `[Build]
ImageTag=localhost/c
File=sub/https/y
`,
      "d.build": `[Build]
ImageTag=localhost/d
File=github.com/o/r
`,
      "e.build": `[Build]
ImageTag=localhost/e
File=x/github.com/ab
`,
      "f.build": `[Build]
ImageTag=localhost/f
File=githubxcom/a
`,
      "g.build": `[Build]
ImageTag=localhost/g
File=git://h/r
`,
      "h.build": `[Build]
ImageTag=localhost/h
File=gitx/r
`,
      "i.build": `[Build]
ImageTag=localhost/i
File=x/github.com/a
`,
      "j.build": `[Build]
ImageTag=localhost/j
[Service]
WorkingDirectory=/w
`,
      "k.build": `[Build]
ImageTag=localhost/k
SetWorkingDirectory=http://h/ctx
File=/F
`,
    },
    status: 1,
    stdout: `---a-build.service---
[X-Build]
ImageTag=localhost/a
File=httpfoo

[Unit]
Wants=network-online.target
After=network-online.target
RequiresMountsFor=%t/containers
SourcePath=@DIR@/units/a.build

[Service]
ExecStart=/usr/bin/podman build --tag localhost/a --file httpfoo
SyslogIdentifier=%N
Type=oneshot

---b-build.service---
[X-Build]
ImageTag=localhost/b
File=https-x/y

[Unit]
Wants=network-online.target
After=network-online.target
RequiresMountsFor=%t/containers
SourcePath=@DIR@/units/b.build

[Service]
ExecStart=/usr/bin/podman build --tag localhost/b --file https-x/y
SyslogIdentifier=%N
Type=oneshot

---d-build.service---
[X-Build]
ImageTag=localhost/d
File=github.com/o/r

[Unit]
Wants=network-online.target
After=network-online.target
RequiresMountsFor=%t/containers
SourcePath=@DIR@/units/d.build

[Service]
ExecStart=/usr/bin/podman build --tag localhost/d --file github.com/o/r
SyslogIdentifier=%N
Type=oneshot

---e-build.service---
[X-Build]
ImageTag=localhost/e
File=x/github.com/ab

[Unit]
Wants=network-online.target
After=network-online.target
RequiresMountsFor=%t/containers
SourcePath=@DIR@/units/e.build

[Service]
ExecStart=/usr/bin/podman build --tag localhost/e --file x/github.com/ab
SyslogIdentifier=%N
Type=oneshot

---g-build.service---
[X-Build]
ImageTag=localhost/g
File=git://h/r

[Unit]
Wants=network-online.target
After=network-online.target
RequiresMountsFor=%t/containers
SourcePath=@DIR@/units/g.build

[Service]
ExecStart=/usr/bin/podman build --tag localhost/g --file git://h/r
SyslogIdentifier=%N
Type=oneshot

---i-build.service---
[X-Build]
ImageTag=localhost/i
File=x/github.com/a

[Unit]
Wants=network-online.target
After=network-online.target
RequiresMountsFor=%t/containers
SourcePath=@DIR@/units/i.build

[Service]
ExecStart=/usr/bin/podman build --tag localhost/i --file x/github.com/a
SyslogIdentifier=%N
Type=oneshot

---j-build.service---
[X-Build]
ImageTag=localhost/j

[Service]
WorkingDirectory=/w
ExecStart=/usr/bin/podman build --tag localhost/j /w
SyslogIdentifier=%N
Type=oneshot

[Unit]
Wants=network-online.target
After=network-online.target
RequiresMountsFor=%t/containers
SourcePath=@DIR@/units/j.build

---k-build.service---
[X-Build]
ImageTag=localhost/k
SetWorkingDirectory=http://h/ctx
File=/F

[Unit]
Wants=network-online.target
After=network-online.target
RequiresMountsFor=%t/containers
SourcePath=@DIR@/units/k.build

[Service]
ExecStart=/usr/bin/podman build --tag localhost/k --file /F http://h/ctx
SyslogIdentifier=%N
Type=oneshot

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.build
quadlet-generator[42]: Loading source unit file @DIR@/units/b.build
quadlet-generator[42]: Loading source unit file @DIR@/units/c.build
quadlet-generator[42]: Loading source unit file @DIR@/units/d.build
quadlet-generator[42]: Loading source unit file @DIR@/units/e.build
quadlet-generator[42]: Loading source unit file @DIR@/units/f.build
quadlet-generator[42]: Loading source unit file @DIR@/units/g.build
quadlet-generator[42]: Loading source unit file @DIR@/units/h.build
quadlet-generator[42]: Loading source unit file @DIR@/units/i.build
quadlet-generator[42]: Loading source unit file @DIR@/units/j.build
quadlet-generator[42]: Loading source unit file @DIR@/units/k.build
quadlet-generator[42]: converting "c.build": relative path in File key requires SetWorkingDirectory key to be set
converting "f.build": relative path in File key requires SetWorkingDirectory key to be set
converting "h.build": relative path in File key requires SetWorkingDirectory key to be set
`,
  },
  {
    id: "container-edges",
    files: {
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
Volume=i.image:/d
Volume=/s:/d:ro:extra
Network=:foo
EnvironmentFile=%h/e
EnvironmentFile=%%e
AddCapability=İ
`,
      "i.image": `[Image]
Image=docker.io/library/x:1
`,
      "b.container": `[Container]
Image=docker.io/library/busybox:latest
SubUIDMap=s
RemapUsers=auto
`,
      "c.container": `[Container]
Image=docker.io/library/busybox:latest
SubGIDMap=s
RemapGid=0:1:1
`,
      "d.container": `[Container]
Image=docker.io/library/busybox:latest
Mount=type=bind,src=/a\\"b,dst=/c
`,
      "e.container": `[Container]
Image=docker.io/library/busybox:latest
Mount=type=bind,=x,src=/a,dst=/b
`,
      "f.container": `[Container]
Image=docker.io/library/busybox:latest
Mount=type=bind=x,src=/a,dst=/b
`,
      "g.container": `[Container]
Image=docker.io/library/busybox:latest
Mount=type=volume,source=i.image,dst=/i
`,
    },
    status: 1,
    stdout: `---i-image.service---
[X-Image]
Image=docker.io/library/x:1

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/i.image
RequiresMountsFor=%t/containers

[Service]
ExecStart=/usr/bin/podman image pull docker.io/library/x:1
SyslogIdentifier=%N
Type=oneshot
RemainAfterExit=yes

---a.service---
[X-Container]
Image=docker.io/library/busybox:latest
Volume=i.image:/d
Volume=/s:/d:ro:extra
Network=:foo
EnvironmentFile=%h/e
EnvironmentFile=%%e
AddCapability=Ä°

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers
RequiresMountsFor=/s

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --network :foo --sdnotify=conmon -d --cap-add i -v i.image:/d -v /s:/d:ro:extra --env-file %h/e --env-file @DIR@/units/%%e docker.io/library/busybox:latest

---e.service---
[X-Container]
Image=docker.io/library/busybox:latest
Mount=type=bind,=x,src=/a,dst=/b

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/e.container
RequiresMountsFor=%t/containers
RequiresMountsFor=/a

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d --mount type=bind,=x,source=/a,dst=/b docker.io/library/busybox:latest

---g.service---
[X-Container]
Image=docker.io/library/busybox:latest
Mount=type=volume,source=i.image,dst=/i

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/g.container
RequiresMountsFor=%t/containers
Requires=i-image.service
After=i-image.service

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d --mount type=volume,source=docker.io/library/x:1,dst=/i docker.io/library/busybox:latest

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
quadlet-generator[42]: Loading source unit file @DIR@/units/b.container
quadlet-generator[42]: Loading source unit file @DIR@/units/c.container
quadlet-generator[42]: Loading source unit file @DIR@/units/d.container
quadlet-generator[42]: Loading source unit file @DIR@/units/e.container
quadlet-generator[42]: Loading source unit file @DIR@/units/f.container
quadlet-generator[42]: Loading source unit file @DIR@/units/g.container
quadlet-generator[42]: Loading source unit file @DIR@/units/i.image
quadlet-generator[42]: converting "b.container": deprecated Remap keys are set along with explicit mapping keys
converting "c.container": deprecated Remap keys are set along with explicit mapping keys
converting "d.container": parse error on line 1, column 17: bare " in non-quoted-field
converting "f.container": incorrect mount format: should be --mount type=<bind|glob|tmpfs|volume>,[src=<host-dir|volume-name>,]target=<ctr-dir>[,options]
`,
  },
  {
    id: "kube-edges",
    files: {
      "a.kube": `[Kube]
Yaml=%h/k.yaml
ConfigMap=%h/c.yaml
ConfigMap=%%c.yaml
AutoUpdate=/x
[Service]
Type=notify
`,
    },
    status: 0,
    stdout: `---a.service---
[X-Kube]
Yaml=%h/k.yaml
ConfigMap=%h/c.yaml
ConfigMap=%%c.yaml
AutoUpdate=/x

[Service]
Type=notify
KillMode=mixed
Environment=PODMAN_SYSTEMD_UNIT=%n
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman kube play --replace --service-container=true --annotation=io.containers.autoupdate/=x --configmap %h/c.yaml --configmap @DIR@/units/%%c.yaml %h/k.yaml
ExecStopPost=/usr/bin/podman kube down %h/k.yaml

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.kube
RequiresMountsFor=%t/containers

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.kube
`,
  },
  {
    id: "network-edges",
    files: {
      "a.network": `[Network]
Subnet=10.0.0.0/24
Gateway=10.0.0.1
IPRange=10.0.0.0/25
`,
    },
    status: 0,
    stdout: `---a-network.service---
[X-Network]
Subnet=10.0.0.0/24
Gateway=10.0.0.1
IPRange=10.0.0.0/25

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.network
RequiresMountsFor=%t/containers

[Service]
ExecStart=/usr/bin/podman network create --ignore --subnet 10.0.0.0/24 --gateway 10.0.0.1 --ip-range 10.0.0.0/25 systemd-a
SyslogIdentifier=%N
Type=oneshot
RemainAfterExit=yes

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.network
`,
  },
  {
    id: "hidden-names",
    files: {
      ".volume": `[Volume]
`,
      ".n.network": `[Network]
`,
    },
    status: 0,
    stdout: `---.n-network.service---
[X-Network]

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/.n.network
RequiresMountsFor=%t/containers

[Service]
ExecStart=/usr/bin/podman network create --ignore systemd-.n
SyslogIdentifier=%N
Type=oneshot
RemainAfterExit=yes

---.volume-volume.service---
[X-Volume]

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/.volume
RequiresMountsFor=%t/containers

[Service]
ExecStart=/usr/bin/podman volume create --ignore systemd-.volume
SyslogIdentifier=%N
Type=oneshot
RemainAfterExit=yes

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/.n.network
quadlet-generator[42]: Loading source unit file @DIR@/units/.volume
`,
  },
  {
    id: "volume-keys",
    files: {
      "a.volume": `[Volume]
VolumeName=vn
Driver=local
User=1000
Group=100
Copy=true
Device=/dev/sda1
Type=ext4
Options=noatime
Label=b=2 a=1
PodmanArgs=--x
GlobalArgs=--g
ContainersConfModule=/m
`,
      "b.volume": `[Volume]
Copy=false
User=0
`,
      "c.volume": `[Volume]
Group=7
`,
      "d.volume": `[Volume]
Device=/dev/d
`,
    },
    status: 0,
    stdout: `---a-volume.service---
[X-Volume]
VolumeName=vn
Driver=local
User=1000
Group=100
Copy=true
Device=/dev/sda1
Type=ext4
Options=noatime
Label=b=2 a=1
PodmanArgs=--x
GlobalArgs=--g
ContainersConfModule=/m

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.volume
RequiresMountsFor=%t/containers

[Service]
ExecStart=/usr/bin/podman --module=/m --g volume create --ignore --driver local --opt copy --opt device=/dev/sda1 --opt type=ext4 --opt o=uid=1000,gid=100,noatime --label a=1 --label b=2 --x vn
SyslogIdentifier=%N
Type=oneshot
RemainAfterExit=yes

---b-volume.service---
[X-Volume]
Copy=false
User=0

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/b.volume
RequiresMountsFor=%t/containers

[Service]
ExecStart=/usr/bin/podman volume create --ignore --opt nocopy --opt o=uid=0 systemd-b
SyslogIdentifier=%N
Type=oneshot
RemainAfterExit=yes

---c-volume.service---
[X-Volume]
Group=7

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/c.volume
RequiresMountsFor=%t/containers

[Service]
ExecStart=/usr/bin/podman volume create --ignore --opt o=gid=7 systemd-c
SyslogIdentifier=%N
Type=oneshot
RemainAfterExit=yes

---d-volume.service---
[X-Volume]
Device=/dev/d

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/d.volume
RequiresMountsFor=%t/containers

[Service]
ExecStart=/usr/bin/podman volume create --ignore --opt device=/dev/d systemd-d
SyslogIdentifier=%N
Type=oneshot
RemainAfterExit=yes

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.volume
quadlet-generator[42]: Loading source unit file @DIR@/units/b.volume
quadlet-generator[42]: Loading source unit file @DIR@/units/c.volume
quadlet-generator[42]: Loading source unit file @DIR@/units/d.volume
`,
  },
  {
    id: "volume-errors",
    files: {
      "a.volume": `[Volume]
Type=ext4
`,
      "b.volume": `[Volume]
Options=o
`,
      "c.volume": `[Volume]
Device=
Type=t
`,
      "d.volume": `[Volume]
Driver=image
`,
      "e.volume": `[Volume]
Bogus=1
`,
    },
    status: 1,
    stdout: ``,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.volume
quadlet-generator[42]: Loading source unit file @DIR@/units/b.volume
quadlet-generator[42]: Loading source unit file @DIR@/units/c.volume
quadlet-generator[42]: Loading source unit file @DIR@/units/d.volume
quadlet-generator[42]: Loading source unit file @DIR@/units/e.volume
quadlet-generator[42]: converting "a.volume": key Type can't be used without Device
converting "b.volume": key Options can't be used without Device
converting "c.volume": key Type can't be used without Device
converting "d.volume": the key Image is mandatory when using the image driver
converting "e.volume": unsupported key 'Bogus' in group 'Volume' in @DIR@/units/e.volume
`,
  },
  {
    id: "volume-image-driver",
    files: {
      "a.volume": `[Volume]
Driver=image
Image=i.image
`,
      "i.image": `[Image]
Image=docker.io/library/x:1
`,
      "b.volume": `[Volume]
Driver=image
Image=docker.io/library/z:1
`,
      "c.volume": `[Volume]
Driver=image
Image=missing.image
`,
      "d.volume": `[Volume]
Driver=image
Image=b.build
`,
      "b.build": `[Build]
ImageTag=localhost/bt
File=/F
`,
    },
    status: 1,
    stdout: `---i-image.service---
[X-Image]
Image=docker.io/library/x:1

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/i.image
RequiresMountsFor=%t/containers

[Service]
ExecStart=/usr/bin/podman image pull docker.io/library/x:1
SyslogIdentifier=%N
Type=oneshot
RemainAfterExit=yes

---a-volume.service---
[X-Volume]
Driver=image
Image=i.image

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.volume
RequiresMountsFor=%t/containers
Requires=i-image.service
After=i-image.service

[Service]
ExecStart=/usr/bin/podman volume create --ignore --driver image --opt image=docker.io/library/x:1 systemd-a
SyslogIdentifier=%N
Type=oneshot
RemainAfterExit=yes

---b-volume.service---
[X-Volume]
Driver=image
Image=docker.io/library/z:1

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/b.volume
RequiresMountsFor=%t/containers

[Service]
ExecStart=/usr/bin/podman volume create --ignore --driver image --opt image=docker.io/library/z:1 systemd-b
SyslogIdentifier=%N
Type=oneshot
RemainAfterExit=yes

---d-volume.service---
[X-Volume]
Driver=image
Image=b.build

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/d.volume
RequiresMountsFor=%t/containers
Requires=b-build.service
After=b-build.service

[Service]
ExecStart=/usr/bin/podman volume create --ignore --driver image --opt image=localhost/bt systemd-d
SyslogIdentifier=%N
Type=oneshot
RemainAfterExit=yes

---b-build.service---
[X-Build]
ImageTag=localhost/bt
File=/F

[Unit]
Wants=network-online.target
After=network-online.target
RequiresMountsFor=%t/containers
SourcePath=@DIR@/units/b.build

[Service]
ExecStart=/usr/bin/podman build --tag localhost/bt --file /F
SyslogIdentifier=%N
Type=oneshot

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.volume
quadlet-generator[42]: Loading source unit file @DIR@/units/b.build
quadlet-generator[42]: Loading source unit file @DIR@/units/b.volume
quadlet-generator[42]: Loading source unit file @DIR@/units/c.volume
quadlet-generator[42]: Loading source unit file @DIR@/units/d.volume
quadlet-generator[42]: Loading source unit file @DIR@/units/i.image
quadlet-generator[42]: converting "c.volume": requested Quadlet image missing.image was not found
`,
  },
  {
    id: "network-keys",
    files: {
      "a.network": `[Network]
NetworkName=nn
DisableDNS=true
Internal=true
IPv6=true
Driver=macvlan
IPAMDriver=dhcp
DNS=1.1.1.1
DNS=8.8.8.8
Subnet=10.0.0.0/24
Subnet=10.1.0.0/24
Gateway=10.0.0.1
IPRange=10.0.0.128/25
IPRange=10.1.0.128/25
Options=mtu=1400 a=b
Label=x=y
PodmanArgs=--p
`,
      "b.network": `[Network]
DisableDNS=false
Internal=false
IPv6=false
Subnet=10.2.0.0/16
`,
    },
    status: 0,
    stdout: `---a-network.service---
[X-Network]
NetworkName=nn
DisableDNS=true
Internal=true
IPv6=true
Driver=macvlan
IPAMDriver=dhcp
DNS=1.1.1.1
DNS=8.8.8.8
Subnet=10.0.0.0/24
Subnet=10.1.0.0/24
Gateway=10.0.0.1
IPRange=10.0.0.128/25
IPRange=10.1.0.128/25
Options=mtu=1400 a=b
Label=x=y
PodmanArgs=--p

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.network
RequiresMountsFor=%t/containers

[Service]
ExecStart=/usr/bin/podman network create --ignore --disable-dns --internal --ipv6 --driver macvlan --ipam-driver dhcp --dns 1.1.1.1 --dns 8.8.8.8 --subnet 10.0.0.0/24 --gateway 10.0.0.1 --ip-range 10.0.0.128/25 --subnet 10.1.0.0/24 --ip-range 10.1.0.128/25 --opt a=b --opt mtu=1400 --label x=y --p nn
SyslogIdentifier=%N
Type=oneshot
RemainAfterExit=yes

---b-network.service---
[X-Network]
DisableDNS=false
Internal=false
IPv6=false
Subnet=10.2.0.0/16

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/b.network
RequiresMountsFor=%t/containers

[Service]
ExecStart=/usr/bin/podman network create --ignore --disable-dns=false --internal=false --ipv6=false --subnet 10.2.0.0/16 systemd-b
SyslogIdentifier=%N
Type=oneshot
RemainAfterExit=yes

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.network
quadlet-generator[42]: Loading source unit file @DIR@/units/b.network
`,
  },
  {
    id: "network-errors",
    files: {
      "a.network": `[Network]
Subnet=10.0.0.0/24
Gateway=10.0.0.1
Gateway=10.0.0.2
`,
      "b.network": `[Network]
Subnet=10.0.0.0/24
IPRange=10.0.0.0/25
IPRange=10.0.0.128/25
`,
      "c.network": `[Network]
Gateway=10.0.0.1
`,
      "d.network": `[Network]
IPRange=10.0.0.0/25
`,
      "e.network": `[Network]
Gateway=10.0.0.1
IPRange=10.0.0.0/25
`,
    },
    status: 1,
    stdout: ``,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.network
quadlet-generator[42]: Loading source unit file @DIR@/units/b.network
quadlet-generator[42]: Loading source unit file @DIR@/units/c.network
quadlet-generator[42]: Loading source unit file @DIR@/units/d.network
quadlet-generator[42]: Loading source unit file @DIR@/units/e.network
quadlet-generator[42]: converting "a.network": cannot set more gateways than subnets
converting "b.network": cannot set more ranges than subnets
converting "c.network": cannot set gateway or range without subnet
converting "d.network": cannot set gateway or range without subnet
converting "e.network": cannot set gateway or range without subnet
`,
  },
  {
    id: "pod-keys",
    files: {
      "p.pod": `[Pod]
PodName=pn
PublishPort=80:80
Network=n.network
IP=10.0.0.3
IP6=fd00::3
ShmSize=1m
NetworkAlias=na
DNS=1.1.1.1
DNSOption=o
DNSSearch=s
AddHost=h:1.2.3.4
Volume=v.volume:/v
UserNS=auto
PodmanArgs=--pa
GlobalArgs=--ga
`,
      "n.network": `[Network]
`,
      "v.volume": `[Volume]
`,
      "a.container": `[Container]
Image=docker.io/library/busybox:latest
Pod=p.pod
`,
      "b.container": `[Container]
Image=docker.io/library/busybox:latest
Pod=p.pod
`,
      "q.pod": `[Pod]
RemapUsers=manual
RemapUid=0:1:1
`,
    },
    status: 0,
    stdout: `---n-network.service---
[X-Network]

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/n.network
RequiresMountsFor=%t/containers

[Service]
ExecStart=/usr/bin/podman network create --ignore systemd-n
SyslogIdentifier=%N
Type=oneshot
RemainAfterExit=yes

---v-volume.service---
[X-Volume]

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/v.volume
RequiresMountsFor=%t/containers

[Service]
ExecStart=/usr/bin/podman volume create --ignore systemd-v
SyslogIdentifier=%N
Type=oneshot
RemainAfterExit=yes

---a.service---
[X-Container]
Image=docker.io/library/busybox:latest
Pod=p.pod

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.container
RequiresMountsFor=%t/containers
BindsTo=p-pod.service
After=p-pod.service

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d --pod-id-file %t/p-pod.pod-id docker.io/library/busybox:latest

---b.service---
[X-Container]
Image=docker.io/library/busybox:latest
Pod=p.pod

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/b.container
RequiresMountsFor=%t/containers
BindsTo=p-pod.service
After=p-pod.service

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
KillMode=mixed
ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
ExecStopPost=-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid
Delegate=yes
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --sdnotify=conmon -d --pod-id-file %t/p-pod.pod-id docker.io/library/busybox:latest

---p-pod.service---
[X-Pod]
PodName=pn
PublishPort=80:80
Network=n.network
IP=10.0.0.3
IP6=fd00::3
ShmSize=1m
NetworkAlias=na
DNS=1.1.1.1
DNSOption=o
DNSSearch=s
AddHost=h:1.2.3.4
Volume=v.volume:/v
UserNS=auto
PodmanArgs=--pa
GlobalArgs=--ga

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/p.pod
RequiresMountsFor=%t/containers
Wants=a.service
Before=a.service
Wants=b.service
Before=b.service
Requires=n-network.service
After=n-network.service
Requires=v-volume.service
After=v-volume.service

[Service]
SyslogIdentifier=%N
ExecStart=/usr/bin/podman --ga pod start --pod-id-file=%t/%N.pod-id
ExecStop=/usr/bin/podman --ga pod stop --pod-id-file=%t/%N.pod-id --ignore --time=10
ExecStopPost=/usr/bin/podman --ga pod rm --pod-id-file=%t/%N.pod-id --ignore --force
ExecStartPre=/usr/bin/podman --ga pod create --infra-conmon-pidfile=%t/%N.pid --pod-id-file=%t/%N.pod-id --exit-policy=stop --replace --userns auto --publish 80:80 --network systemd-n --ip 10.0.0.3 --ip6 fd00::3 --shm-size 1m --network-alias na --dns 1.1.1.1 --dns-option o --dns-search s --add-host h:1.2.3.4 -v systemd-v:/v --infra-name pn-infra --name pn --pa
Environment=PODMAN_SYSTEMD_UNIT=%n
Type=forking
Restart=on-failure
PIDFile=%t/%N.pid

---q-pod.service---
[X-Pod]
RemapUsers=manual
RemapUid=0:1:1

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/q.pod
RequiresMountsFor=%t/containers

[Service]
SyslogIdentifier=%N
ExecStart=/usr/bin/podman pod start --pod-id-file=%t/%N.pod-id
ExecStop=/usr/bin/podman pod stop --pod-id-file=%t/%N.pod-id --ignore --time=10
ExecStopPost=/usr/bin/podman pod rm --pod-id-file=%t/%N.pod-id --ignore --force
ExecStartPre=/usr/bin/podman pod create --infra-conmon-pidfile=%t/%N.pid --pod-id-file=%t/%N.pod-id --exit-policy=stop --replace --uidmap 0:1:1 --infra-name systemd-q-infra --name systemd-q
Environment=PODMAN_SYSTEMD_UNIT=%n
Type=forking
Restart=on-failure
PIDFile=%t/%N.pid

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.container
quadlet-generator[42]: Loading source unit file @DIR@/units/b.container
quadlet-generator[42]: Loading source unit file @DIR@/units/n.network
quadlet-generator[42]: Loading source unit file @DIR@/units/p.pod
quadlet-generator[42]: Loading source unit file @DIR@/units/q.pod
quadlet-generator[42]: Loading source unit file @DIR@/units/v.volume
`,
  },
  {
    id: "kube-keys",
    files: {
      "a.kube": `[Kube]
Yaml=a.yaml
ExitCodePropagation=all
LogDriver=journald
LogOpt=tag=k
UserNS=keep-id
Network=n.network
AutoUpdate=registry
AutoUpdate=ctr/local
ConfigMap=cm.yaml
ConfigMap=/abs/cm.yaml
PublishPort=80:80
PodmanArgs=--pa
KubeDownForce=true
SetWorkingDirectory=yaml
`,
      "n.network": `[Network]
`,
      "b.kube": `[Kube]
Yaml=/y/b.yaml
KubeDownForce=false
SetWorkingDirectory=unit
`,
      "c.kube": `[Kube]
Yaml=c.yaml
[Service]
Type=oneshot
KillMode=control-group
`,
      "d.kube": `[Kube]
Yaml=d.yaml
RemapUsers=auto
[Service]
WorkingDirectory=/wd
`,
      "e.kube": `[Kube]
Yaml=e.yaml
SetWorkingDirectory=yaml
[Service]
WorkingDirectory=/keep
`,
    },
    status: 0,
    stdout: `---n-network.service---
[X-Network]

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/n.network
RequiresMountsFor=%t/containers

[Service]
ExecStart=/usr/bin/podman network create --ignore systemd-n
SyslogIdentifier=%N
Type=oneshot
RemainAfterExit=yes

---a.service---
[X-Kube]
Yaml=a.yaml
ExitCodePropagation=all
LogDriver=journald
LogOpt=tag=k
UserNS=keep-id
Network=n.network
AutoUpdate=registry
AutoUpdate=ctr/local
ConfigMap=cm.yaml
ConfigMap=/abs/cm.yaml
PublishPort=80:80
PodmanArgs=--pa
KubeDownForce=true
SetWorkingDirectory=yaml

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.kube
RequiresMountsFor=%t/containers
Requires=n-network.service
After=n-network.service

[Service]
KillMode=mixed
Environment=PODMAN_SYSTEMD_UNIT=%n
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman kube play --replace --service-container=true --service-exit-code-propagation=all --log-driver journald --log-opt tag=k --userns keep-id --network systemd-n --annotation=io.containers.autoupdate=registry --annotation=io.containers.autoupdate/ctr=local --configmap @DIR@/units/cm.yaml --configmap /abs/cm.yaml --publish 80:80 --pa @DIR@/units/a.yaml
ExecStopPost=/usr/bin/podman kube down --force @DIR@/units/a.yaml
WorkingDirectory=@DIR@/units

---b.service---
[X-Kube]
Yaml=/y/b.yaml
KubeDownForce=false
SetWorkingDirectory=unit

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/b.kube
RequiresMountsFor=%t/containers

[Service]
KillMode=mixed
Environment=PODMAN_SYSTEMD_UNIT=%n
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman kube play --replace --service-container=true /y/b.yaml
ExecStopPost=/usr/bin/podman kube down --force=false /y/b.yaml
WorkingDirectory=@DIR@/units

---c.service---
[X-Kube]
Yaml=c.yaml

[Service]
Type=oneshot
KillMode=control-group
Environment=PODMAN_SYSTEMD_UNIT=%n
SyslogIdentifier=%N
ExecStart=/usr/bin/podman kube play --replace --service-container=true @DIR@/units/c.yaml
ExecStopPost=/usr/bin/podman kube down @DIR@/units/c.yaml

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/c.kube
RequiresMountsFor=%t/containers

---d.service---
[X-Kube]
Yaml=d.yaml
RemapUsers=auto

[Service]
WorkingDirectory=/wd
KillMode=mixed
Environment=PODMAN_SYSTEMD_UNIT=%n
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman kube play --replace --service-container=true --userns auto @DIR@/units/d.yaml
ExecStopPost=/usr/bin/podman kube down @DIR@/units/d.yaml

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/d.kube
RequiresMountsFor=%t/containers

---e.service---
[X-Kube]
Yaml=e.yaml
SetWorkingDirectory=yaml

[Service]
WorkingDirectory=/keep
KillMode=mixed
Environment=PODMAN_SYSTEMD_UNIT=%n
Type=notify
NotifyAccess=all
SyslogIdentifier=%N
ExecStart=/usr/bin/podman kube play --replace --service-container=true @DIR@/units/e.yaml
ExecStopPost=/usr/bin/podman kube down @DIR@/units/e.yaml

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/e.kube
RequiresMountsFor=%t/containers

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.kube
quadlet-generator[42]: Loading source unit file @DIR@/units/b.kube
quadlet-generator[42]: Loading source unit file @DIR@/units/c.kube
quadlet-generator[42]: Loading source unit file @DIR@/units/d.kube
quadlet-generator[42]: Loading source unit file @DIR@/units/e.kube
quadlet-generator[42]: Loading source unit file @DIR@/units/n.network
`,
  },
  {
    id: "kube-errors",
    files: {
      "a.kube": `[Kube]
`,
      "b.kube": `[Kube]
Yaml=b.yaml
[Service]
Type=simple
`,
      "c.kube": `[Kube]
Yaml=c.yaml
RemapUsers=manual
`,
      "d.kube": `[Kube]
Yaml=d.yaml
SetWorkingDirectory=file
`,
      "e.kube": `[Kube]
Yaml=e.yaml
SetWorkingDirectory=/x
`,
      "f.kube": `[Kube]
Yaml=f.yaml
[Service]
KillMode=process
`,
      "g.kube": `[Kube]
Yaml=
`,
    },
    status: 1,
    stdout: ``,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.kube
quadlet-generator[42]: Loading source unit file @DIR@/units/b.kube
quadlet-generator[42]: Loading source unit file @DIR@/units/c.kube
quadlet-generator[42]: Loading source unit file @DIR@/units/d.kube
quadlet-generator[42]: Loading source unit file @DIR@/units/e.kube
quadlet-generator[42]: Loading source unit file @DIR@/units/f.kube
quadlet-generator[42]: Loading source unit file @DIR@/units/g.kube
quadlet-generator[42]: converting "a.kube": no Yaml key specified
converting "b.kube": invalid service Type 'simple'
converting "c.kube": RemapUsers=manual is not supported
converting "d.kube": SetWorkingDirectory=file is only supported in .build files
converting "e.kube": unsupported value for WorkingDirectory: /x 
converting "f.kube": invalid KillMode 'process'
converting "g.kube": no Yaml key specified
`,
  },
  {
    id: "image-keys",
    files: {
      "a.image": `[Image]
Image=docker.io/library/x:1
ImageTag=localhost/t
Arch=arm64
AuthFile=/auth.json
CertDir=/certs
Creds=u:p
DecryptionKey=/k
OS=linux
Variant=v8
AllTags=true
TLSVerify=true
PodmanArgs=--pa
`,
      "b.image": `[Image]
Image=docker.io/library/y:2
AllTags=false
TLSVerify=false
`,
      "c.image": `[Image]
`,
      "d.image": `[Image]
Image=
`,
      "e.image": `[Image]
Image=y
[Service]
Type=simple
RemainAfterExit=no
SyslogIdentifier=id
`,
    },
    status: 1,
    stdout: `---a-image.service---
[X-Image]
Image=docker.io/library/x:1
ImageTag=localhost/t
Arch=arm64
AuthFile=/auth.json
CertDir=/certs
Creds=u:p
DecryptionKey=/k
OS=linux
Variant=v8
AllTags=true
TLSVerify=true
PodmanArgs=--pa

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/a.image
RequiresMountsFor=%t/containers

[Service]
ExecStart=/usr/bin/podman image pull --arch arm64 --authfile /auth.json --cert-dir /certs --creds u:p --decryption-key /k --os linux --variant v8 --all-tags --tls-verify --pa docker.io/library/x:1
SyslogIdentifier=%N
Type=oneshot
RemainAfterExit=yes

---b-image.service---
[X-Image]
Image=docker.io/library/y:2
AllTags=false
TLSVerify=false

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/b.image
RequiresMountsFor=%t/containers

[Service]
ExecStart=/usr/bin/podman image pull --all-tags=false --tls-verify=false docker.io/library/y:2
SyslogIdentifier=%N
Type=oneshot
RemainAfterExit=yes

---e-image.service---
[X-Image]
Image=y

[Service]
Type=simple
RemainAfterExit=no
SyslogIdentifier=id
ExecStart=/usr/bin/podman image pull y

[Unit]
Wants=network-online.target
After=network-online.target
SourcePath=@DIR@/units/e.image
RequiresMountsFor=%t/containers

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.image
quadlet-generator[42]: Loading source unit file @DIR@/units/b.image
quadlet-generator[42]: Loading source unit file @DIR@/units/c.image
quadlet-generator[42]: Loading source unit file @DIR@/units/d.image
quadlet-generator[42]: Loading source unit file @DIR@/units/e.image
quadlet-generator[42]: Warning: d.image specifies the image "" which not a fully qualified image name. This is not ideal for performance and security reasons. See the podman-pull manpage discussion of short-name-aliases.conf for details.
quadlet-generator[42]: Warning: e.image specifies the image "y" which not a fully qualified image name. This is not ideal for performance and security reasons. See the podman-pull manpage discussion of short-name-aliases.conf for details.
quadlet-generator[42]: converting "c.image": no Image key specified
converting "d.image": no Image key specified
`,
  },
  {
    id: "build-keys",
    files: {
      "a.build": `[Build]
ImageTag=localhost/a
ImageTag=localhost/a2
Pull=always
Arch=arm64
AuthFile=/auth
Target=t
Variant=v
TLSVerify=false
ForceRM=true
DNS=1.1.1.1
DNSOption=o
DNSSearch=s
GroupAdd=g
Annotation=an=1
Environment=E=1
Label=l=1
Network=host
Secret=s
Volume=/a:/b
File=/Containerfile
PodmanArgs=--pa
`,
      "b.build": `[Build]
ImageTag=localhost/b
SetWorkingDirectory=/ctx
`,
      "c.build": `[Build]
ImageTag=localhost/c
SetWorkingDirectory=unit
File=Containerfile
`,
      "d.build": `[Build]
ImageTag=localhost/d
SetWorkingDirectory=file
File=sub/Containerfile
`,
      "e.build": `[Build]
ImageTag=localhost/e
SetWorkingDirectory=https://example.com/repo.git
`,
      "f.build": `[Build]
ImageTag=localhost/f
SetWorkingDirectory=ctx
ForceRM=false
TLSVerify=true
`,
      "g.build": `[Build]
ImageTag=localhost/g
File=https://example.com/Containerfile
`,
      "h.build": `[Build]
ImageTag=localhost/h
File=Containerfile
[Service]
WorkingDirectory=/w
`,
    },
    status: 0,
    stdout: `---a-build.service---
[X-Build]
ImageTag=localhost/a
ImageTag=localhost/a2
Pull=always
Arch=arm64
AuthFile=/auth
Target=t
Variant=v
TLSVerify=false
ForceRM=true
DNS=1.1.1.1
DNSOption=o
DNSSearch=s
GroupAdd=g
Annotation=an=1
Environment=E=1
Label=l=1
Network=host
Secret=s
Volume=/a:/b
File=/Containerfile
PodmanArgs=--pa

[Unit]
Wants=network-online.target
After=network-online.target
RequiresMountsFor=%t/containers
SourcePath=@DIR@/units/a.build
RequiresMountsFor=/a

[Service]
ExecStart=/usr/bin/podman build --pull=always --arch arm64 --authfile /auth --target t --variant v --tls-verify=false --force-rm --dns 1.1.1.1 --dns-option o --dns-search s --group-add g --tag localhost/a --tag localhost/a2 --annotation an=1 --env E=1 --label l=1 --network host --secret s -v /a:/b --file /Containerfile --pa
SyslogIdentifier=%N
Type=oneshot

---b-build.service---
[X-Build]
ImageTag=localhost/b
SetWorkingDirectory=/ctx

[Unit]
Wants=network-online.target
After=network-online.target
RequiresMountsFor=%t/containers
SourcePath=@DIR@/units/b.build

[Service]
ExecStart=/usr/bin/podman build --tag localhost/b /ctx
SyslogIdentifier=%N
Type=oneshot

---c-build.service---
[X-Build]
ImageTag=localhost/c
SetWorkingDirectory=unit
File=Containerfile

[Unit]
Wants=network-online.target
After=network-online.target
RequiresMountsFor=%t/containers
SourcePath=@DIR@/units/c.build

[Service]
WorkingDirectory=@DIR@/units
ExecStart=/usr/bin/podman build --tag localhost/c --file Containerfile @DIR@/units
SyslogIdentifier=%N
Type=oneshot

---d-build.service---
[X-Build]
ImageTag=localhost/d
SetWorkingDirectory=file
File=sub/Containerfile

[Unit]
Wants=network-online.target
After=network-online.target
RequiresMountsFor=%t/containers
SourcePath=@DIR@/units/d.build

[Service]
WorkingDirectory=@DIR@/units/sub
ExecStart=/usr/bin/podman build --tag localhost/d --file sub/Containerfile @DIR@/units/sub
SyslogIdentifier=%N
Type=oneshot

---e-build.service---
[X-Build]
ImageTag=localhost/e
SetWorkingDirectory=https://example.com/repo.git

[Unit]
Wants=network-online.target
After=network-online.target
RequiresMountsFor=%t/containers
SourcePath=@DIR@/units/e.build

[Service]
ExecStart=/usr/bin/podman build --tag localhost/e https://example.com/repo.git
SyslogIdentifier=%N
Type=oneshot

---f-build.service---
[X-Build]
ImageTag=localhost/f
SetWorkingDirectory=ctx
ForceRM=false
TLSVerify=true

[Unit]
Wants=network-online.target
After=network-online.target
RequiresMountsFor=%t/containers
SourcePath=@DIR@/units/f.build

[Service]
WorkingDirectory=@DIR@/units
ExecStart=/usr/bin/podman build --tls-verify --force-rm=false --tag localhost/f ctx
SyslogIdentifier=%N
Type=oneshot

---g-build.service---
[X-Build]
ImageTag=localhost/g
File=https://example.com/Containerfile

[Unit]
Wants=network-online.target
After=network-online.target
RequiresMountsFor=%t/containers
SourcePath=@DIR@/units/g.build

[Service]
ExecStart=/usr/bin/podman build --tag localhost/g --file https://example.com/Containerfile
SyslogIdentifier=%N
Type=oneshot

---h-build.service---
[X-Build]
ImageTag=localhost/h
File=Containerfile

[Service]
WorkingDirectory=/w
ExecStart=/usr/bin/podman build --tag localhost/h --file Containerfile /w
SyslogIdentifier=%N
Type=oneshot

[Unit]
Wants=network-online.target
After=network-online.target
RequiresMountsFor=%t/containers
SourcePath=@DIR@/units/h.build

`,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.build
quadlet-generator[42]: Loading source unit file @DIR@/units/b.build
quadlet-generator[42]: Loading source unit file @DIR@/units/c.build
quadlet-generator[42]: Loading source unit file @DIR@/units/d.build
quadlet-generator[42]: Loading source unit file @DIR@/units/e.build
quadlet-generator[42]: Loading source unit file @DIR@/units/f.build
quadlet-generator[42]: Loading source unit file @DIR@/units/g.build
quadlet-generator[42]: Loading source unit file @DIR@/units/h.build
`,
  },
  {
    id: "build-errors",
    files: {
      "a.build": `[Build]
File=/F
`,
      "b.build": `[Build]
ImageTag=localhost/b
`,
      "c.build": `[Build]
ImageTag=localhost/c
File=rel
`,
      "d.build": `[Build]
ImageTag=localhost/d
SetWorkingDirectory=yaml
`,
      "e.build": `[Build]
ImageTag=localhost/e
SetWorkingDirectory=file
`,
      "f.build": `[Build]
ImageTag=localhost/f
File=/F
Bogus=1
`,
    },
    status: 1,
    stdout: ``,
    stderr: `quadlet-generator[42]: Loading source unit file @DIR@/units/a.build
quadlet-generator[42]: Loading source unit file @DIR@/units/b.build
quadlet-generator[42]: Loading source unit file @DIR@/units/c.build
quadlet-generator[42]: Loading source unit file @DIR@/units/d.build
quadlet-generator[42]: Loading source unit file @DIR@/units/e.build
quadlet-generator[42]: Loading source unit file @DIR@/units/f.build
quadlet-generator[42]: converting "a.build": no ImageTag key specified
converting "b.build": neither SetWorkingDirectory, nor File key specified
converting "c.build": relative path in File key requires SetWorkingDirectory key to be set
converting "d.build": SetWorkingDirectory=yaml is only supported in .kube files
converting "e.build": no File key specified
converting "f.build": unsupported key 'Bogus' in group 'Build' in @DIR@/units/f.build
`,
  },
];

for (const c of CASES) {
  test(`qm-quadlet -dryrun: ${c.id}`, (t) => {
    const base = tempDir(t, "qm-quadlet-keys-");
    const dir = join(base, "units");
    const out = join(base, "out");
    for (const [name, text] of Object.entries(c.files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    let stdout = "";
    let stderr = "";
    const cwd = process.cwd();
    process.chdir(dir);
    let status: number;
    try {
      status = runQuadlet(c.output ? [...(c.argv ?? []), out] : ["-dryrun", ...(c.argv ?? [])], {
        argv0: "/usr/libexec/podman/quadlet",
        env: { QUADLET_UNIT_DIRS: dir },
        uid: 0,
        pid: 42,
        kmsg: () => undefined,
        stdout: (s) => {
          stdout += s;
        },
        stderr: (s) => {
          stderr += s;
        },
      });
    } finally {
      process.chdir(cwd);
    }
    assert.equal(stdout.replaceAll(base, "@DIR@"), c.stdout);
    assert.equal(stderr.replaceAll(base, "@DIR@"), c.stderr);
    assert.equal(status, c.status);
    if (c.output) assert.equal(snapshot(out).join("\n").replaceAll(base, "@DIR@"), c.tree);
  });
}
