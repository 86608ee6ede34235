import assert from "node:assert/strict";
import { test } from "node:test";
import { parseJson } from "./json.js";

test("integers JavaScript cannot hold come back as written", () => {
  const text =
    '{"a":18446744073709551615,"b":[-9223372036854775808,9007199254740993,0.1,3],"c":"18446744073709551615"}';
  const parsed = parseJson(text);
  assert.equal(parsed.stringify(parsed.value), text);
});

test("other numbers keep their value, as Go reads it, not always their spelling", () => {
  const parsed = parseJson('{"big":18446744073709551615,"f":[1.0,1e3,-0,2.5e-7,9007199254740991]}');
  assert.equal(
    parsed.stringify(parsed.value),
    '{"big":18446744073709551615,"f":[1,1000,0,2.5e-7,9007199254740991]}',
  );
});

test("edits keep the preserved literals; indentation is applied", () => {
  const parsed = parseJson('{"limit":18446744073709551615}');
  const value = parsed.value as Record<string, unknown>;
  value.added = 1;
  assert.equal(parsed.stringify(value), '{"limit":18446744073709551615,"added":1}');
  assert.equal(parsed.stringify(value, 2), '{\n  "limit": 18446744073709551615,\n  "added": 1\n}');
});

test("number-like text inside strings, and escaped quotes, are left alone", () => {
  const text = '{"s":"x\\" 18446744073709551615 \\\\","n":18446744073709551616}';
  const parsed = parseJson(text);
  assert.equal((parsed.value as { s: string }).s, 'x" 18446744073709551615 \\');
  assert.equal(parsed.stringify(parsed.value), text);
});

test("a string that looks like the internal marker cannot be turned into a number", () => {
  const text = '{"a":"qm-raw-number-abc:1","b":18446744073709551615,"c":"\\"qm-raw-number-x:12\\""}';
  const parsed = parseJson(text);
  assert.equal(parsed.stringify(parsed.value), text);
});

test("invalid JSON still throws, including malformed number literals", () => {
  for (const bad of [
    "{",
    '{"a":1.0.0}',
    '{"a":01}',
    '{"a":-}',
    "{'a':1}",
    '{"a":1e}',
    '{"a":18446744073709551615.0.1}',
    '{"a":018446744073709551615}',
    "[18446744073709551615 1]",
  ]) {
    assert.throws(() => parseJson(bad), SyntaxError, bad);
  }
});
