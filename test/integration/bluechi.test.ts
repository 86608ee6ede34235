import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { bluechiUnavailable, type Controller, cachedBluechi, startController } from "../bluechi.js";
import { distBin, rootSkipReason } from "../helpers.js";
import { type TestPartition, testPartition } from "../partition-fixture.js";

/**
 * The partition joins a real BlueChi cluster. BlueChi 1.2.2 is built from its release tarball (cached), its agent
 * goes into a Debian 12 tree with `qm setup --bluechi-from`, and a controller runs on the host side (its own D-Bus
 * bus, mount and network namespaces: test/bluechi.ts). Workloads inside the partition are started and stopped from
 * the host with bluechictl, over the controller's unix socket (its directory mounted into the partition) and over TCP.
 */

const skip =
  rootSkipReason() ??
  (spawnSync("podman", ["--version"]).status === 0 ? undefined : "podman is not installed") ??
  (spawnSync("mmdebstrap", ["--version"]).status === 0 ? undefined : "mmdebstrap is not installed") ??
  bluechiUnavailable() ??
  undefined;

const NODE = "qm.testhost";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("BlueChi: the partition is node qm.<host> of a real controller", { skip }, () => {
  let p: TestPartition;
  let controller: Controller;
  let stage: string;
  const cleanups: (() => void)[] = [];
  const inside = (...cmd: string[]) => p.podman("exec", "qm", ...cmd);
  const ok = (r: { status: number | null; stdout: string; stderr: string }, what: string) => {
    assert.equal(r.status, 0, `${what}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  /** bluechictl, failing with the controller's last log lines. */
  const ctl = (...args: string[]) => {
    const r = controller.ctl(...args);
    assert.equal(
      r.status,
      0,
      `bluechictl ${args.join(" ")}: ${r.stderr}${r.stdout}\ncontroller log:\n${controller.log().slice(-2000)}`,
    );
    return r.stdout;
  };
  const isActive = (unit: string) => inside("systemctl", "is-active", unit).stdout.trim();
  async function waitState(unit: string, want: string): Promise<void> {
    for (let i = 0; i < 300 && isActive(unit) !== want; i++) await sleep(100);
    assert.equal(isActive(unit), want, `${unit} in the partition`);
  }
  const timings: string[] = [];
  /** qm status, with or without this host's controller reachable (its bus, bluechi-is-online on PATH). */
  const status = (withController: boolean) => {
    const env = withController ? { ...p.env, ...controller.env } : p.env;
    const r = spawnSync(process.execPath, [distBin("qm"), "status", "--json", "--root", p.root], {
      encoding: "utf8",
      env,
    });
    const text = spawnSync(process.execPath, [distBin("qm"), "status", "--root", p.root], {
      encoding: "utf8",
      env,
    });
    assert.equal(r.status, 0, r.stderr);
    return { json: JSON.parse(r.stdout) as { bluechi: unknown }, text: text.stdout };
  };

  before(async () => {
    stage = cachedBluechi();
    controller = await startController(stage, [NODE]);
    cleanups.push(() => controller.stop());
    p = testPartition(
      { after: (fn) => cleanups.push(fn) },
      {
        setupArgs: [
          "--bluechi-from",
          stage,
          "--bluechi-controller",
          join(controller.socketDir, "bluechi.sock"),
        ],
      },
    );
  });
  after(() => {
    for (const fn of cleanups.reverse()) fn();
    if (timings.length) process.stdout.write(`# BlueChi timings: ${timings.join("; ")}\n`);
  });

  test("qm setup put the agent, its bus policy and its configuration into the partition", () => {
    const tree = join(p.root, "usr/lib/qm/rootfs");
    for (const f of [
      "usr/libexec/bluechi-agent",
      "usr/lib/systemd/system/bluechi-agent.service",
      "usr/share/dbus-1/system.d/org.eclipse.bluechi.Agent.conf",
      "usr/share/bluechi-agent/config/agent.conf",
    ])
      assert.ok(existsSync(join(tree, f)), f);
    // The controller and BlueChi's tmpfiles.d entry (it empties /run/bluechi at boot) stay out.
    assert.equal(existsSync(join(tree, "usr/libexec/bluechi-controller")), false);
    assert.equal(existsSync(join(tree, "usr/lib/tmpfiles.d/bluechi.conf")), false);
    const etc = join(p.root, "etc/qm");
    assert.equal(
      readlinkSync(join(etc, "systemd/system/multi-user.target.wants/bluechi-agent.service")),
      "/usr/lib/systemd/system/bluechi-agent.service",
    );
    assert.equal(
      readFileSync(join(etc, "bluechi/agent.conf.d/agent.conf"), "utf8"),
      "[bluechi-agent]\nNodeName=qm.testhost\n",
    );
    assert.match(
      readFileSync(join(etc, "bluechi/agent.conf.d/qm-controller.conf"), "utf8"),
      /^ControllerAddress=unix:path=\/run\/bluechi-controller\/bluechi\.sock$/m,
    );
    assert.match(
      readFileSync(
        join(p.root, "usr/share/containers/systemd/qm.container.d/20-qm-bluechi-controller.conf"),
        "utf8",
      ),
      new RegExp(`^Volume=${controller.socketDir}:/run/bluechi-controller:ro$`, "m"),
    );
  });

  test("qm start: the node comes online; bluechictl lists the partition's units", async () => {
    const t0 = Date.now();
    ok(p.qm("start", "--root", p.root), "qm start");
    const took = Date.now() - t0;
    const ms = await controller.waitNode(NODE, true);
    timings.push(`qm start (${took} ms) -> node online ${took + ms} ms after it began`);
    assert.equal(isActive("bluechi-agent.service"), "active");
    const units = ctl("list-units", NODE);
    assert.match(units, /bluechi-agent\.service/);
    assert.match(units, /systemd-journald\.service/);
    // The agent's view from inside: connected.
    ok(inside("bluechi-is-online", "agent"), "bluechi-is-online agent in the partition");
  });

  test("qm status reports the agent inside and the node at this host's controller", async () => {
    const up = status(true);
    assert.deepEqual(up.json.bluechi, { node: NODE, agent: "active", connected: true, controller: "online" });
    assert.match(
      up.text,
      /^ {2}BlueChi: node qm\.testhost, agent active, connected; this host's controller says online$/m,
    );
    assert.deepEqual(status(false).json.bluechi, {
      node: NODE,
      agent: "active",
      connected: true,
      controller: null,
    });
    assert.match(status(false).text, /agent active, connected; no controller answers on this host$/m);
    ok(inside("systemctl", "stop", "bluechi-agent.service"), "stop the agent");
    try {
      await controller.waitNode(NODE, false);
      assert.deepEqual(status(true).json.bluechi, {
        node: NODE,
        agent: "inactive",
        connected: false,
        controller: "offline",
      });
    } finally {
      ok(inside("systemctl", "start", "bluechi-agent.service"), "start the agent");
      await controller.waitNode(NODE, true);
    }
  });

  test("bluechictl start and stop a service and a nested quadlet container inside the partition", async () => {
    const etc = join(p.root, "etc/qm");
    writeFileSync(
      join(etc, "systemd/system/bc-demo.service"),
      "[Unit]\nDescription=BlueChi demo\n[Service]\nExecStart=/bin/sleep infinity\n",
    );
    // A nested quadlet: converted by the partition's generator at the daemon-reload bluechictl asks for.
    const image = join(p.root, "images/busybox");
    mkdirSync(join(image, "bin"), { recursive: true });
    spawnSync("cp", ["/bin/busybox", join(image, "bin/busybox")]);
    for (const applet of ["sh", "sleep"]) spawnSync("ln", ["-s", "busybox", join(image, "bin", applet)]);
    ok(p.qm("image", "load", "--root", p.root, "--tag", "localhost/busybox:latest", image), "image load");
    mkdirSync(join(etc, "containers/systemd"), { recursive: true });
    writeFileSync(
      join(etc, "containers/systemd/bc-nested.container"),
      // Exits on SIGTERM (a bare sleep as PID 1 ignores it and is killed after podman's 10 s, leaving "failed").
      "[Container]\nImage=localhost/busybox:latest\nExec=/bin/sh -c 'trap \"exit 0\" TERM; sleep 100000 & wait'\n",
    );
    ctl("daemon-reload", NODE);
    const t0 = Date.now();
    ctl("start", NODE, "bc-demo.service");
    timings.push(`bluechictl start round-trip ${Date.now() - t0} ms`);
    assert.equal(isActive("bc-demo.service"), "active");
    ctl("stop", NODE, "bc-demo.service");
    await waitState("bc-demo.service", "inactive");

    ctl("start", NODE, "bc-nested.service");
    await waitState("bc-nested.service", "active");
    assert.match(ok(inside("podman", "ps", "--format", "{{.Names}}"), "podman ps"), /^systemd-bc-nested$/m);
    ctl("stop", NODE, "bc-nested.service");
    await waitState("bc-nested.service", "inactive");
  });

  test("offline when the partition stops; online again after qm start, qm restart and a kill of its init", async () => {
    ok(p.qm("stop", "--root", p.root), "qm stop");
    await controller.waitNode(NODE, false);
    let t0 = Date.now();
    ok(p.qm("start", "--root", p.root), "qm start");
    await controller.waitNode(NODE, true);
    timings.push(`qm start after qm stop -> online in ${Date.now() - t0} ms`);
    t0 = Date.now();
    ok(p.qm("restart", "--root", p.root), "qm restart");
    await controller.waitNode(NODE, true);
    timings.push(`qm restart -> online in ${Date.now() - t0} ms`);
    const init = Number(ok(p.podman("inspect", "--format", "{{.State.Pid}}", "qm"), "inspect").trim());
    const killed = Date.now();
    process.kill(init, "SIGKILL");
    await controller.waitNode(NODE, false);
    // The supervisor brings the partition back; its systemd starts the agent again.
    for (let i = 0; i < 1200; i++) {
      const now = Number(p.podman("inspect", "--format", "{{.State.Pid}}", "qm").stdout.trim()) || 0;
      if (now > 0 && now !== init && controller.isOnline("node", NODE).status === 0) break;
      await sleep(100);
    }
    assert.equal(controller.isOnline("node", NODE).status, 0, "online again after the kill");
    timings.push(`kill -9 of init -> node online again ${Date.now() - killed} ms`);
  });

  test("a flood of connections from inside the partition does not stop the controller serving", async () => {
    // Node.js is in the Debian 12 tree (qm-quadlet runs on it): 20 s of connections to the controller's socket,
    // 64 at a time, each sending garbage, while the host keeps asking the controller about the node.
    const flood = [
      "const net = require('net'); const end = Date.now() + 20000; let n = 0;",
      "function one() { if (Date.now() > end) return; const s = net.connect('/run/bluechi-controller/bluechi.sock');",
      "  s.on('connect', () => { s.write('AUTH EXTERNAL 30\\r\\n' + 'x'.repeat(4096)); n++; s.destroy(); });",
      "  s.on('error', () => {}); s.on('close', one); }",
      "for (let i = 0; i < 64; i++) one();",
      "setTimeout(() => { console.log(n); process.exit(0); }, 20500);",
    ].join("\n");
    const child = spawn(join(p.root, "podman/podman"), ["exec", "qm", "node", "-e", flood], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const done = new Promise((r) => child.on("close", r));
    let answered = 0;
    let slowest = 0;
    for (const started = Date.now(); Date.now() - started < 18_000; ) {
      const t0 = Date.now();
      ctl("list-units", NODE, "--filter=bluechi-agent*");
      ok(controller.isOnline("node", NODE), "node online during the flood");
      slowest = Math.max(slowest, Date.now() - t0);
      answered++;
      await sleep(200);
    }
    await done;
    const connections = Number(out.trim());
    timings.push(
      `flood: ${connections} connections in 20 s from the partition; meanwhile ${answered} list-units answered, slowest ${slowest} ms`,
    );
    assert.ok(connections > 0, `the flood connected: ${out}`);
    assert.ok(answered > 0);
  });

  test("over TCP: the agent reaches the controller at 127.0.0.1:842 in a network namespace", async () => {
    ok(
      p.qm(
        "setup",
        "bluechi-agent",
        "--root",
        p.root,
        "--hostname",
        "testhost",
        "--bluechi-controller",
        "127.0.0.1",
      ),
      "qm setup bluechi-agent --bluechi-controller 127.0.0.1",
    );
    // The partition joins the controller's network namespace (instead of none); no socket is mounted any more.
    p.dropIn("50-bluechi-netns.conf", `[Container]\nNetwork=\nNetwork=${controller.netns}\n`);
    const t0 = Date.now();
    ok(p.qm("restart", "--root", p.root), "qm restart");
    await controller.waitNode(NODE, true);
    timings.push(`TCP: qm restart -> online in ${Date.now() - t0} ms`);
    assert.notEqual(inside("test", "-e", "/run/bluechi-controller/bluechi.sock").status, 0);
    assert.match(
      readFileSync(join(p.root, "etc/qm/bluechi/agent.conf.d/qm-controller.conf"), "utf8"),
      /^ControllerHost=127\.0\.0\.1\nControllerPort=842$/m,
    );
    ctl("start", NODE, "bc-demo.service");
    assert.equal(isActive("bc-demo.service"), "active");
  });
});
