// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} in these strings is unit-file syntax left for systemd, not a template.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  accessSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { distBin, repoRoot, tempDir } from "../helpers.js";

const SYSTEMD_ANALYZE = "/usr/bin/systemd-analyze";
const bin = distBin("qm-quadlet");

function runGenerator(args: string[], unitDirs: string) {
  return spawnSync(process.execPath, [bin, ...args], {
    encoding: "utf8",
    env: { ...process.env, QUADLET_UNIT_DIRS: unitDirs },
  });
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

describe("qm-quadlet (bundled) on the shipped qm.container", () => {
  it("-dryrun prints qm.service with the complete podman command", (t) => {
    if (!existsSync(bin)) return t.skip(`${bin} is not built (run scripts/build.mjs)`);
    const r = runGenerator(["-dryrun"], join(repoRoot, "share/containers/systemd"));
    assert.equal(r.status, 0, r.stderr);
    // The dry run prints the unit as quadlet does: without the header comment, source comments kept.
    assert.match(r.stdout, /^---qm\.service---\n# The QM partition:/);
    const exec = /^ExecStart=(.*)$/m.exec(r.stdout)?.[1] ?? "";
    assert.match(
      exec,
      /^\/usr\/bin\/podman run --name qm --cidfile=%t\/%N\.cid --replace --rm --cgroups=split --tz local --pids-limit -1 --read-only-tmpfs --network private --sdnotify=conmon -d /,
    );
    for (const part of [
      "--security-opt label=nested",
      "--pids-limit -1",
      "--security-opt label=type:qm_t",
      "--security-opt label=filetype:qm_file_t",
      "--security-opt label=level:s0",
      "--security-opt seccomp=/usr/share/qm/seccomp-no-rt.json",
      "--cap-drop sys_boot --cap-drop sys_resource",
      "--cap-add all",
      "--sysctl fs.mqueue.queues_max=4 --read-only",
      "-v ${RWETCFS}:/etc -v ${RWVARFS}:/var -v ${RWVARFS}/tmp:/var/tmp",
    ]) {
      assert.ok(exec.includes(part), part);
    }
    assert.match(exec, / --rootfs \$\{ROOTFS\} \/sbin\/init$/);
  });

  it("writes units that systemd-analyze verify accepts", (t) => {
    if (!existsSync(bin)) return t.skip(`${bin} is not built (run scripts/build.mjs)`);
    if (!executable(SYSTEMD_ANALYZE)) return t.skip(`${SYSTEMD_ANALYZE} not found (Debian package: systemd)`);
    const dir = tempDir(t, "qm-quadlet-it-");
    const units = join(dir, "units");
    mkdirSync(units);
    copyFileSync(join(repoRoot, "share/containers/systemd/qm.container"), join(units, "qm.container"));
    writeFileSync(join(units, "data.volume"), "[Volume]\nLabel=a=b\n");
    writeFileSync(join(units, "lan.network"), "[Network]\nSubnet=10.90.0.0/24\n");
    writeFileSync(join(units, "grp.pod"), "[Pod]\n");
    writeFileSync(
      join(units, "app.container"),
      "[Container]\nImage=localhost/app\nVolume=data.volume:/data\nNetwork=lan.network\nPod=grp.pod\n",
    );
    const out = join(dir, "out");
    const r = runGenerator(["-no-kmsg-log", out, out, out], units);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readlinkSync(join(out, "default.target.wants/qm.service")), "../qm.service");

    // systemd-analyze verify checks that every Exec*= program exists and is executable on this
    // host, which says nothing about the unit. Where podman is not installed, point the generated
    // units at a stub executable in the test directory so verify still checks everything else
    // (syntax, every directive, dependencies, specifiers) and works without systemd as PID 1.
    const services = readdirSync(out).filter((f) => f.endsWith(".service"));
    assert.deepEqual(services.sort(), [
      "app.service",
      "data-volume.service",
      "grp-pod.service",
      "lan-network.service",
      "qm.service",
    ]);
    if (!executable("/usr/bin/podman")) {
      const stub = join(dir, "podman");
      writeFileSync(stub, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
      for (const s of services) {
        const path = join(out, s);
        writeFileSync(path, readFileSync(path, "utf8").replaceAll("/usr/bin/podman", stub));
      }
    }
    const verify = (paths: string[]) =>
      spawnSync(SYSTEMD_ANALYZE, ["verify", "--man=no", "--generators=no", ...paths], {
        encoding: "utf8",
        cwd: out,
      });
    const ok = verify(services.map((s) => join(out, s)));
    assert.equal(ok.status, 0, `${ok.stdout}\n${ok.stderr}`);

    // The check is real: a unit with a bad directive value fails it.
    const broken = join(dir, "broken.service");
    writeFileSync(
      broken,
      `${readFileSync(join(out, "qm.service"), "utf8")}\n[Service]\nExecStart=relative/podman\n`,
    );
    assert.notEqual(verify([broken]).status, 0);
  });
});
