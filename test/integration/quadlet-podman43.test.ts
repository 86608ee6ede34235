import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { beforeQuadlet, parsePodmanVersion } from "../../src/quadlet/compat.js";
import { ARGS_FLAGS, trySplit } from "../../src/unit/words.js";
import { distBin, repoRoot, rootSkipReason } from "../helpers.js";

/**
 * The services qm-quadlet generates for a podman without quadlet, run against this host's real podman (4.3.1)
 * the way systemd runs them, twice in a row: what `systemctl restart` (or Restart=) does. There is no systemd
 * here, so the test plays its part: the commands of each service in order, `%` specifiers substituted, `$$`
 * passed on as `$`, a `-` prefix ignoring failure, each command in the service's own cgroup (podman's
 * --cgroups=split needs one). Podman runs with its own storage, run root, temporary directory, network
 * configuration directory and containers.conf: the host's store is never touched.
 */

const HOST_PODMAN = "/usr/bin/podman";

function hostPodmanVersion(): string | undefined {
  const r = spawnSync(HOST_PODMAN, ["--version"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function skipReason(): string | undefined {
  const root = rootSkipReason();
  if (root) return root;
  const text = hostPodmanVersion();
  const version = text === undefined ? undefined : parsePodmanVersion(text);
  if (version === undefined) return `no podman at ${HOST_PODMAN}`;
  return beforeQuadlet(version) ? undefined : `the host's ${text} has quadlet: nothing to stand in for`;
}

/** The cgroup hierarchy podman reads its own cgroup from: cgroup2 (hybrid: /sys/fs/cgroup/unified). */
const CGROUP2 = existsSync("/sys/fs/cgroup/unified/cgroup.procs")
  ? "/sys/fs/cgroup/unified"
  : "/sys/fs/cgroup";

interface Podman {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  /** The GlobalArgs= words that point podman at the isolated store. */
  readonly globalArgs: string;
  readonly cgroup: string;
  run(...args: string[]): { status: number | null; stdout: string; stderr: string };
}

function hardLimit(name: string): number {
  const line = readFileSync("/proc/self/limits", "utf8")
    .split("\n")
    .find((l) => l.startsWith(name));
  const hard = line?.slice(name.length).trim().split(/\s+/)[1];
  return hard === undefined || hard === "unlimited" ? Number.POSITIVE_INFINITY : Number(hard);
}

function isolatedPodman(t: TestContext): Podman {
  const dir = mkdtempSync("/var/tmp/qm-quadlet-podman43-");
  const cgroup = `qm-quadlet-podman43-${process.pid}`;
  for (const d of ["root", "runroot", "tmp", "networks", "run", "image/bin"])
    mkdirSync(join(dir, d), { recursive: true });
  // Podman's default rlimits are above what processes here may raise theirs to.
  const nofile = Math.min(1024, hardLimit("Max open files"));
  const nproc = Math.min(4096, hardLimit("Max processes"));
  writeFileSync(
    join(dir, "containers.conf"),
    [
      "[containers]",
      `default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]`,
      "[engine]",
      'events_logger = "file"',
      'runtime = "runc"',
      'cgroup_manager = "cgroupfs"',
      "[network]",
      `network_config_dir = "${join(dir, "networks")}"`,
      "",
    ].join("\n"),
  );
  const globalArgs = `--root ${join(dir, "root")} --runroot ${join(dir, "runroot")} --tmpdir ${join(dir, "tmp")}`;
  const env = { ...process.env, CONTAINERS_CONF: join(dir, "containers.conf") };
  const run = (...args: string[]) => {
    const r = spawnSync(HOST_PODMAN, [...globalArgs.split(" "), ...args], { encoding: "utf8", env });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  t.after(() => {
    run("rm", "--all", "--force", "--time", "0");
    run("pod", "rm", "--all", "--force");
    run("system", "reset", "--force");
    rmSync(dir, { recursive: true, force: true });
    removeCgroups(cgroup);
  });
  // A tiny image without a registry: busybox and a shell.
  copyFileSync("/bin/busybox", join(dir, "image/bin/busybox"));
  for (const applet of ["sh", "sleep"]) symlinkSync("busybox", join(dir, "image/bin", applet));
  const tar = spawnSync("tar", ["-C", join(dir, "image"), "-cf", join(dir, "image.tar"), "."]);
  assert.equal(tar.status, 0);
  const imported = run("import", join(dir, "image.tar"), "localhost/qm-busybox:latest");
  assert.equal(imported.status, 0, imported.stderr);
  return { dir, env, globalArgs, cgroup, run };
}

/** The test's cgroups in every hierarchy (podman makes the same path under each v1 controller), deepest first. */
function removeCgroups(name: string): void {
  const remove = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }))
      if (entry.isDirectory()) remove(join(dir, entry.name));
    try {
      rmdirSync(dir);
    } catch {
      // Still in use: left for the kernel to report, not hidden by a second attempt.
    }
  };
  for (const hierarchy of readdirSync("/sys/fs/cgroup")) {
    const dir = join("/sys/fs/cgroup", hierarchy, name);
    if (existsSync(dir)) remove(dir);
  }
  const v2 = join("/sys/fs/cgroup", name);
  if (existsSync(v2)) remove(v2);
}

const UNITS: Readonly<Record<string, string>> = {
  "data.volume": "[Volume]\nLabel=test=qm\n",
  "net.network": "[Network]\nInternal=true\nSubnet=10.89.201.0/24\n",
  "grp.pod": "[Pod]\nNetwork=none\n",
  "app.container":
    "[Container]\nImage=localhost/qm-busybox:latest\nPod=grp.pod\nExec=sleep 1000\nStopSignal=SIGKILL\n",
  "web.container":
    "[Container]\nImage=localhost/qm-busybox:latest\nNetwork=none\nVolume=data.volume:/data\nExec=sleep 1000\nStopSignal=SIGKILL\n",
  "named.container":
    "[Container]\nImage=localhost/qm-busybox:latest\nNetwork=none\nContainerName=qm-named\nExec=sleep 1000\nStopSignal=SIGKILL\n",
  "tpl@.container":
    "[Container]\nImage=localhost/qm-busybox:latest\nNetwork=none\nExec=sleep 1000\nStopSignal=SIGKILL\n",
};

/** Services in start order (a pod before its containers), with the instance systemd would run for a template. */
const ORDER: readonly (readonly [file: string, unit: string])[] = [
  ["data-volume.service", "data-volume.service"],
  ["net-network.service", "net-network.service"],
  ["grp-pod.service", "grp-pod.service"],
  ["app.service", "app.service"],
  ["web.service", "web.service"],
  ["custom-name.service", "custom-name.service"],
  ["tpl@.service", "tpl@one.service"],
];

/** Generate the services into a directory, as the systemd generator would. */
function generate(p: Podman, out: string, wrapper: boolean): void {
  const units = join(p.dir, "units");
  mkdirSync(units, { recursive: true });
  for (const [name, text] of Object.entries(UNITS)) {
    // Every unit points podman at the isolated store; named.container also gets its own service name.
    const extra = name === "named.container" ? "ServiceName=custom-name\n" : "";
    const group = text.slice(1, text.indexOf("]"));
    writeFileSync(
      join(units, name),
      text.replace(`[${group}]\n`, `[${group}]\nGlobalArgs=${p.globalArgs}\n${extra}`),
    );
  }
  const env: NodeJS.ProcessEnv = { ...process.env, QUADLET_UNIT_DIRS: units };
  delete env.QM_QUADLET_PODMAN_VERSION;
  let r: ReturnType<typeof spawnSync>;
  if (wrapper) {
    // The shipped generator wrapper, beside a dist/ that holds the bundle: it asks the host's podman its version.
    const tree = join(p.dir, "generator");
    mkdirSync(join(tree, "share/systemd"), { recursive: true });
    mkdirSync(join(tree, "dist"), { recursive: true });
    copyFileSync(
      join(repoRoot, "share/systemd/qm-quadlet-generator"),
      join(tree, "share/systemd/qm-quadlet-generator"),
    );
    symlinkSync(distBin("qm-quadlet"), join(tree, "dist/qm-quadlet.mjs"));
    r = spawnSync(
      "/bin/sh",
      [join(tree, "share/systemd/qm-quadlet-generator"), "-no-kmsg-log", out, out, out],
      {
        encoding: "utf8",
        env,
      },
    );
  } else {
    r = spawnSync(process.execPath, [distBin("qm-quadlet"), "-no-kmsg-log", out, out, out], {
      encoding: "utf8",
      env,
    });
  }
  assert.equal(r.status, 0, String(r.stderr));
}

/** The commands of a service file's [Service] section, by key, in file order. */
function commands(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = { ExecStartPre: [], ExecStart: [], ExecStop: [], ExecStopPost: [] };
  let section = "";
  for (const line of text.split("\n")) {
    const group = /^\[(.+)\]$/.exec(line);
    if (group) section = group[1] as string;
    const m = /^(ExecStartPre|ExecStart|ExecStop|ExecStopPost)=(.*)$/.exec(line);
    if (section === "Service" && m) out[m[1] as string]?.push(m[2] as string);
  }
  return out;
}

/** systemd's view of one command line: words, `%` specifiers, `$$`, and the `-` prefix. */
function argvOf(line: string, unit: string, runtimeDir: string): { argv: string[]; ignoreFailure: boolean } {
  const name = unit.slice(0, unit.lastIndexOf("."));
  const at = name.indexOf("@");
  const specifiers: Record<string, string> = {
    t: runtimeDir,
    n: unit,
    N: name,
    p: at < 0 ? name : name.slice(0, at),
    i: at < 0 ? "" : name.slice(at + 1),
    "%": "%",
  };
  const words = trySplit(line, ARGS_FLAGS);
  assert.ok(words, `not a command line: ${line}`);
  const argv = words.map((w) => {
    const expanded = w.replace(/%(.)/g, (_m, s: string) => {
      const v = specifiers[s];
      assert.ok(v !== undefined, `specifier %${s} in ${line}`);
      return v;
    });
    assert.doesNotMatch(expanded.replace(/\$\$/g, ""), /\$[{A-Za-z]/, `environment variable in ${line}`);
    return expanded.replace(/\$\$/g, "$");
  });
  const first = argv[0] as string;
  const ignoreFailure = first.startsWith("-");
  if (ignoreFailure) argv[0] = first.slice(1);
  return { argv, ignoreFailure };
}

interface Round {
  /** Services whose start failed, with the failing command's stderr. */
  readonly failed: Record<string, string>;
}

/** Start every service in order, then stop them in reverse order, as systemd does. */
function round(p: Podman, out: string): Round {
  const failed: Record<string, string> = {};
  const started: string[] = [];
  const runtimeDir = join(p.dir, "run");
  const exec = (unit: string, line: string): { ok: boolean; stderr: string } => {
    const { argv, ignoreFailure } = argvOf(line, unit, runtimeDir);
    const cgroup = join(CGROUP2, p.cgroup, unit.replace(/@/g, "-"));
    mkdirSync(cgroup, { recursive: true });
    const r = spawnSync("/bin/sh", ["-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', cgroup, ...argv], {
      encoding: "utf8",
      env: { ...p.env, PODMAN_SYSTEMD_UNIT: unit },
    });
    return { ok: r.status === 0 || ignoreFailure, stderr: r.stderr };
  };
  // systemd runs a key's commands in order and skips the rest after one fails that has no `-` prefix.
  const stop = (unit: string, lines: readonly string[]) => lines.every((line) => exec(unit, line).ok);
  const services = ORDER.map(([file, unit]) => ({
    unit,
    cmds: commands(readFileSync(join(out, file), "utf8")),
  }));
  for (const { unit, cmds } of services) {
    let ok = true;
    for (const line of [...(cmds.ExecStartPre ?? []), ...(cmds.ExecStart ?? [])]) {
      const r = exec(unit, line);
      if (!r.ok) {
        failed[unit] = r.stderr.trim();
        ok = false;
        break;
      }
    }
    if (ok) started.push(unit);
    // A service that failed to start gets its ExecStopPost= at once, as systemd runs it.
    else stop(unit, cmds.ExecStopPost ?? []);
  }
  for (const { unit, cmds } of [...services].reverse()) {
    if (!started.includes(unit)) continue;
    stop(unit, cmds.ExecStop ?? []);
    stop(unit, cmds.ExecStopPost ?? []);
  }
  return { failed };
}

describe("qm-quadlet services on podman before 4.4 (the host's podman)", { skip: skipReason() }, () => {
  it("with the generator wrapper's QM_QUADLET_PODMAN_VERSION, every service starts again after a stop", (t) => {
    const p = isolatedPodman(t);
    const out = join(p.dir, "out");
    generate(p, out, true);
    const first = round(p, out);
    assert.deepEqual(first.failed, {});
    const second = round(p, out);
    assert.deepEqual(second.failed, {});
    // The volume and network exist once; nothing is left running.
    assert.equal(p.run("volume", "exists", "systemd-data").status, 0);
    assert.equal(p.run("network", "exists", "systemd-net").status, 0);
    assert.equal(p.run("ps", "--all", "--quiet").stdout.trim(), "");
    assert.deepEqual(readdirSync(join(p.dir, "run")).sort(), ["grp-pod.pid"]);
    // The version came from the host's podman, through the wrapper.
    assert.match(readFileSync(join(out, "web.service"), "utf8"), /^ExecStopPost=-\/bin\/rm -f %t\/%N\.cid$/m);
  });

  it("a cid or pod id file that a failed start or stop left does not block the next start", (t) => {
    const p = isolatedPodman(t);
    const out = join(p.dir, "out");
    generate(p, out, true);
    // What a failed `pod create` leaves (an empty file), after which systemd skips the rest of ExecStopPost=.
    mkdirSync(join(p.dir, "run"), { recursive: true });
    for (const file of ["grp-pod.pod-id", "web.cid"]) writeFileSync(join(p.dir, "run", file), "");
    assert.deepEqual(round(p, out).failed, {});
    assert.deepEqual(readdirSync(join(p.dir, "run")).sort(), ["grp-pod.pid"]);
  });

  it("without it (podman 5.4's services), the second start of each kind fails on this podman", (t) => {
    const p = isolatedPodman(t);
    const out = join(p.dir, "out");
    generate(p, out, false);
    const first = round(p, out);
    // Volumes and networks fail at once: podman 4.3 has no `create --ignore`.
    assert.deepEqual(Object.keys(first.failed).sort(), ["data-volume.service", "net-network.service"]);
    assert.match(first.failed["data-volume.service"] as string, /unknown flag: --ignore/);
    const second = round(p, out);
    assert.deepEqual(Object.keys(second.failed).sort(), [
      "app.service",
      "custom-name.service",
      "data-volume.service",
      "grp-pod.service",
      "net-network.service",
      "tpl@one.service",
      "web.service",
    ]);
    assert.match(second.failed["web.service"] as string, /container id file exists/);
    assert.match(second.failed["grp-pod.service"] as string, /pod id file exists/);
  });
});
