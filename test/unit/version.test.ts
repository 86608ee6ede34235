import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { VERSION } from "../../src/core/version.js";
import { repoRoot } from "../helpers.js";

test("VERSION matches package.json", () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };
  assert.equal(VERSION, pkg.version);
});

test("the packages carry the same version: debian/changelog's newest entry and rpm/qm.spec", () => {
  const changelog = readFileSync(join(repoRoot, "debian/changelog"), "utf8");
  assert.equal(/^qm \(([^)]+)\)/.exec(changelog)?.[1], VERSION);
  const spec = readFileSync(join(repoRoot, "rpm/qm.spec"), "utf8");
  assert.equal(/^Version:\s+(\S+)$/m.exec(spec)?.[1], VERSION);
});

test("engines, the bundle target and the packages' Node.js dependency name the same oldest Node.js", () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
    engines: { node: string };
  };
  const oldest = /^>=(\d+\.\d+)$/.exec(pkg.engines.node)?.[1];
  assert.ok(oldest, pkg.engines.node);
  assert.match(
    readFileSync(join(repoRoot, "scripts/build.mjs"), "utf8"),
    new RegExp(`target: "node${oldest}"`),
  );
  assert.match(
    readFileSync(join(repoRoot, "debian/control"), "utf8"),
    new RegExp(`nodejs \\(>= ${oldest}\\)`),
  );
  assert.match(
    readFileSync(join(repoRoot, "rpm/qm.spec"), "utf8"),
    new RegExp(`Requires:\\s+nodejs >= ${oldest}$`, "m"),
  );
});
