/**
 * Property-based fuzzing of `qm doctor --snapshot FILE` on mutations of the snapshots recorded in
 * test/fixtures/doctor: values of the wrong type, missing and extra fields, file contents the kernel never writes,
 * broken JSON, deep nesting and sizes. The command runs in-process through the CLI's own error handling, so an
 * internal error would show as exit 70. See test/fuzz.ts for seeds and budgets.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { fuzzAsync } from "../../test/fuzz.js";
import { repoRoot, tempDir } from "../../test/helpers.js";
import { type Io, runProgram } from "../cli/app.js";
import { qmProgram } from "../cli/qm.js";

const fixtures = join(repoRoot, "test/fixtures/doctor");
const recorded = readdirSync(fixtures)
  .filter((f) => f.endsWith(".json"))
  .map((f) => JSON.parse(readFileSync(join(fixtures, f), "utf8")) as unknown);

type Step = string | number;

/** Every path in a JSON value, the root included. */
function paths(value: unknown, at: Step[] = [], out: Step[][] = []): Step[][] {
  out.push(at);
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) paths(v, [...at, i], out);
  } else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) paths(v, [...at, k], out);
  }
  return out;
}

const LINES = [
  "CapEff:\tzz",
  "CapEff:\t0x",
  "CapEff:\tffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
  "Seccomp:",
  "Max open files            unlimited            many                 files",
  "Max processes             -1                   1e400                processes",
  "1 1 0:1 / /sys/fs/cgroup/x rw - cgroup cgroup rw,constructor,__proto__,toString,cpu",
  "1 1 0:1 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw",
  "- - - - - -",
  "1 1 0:1 / /a\\040b\\777 rw - cgroup",
  "#subsys_name\thierarchy\tnum_cgroups\tenabled",
  "cpu\t0\t1\t1",
  "constructor\t0\t1\t1",
  'ID="debian"',
  "ID_LIKE=fedora debian",
  "PRETTY_NAME=\u001b[31mred\u001b[0m",
  "podman version 4.3.1",
  "podman version 99999999999999999999.1",
  "crun version 1.8.1",
  "",
  "\u0000",
  "é\u2028",
];
const content = fc.oneof(
  fc.constantFrom(...LINES),
  fc.array(fc.constantFrom(...LINES), { maxLength: 6 }).map((l) => l.join("\n")),
  fc.string({ unit: "binary", maxLength: 40 }),
);
const oddValue = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 3, arbitrary: content },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      null,
      -1,
      1.5,
      2 ** 53,
      -0,
      1e308,
      "",
      [],
      {},
      { code: 0, stdout: 1, stderr: "" },
      { measured: "/", freeBytes: -1, totalBytes: 0 },
    ),
  },
);

/** One structural edit at a random path: replace, delete, add a sibling, or rewrite a file's content. */
const edit = fc.tuple(
  fc.nat(),
  fc.constantFrom("content", "content", "content", "content", "replace", "replace", "delete", "add"),
  oddValue,
  fc.string({ maxLength: 12 }),
);

function applyEdits(base: unknown, edits: readonly (readonly [number, string, unknown, string])[]): unknown {
  let doc = structuredClone(base);
  for (const [pick, op, shared, name] of edits) {
    const value = structuredClone(shared); // constants are one object: never link it into the document twice
    const all = paths(doc);
    const path = all[pick % all.length] as Step[];
    if (path.length === 0) {
      if (op === "replace") doc = value;
      continue;
    }
    let parent: unknown = doc;
    for (const step of path.slice(0, -1)) parent = (parent as Record<Step, unknown>)[step];
    const last = path[path.length - 1] as Step;
    const container = parent as Record<Step, unknown>;
    if (op === "delete") {
      if (Array.isArray(container)) container.splice(last as number, 1);
      else delete container[last];
    } else if (op === "add") {
      if (!Array.isArray(container)) container[name] = value;
    } else if (op === "content") {
      if (typeof container[last] !== "string") continue;
      const text = container[last] as string;
      const at = pick % (text.length + 1);
      container[last] =
        `${text.slice(0, at)}${typeof value === "string" ? value : JSON.stringify(value)}${text.slice(at)}`;
    } else container[last] = value;
  }
  return doc;
}

const structural = fc
  .tuple(
    fc.nat({ max: recorded.length - 1 }),
    fc.array(edit, { minLength: 1, maxLength: 5 }),
    fc.constantFrom(0, 2, "\t"),
  )
  .map(
    ([which, edits, indent]) => JSON.stringify(applyEdits(recorded[which], edits), null, indent) ?? "null",
  );

const PIECES = [
  "{",
  "}",
  "[",
  "]",
  ",",
  ":",
  '"',
  "\\",
  "\\u",
  "\\x",
  "\u0000",
  "\n",
  "1e999",
  "-",
  "null",
  "\ufeff",
];
const textual = fc
  .tuple(
    structural,
    fc.array(fc.tuple(fc.nat(), fc.boolean(), fc.constantFrom(...PIECES)), { minLength: 1, maxLength: 3 }),
  )
  .map(([t, edits]) => {
    let out = t;
    for (const [at, insert, piece] of edits) {
      const i = at % (out.length + 1);
      out = insert ? out.slice(0, i) + piece + out.slice(i) : out.slice(0, i) + out.slice(i + 1);
    }
    return out;
  });

const odd = fc.constantFrom(
  "",
  "null",
  "[]",
  '{"schema":1}',
  `${"[".repeat(50_000)}${"]".repeat(50_000)}`,
  `{"schema":1,"files":${"{".repeat(20_000)}`,
  JSON.stringify({ schema: 1, files: { "/proc/self/status": `CapEff:\t${"f".repeat(500_000)}` }, which: {} }),
  JSON.stringify({
    schema: 1,
    files: { "/proc/self/mountinfo": "1 1 0:1 / /x rw - cgroup c cpu\n".repeat(20_000) },
    which: {},
  }),
);

const snapshotText = fc.oneof(
  { weight: 300, arbitrary: structural },
  { weight: 150, arbitrary: textual },
  { weight: 1, arbitrary: odd },
);

test("fuzz: qm doctor --snapshot on mutated recorded snapshots never ends in an internal error", async (t) => {
  assert.ok(recorded.length > 0, "test/fixtures/doctor holds recorded snapshots");
  const file = join(tempDir(t), "host.json");
  const statuses = new Map<number, number>();
  const report = await fuzzAsync(
    t,
    "qm doctor --snapshot",
    snapshotText,
    async (text) => {
      writeFileSync(file, text);
      let stdout = "";
      let stderr = "";
      const io: Io = { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) };
      const status = await runProgram(qmProgram, ["--json", "doctor", "--snapshot", file], io);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      assert.ok([0, 3, 4].includes(status), `exit ${status}: ${stderr.slice(0, 500)}`);
      const doc = JSON.parse(stdout) as {
        error?: { code: string; location?: { line: number; column: number } };
      };
      if (status === 3) {
        assert.equal(doc.error?.code, "QM_DOCTOR_SNAPSHOT");
        assert.ok(doc.error?.location && doc.error.location.line >= 1, `not located: ${stderr}`);
        assert.doesNotMatch(
          stderr.replace(/\n/g, ""),
          /[\u0000-\u001f\u007f]/,
          "no control character in the error",
        );
      } else assert.equal(doc.error, undefined);
    },
    { minRuns: 10_000, budgetMs: 8_000, caseLimitMs: 5_000 },
  );
  t.diagnostic(`exit statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
  assert.ok(report.runs >= 10_000);
});
