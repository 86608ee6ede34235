import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { QmError } from "../core/errors.js";
import type { GeneratedService } from "../quadlet/index.js";
import { type DirectHost, planDirect } from "./direct-plan.js";
import type { ServiceSettings } from "./service-settings.js";
// A host that needs no adaptation.
import { thisHost as host } from "./testing/fake-host.js";

const service = (...execStart: string[]): GeneratedService =>
  ({ serviceName: "qm.service", sourcePath: "/q/qm.container", execStart }) as unknown as GeneratedService;

const settings: ServiceSettings = {
  ioReadIopsMax: [],
  ioWriteIopsMax: [],
  restart: "no",
  startLimitIntervalSec: 10,
  startLimitBurst: 5,
  environment: {},
  unapplied: [],
};

const argv = (s: GeneratedService, over: Partial<ServiceSettings> = {}, h: Partial<DirectHost> = {}) =>
  planDirect(s, { ...settings, ...over }, { ...host, ...h }).argv.join(" ");

describe("direct plan: the podman command, literally", () => {
  test("a capable host: only the cgroup parent and manager are added", () => {
    const plan = planDirect(service("/usr/bin/podman", "run", "--name", "part", "img"), settings, host);
    assert.deepEqual(plan.argv, [
      "/usr/bin/podman",
      "--cgroup-manager",
      "cgroupfs",
      "run",
      "--cgroup-parent=/qm.service",
      "--name",
      "part",
      "img",
    ]);
    assert.deepEqual(plan.adaptations, []);
  });

  test("specifiers and environment expand as systemd would for qm.service", () => {
    assert.equal(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: systemd's ${VAR}, not a template
      argv(service("podman", "run", "%t/%n/%N/%p/x%iy%h/%u/%U/%H/${A}", "$PODMAN_SYSTEMD_UNIT"), {
        environment: { A: "a" },
      }),
      "podman --cgroup-manager cgroupfs run --cgroup-parent=/qm.service /run/qm.service/qm/qm/xy/root/root/0/car1/a qm.service",
    );
    assert.throws(
      () => argv(service("podman", "run", "%Z")),
      (e: unknown) =>
        e instanceof QmError &&
        e.code === "QM_CONFIG_INVALID" &&
        e.exitCode === 3 &&
        e.message === "ExecStart of qm.service: unknown or unavailable specifier %Z" &&
        e.location?.file === "/q/qm.container",
    );
  });

  test("a command without 'run' after the program is refused", () => {
    for (const words of [
      ["podman", "start", "qm"],
      ["run", "x"],
    ])
      assert.throws(
        () => argv(service(...words)),
        (e: unknown) =>
          e instanceof QmError && e.message === "ExecStart of qm.service is not a 'podman run' command",
      );
  });

  test("--sdnotify and --cgroups go in both spellings; --cgroup-parent given is kept", () => {
    assert.equal(
      argv(service("podman", "run", "--sdnotify", "conmon", "--cgroups", "split", "--rm", "img")),
      "podman --cgroup-manager cgroupfs run --cgroup-parent=/qm.service --rm img",
    );
    assert.equal(
      argv(service("podman", "run", "--sdnotify=conmon", "--cgroups=split", "-d", "img")),
      "podman --cgroup-manager cgroupfs run --cgroup-parent=/qm.service -d img",
    );
    assert.equal(
      argv(service("podman", "run", "--sdnotify", "--cgroup-parent=/x", "img")),
      "podman --cgroup-manager cgroupfs run --cgroup-parent=/x img",
    );
  });

  test("Restart: --rm dropped where the supervisor restarts, no podman restart policy, no start-limit annotation", () => {
    const words = service("podman", "run", "--rm", "img");
    for (const restart of ["always", "on-failure", "on-abnormal", "on-abort", "on-watchdog"] as const)
      assert.equal(
        argv(words, { restart, startLimitIntervalSec: 30, startLimitBurst: 2 }),
        "podman --cgroup-manager cgroupfs run --cgroup-parent=/qm.service img",
      );
    for (const restart of ["no", "on-success"] as const)
      assert.equal(
        argv(words, { restart }),
        "podman --cgroup-manager cgroupfs run --cgroup-parent=/qm.service --rm img",
      );
    assert.deepEqual(planDirect(words, { ...settings, restart: "on-abort" }, host).adaptations, [
      {
        option: "--rm",
        action: "removed",
        reason:
          "Restart=on-abort: qm's supervisor starts the partition again; the dead container stays until then, with its exit status",
      },
    ]);
  });

  test("cgroup v1 and hybrid: runc where it exists, a private cgroup namespace unless one is given", () => {
    const s = service("podman", "run", "img");
    for (const cgroupMode of ["v1", "hybrid"] as const)
      assert.equal(
        argv(s, {}, { cgroupMode }),
        "podman --cgroup-manager cgroupfs --runtime runc run --cgroupns=private --annotation org.containers.qm.cgroups-v1=delegate --cgroup-parent=/qm.service img",
      );
    assert.equal(
      argv(s, {}, { cgroupMode: "v1", runcAvailable: false }),
      "podman --cgroup-manager cgroupfs run --cgroupns=private --annotation org.containers.qm.cgroups-v1=delegate --cgroup-parent=/qm.service img",
    );
    assert.equal(
      argv(
        service("podman", "run", "--cgroupns=host", "img"),
        {},
        { cgroupMode: "v1", runcAvailable: false },
      ),
      "podman --cgroup-manager cgroupfs run --cgroup-parent=/qm.service --cgroupns=host img",
    );
  });

  test("labels: all go without SELinux; label=nested goes with podman before 4.7 only", () => {
    const s = service(
      "podman",
      "run",
      "--security-opt",
      "label=nested",
      "--security-opt=label=type:qm_t",
      "--security-opt",
      "seccomp=x",
      "--security-opt=label=nested",
      "img",
    );
    assert.equal(
      argv(s, {}, { selinux: false }),
      "podman --cgroup-manager cgroupfs run --cgroup-parent=/qm.service --security-opt seccomp=x img",
    );
    const kept = argv(s, {}, { podmanVersion: { major: 4, minor: 7 } });
    assert.equal(
      kept,
      "podman --cgroup-manager cgroupfs run --cgroup-parent=/qm.service --security-opt label=nested --security-opt=label=type:qm_t --security-opt seccomp=x --security-opt=label=nested img",
    );
    assert.equal(argv(s, {}, { podmanVersion: { major: 5, minor: 0 } }), kept);
    const old =
      "podman --cgroup-manager cgroupfs run --cgroup-parent=/qm.service --security-opt=label=type:qm_t --security-opt seccomp=x img";
    assert.equal(argv(s, {}, { podmanVersion: { major: 4, minor: 6 } }), old);
    assert.equal(argv(s, {}, { podmanVersion: { major: 3, minor: 9 } }), old);
    assert.equal(argv(s, {}, { podmanVersion: null }), old);
  });

  test("limits: nofile clamped to the host's hard limit and 1048576; nproc to podman's 32768", () => {
    const s = service("podman", "run", "img");
    const nofile = (soft: number | "infinity", hard: number | "infinity", nofileHard: number | "unlimited") =>
      planDirect(s, { ...settings, limitNofile: { soft, hard } }, { ...host, nofileHard });
    assert.equal(nofile(10, 20, 15).argv.slice(4, 6).join(" "), "--ulimit nofile=10:15");
    assert.deepEqual(nofile(10, 20, 15).adaptations, [
      {
        option: "LimitNOFILE=20",
        action: "clamped to 15",
        reason: "the host's hard limit is lower and qm cannot raise it (no CAP_SYS_RESOURCE)",
      },
    ]);
    assert.equal(
      nofile("infinity", "infinity", "unlimited").argv.slice(4, 6).join(" "),
      "--ulimit nofile=1048576:1048576",
    );
    assert.equal(nofile(10, 20, "unlimited").argv.slice(4, 6).join(" "), "--ulimit nofile=10:20");
    assert.deepEqual(nofile(10, 20, 20).adaptations, []);
    const nproc = (nprocHard: number | "unlimited") => argv(s, {}, { capSysResource: false, nprocHard });
    assert.equal(
      nproc("unlimited"),
      "podman --cgroup-manager cgroupfs run --ulimit nproc=32768:32768 --cgroup-parent=/qm.service img",
    );
    assert.equal(
      nproc(40000),
      "podman --cgroup-manager cgroupfs run --ulimit nproc=32768:32768 --cgroup-parent=/qm.service img",
    );
    assert.equal(
      nproc(1000),
      "podman --cgroup-manager cgroupfs run --ulimit nproc=1000:1000 --cgroup-parent=/qm.service img",
    );
  });

  test("OOMScoreAdjust is passed on unless the command sets it; unapplied keys are stated", () => {
    const plan = planDirect(service("podman", "run", "img"), { ...settings, oomScoreAdjust: -1000 }, host);
    assert.equal(
      plan.argv.join(" "),
      "podman --cgroup-manager cgroupfs run --oom-score-adj=-1000 --cgroup-parent=/qm.service img",
    );
    assert.equal(plan.oomScoreAdjust, -1000);
    assert.deepEqual(plan.adaptations, [
      {
        option: "OOMScoreAdjust=-1000",
        action: "also --oom-score-adj=-1000",
        reason: "podman writes oom_score_adj 0 into the partition's spec unless told; conmon gets it from qm",
      },
    ]);
    assert.equal(
      argv(service("podman", "run", "--oom-score-adj=5", "img"), { oomScoreAdjust: 7 }),
      "podman --cgroup-manager cgroupfs run --cgroup-parent=/qm.service --oom-score-adj=5 img",
    );
    const unapplied = planDirect(
      service("podman", "run", "img"),
      {
        ...settings,
        unapplied: [{ section: "Service", key: "CPUAffinity", value: "1", file: "f", line: 1, column: 1 }],
      },
      host,
    );
    assert.deepEqual(unapplied.adaptations, [
      { option: "CPUAffinity=1", action: "not applied", reason: "needs systemd as the service manager" },
    ]);
  });
});
