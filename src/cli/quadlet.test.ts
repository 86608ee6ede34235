import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { tempDir } from "../../test/helpers.js";
import { VERSION } from "../core/version.js";
import { FlagError, parseQuadletArgs, runQuadlet, usage } from "./quadlet.js";

function io(
  env: Record<string, string> = {},
  argv0 = "/usr/lib/systemd/system-generators/podman-system-generator",
) {
  const out = { stdout: "", stderr: "" };
  return {
    out,
    io: {
      argv0,
      env,
      uid: 1000,
      pid: 42,
      kmsg: () => undefined,
      stdout: (t: string) => {
        out.stdout += t;
      },
      stderr: (t: string) => {
        out.stderr += t;
      },
    },
  };
}

describe("qm-quadlet flags (Go's flag package)", () => {
  it("accepts single and double dashes and =bool, then output directories", () => {
    const f = parseQuadletArgs([
      "--dryrun",
      "-user",
      "-v=true",
      "--no-kmsg-log=false",
      "/run/a",
      "/run/b",
      "/run/c",
    ]);
    assert.deepEqual(f, {
      dryrun: true,
      user: true,
      verbose: true,
      noKmsgLog: false,
      version: false,
      outputDirs: ["/run/a", "/run/b", "/run/c"],
    });
    assert.deepEqual(parseQuadletArgs(["--", "-dryrun"]).outputDirs, ["-dryrun"]);
    assert.deepEqual(parseQuadletArgs(["-", "-dryrun"]).outputDirs, ["-", "-dryrun"]);
    assert.throws(() => parseQuadletArgs(["-bogus"]), FlagError);
    assert.throws(() => parseQuadletArgs(["-v=maybe"]), /invalid boolean value "maybe" for -v: parse error/);
    assert.throws(() => parseQuadletArgs(["---x"]), /bad flag syntax: ---x/);
  });

  it("prints the version; -help prints Go's usage on stderr and exits 0; an unknown flag exits 2", () => {
    const a = io();
    assert.equal(runQuadlet(["-version"], a.io), 0);
    assert.equal(a.out.stdout, `${VERSION}\n`);
    const b = io();
    assert.equal(runQuadlet(["--help"], b.io), 0);
    assert.equal(b.out.stderr, usage("/usr/lib/systemd/system-generators/podman-system-generator"));
    assert.match(b.out.stderr, /^ {2}-dryrun\n {4}\tRun in dryrun mode printing debug information$/m);
    const c = io();
    assert.equal(runQuadlet(["-nope"], c.io), 2);
    assert.match(c.out.stderr, /^flag provided but not defined: -nope\nUsage of /);
  });

  it("needs an output directory unless -dryrun", () => {
    const a = io({ QUADLET_UNIT_DIRS: "/nonexistent" });
    assert.equal(runQuadlet(["-no-kmsg-log"], a.io), 1);
    assert.equal(a.out.stderr, "quadlet-generator[42]: missing output directory argument\n");
  });

  it("a program name containing 'user' implies -user, as for quadlet", (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, "a.container"), "[Container]\nImage=docker.io/x/y\n");
    const a = io({ QUADLET_UNIT_DIRS: dir }, "/usr/lib/systemd/user-generators/podman-user-generator");
    assert.equal(runQuadlet(["-dryrun"], a.io), 0);
    assert.match(a.out.stdout, /^After=podman-user-wait-network-online.service$/m);
  });
});

describe("qm-quadlet run", () => {
  it("writes units and install symlinks; one bad unit fails the run but not the others", (t) => {
    const dir = tempDir(t);
    const units = join(dir, "units");
    mkdirSync(units);
    writeFileSync(
      join(units, "good.container"),
      "[Container]\nImage=x\n[Install]\nWantedBy=multi-user.target\n",
    );
    writeFileSync(join(units, "bad.container"), "[Container]\nImage=x\nNope=1\n");
    const out = join(dir, "out");
    const a = io({ QUADLET_UNIT_DIRS: units });
    assert.equal(runQuadlet(["-no-kmsg-log", out, out, out], a.io), 1);
    assert.match(readFileSync(join(out, "good.service"), "utf8"), /^ExecStart=\/usr\/bin\/podman run /m);
    assert.equal(readlinkSync(join(out, "multi-user.target.wants/good.service")), "../good.service");
    assert.match(
      a.out.stderr,
      /^quadlet-generator\[42\]: converting "bad.container": unsupported key 'Nope' in group 'Container' in .*bad\.container$/m,
    );
    const d = io({ QUADLET_UNIT_DIRS: units });
    runQuadlet(["-dryrun"], d.io);
    assert.match(d.out.stdout, /^---good.service---\n\[X-Container\]\n/);
  });

  it("never writes outside the output directory", (t) => {
    const dir = tempDir(t);
    const units = join(dir, "units");
    mkdirSync(units);
    writeFileSync(join(units, "p.pod"), "[Pod]\nServiceName=../../escaped\n");
    writeFileSync(
      join(units, "t@.container"),
      "[Container]\nImage=docker.io/x/y\n[Install]\nDefaultInstance=../../../../x\nWantedBy=m.target\nAlias=../../y.service\n",
    );
    const out = join(dir, "a", "b", "out");
    const a = io({ QUADLET_UNIT_DIRS: units });
    assert.equal(runQuadlet(["-no-kmsg-log", out], a.io), 1);
    assert.match(a.out.stderr, /refusing to write outside the output directory/);
    // Like quadlet, no symlink is made where filepath.Rel finds no way back.
    assert.match(
      a.out.stderr,
      /Can't create symlink \.\.\/\.\.\/y\.service: Rel: can't make t@\.service relative to \.\.\/\.\./,
    );
    assert.match(
      a.out.stderr,
      /Can't create symlink m\.target\.wants\/t@\.\.\/\.\.\/\.\.\/\.\.\/x\.service: Rel:/,
    );
    assert.deepEqual(readdirSync(dir).sort(), ["a", "units"]);
    assert.deepEqual(readdirSync(join(dir, "a")), ["b"]);
    assert.equal(existsSync(join(dir, "a", "escaped.service")), false);
  });
});

describe("qm-quadlet for podman before 4.4 (QM_QUADLET_PODMAN_VERSION)", () => {
  function units(t: Parameters<typeof tempDir>[0]): string {
    const dir = tempDir(t);
    writeFileSync(join(dir, "a.container"), "[Container]\nImage=docker.io/x/y\nHealthStartupCmd=true\n");
    writeFileSync(join(dir, "d.volume"), "[Volume]\n");
    return dir;
  }

  function run(dir: string, version: string | undefined) {
    const env: Record<string, string> = { QUADLET_UNIT_DIRS: dir };
    if (version !== undefined) env.QM_QUADLET_PODMAN_VERSION = version;
    const a = io(env);
    assert.equal(runQuadlet(["-dryrun"], a.io), 0);
    return a.out;
  }

  it("writes the edits into the services and warns about options that podman lacks", (t) => {
    const out = run(units(t), "4.3.1");
    assert.match(out.stdout, /^ExecStopPost=-\/bin\/rm -f %t\/%N\.cid$/m);
    assert.match(
      out.stdout,
      /^ExecStart=\/bin\/sh -c .* sh 1 systemd-d \/usr\/bin\/podman volume create systemd-d$/m,
    );
    assert.match(
      out.stderr,
      /^quadlet-generator\[42\]: Warning: a\.container: HealthStartupCmd= needs podman 4\.4 or later \(podman 4\.3\.1 has no --health-startup-cmd\)$/m,
    );
  });

  it("unset, empty, 4.4.0 and a value that is no version give podman 5.4's output; the last one is reported", (t) => {
    const dir = units(t);
    const plain = run(dir, undefined);
    assert.doesNotMatch(plain.stdout, /\/bin\/rm|\/bin\/sh/);
    assert.match(plain.stdout, /volume create --ignore systemd-d$/m);
    assert.deepEqual(run(dir, "").stdout, plain.stdout);
    assert.deepEqual(run(dir, "4.4.0").stdout, plain.stdout);
    const bad = run(dir, "4.3.1; rm -rf /");
    assert.deepEqual(bad.stdout, plain.stdout);
    assert.match(
      bad.stderr,
      /^quadlet-generator\[42\]: Warning: QM_QUADLET_PODMAN_VERSION="4\.3\.1; rm -rf \/" is not a podman version, ignored$/m,
    );
  });
});
