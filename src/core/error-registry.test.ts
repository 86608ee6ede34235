import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { repoRoot } from "../../test/helpers.js";
import { ERRORS, type ErrorCode, ExitCode } from "./error-registry.js";
import { QmError, toQmError } from "./errors.js";
import { renderErrorsDoc } from "./errors-doc.js";

/** Not error codes: errno values of src/unit/fs.ts's FsError, worded inside QM_QUADLET_LOAD and the generator's text. */
const FS_ERRNO = new Set(["QM_LINK", "QM_NOT_REGULAR", "QM_TOO_LARGE"]);
const REGISTRY = "src/core/error-registry.ts";
/** The registry and what is made of it: the statuses are declared there, not set. */
const DECLARED = [REGISTRY, "src/core/errors-doc.ts", "src/core/errors.ts"];
/** Where exit statuses are set. */
const FRONT_ENDS = ["src/cli/", "src/bin/"];

interface Source {
  readonly path: string;
  readonly text: string;
}

function sources(dir = join(repoRoot, "src")): Source[] {
  const out: Source[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (name.endsWith(".ts") && !name.endsWith(".test.ts"))
      out.push({ path: relative(repoRoot, path), text: readFileSync(path, "utf8") });
  }
  return out;
}

const lineOf = (text: string, index: number): number => text.slice(0, index).split("\n").length;

/** Every QM_/QMCTL_ string literal outside the registry, with where it is. */
function codeLiterals(files: readonly Source[]): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const f of files) {
    if (f.path === REGISTRY) continue;
    for (const m of f.text.matchAll(/(["'`])(QM(?:CTL)?_[A-Z0-9_]+)\1/g)) {
      const code = m[2] as string;
      found.set(code, [...(found.get(code) ?? []), `${f.path}:${lineOf(f.text, m.index)}`]);
    }
  }
  return found;
}

/** The argument text of every `new QmError(...)`, with where it is. */
function constructions(files: readonly Source[]): { at: string; path: string; args: string }[] {
  const out: { at: string; path: string; args: string }[] = [];
  for (const f of files) {
    for (const m of f.text.matchAll(/new QmError\(/g)) {
      let depth = 1;
      let i = m.index + m[0].length;
      for (; i < f.text.length && depth > 0; i++) {
        if (f.text[i] === "(") depth++;
        else if (f.text[i] === ")") depth--;
      }
      out.push({ at: `${f.path}:${lineOf(f.text, m.index)}`, path: f.path, args: f.text.slice(m.index, i) });
    }
  }
  return out;
}

const files = sources();

test("every error code in src/ is registered", () => {
  const unregistered = [...codeLiterals(files)]
    .filter(([code]) => !(code in ERRORS) && !FS_ERRNO.has(code))
    .map(([code, at]) => `${code} (${at.join(", ")})`);
  assert.deepEqual(unregistered, [], "add these codes to src/core/error-registry.ts");
});

test("every registered code is thrown somewhere in src/", () => {
  const literals = codeLiterals(files);
  const unused = Object.keys(ERRORS).filter((code) => !literals.has(code));
  assert.deepEqual(unused, [], "remove these codes from src/core/error-registry.ts, or throw them");
});

test("the errno values of the unit file system are not used as error codes", () => {
  for (const [code, at] of codeLiterals(files)) {
    if (FS_ERRNO.has(code))
      for (const where of at) assert.match(where, /^src\/unit\/fs\.ts:/, `${code} at ${where}`);
  }
  for (const c of constructions(files))
    for (const code of FS_ERRNO) assert.ok(!c.args.includes(`"${code}"`), `${c.at} throws ${code}`);
});

test("only src/cli and src/bin set exit statuses", () => {
  const outside = files.filter(
    (f) => !FRONT_ENDS.some((d) => f.path.startsWith(d)) && !DECLARED.includes(f.path),
  );
  const setting: string[] = [];
  for (const f of outside)
    for (const m of f.text.matchAll(
      /\bExitCode\.|\bQmctlExit\.|process\.exit\b|process\.exitCode\b|\b(e|error)\.exitCode\b/g,
    )) {
      // A child's process.exit inside a script string run in the partition is not qm's status.
      const line = f.text.split("\n")[lineOf(f.text, m.index) - 1] as string;
      if (/^\s*"[^"]*process\.exit/.test(line)) continue;
      setting.push(`${f.path}:${lineOf(f.text, m.index)}: ${line.trim()}`);
    }
  for (const c of constructions(outside))
    if (/\bexitCode\b/.test(c.args)) setting.push(`${c.at}: a status passed to QmError`);
  assert.deepEqual(setting, []);
});

test("a status passed to QmError in src/cli is the one the registry names for the code", () => {
  const overrides = constructions(files).filter((c) => /\bexitCode\b/.test(c.args));
  assert.ok(overrides.length > 0, "the documented exception (QM_DOCTOR_SNAPSHOT, unreadable) is found");
  for (const c of overrides) {
    assert.ok(
      FRONT_ENDS.some((d) => c.path.startsWith(d)),
      `${c.at}: only src/cli and src/bin may choose a status`,
    );
    const status = /exitCode: ExitCode\.(\w+)/.exec(c.args)?.[1];
    assert.ok(status && status in ExitCode, `${c.at}: the status is an ExitCode constant`);
    const value = ExitCode[status as keyof typeof ExitCode];
    const allowed: number[] = Object.values(ERRORS).flatMap((s) => ("also" in s ? [s.also.status] : []));
    assert.ok(allowed.includes(value), `${c.at}: status ${value} is no code's documented other status`);
  }
});

test("a QmError ends in its code's registered status", () => {
  for (const code of Object.keys(ERRORS) as ErrorCode[])
    assert.equal(new QmError(code, "m").exitCode, ERRORS[code].status, code);
  assert.equal(new QmError("QM_COMMAND_NOT_FOUND", "m").exitCode, ExitCode.hostNotReady);
  assert.equal(new QmError("QMCTL_CONTAINER_NOT_FOUND", "m").exitCode, 127);
  assert.equal(toQmError(new Error("boom")).exitCode, ExitCode.internal);
});

test("every registered code has a one-line summary", () => {
  for (const [code, spec] of Object.entries(ERRORS)) {
    assert.match(code, /^QM(CTL)?_[A-Z0-9_]+$/);
    assert.ok(spec.summary.length > 10 && !spec.summary.includes("\n"), code);
    assert.ok(Number.isInteger(spec.status) && spec.status > 0 && spec.status < 256, code);
  }
});

test("docs/errors.md is generated from the registry (node scripts/errors-doc.mjs)", () => {
  const doc = readFileSync(join(repoRoot, "docs/errors.md"), "utf8");
  assert.equal(doc, renderErrorsDoc(), "docs/errors.md is out of date: run node scripts/errors-doc.mjs");
  for (const code of Object.keys(ERRORS)) assert.ok(doc.includes(`| \`${code}\` |`), code);
});
