import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { distBin, rootSkipReason } from "../helpers.js";
import { testPartition } from "../partition-fixture.js";
import { errorRows } from "../qmctl-rows.js";

/**
 * qmctl against a live partition started by qm start (systemd inside, nested podman): upstream's end-to-end
 * scripts (reference §3.5, tests/qmctl-test) with the nested alpine image replaced by a busybox rootfs, since no
 * image registry is reachable.
 */
const skip =
  rootSkipReason() ??
  (spawnSync("podman", ["--version"]).status === 0 ? undefined : "podman is not installed") ??
  (spawnSync("mmdebstrap", ["--version"]).status === 0 ? undefined : "mmdebstrap is not installed");

describe("qmctl end to end against a live partition", { skip }, () => {
  test("every e2e row of reference §3.5", (t) => {
    const p = testPartition(t);
    const config = join(p.root, "usr/share/containers/systemd/qm.container");
    const qmctl = (...args: string[]) => {
      const r = spawnSync(process.execPath, [distBin("qmctl"), ...args], {
        env: { ...p.env, QMCTL_PODMAN: p.env.QM_PODMAN, QMCTL_CONFIG: config },
        encoding: "utf8",
        timeout: 60_000,
      });
      return { code: r.status, out: r.stdout, err: r.stderr };
    };
    assert.equal(p.qm("start", "--root", p.root).status, 0);

    // qmctl_show_variants.sh
    const show = qmctl("show");
    assert.equal(show.code, 0);
    assert.equal(show.out, readFileSync(config, "utf8"), "show prints the quadlet byte for byte");
    const effective = qmctl("show", "container", "--effective");
    assert.equal(effective.code, 0, effective.err);
    assert.match(effective.out, /00-test-root\.conf/);
    assert.match(effective.out, /^Network=none +# .*00-test-root\.conf:\d+$/m);
    const uds = qmctl("show", "unix-domain-sockets");
    assert.equal(uds.code, 0, uds.err);
    assert.match(uds.out, /UNIX domain sockets:/);
    const shm = qmctl("show", "shared-memory");
    assert.equal(shm.code, 0, shm.err);
    assert.match(shm.out, /Shared Memory Segments/);
    const devices = qmctl("show", "available-devices");
    assert.equal(devices.code, 0, devices.err);
    // The shipped qm.container's optional devices reach the partition when this machine has them.
    for (const device of ["/dev/kvm", "/dev/fuse"])
      assert.ok(
        devices.out.includes(`${device}: ${existsSync(device) ? "present" : "missing"} in QM`),
        `${device} as on this machine: ${devices.out}`,
      );
    const ns = qmctl("show", "namespaces");
    assert.equal(ns.code, 0, ns.err);
    assert.match(ns.out, /Namespaces/);
    const all = qmctl("show", "all");
    assert.match(all.out, /\[Container\]/);
    assert.match(all.out, /UNIX domain sockets:/);
    const resources = qmctl("show", "resources");
    assert.equal(resources.code, 0, resources.err);
    assert.match(resources.out, /qm\.service/);

    // qmctl_exec.sh, with a nested container from a rootfs directory instead of the alpine image
    const run = qmctl(
      "exec",
      "podman",
      "run",
      "-d",
      "--name",
      "alpine-podman",
      "--replace",
      "--network",
      "none",
      "--rootfs",
      "/var/tmp/nested",
      "/bin/sleep",
      "1000",
    );
    assert.equal(run.code, 0, run.err);
    assert.match(qmctl("exec", "podman", "ps", "-a").out, /alpine-podman/);
    const touch = qmctl("exec", "touch", "/tmp/test_file");
    assert.deepEqual([touch.code, touch.out, touch.err], [0, "", ""]);

    // qmctl_execin.sh
    {
      const r = qmctl("execin", "alpine-podman", "/bin/sh", "-c", "echo x > /tmp/file-execin.txt");
      assert.equal(r.code, 0, r.err);
    }
    assert.match(qmctl("execin", "alpine-podman", "/bin/cat", "/tmp/file-execin.txt").out, /x/);
    {
      const r = qmctl("execin", "alpine-podman", "/bin/sh", "-c", "rm /tmp/file-execin.txt");
      assert.equal(r.code, 0, r.err);
    }
    assert.equal(qmctl("execin", "alpine-podman", "/bin/cat", "/tmp/file-execin.txt").code, 1);

    // qmctl_cp_bidirectional.sh, with a path holding a space, a quote and a dollar sign
    const dir = join(p.root, "host files $x 'q'");
    mkdirSync(dir);
    writeFileSync(join(dir, "file-to-copy.txt"), "This is the file to copy\n");
    {
      const r = qmctl("cp", join(dir, "file-to-copy.txt"), "qm:/tmp");
      assert.equal(r.code, 0, r.err);
    }
    assert.equal(qmctl("exec", "cat", "/tmp/file-to-copy.txt").out, "output: This is the file to copy\n");
    {
      const r = qmctl("cp", "qm:/tmp/file-to-copy.txt", join(dir, "back.txt"));
      assert.equal(r.code, 0, r.err);
    }
    assert.equal(readFileSync(join(dir, "back.txt"), "utf8"), "This is the file to copy\n");

    // qmctl_json_output.sh
    for (const args of [
      ["show", "container", "--json"],
      ["show", "shared-memory", "--json"],
      ["show", "available-devices", "--json"],
      ["show", "namespaces", "--json"],
      ["exec", "--json", "echo", "hello world"],
    ]) {
      const r = qmctl(...args);
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.err}`);
      JSON.parse(r.out);
      assert.match(r.out, /\n {4}"/, "pretty-printed with 4 spaces");
    }
    assert.match(qmctl("show", "available-devices", "--json").out, /\/dev\/kvm/);
    assert.equal(qmctl("exec", "--json").code, 22);
    const allJson = qmctl("--json", "show", "all");
    assert.ok(JSON.parse(allJson.out), "show all --json is one document");
    qmctl("exec", "podman", "rm", "-f", "alpine-podman");

    // qmctl_error_handling.sh: every row of the error table (reference §3.4), against the live partition.
    for (const [args, code, stream, pattern] of errorRows) {
      const r = qmctl(...args);
      const label = `qmctl ${args.join(" ").slice(0, 60)}`;
      assert.equal(r.code, code, `${label}: ${JSON.stringify(r)}`);
      if (stream && pattern) assert.match(stream === "stdout" ? r.out : r.err, pattern, label);
    }
  });
});
