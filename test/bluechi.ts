import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { cachedArtifact } from "./debian-tree.js";

/**
 * Real BlueChi for the integration tests: built once per machine from the release tarball in the shared third-party
 * directory with scripts/build-bluechi (cached by the checksum of the tarball and the script), and a controller on
 * the host side that leaves no trace on the host: its own D-Bus system bus, its own mount namespace (BlueChi's
 * shipped configuration overlaid on /usr/share, a private /run whose /run/bluechi is a directory of the test), and
 * its own network namespace, where it listens on 127.0.0.1:842 for the TCP variant.
 */

const repo = process.env.QM_REPO_ROOT ?? process.cwd();
const TARBALL_NAME = "bluechi-1.2.2-full.tar.xz";

/**
 * BlueChi's release tarball: $QM_BLUECHI_TARBALL, else the shared third-party directory (`shared/thirdparty`) beside
 * this checkout or beside one of its parent directories, else the workspace's one.
 */
function findTarball(): string {
  const env = process.env.QM_BLUECHI_TARBALL;
  if (env) return env;
  const candidates: string[] = [];
  for (let dir = dirname(resolve(repo)); ; dir = dirname(dir)) {
    candidates.push(join(dir, "shared/thirdparty", TARBALL_NAME));
    if (dir === "/") break;
  }
  candidates.push(join("/work/shared/thirdparty", TARBALL_NAME));
  return candidates.find((c) => existsSync(c)) ?? (candidates[0] as string);
}
export const BLUECHI_TARBALL = findTarball();

/** Why BlueChi cannot be built here, or null. */
export function bluechiUnavailable(): string | null {
  if (!existsSync(BLUECHI_TARBALL)) return `no BlueChi release tarball at ${BLUECHI_TARBALL}`;
  for (const tool of ["meson", "ninja", "dbus-daemon", "unshare", "ip"])
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  return null;
}

/** The staged install of BlueChi (usr/libexec/bluechi-agent, usr/bin/bluechictl, ...). */
export function cachedBluechi(): string {
  const script = join(repo, "scripts/build-bluechi");
  const key = createHash("sha256")
    .update(readFileSync(BLUECHI_TARBALL))
    .update(readFileSync(script))
    .digest("hex")
    .slice(0, 12);
  return cachedArtifact(
    `bluechi-${key}`,
    (name) => /^bluechi-[0-9a-f]{12}$/.test(name),
    (partial) => {
      const r = spawnSync(script, [BLUECHI_TARBALL, partial], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`building BlueChi failed: ${r.stderr.slice(-3000)}`);
    },
  );
}

export interface Controller {
  /** The host directory that holds the controller's socket (bluechi.sock). */
  readonly socketDir: string;
  /** The network namespace it listens in (127.0.0.1:842), as podman names it: ns:/run/netns/NAME. */
  readonly netns: string;
  /** Environment that reaches this controller: its bus, and BlueChi's tools first on PATH. */
  readonly env: NodeJS.ProcessEnv;
  /** Run bluechictl (or bluechi-is-online) against this controller. */
  readonly ctl: (...args: string[]) => { status: number | null; stdout: string; stderr: string };
  readonly isOnline: (...args: string[]) => { status: number | null; stdout: string; stderr: string };
  /** Wait until `bluechi-is-online node NAME` says `want` (true: online); returns the milliseconds it took. */
  readonly waitNode: (name: string, want: boolean, timeoutMs?: number) => Promise<number>;
  /** The controller's log so far. */
  readonly log: () => string;
  readonly stop: () => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function stopChild(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.kill("SIGKILL");
  // Reap it before its directory goes away.
  spawnSync("sh", ["-c", `while kill -0 ${child.pid} 2>/dev/null; do sleep 0.05; done`], { timeout: 5000 });
}

export async function startController(stage: string, allowed: readonly string[]): Promise<Controller> {
  const dir = mkdtempSync("/var/tmp/qm-bluechi-test-");
  const socketDir = join(dir, "sock");
  mkdirSync(socketDir, { mode: 0o755 });
  const name = `qmtest-bc-${process.pid}`;
  const busConf = join(dir, "bus.conf");
  writeFileSync(
    busConf,
    [
      "<!DOCTYPE busconfig PUBLIC '-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN'",
      " 'http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd'>",
      "<busconfig>",
      "  <type>system</type>",
      `  <listen>unix:path=${dir}/bus</listen>`,
      "  <auth>EXTERNAL</auth>",
      '  <policy context="default">',
      '    <allow user="root"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/>',
      "  </policy>",
      `  <includedir>${stage}/usr/share/dbus-1/system.d</includedir>`,
      "</busconfig>",
      "",
    ].join("\n"),
  );
  writeFileSync(
    join(dir, "controller.conf"),
    [
      "[bluechi-controller]",
      `AllowedNodeNames=${allowed.join(",")}`,
      "UseTCP=true",
      "UseUDS=true",
      "ControllerPort=842",
      "LogTarget=stderr",
      "LogLevel=INFO",
      "",
    ].join("\n"),
  );
  const env = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${dir}/bus` };
  const children: ChildProcess[] = [];
  let log = "";
  const stop = (): void => {
    for (const c of children.reverse()) stopChild(c);
    spawnSync("ip", ["netns", "delete", name]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const bus = spawn("dbus-daemon", [`--config-file=${busConf}`, "--nofork", "--nopidfile"], {
      stdio: "ignore",
    });
    children.push(bus);
    for (let i = 0; i < 100 && !existsSync(join(dir, "bus")); i++) await sleep(50);
    if (!existsSync(join(dir, "bus"))) throw new Error("the controller's D-Bus did not start");
    const add = spawnSync("ip", ["netns", "add", name], { encoding: "utf8" });
    if (add.status !== 0) throw new Error(`ip netns add: ${add.stderr}`);
    spawnSync("ip", ["-n", name, "link", "set", "lo", "up"]);
    const script = [
      `mount -t overlay overlay -o lowerdir=${stage}/usr/share:/usr/share /usr/share`,
      "mount -t tmpfs -o mode=0755 tmpfs /run",
      "mkdir /run/bluechi",
      `mount --bind ${socketDir} /run/bluechi`,
      `exec ${stage}/usr/libexec/bluechi-controller -c ${dir}/controller.conf`,
    ].join(" && ");
    const controller = spawn(
      "ip",
      ["netns", "exec", name, "unshare", "--mount", "--propagation", "private", "sh", "-c", script],
      { env, stdio: ["ignore", "pipe", "pipe"] },
    );
    children.push(controller);
    controller.stdout?.on("data", (d: Buffer) => {
      log += d.toString();
    });
    controller.stderr?.on("data", (d: Buffer) => {
      log += d.toString();
    });
    /** One of BlueChi's client tools, talking to this controller's bus. */
    const tool =
      (name: string) =>
      (...args: string[]) => {
        const r = spawnSync(join(stage, "usr/bin", name), args, { encoding: "utf8", env, timeout: 60_000 });
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
      };
    const ctl = tool("bluechictl");
    const isOnline = tool("bluechi-is-online");
    for (let i = 0; i < 200 && !existsSync(join(socketDir, "bluechi.sock")); i++) await sleep(50);
    if (!existsSync(join(socketDir, "bluechi.sock"))) throw new Error(`the controller did not start: ${log}`);
    const waitNode = async (node: string, want: boolean, timeoutMs = 120_000): Promise<number> => {
      const started = Date.now();
      while (Date.now() - started < timeoutMs) {
        if ((isOnline("node", node).status === 0) === want) return Date.now() - started;
        await sleep(100);
      }
      throw new Error(
        `node ${node} not ${want ? "online" : "offline"} after ${timeoutMs} ms; controller log:\n${log.slice(-3000)}`,
      );
    };
    return {
      socketDir,
      netns: `ns:/run/netns/${name}`,
      env: {
        DBUS_SYSTEM_BUS_ADDRESS: env.DBUS_SYSTEM_BUS_ADDRESS,
        PATH: `${stage}/usr/bin:${process.env.PATH}`,
      },
      ctl,
      isOnline,
      waitNode,
      log: () => log,
      stop,
    };
  } catch (error) {
    stop();
    throw error;
  }
}
