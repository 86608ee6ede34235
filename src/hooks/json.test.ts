import assert from "node:assert/strict";
import { test } from "node:test";
import { parseJson, stringEnd } from "./json.js";

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

test("invalid JSON holding escaped quotes and long numbers is rejected in linear time", () => {
  // Every quote opens a string that never closes: a backtracking scan restarts at each one.
  const text = `["${'\\"'.repeat(80_000)}1111111111111111`;
  const started = performance.now();
  assert.throws(() => parseJson(text), SyntaxError);
  const ms = performance.now() - started;
  assert.ok(ms < 1000, `took ${Math.round(ms)} ms for ${text.length} bytes`);
});

test("a string of megabytes of escapes next to a 64-bit integer is parsed, not refused", () => {
  const value = "x\\n".repeat(5_000_000); // 15 MB, under the hooks' 16 MiB limit
  const text = `{"annotations":{"a":"${value}"},"limit":18446744073709551615}`;
  const parsed = parseJson(text);
  assert.equal((parsed.value as { annotations: { a: string } }).annotations.a.length, 10_000_000);
  assert.equal(parsed.stringify(parsed.value), text);
});

test("digits after a decimal point or in an exponent are never taken for a separate integer", () => {
  const parsed = parseJson(
    '{"f":0.12345678901234567890,"e":1e19999999999999999,"s":1E+19999999999999999,"n":-2}',
  );
  assert.deepEqual(parsed.value, {
    f: 0.12345678901234568,
    e: Number.POSITIVE_INFINITY,
    s: Number.POSITIVE_INFINITY,
    n: -2,
  });
  const mixed = parseJson('{"f":0.12345678901234567890,"u":18446744073709551615}');
  assert.equal(mixed.stringify(mixed.value), '{"f":0.12345678901234568,"u":18446744073709551615}');
});

test("stringEnd: a quote ends the string unless an odd run of backslashes precedes it", () => {
  assert.equal(stringEnd('"abc"', 0), 5);
  assert.equal(stringEnd('x"ab\\"c"', 1), 8);
  assert.equal(stringEnd('xx"ab\\\\"c"', 2), 8);
  assert.equal(stringEnd('x"\\\\\\"a"', 1), 8);
  assert.equal(stringEnd('"\\"', 0), -1);
});
