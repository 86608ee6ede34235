import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it, type TestContext } from "node:test";
import { runQuadlet } from "../../src/cli/quadlet.js";
import { VERSION } from "../../src/core/version.js";
import { MAX_UNIT_FILE_BYTES } from "../../src/unit/fs.js";
import { tempDir } from "../helpers.js";
import { keyCases, specialCases } from "../quadlet-corpus.js";
import { batches, type CaseDiff, type DiffCase, formatDiffs, runBatch } from "../quadlet-differential.js";
import { fuzzCases } from "../quadlet-fuzz.js";
import { REFERENCE, referenceQuadlet } from "../quadlet-reference.js";

function runAll(binary: string, cases: readonly DiffCase[], size: number): CaseDiff[] {
  const diffs: CaseDiff[] = [];
  for (const batch of batches(cases, size)) diffs.push(...runBatch(binary, batch));
  return diffs;
}

function counts(cases: readonly DiffCase[]): string {
  const by = new Map<string, number>();
  for (const c of cases) by.set(c.type, (by.get(c.type) ?? 0) + 1);
  return [...by.entries()].map(([t, n]) => `${t} ${n}`).join(", ");
}

describe("qm-quadlet against podman 5.4.2's quadlet", () => {
  let reference = "";
  before(async () => {
    reference = await referenceQuadlet();
  });

  it("the corpus: every key in many shapes, drop-ins, references, [Install], search paths, invalid input", (t) => {
    const cases = [...keyCases(), ...specialCases()];
    const only = process.env.QM_QUADLET_CASES;
    const selected = only ? cases.filter((c) => only.split(",").some((o) => c.id.includes(o))) : cases;
    const diffs = runAll(reference, selected, 100);
    t.diagnostic(`corpus: ${selected.length} cases (${counts(selected)}), ${diffs.length} differences`);
    assert.equal(diffs.length, 0, `${diffs.length} cases differ:\n${formatDiffs(diffs)}`);
  });

  it("random trees from a seed (QM_QUADLET_FUZZ_SEED, QM_QUADLET_FUZZ_CASES)", (t) => {
    const seed = Number(process.env.QM_QUADLET_FUZZ_SEED ?? Date.now() % 2 ** 31);
    const count = Number(process.env.QM_QUADLET_FUZZ_CASES ?? 3000);
    process.stdout.write(`# differential fuzzer seed ${seed} (QM_QUADLET_FUZZ_SEED=${seed} reproduces it)\n`);
    const { cases, leftOut } = fuzzCases(seed, count);
    const diffs = runAll(reference, cases, 60);
    t.diagnostic(
      `fuzzer seed ${seed}: ${cases.length} cases (${counts(cases)}), ${leftOut} left out (would crash the reference), ${diffs.length} differences`,
    );
    assert.equal(diffs.length, 0, `seed ${seed}: ${diffs.length} cases differ:\n${formatDiffs(diffs)}`);
  });
});

/**
 * Where qm-quadlet differs on purpose (docs/quadlet.md), the reference's own behaviour is shown here, so the
 * difference stays visible and measured.
 */
describe("deliberate differences from podman 5.4.2's quadlet", () => {
  let reference = "";
  before(async () => {
    reference = await referenceQuadlet();
  });

  const run = (program: string, argv: string[], dir: string, timeout = 60_000) =>
    spawnSync(program, argv, {
      env: { PATH: process.env.PATH ?? "", QUADLET_UNIT_DIRS: join(dir, "units") },
      timeout,
      maxBuffer: 1 << 28,
    });
  const ours = (argv: string[], dir: string) => {
    let stdout = "";
    let stderr = "";
    const status = runQuadlet(argv, {
      argv0: "qm-quadlet",
      env: { QUADLET_UNIT_DIRS: join(dir, "units") },
      uid: 0,
      kmsg: () => undefined,
      stdout: (s) => {
        stdout += s;
      },
      stderr: (s) => {
        stderr += s;
      },
    });
    return { status, stdout, stderr };
  };
  const units = (t: TestContext, files: Record<string, string>): string => {
    const dir = tempDir(t, "qm-quadlet-deliberate-");
    mkdirSync(join(dir, "units"));
    for (const [k, v] of Object.entries(files)) writeFileSync(join(dir, "units", k), v);
    return dir;
  };

  it("ServiceName= that leaves the output directory: quadlet writes there, qm-quadlet refuses", (t) => {
    const dir = units(t, {
      "p.pod": "[Pod]\nServiceName=../../escaped\n",
      "c.container": "[Container]\nImage=docker.io/x/y\nServiceName=../sibling\n",
    });
    const out = join(dir, "a", "b", "out");
    const ref = run(reference, ["-no-kmsg-log", out], dir);
    assert.equal(ref.status, 0);
    assert.ok(
      existsSync(join(dir, "a", "escaped.service")),
      "the reference wrote outside its output directory",
    );
    assert.ok(existsSync(join(dir, "a", "b", "sibling.service")));
    rmSync(join(dir, "a"), { recursive: true });
    const our = ours(["-no-kmsg-log", out], dir);
    assert.equal(our.status, 1);
    assert.match(
      our.stderr,
      /generating service file .*\/a\/escaped\.service: refusing to write outside the output directory/,
    );
    assert.equal(existsSync(join(dir, "a", "escaped.service")), false);
    assert.equal(existsSync(join(dir, "a", "b", "sibling.service")), false);
    // [Install] links cannot leave it in either: filepath.Rel refuses them in both.
    const links = units(t, {
      "t@.container":
        "[Container]\nImage=docker.io/x/y\n[Install]\nAlias=../../x.service\nDefaultInstance=../../../../y\nWantedBy=m.target\n",
    });
    const refLinks = run(reference, ["-no-kmsg-log", join(links, "out")], links);
    assert.match(refLinks.stderr.toString(), /Can't create symlink \.\.\/\.\.\/x\.service: Rel: can't make/);
  });

  it("Mount= of type bind, volume, glob or image without a source: quadlet crashes, qm-quadlet reports it", (t) => {
    const dir = units(t, {
      "m.container": "[Container]\nImage=docker.io/x/y\nMount=type=bind,target=/x\n",
      "ok.container": "[Container]\nImage=docker.io/x/y\n",
    });
    const ref = run(reference, ["-dryrun"], dir);
    assert.equal(ref.status, 2);
    assert.match(ref.stderr.toString(), /^panic: runtime error: index out of range/m);
    assert.equal(ref.stdout.toString(), "", "the crash loses every unit's output");
    const our = ours(["-dryrun"], dir);
    assert.equal(our.status, 1);
    assert.match(
      our.stderr,
      /converting "m\.container": Mount=type=bind,target=\/x: a bind mount needs a source/,
    );
    assert.match(our.stdout, /^---ok\.service---$/m);
  });

  it("a 10 MB line with a syntax error: quadlet echoes it whole, qm-quadlet an excerpt", (t) => {
    const dir = units(t, { "a.container": `[Container]\n${"x".repeat(10_000_000)}\n` });
    const ref = run(reference, ["-dryrun"], dir);
    assert.ok(ref.stderr.length > 10_000_000);
    const our = ours(["-dryrun"], dir);
    assert.equal(our.status, ref.status);
    assert.ok(our.stderr.length < 5_000);
    assert.match(
      our.stderr,
      /file contains line 2: .*x\[\.\.\. 9998000 bytes \.\.\.\]x.* which is not a key-value pair/,
    );
  });

  it(`a file over ${MAX_UNIT_FILE_BYTES / 1024 / 1024} MiB: quadlet reads it whole, qm-quadlet refuses it unread`, (t) => {
    const dir = units(t, { "a.container": "[Container]\nImage=docker.io/x/y\n" });
    mkdirSync(join(dir, "units", "a.container.d"));
    const big = join(dir, "units", "a.container.d", "big.conf");
    writeFileSync(big, `[Container]\nLabel=${"v".repeat(MAX_UNIT_FILE_BYTES)}\n`);
    const ref = run(reference, ["-dryrun"], dir);
    assert.equal(ref.status, 0);
    assert.ok(ref.stdout.length > MAX_UNIT_FILE_BYTES, "the reference read and used all of it");
    const our = ours(["-dryrun"], dir);
    assert.equal(our.status, 1);
    assert.match(our.stderr, /error loading ".*big\.conf", read .*big\.conf: file is larger than 64 MiB/);
  });

  it("a FIFO named like a unit: quadlet waits on it forever, qm-quadlet refuses it", (t) => {
    const dir = units(t, { "ok.container": "[Container]\nImage=docker.io/x/y\n" });
    const fifo = spawnSync("mkfifo", [join(dir, "units", "f.container")]);
    if (fifo.status !== 0) return t.skip("mkfifo is not available");
    const ref = run(reference, ["-dryrun"], dir, 3_000);
    assert.equal(ref.signal, "SIGTERM", "the reference was still blocked after 3 s");
    const our = ours(["-dryrun"], dir);
    assert.equal(our.status, 1);
    assert.match(our.stderr, /error loading ".*f\.container", read .*f\.container: not a regular file/);
  });

  it("-version prints qm's version; the header comment names qm-quadlet", (t) => {
    const dir = units(t, { "a.container": "[Container]\nImage=docker.io/x/y\n" });
    assert.equal(run(reference, ["-version"], dir).stdout.toString(), `${REFERENCE.quadletVersion}\n`);
    assert.equal(ours(["-version"], dir).stdout, `${VERSION}\n`);
    const ref = run(reference, ["-no-kmsg-log", join(dir, "ref")], dir);
    assert.equal(ref.status, 0);
    assert.match(
      readFileSync(join(dir, "ref", "a.service"), "utf8"),
      new RegExp(`^# Automatically generated by ${reference}\n# \n`),
    );
    assert.equal(ours(["-no-kmsg-log", join(dir, "our")], dir).status, 0);
    assert.match(
      readFileSync(join(dir, "our", "a.service"), "utf8"),
      /^# Automatically generated by qm-quadlet\n# \n/,
    );
  });
});
