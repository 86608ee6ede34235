import assert from "node:assert/strict";
import { mkdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { tempDir } from "../../test/helpers.js";
import { VERSION } from "../core/version.js";
import { FlagError, parseQuadletArgs, runQuadlet } from "./cli.js";

function io(env: Record<string, string> = {}) {
  const out = { stdout: "", stderr: "" };
  return {
    out,
    io: {
      argv0: "/usr/lib/systemd/system-generators/podman-system-generator",
      env,
      uid: 1000,
      stdout: (t: string) => {
        out.stdout += t;
      },
      stderr: (t: string) => {
        out.stderr += t;
      },
    },
  };
}

describe("qm-quadlet flags", () => {
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
      help: false,
      outputDirs: ["/run/a", "/run/b", "/run/c"],
    });
    assert.deepEqual(parseQuadletArgs(["--", "-dryrun"]).outputDirs, ["-dryrun"]);
    assert.throws(() => parseQuadletArgs(["-bogus"]), FlagError);
    assert.throws(() => parseQuadletArgs(["-v=maybe"]), FlagError);
  });

  it("prints the version and help, and exits 2 on an unknown flag", () => {
    const a = io();
    assert.equal(runQuadlet(["-version"], a.io), 0);
    assert.equal(a.out.stdout, `${VERSION}\n`);
    const b = io();
    assert.equal(runQuadlet(["--help"], b.io), 0);
    assert.match(b.out.stdout, /QUADLET_UNIT_DIRS/);
    assert.equal(runQuadlet(["-nope"], io().io), 2);
  });

  it("needs an output directory unless -dryrun", () => {
    const a = io({ QUADLET_UNIT_DIRS: "/nonexistent" });
    assert.equal(runQuadlet(["-no-kmsg-log"], a.io), 1);
    assert.match(a.out.stderr, /Missing output directory/);
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
    assert.match(a.out.stderr, /bad\.container:3:1: unsupported key 'Nope'/);
    const d = io({ QUADLET_UNIT_DIRS: units });
    runQuadlet(["-dryrun"], d.io);
    assert.match(d.out.stdout, /^---good.service---\n# Automatically generated/);
  });
});
