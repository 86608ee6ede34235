import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
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

const repo = process.env.QM_REPO_ROOT ?? process.cwd();
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
    // A static unix-socket client and server for the IPC scenarios (test/fixtures/ipc/ipc.c).
    ok(
      spawnSync(
        "gcc",
        ["-static", "-O2", "-o", join(rootfs, "bin/ipc"), join(repo, "test/fixtures/ipc/ipc.c")],
        {
          encoding: "utf8",
        },
      ),
      "gcc",
    );
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
        "Pod=app.pod",
        'Exec=/bin/sh -c "echo written > /data/f; exec sleep 100000"',
        "",
      ].join("\n"),
    );
    writeUnit("demo.network", "[Network]\nSubnet=10.89.77.0/24\n");
    writeUnit("app.pod", "[Pod]\nPodName=app\n");
    writeUnit("echo@.container", "[Container]\nImage=localhost/busybox:latest\nExec=/bin/sleep 100000\n");
    ok(systemctl("daemon-reload"), "daemon-reload");
    const started = systemctl("start", "writer", "demo-network", "echo@one", "echo@two");
    if (started.status !== 0) {
      const journal = inside("journalctl", "--no-pager", "-n", "60");
      assert.fail(`start: ${started.stderr}\n${journal.stdout}`);
    }
    await waitActive("writer");
    for (const unit of ["data-volume", "demo-network", "app-pod"])
      assert.equal(systemctl("is-active", unit).stdout.trim(), "active", unit);
    // The network exists; a container does not join it here: a bridge needs a writable /proc/sys, which the
    // partition masks (upstream's nested containers share the partition's network namespace, netns="host").
    ok(inside("podman", "network", "exists", "systemd-demo"), "network exists");
    assert.equal(ok(inside("podman", "exec", "systemd-writer", "cat", "/data/f"), "cat").trim(), "written");
    assert.equal(
      ok(
        inside("podman", "volume", "inspect", "--format", "{{.Labels.app}}", "systemd-data"),
        "volume",
      ).trim(),
      "demo",
    );
    assert.equal(
      ok(inside("podman", "container", "inspect", "--format", "{{.Pod}}", "systemd-writer"), "pod").trim(),
      ok(inside("podman", "pod", "inspect", "--format", "{{.Id}}", "app"), "pod id").trim(),
    );
    for (const instance of ["one", "two"])
      await waitActive(`echo@${instance}`, 0, `systemd-echo_${instance}`);
    // Stopped and started again: the volume, network and pod units are idempotent.
    ok(systemctl("stop", "writer", "app-pod", "data-volume", "demo-network"), "stop");
    ok(systemctl("start", "writer"), "start again");
    await waitActive("writer");
  });

  test("the kvm sub-package: qm dropin install, qm restart, its nested unit is active", async () => {
    // A stand-in for quay.io/qm-images/kvm, built by the host's podman (its own store) and saved as an oci-archive.
    const tarball = join(p.root, "images/standin.tar");
    ok(
      spawnSync("tar", ["-C", join(p.root, "images/busybox"), "-cf", tarball, "."], { encoding: "utf8" }),
      "tar",
    );
    ok(
      p.podman("import", "--change", 'CMD ["/bin/sleep", "100000"]', tarball, "localhost/standin"),
      "import",
    );
    const archive = join(p.root, "images/standin.oci.tar");
    ok(p.podman("save", "--format", "oci-archive", "-o", archive, "localhost/standin"), "save");
    const loaded = JSON.parse(
      ok(
        p.qm("image", "load", "--json", "--root", p.root, "--tag", "quay.io/qm-images/kvm:latest", archive),
        "load",
      ),
    ) as { images: string[]; tag: string };
    assert.equal(loaded.tag, "quay.io/qm-images/kvm:latest");
    assert.equal(loaded.images.length, 1);
    // The same image as an OCI layout directory, streamed as a tar.
    const layout = join(p.root, "images/standin.oci");
    ok(p.podman("save", "--format", "oci-dir", "-o", layout, "localhost/standin"), "save oci-dir");
    ok(p.qm("image", "load", "--root", p.root, "--tag", "localhost/from-layout:1", layout), "load oci-dir");
    ok(inside("podman", "image", "exists", "localhost/from-layout:1"), "image from the layout");
    ok(p.qm("dropin", "install", "kvm", "--root", p.root), "dropin install kvm");
    ok(p.qm("restart", "--root", p.root), "qm restart");
    // WantedBy=multi-user.target: the partition's boot starts it.
    await waitActive("kvm", 0, "kvm-container");
    assert.equal(
      ok(inside("podman", "inspect", "--format", "{{.ImageName}}", "kvm-container"), "inspect").trim(),
      "quay.io/qm-images/kvm:latest",
    );
  });

  test("upstream's nested OOM scores: OOMScoreAdjust= in nested units, and the 100-AddCAPA.conf drop-in", async () => {
    for (const score of [1000, 100])
      writeUnit(
        `oom${score}.container`,
        `[Container]\nImage=localhost/busybox:latest\nExec=/bin/sleep 100000\n[Service]\nOOMScoreAdjust=${score}\n`,
      );
    ok(systemctl("daemon-reload"), "daemon-reload");
    const status = () =>
      JSON.parse(ok(p.qm("status", "--json", "--root", p.root), "status")) as {
        oomFloor: string | null;
        ungrantedCapabilities: { capability: string; file: string }[];
      };
    const scores = async (score: number) => {
      ok(systemctl("restart", `oom${score}`), `start oom${score}`);
      const pid = await waitActive(`oom${score}`);
      const conmon = ok(systemctl("show", "-P", "MainPID", `oom${score}`), "MainPID").trim();
      return {
        service: ok(inside("cat", `/proc/${conmon}/oom_score_adj`), "conmon").trim(),
        container: ok(inside("cat", `/proc/${pid}/oom_score_adj`), "container").trim(),
      };
    };
    // The unit's OOMScoreAdjust= applies to what systemd starts (podman, then conmon); every nested container's
    // process gets 750 from the partition's containers.conf all the same.
    assert.deepEqual(await scores(1000), { service: "1000", container: "750" });
    // Lowering below the partition's 500 works only where the kernel records no floor (no CAP_SYS_RESOURCE).
    if (status().oomFloor !== null) assert.deepEqual(await scores(100), { service: "100", container: "750" });
    else assert.notEqual(systemctl("restart", "oom100").status, 0);
    p.dropIn(
      "100-AddCAPA.conf",
      "[Container]\nDropCapability=\nDropCapability=sys_boot\nAddCapability=sys_resource\n",
    );
    ok(p.qm("restart", "--root", p.root), "qm restart");
    const capEff = BigInt(
      `0x${/^CapEff:\s*(\w+)$/m.exec(ok(inside("cat", "/proc/1/status"), "status"))?.[1]}`,
    );
    const granted = (capEff >> 24n) & 1n;
    const ungranted = status().ungrantedCapabilities.map((c) => c.capability);
    // Granted where the host holds CAP_SYS_RESOURCE; otherwise qm status names it, with the drop-in's file.
    assert.equal(ungranted.includes("CAP_SYS_RESOURCE"), granted === 0n, `CapEff ${capEff.toString(16)}`);
    assert.deepEqual(await scores(1000), { service: "1000", container: "750" });
    if (!existsSync("/sys/fs/selinux/enforce")) {
      // DropCapability= also reset qm setup's DropCapability=sys_module: the partition holds CAP_SYS_MODULE again,
      // and seccomp-no-rt.json still refuses module loading (EPERM, where the kernel would say ENOSYS or EBADF).
      assert.equal((capEff >> 16n) & 1n, 1n, `CapEff ${capEff.toString(16)}`);
      const finit = inside("perl", "-e", 'my $s = ""; syscall(313, -1, $s, 0); print $! + 0');
      assert.equal(finit.stdout, "1", finit.stderr);
    }
    p.dropIn("100-AddCAPA.conf", "");
  });

  test("IPC: an ASIL-side socket reaches a nested container through /run/ipc; two nested containers over /run", async (t) => {
    // The ASIL side: a server on the host, its socket directory mounted into the partition by a drop-in
    // (upstream's 10-extra-volume.conf, with this test's directory for the host's /run/ipc).
    const ipcDir = join(p.root, "run-ipc");
    mkdirSync(ipcDir, { recursive: true });
    const server = spawn(join(p.root, "images/busybox/bin/ipc"), ["serve", join(ipcDir, "ipc.socket")], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    t.after(() => server.kill("SIGKILL"));
    let heard = "";
    server.stdout.setEncoding("utf8").on("data", (d: string) => {
      heard += d;
    });
    p.dropIn("10-extra-volume.conf", `[Container]\nVolume=${ipcDir}/:/run/ipc/\n`);
    ok(p.qm("restart", "--root", p.root), "qm restart");
    writeUnit(
      "ipc_client.container",
      [
        "[Container]",
        "Image=localhost/busybox:latest",
        "Volume=/run/ipc/:/run/ipc/",
        'Exec=/bin/sh -c "/bin/ipc send /run/ipc/ipc.socket from-qm && exec sleep 100000"',
        "",
      ].join("\n"),
    );
    // QM to QM: both nested containers share the partition's /run (upstream's qm-to-qm scenario).
    writeUnit(
      "ipc_server.container",
      "[Container]\nImage=localhost/busybox:latest\nVolume=/run/:/run/\nExec=/bin/ipc serve /run/ipc.sock\n",
    );
    writeUnit(
      "ipc_peer.container",
      [
        "[Unit]",
        "Requires=ipc_server.service",
        "After=ipc_server.service",
        "[Container]",
        "Image=localhost/busybox:latest",
        "Volume=/run/:/run/",
        'Exec=/bin/sh -c "sleep 1; /bin/ipc send /run/ipc.sock from-peer && exec sleep 100000"',
        "",
      ].join("\n"),
    );
    ok(systemctl("daemon-reload"), "daemon-reload");
    ok(systemctl("start", "ipc_client", "ipc_peer"), "start");
    await waitActive("ipc_client");
    await waitActive("ipc_peer");
    for (let i = 0; i < 100 && !/received from-qm/.test(heard); i++) await sleep(100);
    assert.match(heard, /^received from-qm$/m);
    // The clients send after their containers start (the peer a second later): wait for each line.
    const logged = async (unit: string, line: RegExp) => {
      let logs = "";
      for (let i = 0; i < 100 && !line.test(logs); i++) {
        if (i > 0) await sleep(100);
        logs = ok(inside("journalctl", "--no-pager", "-u", unit), "logs");
      }
      assert.match(logs, line);
    };
    await logged("ipc_client", /got from-qm/);
    await logged("ipc_server", /received from-peer/);
    await logged("ipc_peer", /got from-peer/);
  });
});
