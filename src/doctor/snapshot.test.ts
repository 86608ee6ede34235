import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { repoRoot, tempDir } from "../../test/helpers.js";
import { type Io, runProgram } from "../cli/app.js";
import { qmProgram } from "../cli/qm.js";
import { parseSnapshot } from "./snapshot.js";

const fixtures = join(repoRoot, "test/fixtures/doctor");
const recorded = (): Record<string, unknown> =>
  JSON.parse(readFileSync(join(fixtures, "debian12-hybrid-nosystemd.json"), "utf8")) as Record<
    string,
    unknown
  >;

async function doctor(file: string): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: Io = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) };
  const status = await runProgram(qmProgram, ["doctor", "--snapshot", file], io);
  return { status, stdout, stderr };
}

describe("qm doctor --snapshot on a corrupt or hostile snapshot: a located error, never an internal one", () => {
  const cases: [string, (s: Record<string, unknown>) => void, RegExp][] = [
    [
      "a file's content of the wrong type",
      (s) => ((s.files as Record<string, unknown>)["/sys/fs/selinux/enforce"] = 1),
      /:\d+:\d+: files\["\/sys\/fs\/selinux\/enforce"\] is the number 1; expected a string or null/,
    ],
    ["no which", (s) => delete s.which, /:1:1: the document has no "which"/],
    [
      "versions of the wrong type",
      (s) => (s.versions = null),
      /:\d+:\d+: versions is null; expected an object/,
    ],
    [
      "a version probe with a numeric stdout",
      (s) => Object.assign((s.versions as Record<string, object>).podman as object, { stdout: 4 }),
      /versions\.podman\.stdout is the number 4; expected a string/,
    ],
    [
      "free space as text",
      (s) => Object.assign((s.space as Record<string, object>)["/var/qm"] as object, { freeBytes: "lots" }),
      /space\["\/var\/qm"\]\.freeBytes is the string "lots"; expected a number of bytes/,
    ],
    ["schema 2", (s) => (s.schema = 2), /schema is the number 2; this qm reads schema 1/],
    ["a list", (s) => Object.assign(s, { files: ["/proc/1/comm"] }), /files is a list; expected an object/],
  ];
  for (const [name, mutate, message] of cases) {
    test(name, async (t) => {
      const s = recorded();
      mutate(s);
      const file = join(tempDir(t), "host.json");
      writeFileSync(file, JSON.stringify(s, null, 2));
      const r = await doctor(file);
      assert.equal(r.status, 3, r.stderr);
      assert.match(r.stderr, /^qm: error\[QM_DOCTOR_SNAPSHOT\]: /);
      assert.match(r.stderr, message);
      assert.ok(r.stderr.includes(file), r.stderr);
    });
  }

  test("file contents that are not what the kernel writes are judged, not crashed on", async (t) => {
    const s = recorded();
    const files = s.files as Record<string, string>;
    files["/proc/self/status"] = "CapEff:\t0xzz\nSeccomp:\t2\n";
    files["/proc/self/mountinfo"] =
      "1 1 0:1 / /sys/fs/cgroup/x rw - cgroup cgroup rw,constructor,__proto__,toString,hasOwnProperty\n";
    files["/proc/self/limits"] = "Max open files   many   more  files\n";
    const file = join(tempDir(t), "host.json");
    writeFileSync(file, JSON.stringify(s));
    const r = await doctor(file);
    assert.ok(r.status === 0 || r.status === 4, `${r.status}: ${r.stderr}`);
    assert.doesNotMatch(r.stdout, /function|\[object/);
  });

  test("a syntax error is reported at its line and column", async (t) => {
    const file = join(tempDir(t), "host.json");
    writeFileSync(file, '{\n  "schema": 1,\n  "files": }\n');
    const r = await doctor(file);
    assert.equal(r.status, 3);
    assert.ok(r.stderr.includes(`${file}:3:12: not JSON: unexpected "}"`), r.stderr);
    writeFileSync(file, `{"schema":1,"files":{"a":"${"\\u0007".repeat(3)}\u0007"}}`);
    const c = await doctor(file);
    assert.equal(c.status, 3);
    assert.match(c.stderr, /:1:\d+: not JSON: invalid character or escape in string/);
    assert.doesNotMatch(c.stderr, /\u0007/);
  });

  test("a FIFO or a device is refused without being read", async (t) => {
    const fifo = join(tempDir(t), "fifo");
    assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
    for (const file of [fifo, "/dev/zero"]) {
      const r = await doctor(file);
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /not a regular file/);
    }
  });
});

test("every snapshot in test/fixtures/doctor reads back unchanged", () => {
  for (const name of readdirSync(fixtures).filter((f) => f.endsWith(".json"))) {
    const text = readFileSync(join(fixtures, name), "utf8");
    assert.deepEqual(parseSnapshot(text, name), {
      exists: {},
      versions: {},
      space: {},
      probes: {},
      ...JSON.parse(text),
    });
  }
});
