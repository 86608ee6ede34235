// Go's encoding/csv (default settings) for Mount= values, in process.
import assert from "node:assert/strict";
import { test } from "node:test";
import { readCsv, writeCsv } from "./csv.js";

test("readCsv: plain and quoted fields, doubled quotes, commas and newlines inside quotes", () => {
  assert.deepEqual(readCsv("type=bind,src=/a,dst=/b"), [["type=bind", "src=/a", "dst=/b"]]);
  assert.deepEqual(readCsv('a,"b,c",d\n'), [["a", "b,c", "d"]]);
  assert.deepEqual(readCsv('"a""b",c'), [['a"b', "c"]]);
  assert.deepEqual(readCsv('"a\nb",c'), [["a\nb", "c"]]);
  assert.deepEqual(readCsv('x,""'), [["x", ""]]);
  assert.deepEqual(readCsv("a,,b,"), [["a", "", "b", ""]]);
  assert.deepEqual(readCsv("a,b\r\nc,d\r\n"), [
    ["a", "b"],
    ["c", "d"],
  ]);
  assert.deepEqual(readCsv("a\r"), [["a"]]);
  assert.deepEqual(readCsv("\n\na\n\n"), [["a"]]);
  assert.deepEqual(readCsv(""), []);
});

test("readCsv: Go's errors, with line and column", () => {
  assert.equal(readCsv('a "word","b"'), 'parse error on line 1, column 3: bare " in non-quoted-field');
  assert.equal(readCsv('x,a"b'), 'parse error on line 1, column 4: bare " in non-quoted-field');
  assert.equal(readCsv('"abc"d'), 'parse error on line 1, column 5: extraneous or missing " in quoted-field');
  assert.equal(readCsv("a,b\nc"), "record on line 2: wrong number of fields");
  assert.equal(
    readCsv('a\n"b\nc"d'),
    'record on line 2; parse error on line 3, column 2: extraneous or missing " in quoted-field',
  );
});

test("writeCsv: quotes only fields that need it", () => {
  assert.equal(writeCsv(["type=bind", "src=/a", ""]), "type=bind,src=/a,");
  assert.equal(writeCsv(["a,b", 'q"q', "l\nl", "r\rr"]), '"a,b","q""q","l\nl","r\rr"');
  assert.equal(writeCsv([" lead", "\tlead", "trail ", "\\.", "\\.x"]), '" lead","\tlead",trail ,"\\.",\\.x');
  assert.deepEqual(readCsv(writeCsv(["a,b", 'q"q', " s"])), [["a,b", 'q"q', " s"]]);
});
