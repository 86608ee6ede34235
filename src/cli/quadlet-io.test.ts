// qm-quadlet's flags, logging and output directory errors, as podman 5.4.2's quadlet prints them (checked against it:
// test/quadlet-reference.ts), except that qm-quadlet refuses to follow a symlink out of the output directory
// (docs/quadlet.md).
import assert from "node:assert/strict";
import { mkdirSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../../test/helpers.js";
import { parseQuadletArgs, runQuadlet, usage } from "./quadlet.js";

test("flags: Go's boolean values, -h/-help, bad syntax", () => {
  for (const v of ["1", "t", "T", "TRUE", "true", "True"]) {
    assert.equal(parseQuadletArgs([`-no-kmsg-log=${v}`]).noKmsgLog, true, v);
    assert.equal(parseQuadletArgs(["-no-kmsg-log", `-dryrun=${v}`]).dryrun, true, v);
  }
  for (const v of ["0", "f", "F", "FALSE", "false", "False"]) {
    assert.equal(parseQuadletArgs(["-no-kmsg-log", `-no-kmsg-log=${v}`]).noKmsgLog, false, v);
    assert.equal(parseQuadletArgs([`-user=${v}`]).user, false, v);
  }
  assert.deepEqual(parseQuadletArgs([]), {
    dryrun: false,
    user: undefined,
    verbose: false,
    noKmsgLog: false,
    version: false,
    outputDirs: [],
  });
  assert.deepEqual(parseQuadletArgs(["-v", "--version", "a", "-dryrun"]), {
    dryrun: false,
    user: undefined,
    verbose: true,
    noKmsgLog: false,
    version: true,
    outputDirs: ["a", "-dryrun"],
  });
  const error = (argv: string[]): string => {
    try {
      parseQuadletArgs(argv);
    } catch (e) {
      const f = e as Error & { help: boolean };
      return `${f.message}|${f.help}`;
    }
    return "no error";
  };
  assert.equal(error(["-h"]), "|true");
  assert.equal(error(["-help"]), "|true");
  assert.equal(error(["--h"]), "|true");
  assert.equal(error(["-hx"]), "flag provided but not defined: -hx|false");
  assert.equal(error(["-=x"]), "bad flag syntax: -=x|false");
  assert.equal(error(["--=x"]), "bad flag syntax: --=x|false");
  assert.equal(error(["-v="]), 'invalid boolean value "" for -v: parse error|false');
  assert.equal(error(["-v=yes"]), 'invalid boolean value "yes" for -v: parse error|false');
  assert.equal(error(["-x=1"]), "flag provided but not defined: -x|false");
});

test("usage is Go's flag.PrintDefaults", () => {
  assert.equal(
    usage("/q"),
    "Usage of /q:\n  -dryrun\n    \tRun in dryrun mode printing debug information\n  -no-kmsg-log\n    \tDon't log to kmsg\n  -user\n    \tRun as systemd user\n  -v\tPrint debug information\n  -version\n    \tPrint version information and exit\n",
  );
});

function run(
  argv: string[],
  env: Record<string, string>,
  kmsg?: () => ((line: string) => boolean) | undefined,
) {
  let stderr = "";
  let stdout = "";
  const status = runQuadlet(argv, {
    argv0: "/usr/lib/systemd/system-generators/podman-system-generator",
    env,
    uid: 0,
    pid: 7,
    kmsg: kmsg ?? (() => undefined),
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
  });
  return { status, stdout, stderr };
}

test("log lines go to the kernel log while it takes them, then to stderr; -no-kmsg-log and -dryrun skip it", (t) => {
  const dir = tempDir(t);
  const units = join(dir, "units");
  mkdirSync(units);
  writeFileSync(join(units, "a.container"), "[Container]\nImage=docker.io/library/x:1\n");
  const env = { QUADLET_UNIT_DIRS: units };
  const sent: string[] = [];
  let budget = 2;
  const kmsg = () => (line: string) => {
    if (budget-- <= 0) return false;
    sent.push(line);
    return true;
  };
  const a = run(["-v", join(dir, "out")], env, kmsg);
  assert.equal(a.status, 0);
  assert.deepEqual(sent, [
    `quadlet-generator[7]: Starting quadlet-generator, output to: ${dir}/out`,
    `quadlet-generator[7]: Loading source unit file ${units}/a.container`,
  ]);
  assert.equal(a.stderr, `quadlet-generator[7]: writing "${dir}/out/a.service"\n`);
  let opened = 0;
  const counting = () => {
    opened++;
    return undefined;
  };
  const b = run(["-v", "-no-kmsg-log", join(dir, "out")], env, counting);
  assert.equal(opened, 0);
  assert.equal(b.stderr.split("\n").length, 4);
  const c = run(["-dryrun"], env, counting);
  assert.equal(opened, 0);
  assert.match(c.stderr, /^quadlet-generator\[7\]: Loading source unit file /);
  const d = run([join(dir, "out")], env, counting);
  assert.equal(opened, 1);
  assert.equal(d.stderr, "");
});

test("a program name with 'user' in a directory name only is not the user generator", (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "a.container"), "[Container]\nImage=docker.io/library/x:1\n");
  let stdout = "";
  runQuadlet(["-dryrun"], {
    argv0: "/usr/lib/systemd/user-generators/podman-system-generator",
    env: { QUADLET_UNIT_DIRS: dir },
    uid: 0,
    kmsg: () => undefined,
    stdout: (s) => {
      stdout += s;
    },
    stderr: () => undefined,
  });
  assert.match(stdout, /^After=network-online.target$/m);
});

test("output directory errors, as quadlet words them", (t) => {
  const dir = tempDir(t);
  const units = join(dir, "units");
  mkdirSync(units);
  writeFileSync(
    join(units, "a.container"),
    "[Container]\nImage=docker.io/library/x:1\n[Install]\nWantedBy=w.target\nRequiredBy=r.target\nAlias=al.service\nAlias=sub/x.service\nAlias=e.service\n",
  );
  const env = { QUADLET_UNIT_DIRS: units };
  writeFileSync(join(dir, "file"), "");
  const a = run(["-no-kmsg-log", join(dir, "file/out")], env);
  assert.equal(a.status, 1);
  assert.equal(a.stderr, `quadlet-generator[7]: mkdir ${dir}/file: not a directory\n`);

  const out = join(dir, "out");
  mkdirSync(join(out, "a.service/x"), { recursive: true });
  mkdirSync(join(out, "al.service/y"), { recursive: true });
  mkdirSync(join(out, "r.target.requires/a.service"), { recursive: true });
  mkdirSync(join(out, "e.service"));
  writeFileSync(join(out, "w.target.wants"), "");
  symlinkSync(join(dir, "elsewhere"), join(out, "sub"));
  const b = run(["-no-kmsg-log", "-v", out], env);
  assert.equal(b.status, 1);
  const L = "quadlet-generator[7]: ";
  assert.equal(
    b.stderr,
    [
      `${L}Starting quadlet-generator, output to: ${out}`,
      `${L}Loading source unit file ${units}/a.container`,
      `${L}writing "${out}/a.service"`,
      `${L}Creating symlink ${out}/al.service -> a.service`,
      `${L}Failed creating symlink ${out}/al.service: symlink a.service ${out}/al.service: file exists`,
      `${L}Can't create symlink sub/x.service: ${out}/sub/x.service is outside the output directory ${out}`,
      `${L}Creating symlink ${out}/e.service -> a.service`,
      `${L}Can't create dir ${out}/w.target.wants: mkdir ${out}/w.target.wants: not a directory`,
      `${L}Creating symlink ${out}/r.target.requires/a.service -> ../a.service`,
      `${L}generating service file ${out}/a.service: open ${out}/a.service: is a directory`,
      "",
    ].join("\n"),
  );
  assert.equal(readlinkSync(join(out, "r.target.requires/a.service")), "../a.service");
  assert.equal(readlinkSync(join(out, "e.service")), "a.service");
});
