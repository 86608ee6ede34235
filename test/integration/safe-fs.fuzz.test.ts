/**
 * The safe file layer against random trees full of links (outward, absolute, relative, loops), FIFOs and random
 * paths: whatever it is asked, it never reads, writes, chmods or removes anything outside its base, never hangs,
 * and refuses with QM_UNSAFE_PATH rather than failing in any other way.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { QmError } from "../../src/core/errors.js";
import { type LinkPolicy, SafeDir, SafeRoot } from "../../src/engine/safe-fs.js";
import { fuzz } from "../fuzz.js";

const name = fc.constantFrom("a", "b", "c", "etc", "qm");
const relPath = fc.array(
  fc.oneof({ weight: 6, arbitrary: name }, { weight: 1, arbitrary: fc.constantFrom("..", ".", "") }),
  {
    minLength: 1,
    maxLength: 4,
  },
);

type Node =
  | { kind: "dir"; path: string[] }
  | { kind: "file"; path: string[] }
  | { kind: "fifo"; path: string[] }
  | { kind: "link"; path: string[]; target: string };

const target = fc.oneof(
  fc.constantFrom(
    "@OUT",
    "@OUT/secret",
    "@OUT/dir",
    "/",
    "/a",
    "/a/b",
    "..",
    "../..",
    "../../..",
    ".",
    "a",
    "b/c",
  ),
  relPath.map((p) => p.join("/")),
);
const node: fc.Arbitrary<Node> = fc.oneof(
  fc.record({ kind: fc.constant("dir" as const), path: fc.array(name, { minLength: 1, maxLength: 3 }) }),
  fc.record({ kind: fc.constant("file" as const), path: fc.array(name, { minLength: 1, maxLength: 3 }) }),
  fc.record({ kind: fc.constant("fifo" as const), path: fc.array(name, { minLength: 1, maxLength: 3 }) }),
  fc.record({
    kind: fc.constant("link" as const),
    path: fc.array(name, { minLength: 1, maxLength: 3 }),
    target,
  }),
);
const op = fc.oneof(
  fc.constantFrom(
    "read",
    "list",
    "lstat",
    "stat",
    "readlink",
    "unlink",
    "rmdir",
    "removeTree",
    "resolve",
    "mkdir",
    "chmod",
  ),
  fc.constantFrom("write", "symlink", "adopt"),
);

interface Case {
  readonly tree: readonly Node[];
  readonly policy: LinkPolicy | "root";
  readonly op: string;
  readonly path: string;
}

const cases: fc.Arbitrary<Case> = fc.record({
  tree: fc.array(node, { maxLength: 10 }),
  policy: fc.constantFrom("refuse", "confine", "root"),
  op,
  path: fc.oneof(
    relPath.map((p) => p.join("/")),
    relPath.map((p) => `/${p.join("/")}`),
  ),
});

/** True when every existing prefix of base/parts is a directory (not a link or a file). */
function realDirs(base: string, parts: readonly string[]): boolean {
  for (let i = 1; i <= parts.length; i++) {
    try {
      if (!lstatSync(join(base, ...parts.slice(0, i))).isDirectory()) return false;
    } catch {
      return true;
    }
  }
  return true;
}

/** Everything below `dir`: type, mode, link target and content. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const st = lstatSync(p);
      const what = st.isSymbolicLink()
        ? `-> ${readlinkSync(p)}`
        : st.isFile()
          ? readFileSync(p, "utf8")
          : st.isDirectory()
            ? "dir"
            : "other";
      out.push(`${p} ${(st.mode & 0o7777).toString(8)} ${what}`);
      if (st.isDirectory()) visit(p);
    }
  };
  visit(dir);
  return out;
}

test("the safe file layer never touches anything outside its base", {
  skip: process.platform !== "linux",
}, (t) => {
  const top = mkdtempSync(join(tmpdir(), "qm-safe-fs-fuzz-"));
  t.after(() => rmSync(top, { recursive: true, force: true }));
  const outside = join(top, "out");
  mkdirSync(join(outside, "dir"), { recursive: true });
  writeFileSync(join(outside, "secret"), "secret\n");
  chmodSync(join(outside, "secret"), 0o600);
  const before = snapshot(outside);
  // One FIFO, hard-linked wherever a case wants one (mkfifo per case would cost a process each).
  const fifo = join(top, "fifo");
  execFileSync("mkfifo", [fifo]);
  const base = join(top, "base");
  const source = join(top, "source");
  let refused = 0;
  let done = 0;

  fuzz(
    t,
    "safe file layer",
    cases,
    (c) => {
      rmSync(base, { recursive: true, force: true });
      mkdirSync(base);
      for (const n of c.tree) {
        const p = join(base, ...n.path);
        // Build only below real directories: the harness itself must not write through the case's links.
        if (!realDirs(base, n.path.slice(0, -1))) continue;
        try {
          mkdirSync(dirname(p), { recursive: true });
          if (n.kind === "dir") mkdirSync(p, { recursive: true });
          else if (n.kind === "file") writeFileSync(p, "inside\n", { flag: "wx" });
          else if (n.kind === "fifo") linkSync(fifo, p);
          else symlinkSync(n.target.replace("@OUT", outside), p);
        } catch {
          // a parent is a file or a link: that shape simply does not occur in this case
        }
      }
      const fs =
        c.policy === "root"
          ? new SafeRoot(base, { "/etc/qm": "refuse", "/a": "confine" })
          : new SafeDir(base, c.policy);
      try {
        switch (c.op) {
          case "read":
            assert.notEqual(fs.read(c.path)?.toString(), "secret\n", "read a file outside the base");
            break;
          case "list":
            assert.ok(!fs.list(c.path)?.includes("secret"), "listed a directory outside the base");
            break;
          case "lstat":
            fs.lstat(c.path);
            break;
          case "stat":
            fs.stat(c.path);
            break;
          case "readlink":
            fs.readlink(c.path);
            break;
          case "unlink":
            fs.unlink(c.path);
            break;
          case "rmdir":
            fs.rmdir(c.path);
            break;
          case "removeTree":
            fs.removeTree(c.path);
            break;
          case "resolve": {
            const host = fs.resolve(c.path);
            assert.ok(host === base || host.startsWith(`${base}/`), `resolved out of the base: ${host}`);
            break;
          }
          case "mkdir":
            fs.mkdir(c.path, 0o700);
            break;
          case "chmod":
            fs.chmod(c.path, 0o777);
            break;
          case "write":
            fs.write(c.path, "written\n", 0o666);
            break;
          case "symlink":
            fs.symlink(c.path, "/nowhere");
            break;
          case "adopt":
            if (fs instanceof SafeDir) {
              rmSync(source, { recursive: true, force: true });
              writeFileSync(source, "adopted\n");
              fs.adopt(source, c.path);
            }
            break;
        }
      } catch (error) {
        if (error instanceof assert.AssertionError) throw error;
        assert.ok(
          error instanceof QmError && error.code === "QM_UNSAFE_PATH",
          `${c.op} ${JSON.stringify(c.path)} failed otherwise: ${(error as Error).stack}`,
        );
        refused++;
      }
      done++;
      assert.deepEqual(snapshot(outside), before, `${c.op} ${JSON.stringify(c.path)} changed the outside`);
    },
    { minRuns: 10_000, budgetMs: 0, caseLimitMs: 5_000 },
  );
  t.diagnostic(`${done} operations, ${refused} refused with QM_UNSAFE_PATH`);
});
