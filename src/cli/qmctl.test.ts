import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { repoRoot, withEnv } from "../../test/helpers.js";
import { QmError } from "../core/errors.js";
import type { PartitionContext } from "../partition/context.js";
import { contextOf } from "../partition/context.js";
import { nodeCgroupFs } from "../qmctl/cgroups.js";
import { DEFAULT_CONFIG } from "../qmctl/commands.js";
import { type Podman, realPodman } from "../qmctl/podman.js";
import { fakePodman, fakePorts, podmanWithContainer } from "../qmctl/testing/fakes.js";
import { generateServiceFrom, loadEffectiveUnitFrom } from "../quadlet/index.js";
import { memoryUnitFs } from "../unit/fs.js";
import { main } from "./qmctl.js";

const CONFIG = `[Unit]
Description=QM

[Container]
Image=localhost/qm:latest
AddDevice=-/dev/kvm
AddDevice=-/dev/fuse
Volume=/a:/a
Volume=/b:/b
`;

async function qmctl(
  args: string[],
  podman: Podman,
  files: Record<string, string> = { [DEFAULT_CONFIG]: CONFIG },
  env = {},
) {
  const { ports, out } = fakePorts(podman, files);
  const code = await main(args, ports, env);
  return { code, ...out };
}

const withQm = (exec?: Parameters<typeof podmanWithContainer>[1]) => podmanWithContainer("qm", exec);
const noContainer = () =>
  fakePodman((args) =>
    args[0] === "exec"
      ? { code: 125, stderr: 'Error: no container with name or ID "qm" found: no such container\n' }
      : { code: 1 },
  );

describe("qmctl global behaviour", () => {
  it("prints usage on stdout and the error on stderr without a subcommand (22)", async () => {
    const r = await qmctl([], withQm());
    assert.deepEqual(r, {
      code: 22,
      stdout: "usage: qmctl [-h] [-v] {show,exec,execin,cp} ...\n",
      stderr: "Error: requires a subcommand\n",
    });
  });

  it("--version alone prints the version; elsewhere it stays an argparse error", async () => {
    const v = await qmctl(["--version"], withQm());
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^qmctl \d+\.\d+\.\d+\n$/);
    assert.equal((await qmctl(["show", "--version"], withQm())).code, 2);
  });

  it("prints argparse errors on stderr with exit 2", async () => {
    const r = await qmctl(["invalid_command"], withQm());
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assert.match(
      r.stderr,
      /^usage: qmctl .*\nqmctl: error: argument subcommand: invalid choice: 'invalid_command'/s,
    );
  });

  it("prints help on stdout with exit 0", async () => {
    const r = await qmctl(["--help"], withQm());
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^usage/);
  });

  it("logs the config it reads to stderr only with -v", async () => {
    const quiet = await qmctl(["show"], withQm());
    assert.equal(quiet.stderr, "");
    const loud = await qmctl(["-v", "show"], withQm());
    assert.equal(loud.stderr, `[verbose] Reading: ${DEFAULT_CONFIG}\n`);
    assert.equal(loud.stdout, CONFIG);
  });

  it("without --container or QMCTL_CONTAINER: the container the partition's configuration names", async () => {
    const podman = podmanWithContainer("part", () => ({ stdout: "hi\n" }));
    const { ports } = fakePorts(
      podman,
      {},
      { partition: () => ({ containerName: "part" }) as PartitionContext },
    );
    assert.equal(await main(["exec", "echo", "hi"], ports), 0);
    assert.deepEqual(podman.calls.at(-1), ["exec", "part", "echo", "hi"]);
    await main(["exec", "echo", "hi"], ports, { QMCTL_CONTAINER: "radio" });
    assert.deepEqual(podman.calls.at(-1), ["container", "exists", "radio"]);
  });

  it("show container --effective: the config file's partition context, each value with its file and line on this host", async () => {
    const fs = memoryUnitFs({
      "/usr/share/containers/systemd/qm.container": "[Container]\nImage=localhost/qm\nNetwork=host\n",
      "/etc/containers/systemd/qm.container.d/10-net.conf": "[Container]\nNetwork=none\n",
    });
    const partition = contextOf(
      "/srv/tree",
      loadEffectiveUnitFrom(fs, "qm.container"),
      generateServiceFrom(fs, "qm.container"),
    );
    const config = "/srv/tree/usr/share/containers/systemd/qm.container";
    const asked: string[] = [];
    const run = async (json: string[]) => {
      const { ports, out } = fakePorts(
        noContainer(),
        {},
        {
          partition: (path) => {
            asked.push(path);
            return partition;
          },
        },
      );
      assert.equal(await main([...json, "--config", config, "show", "container", "--effective"], ports), 0);
      return out.stdout;
    };
    const text = await run([]);
    assert.deepEqual(asked.at(-1), config);
    assert.equal(
      text,
      [
        `# ${config}`,
        "#   + /srv/tree/etc/containers/systemd/qm.container.d/10-net.conf",
        "",
        "[Container]",
        `${"Image=localhost/qm".padEnd(48)} # ${config}:2`,
        `${"Network=host".padEnd(48)} # ${config}:3`,
        `${"Network=none".padEnd(48)} # /srv/tree/etc/containers/systemd/qm.container.d/10-net.conf:2`,
        "",
      ].join("\n"),
    );
    const json = JSON.parse(await run(["--json"]));
    assert.deepEqual(json.sources, [config, "/srv/tree/etc/containers/systemd/qm.container.d/10-net.conf"]);
    assert.deepEqual(json.sections.Container[2], {
      key: "Network",
      value: "none",
      file: "/srv/tree/etc/containers/systemd/qm.container.d/10-net.conf",
      line: 2,
    });
  });

  it("show container --effective of a configuration that does not load: qmctl's error, the file named", async () => {
    const r = await qmctl(["show", "container", "--effective"], noContainer());
    assert.equal(r.code, 1);
    assert.match(r.stderr, /usr\/share\/containers\/systemd\/qm\.container: no partition configuration/);
  });

  it("takes the container and config from options, then the environment", async () => {
    const podman = podmanWithContainer("radio", () => ({ stdout: "hi\n" }));
    const r = await qmctl(["--container", "radio", "exec", "echo", "hi"], podman);
    assert.deepEqual(podman.calls.at(-1), ["exec", "radio", "echo", "hi"]);
    assert.equal(r.stdout, "output: hi\n");
    const env = await qmctl(
      ["show"],
      withQm(),
      { "/etc/x.container": "[X]\n" },
      { QMCTL_CONFIG: "/etc/x.container" },
    );
    assert.equal(env.stdout, "[X]\n");
    const opt = await qmctl(
      ["--config", "/etc/x.container", "show"],
      withQm(),
      { "/etc/x.container": "[Y]\n" },
      { QMCTL_CONFIG: "/nope" },
    );
    assert.equal(opt.stdout, "[Y]\n");
  });
});

describe("qmctl exec", () => {
  it("runs podman exec with the exact argv and prints the stripped output", async () => {
    const podman = withQm(() => ({ stdout: "  a b \n" }));
    const r = await qmctl(["exec", "rm", "/tmp/testfile"], podman);
    assert.deepEqual(podman.calls, [["exec", "qm", "rm", "/tmp/testfile"]]);
    assert.deepEqual(r, { code: 0, stdout: "output: a b\n", stderr: "" });
    const json = await qmctl(
      ["exec", "--json", "echo", "hello world"],
      withQm(() => ({ stdout: "hello world\n" })),
    );
    assert.equal(json.stdout, '{\n    "output": "hello world"\n}\n');
  });

  it("prints nothing for a successful command without output", async () => {
    assert.deepEqual(await qmctl(["exec", "touch", "/tmp/f"], withQm()), { code: 0, stdout: "", stderr: "" });
  });

  it("reports a missing command (22) after checking the container", async () => {
    const r = await qmctl(["exec"], withQm());
    assert.deepEqual(r, {
      code: 22,
      stdout: "",
      stderr: "No command provided No command provided to execute in the container..\n",
    });
    const json = await qmctl(["exec", "--json"], withQm());
    assert.equal(json.code, 22);
    assert.deepEqual(JSON.parse(json.stdout), {
      Error: "No command provided No command provided to execute in the container..",
    });
    assert.equal((await qmctl(["-v", "exec"], withQm())).code, 22);
    assert.deepEqual(await qmctl(["exec"], noContainer()), {
      code: 127,
      stdout: "",
      stderr: "Container 'qm' does not exist.\n",
    });
  });

  it("reports a missing container (127)", async () => {
    const podman = noContainer();
    const r = await qmctl(["exec", "ls"], podman);
    assert.deepEqual(r, { code: 127, stdout: "", stderr: "Container 'qm' does not exist.\n" });
    assert.deepEqual(podman.calls, [
      ["exec", "qm", "ls"],
      ["container", "exists", "qm"],
    ]);
  });

  it("checks 'command not found' before the status (127)", async () => {
    const r = await qmctl(
      ["exec", "frob", "x"],
      withQm(() => ({ code: 0, stderr: "sh: frob: Command not found\n" })),
    );
    assert.deepEqual(r, { code: 127, stdout: "", stderr: "Command 'frob x' not found in container 'qm'.\n" });
  });

  it("reports a failing command with its status and stderr (1)", async () => {
    const stderr =
      'Error: runc: exec failed: exec: "/nope": stat /nope: no such file or directory: OCI runtime attempted to invoke a command that was not found\n';
    const r = await qmctl(
      ["exec", "/nope"],
      withQm(() => ({ code: 127, stderr })),
    );
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `Failed to execute command in container 'qm' Return code: 127, stderr: ${stderr.trim()}\n`,
    );
  });

  it("keeps the container's failure apart from a stopped container", async () => {
    const podman = withQm(() => ({
      code: 125,
      stderr: "Error: can only create exec sessions on running containers: container state improper\n",
    }));
    const r = await qmctl(["exec", "ls"], podman);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^Failed to execute command in container 'qm' Return code: 125, stderr: Error: can only create exec sessions/,
    );
  });
});

describe("qmctl execin", () => {
  it("runs podman exec inside podman exec", async () => {
    const podman = withQm(() => ({ stdout: "PID\n" }));
    const r = await qmctl(["execin", "radio", "ps", "aux"], podman);
    assert.deepEqual(podman.calls.at(-1), ["exec", "qm", "podman", "exec", "radio", "ps", "aux"]);
    assert.deepEqual(r, { code: 0, stdout: "output: PID\n", stderr: "" });
  });

  it("reports its errors with exit 1", async () => {
    assert.deepEqual(await qmctl(["execin"], withQm()), {
      code: 1,
      stdout: "",
      stderr: "No command provided to execute in container.\n",
    });
    assert.deepEqual(await qmctl(["execin", "some_container"], withQm()), {
      code: 1,
      stdout: "",
      stderr: "No command provided to execute.\n",
    });
    assert.deepEqual(await qmctl(["execin", "x", "y"], noContainer()), {
      code: 1,
      stdout: "",
      stderr: "Container 'qm' does not exist.\n",
    });
    const failed = await qmctl(
      ["execin", "nested", "echo", "hello"],
      withQm(() => ({ code: 125, stderr: 'Error: no container with name or ID "nested" found\n' })),
    );
    assert.deepEqual(failed, {
      code: 1,
      stdout: "",
      stderr:
        "Command 'nested echo hello' failed with Error: Error: no container with name or ID \"nested\" found\n",
    });
  });
});

describe("qmctl cp", () => {
  it("runs podman cp with the exact argv and prints nothing, even with --json", async () => {
    const podman = withQm();
    assert.deepEqual(await qmctl(["cp", "--json", "/host/a b'$c", "qm:/tmp/"], podman), {
      code: 0,
      stdout: "",
      stderr: "",
    });
    assert.deepEqual(podman.calls.at(-1), ["cp", "/host/a b'$c", "qm:/tmp/"]);
  });

  it("requires the container prefix on exactly one side (1)", async () => {
    for (const paths of [
      ["/some/path", "invalid:/path/format"],
      ["qm:/path1", "qm:/path2"],
    ]) {
      assert.deepEqual(await qmctl(["cp", ...paths], withQm()), {
        code: 1,
        stdout: "",
        stderr: "Provide `qm:` only in source or destination\n",
      });
    }
    const radio = podmanWithContainer("radio");
    const { ports } = fakePorts(radio);
    assert.equal(await main(["--container", "radio", "cp", "/a", "qm:/b"], ports), 1);
  });

  it("passes podman's stderr through, or a fixed message when it is empty (1)", async () => {
    const stderr = 'Error: "/x" could not be found on the host: no such file or directory\n';
    const podman = fakePodman((args) => (args[0] === "cp" ? { code: 125, stderr } : { code: 0 }));
    assert.deepEqual(await qmctl(["cp", "/x", "qm:/tmp/"], podman), {
      code: 1,
      stdout: "",
      stderr: `${stderr}\n`,
    });
    const silent = fakePodman((args) => (args[0] === "cp" ? { code: 125 } : { code: 0 }));
    assert.equal((await qmctl(["cp", "/x", "qm:/tmp/"], silent)).stderr, "Copy operation failed\n");
  });

  it("validates paths like upstream's helper", async () => {
    const r = await qmctl(["cp", "a"], withQm());
    assert.equal(r.code, 2);
    assert.match(r.stderr, /the following arguments are required: paths/);
  });
});

describe("qmctl: names and paths beginning with '-' reach podman as operands, never as options", () => {
  it("cp puts '--' before the paths only when one begins with '-'", async () => {
    for (const [paths, argv] of [
      [
        ["-1", "qm:/tmp/"],
        ["cp", "--", "-1", "qm:/tmp/"],
      ],
      [
        ["--", "--pause=false", "qm:/x"],
        ["cp", "--", "--pause=false", "qm:/x"],
      ],
      [
        ["qm:/etc/hosts", "-r x"],
        ["cp", "--", "qm:/etc/hosts", "-r x"],
      ],
      [
        ["/host/file", "qm:/container/file"],
        ["cp", "/host/file", "qm:/container/file"],
      ],
    ] as const) {
      const podman = withQm();
      assert.equal((await qmctl(["cp", ...paths], podman)).code, 0);
      assert.deepEqual(podman.calls.at(-1), argv);
    }
  });

  it("execin passes a nested name beginning with '-' after '--'; ordinary names keep upstream's argv", async () => {
    const podman = withQm(() => ({ code: 0, stdout: "ok\n" }));
    await qmctl(["execin", "--env=LD_PRELOAD=/x.so ", "radio", "id"], podman);
    assert.deepEqual(podman.calls.at(-1), [
      "exec",
      "qm",
      "podman",
      "exec",
      "--",
      "--env=LD_PRELOAD=/x.so ",
      "radio",
      "id",
    ]);
    await qmctl(["execin", "--", "radio", "id"], podman);
    assert.deepEqual(podman.calls.at(-1), ["exec", "qm", "podman", "exec", "--", "radio", "id"]);
    await qmctl(["execin", "radio", "ps", "-aux"], podman);
    assert.deepEqual(podman.calls.at(-1), ["exec", "qm", "podman", "exec", "radio", "ps", "-aux"]);
  });

  it("a container name beginning with '-' is an operand everywhere and keeps upstream's messages", async () => {
    const podman = fakePodman((args) =>
      args[0] === "container" && args[1] === "exists"
        ? { code: 1 }
        : { code: 125, stderr: 'Error: no container with name or ID "-x" found: no such container\n' },
    );
    assert.deepEqual(await qmctl(["--container=-x", "exec", "ls"], podman), {
      code: 127,
      stdout: "",
      stderr: "Container '-x' does not exist.\n",
    });
    assert.deepEqual(podman.calls, [
      ["exec", "--", "-x", "ls"],
      ["container", "exists", "--", "-x"],
    ]);
    const env = await qmctl(["cp", "/a", "x-x:/b"], podman, undefined, { QMCTL_CONTAINER: "-x" });
    assert.deepEqual(env, { code: 1, stdout: "", stderr: "Container '-x' does not exist.\n" });
    assert.deepEqual(podman.calls.at(-1), ["container", "exists", "--", "-x"]);
    await qmctl(["--container=-x", "show", "resources"], podman);
    assert.deepEqual(podman.calls.at(-2), [
      "container",
      "inspect",
      "--format",
      "{{.State.Pid}} {{.Id}}",
      "--",
      "-x",
    ]);
  });
});

describe("qmctl and a podman that does not answer", () => {
  it("the user's own commands (exec, execin, cp) are never cut; qmctl's own questions are bounded", async () => {
    const podman = withQm(() => ({ stdout: "x\n" }));
    await qmctl(["exec", "sleep", "3600"], podman);
    await qmctl(["execin", "radio", "sleep", "3600"], podman);
    await qmctl(["cp", "/big", "qm:/tmp/"], podman);
    await qmctl(["show", "unix-domain-sockets"], podman);
    assert.deepEqual(podman.interactive, [
      ["exec", "qm", "sleep", "3600"],
      ["exec", "qm", "podman", "exec", "radio", "sleep", "3600"],
      ["cp", "/big", "qm:/tmp/"],
    ]);
    assert.ok(podman.calls.length > podman.interactive.length, "show's podman calls are not interactive");
  });

  it("QM_PODMAN_TIMEOUT bounds qmctl's podman, except the user's commands: QM_PODMAN_UNRESPONSIVE, exit 5", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "qmctl-podman-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const slow = join(dir, "podman");
    writeFileSync(slow, "#!/bin/sh\nexec sleep 1\n");
    chmodSync(slow, 0o755);
    await withEnv({ QM_PODMAN_TIMEOUT: "0.3" }, async () => {
      const podman = realPodman(slow);
      assert.equal((await podman.run(["exec", "qm", "true"], { interactive: true })).code, 0);
      await assert.rejects(
        podman.status(["container", "exists", "qm"]),
        (e: unknown) =>
          e instanceof QmError &&
          e.code === "QM_PODMAN_UNRESPONSIVE" &&
          /within 0\.3 s .*container exists qm/.test(e.message),
      );
      const { ports, out } = fakePorts(podman, { [DEFAULT_CONFIG]: CONFIG });
      assert.equal(await main(["show", "all"], ports, {}), 5);
      assert.match(out.stderr, /did not answer within 0\.3 s/);
    });
  });
});

describe("qmctl show", () => {
  it("prints the quadlet verbatim, or its sections as JSON with repeated keys kept", async () => {
    assert.equal((await qmctl(["show", "container"], withQm())).stdout, CONFIG);
    const json = JSON.parse((await qmctl(["show", "--json"], withQm())).stdout);
    assert.equal(json.path, DEFAULT_CONFIG);
    assert.deepEqual(json.sections.Container.Volume, ["/a:/a", "/b:/b"]);
    assert.equal(json.sections.Container.Image, "localhost/qm:latest");
  });

  it("reports a missing config with exit 1", async () => {
    const r = await qmctl(["show"], withQm(), {});
    assert.deepEqual(r, { code: 1, stdout: "", stderr: `Configuration file ${DEFAULT_CONFIG} not found.\n` });
    const json = await qmctl(["show", "--json"], withQm(), {});
    assert.deepEqual(JSON.parse(json.stdout), { Error: `Configuration file ${DEFAULT_CONFIG} not found.` });
  });

  it("runs ss, ipcs and lsns in the container with upstream's labels", async () => {
    const podman = withQm((cmd) => ({ stdout: `${cmd.join(" ")} says hi\n` }));
    assert.equal(
      (await qmctl(["show", "unix-domain-sockets"], podman)).stdout,
      "UNIX domain sockets: ss -xl says hi\n",
    );
    assert.equal((await qmctl(["show", "shared-memory"], podman)).stdout, "output: ipcs says hi\n");
    assert.equal((await qmctl(["show", "namespaces"], podman)).stdout, "Namespaces: lsns says hi\n");
    assert.deepEqual(JSON.parse((await qmctl(["show", "namespaces", "--json"], podman)).stdout), {
      Namespaces: "lsns says hi",
    });
  });

  it("reports ss/lsns failures and empty output with exit 1", async () => {
    const failing = withQm(() => ({ code: 127, stderr: "exec: ss: not found\n" }));
    assert.deepEqual(await qmctl(["show", "unix-domain-sockets"], failing), {
      code: 1,
      stdout: "",
      stderr:
        "Failed to retrieve UNIX domain sockets with 'ss -xl' Return code: 127, stderr: exec: ss: not found\n",
    });
    assert.equal(
      (await qmctl(["show", "namespaces"], withQm())).stderr,
      "Failed to retrieve namespace info using 'lsns' No output returned.\n",
    );
    const missing = withQm(() => ({ code: 0, stderr: "lsns: command not found" }));
    assert.deepEqual(await qmctl(["show", "namespaces"], missing), {
      code: 1,
      stdout: "",
      stderr: "Command 'lsns' not found in container 'qm'.\n",
    });
  });

  it("checks each AddDevice= device once with test -e", async () => {
    const podman = withQm((cmd) => ({ code: cmd[2] === "/dev/kvm" ? 0 : 1 }));
    const r = await qmctl(["-v", "show", "available-devices"], podman);
    assert.equal(r.stdout, "/dev/kvm: present in QM\n/dev/fuse: missing in QM\n");
    assert.equal(r.stderr, `[verbose] Reading: ${DEFAULT_CONFIG}\n`);
    assert.deepEqual(podman.calls.slice(1), [
      ["exec", "qm", "test", "-e", "/dev/kvm"],
      ["exec", "qm", "test", "-e", "/dev/fuse"],
    ]);
    assert.deepEqual(JSON.parse((await qmctl(["show", "available-devices", "--json"], podman)).stdout), {
      "/dev/kvm": true,
      "/dev/fuse": false,
    });
  });

  it("reports a config without devices, and a missing container, with exit 1", async () => {
    const r = await qmctl(["show", "available-devices"], withQm(), {
      [DEFAULT_CONFIG]: "[Container]\nImage=x\n",
    });
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr:
        "No devices specified in the container config. Please add 'AddDevice=' entries to the config file.\n",
    });
    assert.deepEqual(await qmctl(["show", "available-devices"], noContainer()), {
      code: 1,
      stdout: "",
      stderr: "Container 'qm' does not exist.\n",
    });
  });

  it("takes a resources snapshot from cgroupfs when stdout is not a terminal", async () => {
    const podman = fakePodman((args) =>
      args[1] === "inspect"
        ? { stdout: "4242 f8b8250337ec2760c093d25a67030efad3d9013517ac17caf4e1497d931eba28\n" }
        : {},
    );
    const { ports, out } = fakePorts(
      podman,
      {},
      { cgroupFs: nodeCgroupFs(join(repoRoot, "test/fixtures/qmctl/cgroup-v1")) },
    );
    assert.equal(await main(["show", "resources"], ports), 0);
    assert.match(out.stdout, /^Control Group/);
    assert.match(out.stdout, /\nqm\.service\s+2\s+0\.0\s+984\.0K/);
    assert.match(out.stdout, /\nqm\.service\/libpod-aaaaaaaa2497\s+1\s/);
    assert.doesNotMatch(out.stdout, /\[INFO\]/);
    out.stdout = "";
    assert.equal(await main(["--json", "show", "resources"], ports), 0);
    const doc = JSON.parse(out.stdout);
    assert.equal(doc.unit, "qm.service");
    assert.equal(doc.cgroup_layout, "hybrid");
    assert.equal(doc.cgroups[1].memory_limit_bytes, 67108864);
    assert.equal(doc.cgroups[1].tasks_max, 20);
  });

  it("reports resources of a missing or stopped container with exit 1", async () => {
    const missing = fakePodman(() => ({ code: 125 }));
    assert.deepEqual(await qmctl(["show", "resources"], missing), {
      code: 1,
      stdout: "",
      stderr: "Container 'qm' does not exist.\n",
    });
    const stopped = fakePodman((args) => (args[1] === "inspect" ? { stdout: "0 abc\n" } : {}));
    assert.equal((await qmctl(["show", "resources"], stopped)).stderr, "Container 'qm' is not running.\n");
  });

  it("streams a live view on a terminal until Ctrl+C, then exits 0", async () => {
    const podman = fakePodman((args) => (args[1] === "inspect" ? { stdout: "4242 x\n" } : {}));
    let interrupt: (() => void) | undefined;
    let sleeps = 0;
    const { ports, out } = fakePorts(
      podman,
      {},
      {
        cgroupFs: nodeCgroupFs(join(repoRoot, "test/fixtures/qmctl/cgroup-v1")),
        onInterrupt: (h) => {
          interrupt = h;
          return () => {
            interrupt = undefined;
          };
        },
        clock: {
          nowNs: () => BigInt(sleeps) * 1_000_000_000n,
          sleep: async () => {
            sleeps++;
            if (sleeps === 3) interrupt?.();
          },
        },
      },
    );
    const tty = { ...ports, io: { ...ports.io, isTTY: true } };
    assert.equal(await main(["show", "resources"], tty), 0);
    assert.match(
      out.stdout,
      /^\[INFO\] Starting resource stream for qm\.service\. Press Ctrl\+C to exit\.\n\n/,
    );
    assert.equal(out.stdout.match(/Control Group/g)?.length, 2, "two refreshes before Ctrl+C");
    assert.equal(out.stderr, "KeyboardInterrupt: Exiting resource stream.\n");
    assert.equal(interrupt, undefined, "the Ctrl+C handler is removed");
  });

  it("shows all sections, continuing past failures, exit status of the first failure", async () => {
    const podman = fakePodman((args) => {
      if (args[0] === "container" && args[1] === "exists") return { code: 0 };
      if (args[1] === "inspect") return { code: 125, stderr: "boom" };
      if (args[2] === "ss") return { code: 1, stderr: "ss broke" };
      if (args[2] === "test") return { code: 0 };
      return { stdout: `${args[2]} out\n` };
    });
    const r = await qmctl(["show", "all"], podman);
    assert.equal(r.code, 1);
    assert.equal(
      r.stdout,
      `${CONFIG}output: ipcs out\n/dev/kvm: present in QM\n/dev/fuse: present in QM\nNamespaces: lsns out\n`,
    );
    assert.equal(
      r.stderr,
      "Failed to retrieve UNIX domain sockets with 'ss -xl' Return code: 1, stderr: ss broke\nFailed to inspect container 'qm': boom\n",
    );
    const json = await qmctl(["--json", "show", "all"], podman);
    const doc = JSON.parse(json.stdout);
    assert.deepEqual(Object.keys(doc), [
      "container",
      "unix-domain-sockets",
      "shared-memory",
      "resources",
      "available-devices",
      "namespaces",
    ]);
    assert.deepEqual(doc["unix-domain-sockets"], {
      Error: "Failed to retrieve UNIX domain sockets with 'ss -xl' Return code: 1, stderr: ss broke",
    });
    assert.deepEqual(doc.namespaces, { Namespaces: "lsns out" });
    assert.equal(json.stderr, "");
  });
});

describe("qmctl completion", () => {
  it("prints the script for each shell", async () => {
    for (const shell of ["bash", "zsh", "fish"]) {
      const r = await qmctl(["completion", shell], withQm());
      assert.equal(r.code, 0);
      assert.match(r.stdout, /qmctl/);
    }
  });
});
