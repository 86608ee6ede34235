import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { rootSkipReason } from "../helpers.js";
import { type TestPartition, testPartition } from "../partition-fixture.js";

/**
 * Workloads the upstream way, in a real partition (Debian 12 tree, podman 4.3.1, its systemd): a quadlet written to
 * the host's /etc/qm/containers/systemd, `podman exec qm systemctl daemon-reload`, `podman exec qm systemctl start`.
 * Images come from the host through `qm image load`; no registry is reached.
 */

const skip =
  rootSkipReason() ??
  (spawnSync("podman", ["--version"]).status === 0 ? undefined : "podman is not installed") ??
  (spawnSync("mmdebstrap", ["--version"]).status === 0 ? undefined : "mmdebstrap is not installed");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("nested quadlets in the partition, started by its systemd", { skip }, () => {
  let p: TestPartition;
  const cleanups: (() => void)[] = [];
  const inside = (...cmd: string[]) => p.podman("exec", "qm", ...cmd);
  const systemctl = (...args: string[]) => inside("systemctl", ...args);
  const unitDir = () => join(p.root, "etc/qm/containers/systemd");
  const writeUnit = (name: string, text: string) => {
    mkdirSync(join(unitDir(), name, ".."), { recursive: true });
    writeFileSync(join(unitDir(), name), text);
  };
  const ok = (r: { status: number | null; stdout: string; stderr: string }, what: string) => {
    assert.equal(r.status, 0, `${what}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  /** The PID of a nested container's process, as the partition sees it (0 when it has none). */
  const containerPid = (name: string) =>
    Number(inside("podman", "inspect", "--format", "{{.State.Pid}}", name).stdout.trim()) || 0;
  /** Wait for a unit to be active with its container running under another PID than notPid. */
  async function waitActive(unit: string, notPid = 0, container = `systemd-${unit}`): Promise<number> {
    for (let i = 0; i < 300; i++) {
      const active = systemctl("is-active", unit).stdout.trim();
      const pid = active === "active" ? containerPid(container) : 0;
      if (pid > 0 && pid !== notPid) return pid;
      await sleep(100);
    }
    const st = systemctl("status", "--no-pager", "-n", "30", unit);
    throw new Error(`${unit} not active again: ${st.stdout}${st.stderr}`);
  }

  before(() => {
    p = testPartition({ after: (fn) => cleanups.push(fn) });
    ok(p.qm("start", "--root", p.root), "qm start");
    // Images: a root filesystem directory (busybox) and an oci-archive made by the host's podman (own store).
    const rootfs = join(p.root, "images/busybox");
    mkdirSync(join(rootfs, "bin"), { recursive: true });
    spawnSync("cp", ["/bin/busybox", join(rootfs, "bin/busybox")]);
    for (const applet of ["sh", "cat", "sleep", "env", "ls", "echo", "kill", "touch"])
      spawnSync("ln", ["-s", "busybox", join(rootfs, "bin", applet)]);
    ok(
      p.qm("image", "load", "--root", p.root, "--tag", "localhost/busybox:latest", rootfs),
      "image load dir",
    );
  });
  after(() => {
    for (const fn of cleanups.reverse()) fn();
  });

  test("the partition's generator is qm-quadlet (podman 4.3.1 has no quadlet)", () => {
    const gen = inside("ls", "/usr/lib/systemd/system-generators/");
    assert.match(ok(gen, "ls generators"), /^qm-quadlet-generator$/m);
    assert.equal(inside("test", "-e", "/usr/libexec/podman/quadlet").status, 1);
    const status = JSON.parse(ok(p.qm("status", "--json", "--root", p.root), "qm status")) as {
      nestedGenerator: unknown;
    };
    assert.deepEqual(status.nestedGenerator, {
      kind: "qm-quadlet",
      path: "/usr/lib/systemd/system-generators/qm-quadlet-generator",
    });
    assert.match(
      ok(p.qm("status", "--root", p.root), "qm status"),
      /^ {2}nested quadlets: converted by qm-quadlet \(\/usr\/lib\/systemd\/system-generators\/qm-quadlet-generator\)$/m,
    );
  });

  test("a nested .container: daemon-reload, start, oom_score_adj 750, restart, Restart= after a kill, logs", async () => {
    writeUnit(
      "web.container",
      [
        "[Unit]",
        "Description=a nested workload",
        "[Container]",
        "Image=localhost/busybox:latest",
        "Network=none",
        'Exec=/bin/sh -c "echo web started; exec sleep 100000"',
        "[Service]",
        "Restart=always",
        "RestartSec=1",
        "",
      ].join("\n"),
    );
    ok(systemctl("daemon-reload"), "daemon-reload");
    ok(systemctl("start", "web"), "start web");
    const pid = await waitActive("web");
    assert.equal(ok(inside("cat", `/proc/${pid}/oom_score_adj`), "oom").trim(), "750");
    ok(systemctl("restart", "web"), "restart web");
    const pid2 = await waitActive("web", pid);
    ok(inside("kill", "-9", String(pid2)), "kill");
    const pid3 = await waitActive("web", pid2);
    assert.notEqual(pid3, pid2);
    const logs = ok(inside("journalctl", "--no-pager", "-u", "web"), "journalctl");
    assert.equal(logs.match(/web started/g)?.length, 3, logs);
  });

  test("a drop-in beside a nested unit takes effect after daemon-reload and restart", async () => {
    writeUnit("greeter.container", "[Container]\nImage=localhost/busybox:latest\nExec=/bin/sleep 100000\n");
    ok(systemctl("daemon-reload"), "daemon-reload");
    ok(systemctl("start", "greeter"), "start greeter");
    const pid = await waitActive("greeter");
    const env = () => ok(inside("podman", "exec", "systemd-greeter", "env"), "env");
    assert.doesNotMatch(env(), /^GREETING=/m);
    writeUnit("greeter.container.d/10-greeting.conf", "[Container]\nEnvironment=GREETING=hello\n");
    ok(systemctl("daemon-reload"), "daemon-reload");
    ok(systemctl("restart", "greeter"), "restart greeter");
    await waitActive("greeter", pid);
    assert.match(env(), /^GREETING=hello$/m);
  });

  test(".volume, .network and .pod units, and a template's instances", async () => {
    writeUnit("data.volume", "[Volume]\nLabel=app=demo\n");
    writeUnit(
      "writer.container",
      [
        "[Container]",
        "Image=localhost/busybox:latest",
        "Volume=data.volume:/data",
        "Network=demo.network",
        "Pod=app.pod",
        'Exec=/bin/sh -c "echo written > /data/f; exec sleep 100000"',
        "",
      ].join("\n"),
    );
    writeUnit("demo.network", "[Network]\nSubnet=10.89.77.0/24\n");
    writeUnit("app.pod", "[Pod]\nPodName=app\n");
    writeUnit("echo@.container", "[Container]\nImage=localhost/busybox:latest\nExec=/bin/sleep 100000\n");
    ok(systemctl("daemon-reload"), "daemon-reload");
    ok(systemctl("start", "writer", "echo@one", "echo@two"), "start");
    await waitActive("writer");
    for (const unit of ["data-volume", "demo-network", "app-pod"])
      assert.equal(systemctl("is-active", unit).stdout.trim(), "active", unit);
    assert.equal(ok(inside("podman", "exec", "systemd-writer", "cat", "/data/f"), "cat").trim(), "written");
    assert.equal(
      ok(
        inside("podman", "volume", "inspect", "--format", "{{.Labels.app}}", "systemd-data"),
        "volume",
      ).trim(),
      "demo",
    );
    assert.equal(
      ok(inside("podman", "inspect", "--format", "{{.PodName}}", "systemd-writer"), "pod").trim(),
      "app",
    );
    for (const instance of ["one", "two"])
      await waitActive(`echo@${instance}`, 0, `systemd-echo_${instance}`);
    // Stopped and started again: the volume, network and pod units are idempotent.
    ok(systemctl("stop", "writer", "app-pod", "data-volume", "demo-network"), "stop");
    ok(systemctl("start", "writer"), "start again");
    await waitActive("writer");
  });
});
