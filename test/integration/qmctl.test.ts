import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createSandbox, type PodmanSandbox, sandboxSkipReason } from "../../src/qmctl/testing/sandbox.js";
import { distBin } from "../helpers.js";
import { errorRows } from "../qmctl-rows.js";

/**
 * qmctl as installed (dist/qmctl.mjs) against a real podman container named qm in an isolated store.
 * The container is a busybox rootfs with the host's ss, ipcs and lsns, not a systemd partition, so
 * `execin` (nested podman) is covered for its error paths only.
 */
const skip = sandboxSkipReason();
if (skip) process.stdout.write(`# qmctl integration tests skipped: ${skip}\n`);

const CONFIG = `[Unit]
Description=QM stand-in for qmctl tests

[Container]
# devices: one the container has, one it lacks
AddDevice=-/dev/null
AddDevice=-/dev/kvm
Volume=/a:/a
Volume=/b:/b

[Service]
Restart=always
`;

describe("qmctl against a real podman container", { skip }, () => {
  let sb: PodmanSandbox;
  let config: string;
  let work: string;

  before(() => {
    sb = createSandbox("qm");
    config = join(sb.dir, "qm.container");
    writeFileSync(config, CONFIG);
    work = join(sb.dir, "host files");
    mkdirSync(work);
    sb.podmanSync(["create", "--name", "stopped", "--network", "none", "--rootfs", sb.rootfs, "/bin/true"]);
  });
  after(() => sb?.cleanup());

  function qmctl(...args: string[]) {
    const r = spawnSync(process.execPath, [distBin("qmctl"), ...args], {
      env: { ...sb.env, QMCTL_CONFIG: config },
      encoding: "utf8",
      timeout: 60_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  describe("error messages and exit codes (reference §3.4, e2e error table)", () => {
    for (const [args, code, stream, pattern] of errorRows) {
      it(`qmctl ${args.map((a) => (a.length > 40 ? `${a.slice(0, 12)}…(${a.length})` : a)).join(" ")} → ${code}`, () => {
        const r = qmctl(...args);
        assert.equal(r.code, code, JSON.stringify(r));
        if (stream && pattern) assert.match(r[stream], pattern);
      });
    }

    it("exec in a missing container → 127, execin → 1", () => {
      const exec = qmctl("--container", "absent", "exec", "ls");
      assert.deepEqual(exec, { code: 127, stdout: "", stderr: "Container 'absent' does not exist.\n" });
      assert.equal(qmctl("--container", "absent", "execin", "x", "ls").code, 1);
    });

    it("show container with a missing config → 1", () => {
      const r = qmctl("--config", "/nonexistent/qm.container", "show");
      assert.deepEqual(r, {
        code: 1,
        stdout: "",
        stderr: "Configuration file /nonexistent/qm.container not found.\n",
      });
    });

    it("available-devices without AddDevice= → 1", () => {
      const bare = join(sb.dir, "bare.container");
      writeFileSync(bare, "[Container]\nImage=x\n");
      const r = qmctl("--config", bare, "show", "available-devices");
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^No devices specified in the container config\./);
    });

    it("namespaces / unix-domain-sockets in a stopped container → 1 with podman's status", () => {
      const ns = qmctl("--container", "stopped", "show", "namespaces");
      assert.equal(ns.code, 1);
      assert.match(ns.stderr, /^Failed to retrieve namespace info using 'lsns' Return code: \d+, stderr: /);
      const ss = qmctl("--container", "stopped", "show", "unix-domain-sockets");
      assert.match(ss.stderr, /^Failed to retrieve UNIX domain sockets with 'ss -xl' Return code: /);
    });

    it('errors go to stdout as {"Error": …} with --json', () => {
      const r = qmctl("--json", "cp", "qm:/a", "qm:/b");
      assert.equal(r.code, 1);
      assert.deepEqual(JSON.parse(r.stdout), { Error: "Provide `qm:` only in source or destination" });
      assert.equal(r.stderr, "");
    });
  });

  describe("show (reference §3.5, qmctl_show_variants and qmctl_json_output)", () => {
    it("show prints the quadlet byte for byte", () => {
      assert.deepEqual(qmctl("show"), { code: 0, stdout: readFileSync(config, "utf8"), stderr: "" });
    });

    it("show unix-domain-sockets, shared-memory, available-devices, namespaces", () => {
      const uds = qmctl("show", "unix-domain-sockets");
      assert.equal(uds.code, 0, uds.stderr);
      assert.match(uds.stdout, /^UNIX domain sockets: \S/);
      const shm = qmctl("show", "shared-memory");
      assert.equal(shm.code, 0, shm.stderr);
      assert.match(shm.stdout, /Shared Memory Segments/);
      const dev = qmctl("show", "available-devices");
      assert.deepEqual(dev, {
        code: 0,
        stdout: "/dev/null: present in QM\n/dev/kvm: missing in QM\n",
        stderr: "",
      });
      const ns = qmctl("show", "namespaces");
      assert.equal(ns.code, 0, ns.stderr);
      assert.match(ns.stdout, /^Namespaces: .*NS TYPE/s);
    });

    it("show all prints every section and ends", () => {
      const r = qmctl("show", "all");
      assert.equal(r.code, 0, r.stderr);
      for (const part of [
        "[Container]",
        "UNIX domain sockets:",
        "Shared Memory Segments",
        "qm.service",
        "present in QM",
        "Namespaces:",
      ]) {
        assert.ok(r.stdout.includes(part), part);
      }
    });

    it("show resources contains qm.service and reads the container's cgroup", () => {
      const r = qmctl("show", "resources");
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /\nqm\.service\s+\d+\s/);
      const doc = JSON.parse(qmctl("show", "resources", "--json").stdout);
      assert.equal(doc.unit, "qm.service");
      const pid = Number(sb.podmanSync(["inspect", "--format", "{{.State.Pid}}", "qm"]).trim());
      assert.equal(doc.pid, pid);
      const own = readFileSync(`/proc/${pid}/cgroup`, "utf8");
      assert.ok(own.includes(doc.cgroups[0].cgroup), `${doc.cgroups[0].cgroup} in ${own}`);
      assert.ok(doc.cgroups[0].tasks >= 1);
      assert.ok(doc.cgroups[0].memory_bytes > 0);
      assert.ok(doc.cgroups[0].cpu_usage_seconds > 0);
    });

    it("show resources lists a nested container's cgroup", () => {
      const doc0 = JSON.parse(qmctl("--json", "show", "resources").stdout);
      const path: string = doc0.cgroups[0].cgroup;
      const id = "c0ffee".padEnd(64, "0");
      sb.podmanSync(["exec", "--detach", "qm", "sleep", "4321"]);
      const procs = readFileSync(`/sys/fs/cgroup/pids${path}/cgroup.procs`, "utf8")
        .split("\n")
        .filter(Boolean);
      const sleeper = procs.find((p) => readFileSync(`/proc/${p}/cmdline`, "utf8").includes("4321"));
      assert.ok(sleeper, "the nested process");
      for (const controller of ["cpuacct", "memory", "pids"]) {
        const dir = `/sys/fs/cgroup/${controller}${path}/libpod-${id}`;
        mkdirSync(dir);
        writeFileSync(`${dir}/cgroup.procs`, sleeper);
      }
      writeFileSync(`/sys/fs/cgroup/pids${path}/libpod-${id}/pids.max`, "7");
      const doc = JSON.parse(qmctl("--json", "show", "resources").stdout);
      const nested = doc.cgroups.find((c: { container_id: string }) => c.container_id === id);
      assert.ok(nested, JSON.stringify(doc));
      assert.equal(nested.tasks, 1);
      assert.equal(nested.tasks_max, 7);
      assert.match(qmctl("show", "resources").stdout, /\nqm\.service\/libpod-c0ffee000000\s+1\s/);
    });

    it("--json output is one pretty JSON document (4-space indent)", () => {
      assert.equal(qmctl("exec", "touch", "/tmp/json-probe").code, 0, "so that ls /tmp has output");
      for (const args of [
        ["show", "container", "--json"],
        ["show", "unix-domain-sockets", "--json"],
        ["show", "shared-memory", "--json"],
        ["show", "available-devices", "--json"],
        ["show", "namespaces", "--json"],
        ["--json", "show", "all"],
        ["exec", "--json", "echo", "hello world"],
        ["exec", "--json", "ls", "/tmp"],
        ["exec", "--json", "hostname"],
      ]) {
        const r = qmctl(...args);
        assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
        assert.match(r.stdout, /^\{\n {4}"/, args.join(" "));
        JSON.parse(r.stdout);
      }
      assert.deepEqual(JSON.parse(qmctl("show", "available-devices", "--json").stdout), {
        "/dev/null": true,
        "/dev/kvm": false,
      });
      assert.deepEqual(JSON.parse(qmctl("exec", "--json", "echo", "hello world").stdout), {
        output: "hello world",
      });
      const all = JSON.parse(qmctl("--json", "show", "all").stdout);
      assert.deepEqual(all.container.sections.Container.Volume, ["/a:/a", "/b:/b"]);
      assert.match(all["shared-memory"].output, /Shared Memory Segments/);
    });
  });

  describe("exec and cp (reference §3.5, qmctl_exec and qmctl_cp_bidirectional)", () => {
    it("exec touch prints nothing; exec passes arguments verbatim", () => {
      assert.deepEqual(qmctl("exec", "touch", "/tmp/test_file"), { code: 0, stdout: "", stderr: "" });
      const odd = "a b 'c' \"d\" $HOME `x` ;|&";
      assert.deepEqual(qmctl("exec", "echo", odd), { code: 0, stdout: `output: ${odd}\n`, stderr: "" });
      assert.deepEqual(qmctl("exec", "ls", "/dev", "--json").code, 1, "--json after the command goes to ls");
    });

    it("copies host → QM → host, files and directories, with spaces, quotes and $ in names", () => {
      const name = "file to copy 'q' \"d\" $x.txt";
      const src = join(work, name);
      writeFileSync(src, "This is the file to copy\n");
      assert.deepEqual(qmctl("cp", src, "qm:/tmp"), { code: 0, stdout: "", stderr: "" });
      assert.deepEqual(qmctl("exec", "cat", `/tmp/${name}`), {
        code: 0,
        stdout: "output: This is the file to copy\n",
        stderr: "",
      });

      const back = join(work, "back $HOME.txt");
      assert.deepEqual(qmctl("cp", "--json", `qm:/tmp/${name}`, back), { code: 0, stdout: "", stderr: "" });
      assert.equal(readFileSync(back, "utf8"), "This is the file to copy\n");

      assert.equal(qmctl("exec", "mkdir", "-p", "/tmp/copy_test_dir").code, 0);
      assert.equal(qmctl("cp", src, "qm:/tmp/copy_test_dir/").code, 0);
      assert.equal(
        qmctl("exec", "cat", `/tmp/copy_test_dir/${name}`).stdout,
        "output: This is the file to copy\n",
      );

      const dirBack = join(work, "dir back");
      assert.equal(qmctl("cp", "qm:/tmp/copy_test_dir", dirBack).code, 0);
      assert.equal(readFileSync(join(dirBack, name), "utf8"), "This is the file to copy\n");

      assert.equal(qmctl("exec", "rm", `/tmp/${name}`).code, 0);
      assert.doesNotMatch(qmctl("exec", "ls", "-la", "/tmp/").stdout, /file to copy/);
    });
  });
});
