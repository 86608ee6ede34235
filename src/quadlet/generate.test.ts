import assert from "node:assert/strict";
import { test } from "node:test";
import { relPath } from "./generate.js";

// [base, target, what Go's filepath.Rel returns (undefined: its "can't make ... relative to ..." error)].
const REL: ReadonlyArray<readonly [string, string, string | undefined]> = [
  ["a", "a", "."],
  ["a/b", "a/b", "."],
  [".", "a", "a"],
  ["", "a/b", "a/b"],
  [".", ".", "."],
  ["a", ".", "../."],
  ["a/b", "a", ".."],
  ["a", "a/b", "b"],
  ["a/b/c", "a/d", "../../d"],
  ["a/b", "c/d", "../../c/d"],
  ["/a", "/a/b", "b"],
  ["/a/b", "/c", "../../c"],
  ["/", "/a", "a"],
  ["/a", "/", ".."],
  ["a", "/a", undefined],
  ["/a", "a", undefined],
  ["..", "a", undefined],
  ["../a", "b", undefined],
  ["a/..", "b", "b"],
  ["a//b/", "a/b/c", "c"],
  ["multi-user.target.wants", "x.service", "../x.service"],
  ["x", "x.service", "../x.service"],
  ["a/b/c/d", "a/x/y", "../../../x/y"],
  ["../..", "..", undefined],
  ["..", "../a", "a"],
  ["ab", "abc", "../abc"],
  ["abc", "ab", "../ab"],
  ["a/b", "a/bc", "../bc"],
  ["/a/b/c", "/a/b/c/d/e", "d/e"],
  ["a/./b", "a/b/../c", "../c"],
];

test("relPath is Go's filepath.Rel", () => {
  for (const [base, target, rel] of REL) assert.equal(relPath(base, target), rel, `Rel(${base}, ${target})`);
});
