// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} in these strings is unit-file syntax left for systemd, not a template.
/**
 * No input makes qm-quadlet fail inside (what would be exit 70), hang, or write outside its output
 * directory: a property fuzzer over unit trees for the pure generator and for the CLI writing into a
 * temporary directory, then the inputs that once broke it (symlink loops, 100,000 words, 10 MB lines,
 * files larger than any unit file should be).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { distBin, tempDir } from "../../test/helpers.js";
import { runQuadlet } from "../cli/quadlet.js";
import { MAX_UNIT_FILE_BYTES, memoryUnitFs, nodeUnitFs } from "../unit/fs.js";
import { generateAll } from "./generate.js";
import { TABLES } from "./keys.js";

const seed = Number(process.env.QM_QUADLET_ROBUST_SEED ?? Date.now() % 2 ** 31);
const budget = Number(process.env.QM_QUADLET_ROBUST_BUDGET_MS ?? 120_000);

const EXTS = ["container", "volume", "network", "pod", "kube", "image", "build", "conf", "txt"];
const SECTIONS = [
  "Container",
  "Volume",
  "Network",
  "Pod",
  "Kube",
  "Image",
  "Build",
  "Unit",
  "Service",
  "Install",
  "Quadlet",
  "X",
];
const KEYS = [...new Set(Object.values(TABLES).flatMap((t) => Object.keys(t.keys)))];
const SERVICE_KEYS = [
  "Type",
  "KillMode",
  "WorkingDirectory",
  "SyslogIdentifier",
  "Environment",
  "WantedBy",
  "RequiredBy",
  "Alias",
  "DefaultInstance",
];
const NASTY = [
  "..",
  "../..",
  "../../../x",
  "/abs",
  "a/b",
  "%",
  "%%",
  "${X}",
  "\\",
  '"',
  "'",
  "\u00a0",
  "\u0085",
  "\xff",
  ",",
  ":",
  "=",
  "@",
  "-",
  " ",
  "\t",
  "\r",
  "type=bind",
  "source=",
  "src",
];

const value = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  {
    weight: 3,
    arbitrary: fc
      .array(fc.constantFrom(...NASTY, "x", "y", "1", "yes"), { maxLength: 8 })
      .map((a) => a.join("")),
  },
  { weight: 1, arbitrary: fc.constantFrom("", '""', "\\q", "a \\", "x\\\n", "x\\\n\n y") },
);
const line = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.tuple(fc.constantFrom(...KEYS, ...SERVICE_KEYS), value).map(([k, v]) => `${k}=${v}`),
  },
  { weight: 2, arbitrary: fc.constantFrom(...SECTIONS).map((s) => `[${s}]`) },
  { weight: 1, arbitrary: fc.constantFrom("", "# c", "; c", "  ", "\\", "[", "=", "[a]b", "garbage") },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
);
const text = fc
  .tuple(fc.array(line, { maxLength: 14 }), fc.boolean())
  .map(([ls, crlf]) => ls.join(crlf ? "\r\n" : "\n"));
const name = fc
  .tuple(
    fc.constantFrom("a", "b-c", "t@", "t@i", "x-y-z", ".h", "a.b"),
    fc.constantFrom(...EXTS),
    fc.constantFrom("", "sub/", "a.container.d/", "container.d/", "b-.volume.d/", "t@.pod.d/"),
  )
  .map(([stem, ext, dir]) => `${dir}${stem}.${ext}`);
const tree = fc.dictionary(name, text, { maxKeys: 6 });

describe("qm-quadlet robustness", () => {
  it("the generator converts any tree without failing inside", () => {
    let runs = 0;
    const started = Date.now();
    fc.assert(
      fc.property(tree, (files) => {
        runs++;
        const memory: Record<string, string> = {};
        for (const [k, v] of Object.entries(files)) memory[`/u/${k}`] = v;
        const r = generateAll(memoryUnitFs(memory), {
          env: { QUADLET_UNIT_DIRS: "/u" },
          user: runs % 5 === 0,
        });
        for (const e of r.errors) assert.notEqual(e.code, "QM_INTERNAL");
      }),
      { seed, numRuns: 10_000, interruptAfterTimeLimit: budget, markInterruptAsFailure: false },
    );
    process.stdout.write(
      `# generator property: ${runs} cases in ${Date.now() - started} ms, seed ${seed} (QM_QUADLET_ROBUST_SEED)\n`,
    );
  });

  it("the CLI writes only inside its output directory and never fails inside", (t) => {
    const base = tempDir(t, "qm-quadlet-robust-");
    let runs = 0;
    const started = Date.now();
    fc.assert(
      fc.property(tree, fc.boolean(), (files, withLinks) => {
        runs++;
        const root = join(base, "a", "b", "c");
        rmSync(join(base, "a"), { recursive: true, force: true });
        const units = join(root, "units");
        mkdirSync(units, { recursive: true });
        for (const [k, v] of Object.entries(files)) {
          mkdirSync(join(units, k, ".."), { recursive: true });
          writeFileSync(join(units, k), v);
        }
        if (withLinks) {
          symlinkSync(".", join(units, "loop1"));
          symlinkSync(".", join(units, "loop2"));
          symlinkSync("cyc2", join(units, "cyc1"));
          symlinkSync("cyc1", join(units, "cyc2"));
        }
        const out = join(root, "out");
        const status = runQuadlet(["-no-kmsg-log", out], {
          argv0: "qm-quadlet",
          env: { QUADLET_UNIT_DIRS: units },
          uid: 0,
          kmsg: () => undefined,
          stdout: () => {},
          stderr: () => {},
        });
        assert.ok(status === 0 || status === 1, `exit ${status}`);
        assert.deepEqual(readdirSync(base), ["a"]);
        assert.deepEqual(readdirSync(join(base, "a")), ["b"]);
        assert.deepEqual(readdirSync(join(base, "a", "b")), ["c"]);
        assert.deepEqual(readdirSync(root).sort(), existsSync(out) ? ["out", "units"] : ["units"]);
      }),
      { seed, numRuns: 2_000, interruptAfterTimeLimit: budget, markInterruptAsFailure: false },
    );
    process.stdout.write(`# CLI property: ${runs} cases in ${Date.now() - started} ms, seed ${seed}\n`);
  });

  it("symlink loops in a search directory end the walk, as for quadlet", (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, "a.container"), "[Container]\nImage=docker.io/x/y\n");
    symlinkSync(".", join(dir, "a"));
    symlinkSync(".", join(dir, "b"));
    symlinkSync("c2", join(dir, "c1"));
    symlinkSync("c1", join(dir, "c2"));
    let stderr = "";
    const status = runQuadlet(["-dryrun"], {
      argv0: "qm-quadlet",
      env: { QUADLET_UNIT_DIRS: dir },
      uid: 0,
      stdout: () => {},
      stderr: (s) => {
        stderr += s;
      },
    });
    // The c1/c2 cycle cannot be listed: quadlet reports it and exits 1.
    assert.equal(status, 1);
    assert.match(stderr, /open .*\/c1: too many levels of symbolic links/);
  });

  it("a link to / does not make it walk the whole machine: the search stops at a limit, reported", (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, "a.container"), "[Container]\nImage=docker.io/x/y\n");
    for (let i = 0; i < 30; i++) mkdirSync(join(dir, `d${i}`, "e"), { recursive: true });
    symlinkSync("/", join(dir, "root"));
    const r = generateAll(nodeUnitFs("/"), { env: { QUADLET_UNIT_DIRS: dir }, maxDirs: 50 });
    assert.equal(r.searchDirs.length, 50);
    assert.match(
      r.errors.map((e) => e.message).join("\n"),
      /holds more than 50 directories; not searched further/,
    );
    assert.deepEqual(
      r.services.map((s) => s.serviceName),
      ["a.service"],
    );
  });

  it("a syntax error in a 10 MB line is reported with an excerpt", () => {
    const long = "x".repeat(10_000_000);
    const r = generateAll(memoryUnitFs({ "/u/a.container": `[Container]\nImage=docker.io/x/y\n${long}\n` }), {
      env: { QUADLET_UNIT_DIRS: "/u" },
    });
    const message = r.errors[0]?.message ?? "";
    assert.match(
      message,
      /file contains line 3: .*\[\.\.\. \d+ bytes \.\.\.\].* which is not a key-value pair/,
    );
    assert.ok(message.length < 5_000, `${message.length} characters`);
  });

  it("a drop-in larger than a unit file can be is refused with its location, not read", (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, "a.container"), "[Container]\nImage=docker.io/x/y\n");
    mkdirSync(join(dir, "a.container.d"));
    const huge = join(dir, "a.container.d", "huge.conf");
    const fd = openSync(huge, "w");
    ftruncateSync(fd, 600 * 1024 * 1024);
    closeSync(fd);
    let stderr = "";
    const status = runQuadlet(["-dryrun"], {
      argv0: "qm-quadlet",
      env: { QUADLET_UNIT_DIRS: dir },
      uid: 0,
      stdout: () => {},
      stderr: (s) => {
        stderr += s;
      },
    });
    assert.equal(status, 1);
    assert.match(
      stderr,
      new RegExp(
        `error loading ".*huge\\.conf", read .*huge\\.conf: file is larger than ${MAX_UNIT_FILE_BYTES / 1024 / 1024} MiB`,
      ),
    );
  });

  it("the installed executable handles 100,000 PodmanArgs words and 10 MB lines", (t) => {
    const bin = distBin("qm-quadlet");
    if (!existsSync(bin)) return t.skip(`${bin} is not built (run scripts/build.mjs)`);
    const dir = tempDir(t);
    const words = Array.from({ length: 100_000 }, (_, i) => `--w${i}`).join(" ");
    writeFileSync(
      join(dir, "a.container"),
      `[Container]\nImage=docker.io/x/y\nPodmanArgs=${words}\nEnvironment=LONG=${"v".repeat(10_000_000)}\n`,
    );
    const r = spawnSync(process.execPath, [bin, "-dryrun"], {
      env: { QUADLET_UNIT_DIRS: dir },
      maxBuffer: 1 << 28,
    });
    assert.equal(r.status, 0, r.stderr.toString().slice(0, 2000));
    const out = r.stdout.toString();
    assert.ok(out.includes(`--env LONG=${"v".repeat(10_000_000)} `));
    assert.ok(out.includes("--w99998 --w99999 docker.io/x/y"));
  });
});
