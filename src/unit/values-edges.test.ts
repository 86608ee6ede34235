// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} in these strings is unit-file syntax left for systemd, not a template.
// systemd's value syntax (systemd.syntax(7), systemd.service(5) "Command lines", systemd.unit(5) "Specifiers"):
// escapes and their errors with the offset of the backslash, quoting, booleans, specifiers and ${VAR}.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  escapeWord,
  escapeWords,
  expandEnvironment,
  expandSpecifiers,
  parseBoolean,
  parseKeyValueWords,
  splitWords,
  unquoteValue,
  ValueSyntaxError,
} from "./values.js";

const fails = (f: () => unknown, message: string, offset: number): void => {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof ValueSyntaxError);
    assert.equal(e.message, message);
    assert.equal(e.offset, offset);
    return true;
  });
};

describe("systemd value syntax, edges", () => {
  it("decodes every C escape", () => {
    const table: [string, string][] = [
      ["\\a\\b\\f\\n\\r\\t\\v", "\x07\b\f\n\r\t\v"],
      ["\\\\\\\"\\'\\s", "\\\"' "],
      ["\\x41\\xfF\\x0a", "A\xff\n"],
      ["\\u00e9\\ud7ff\\ue000", "\u00e9\ud7ff\ue000"],
      ["\\U0001F600\\U0010ffff", "\u{1f600}\u{10ffff}"],
      ["\\101\\377\\0101", "A\xff\b1"],
    ];
    for (const [value, want] of table) assert.deepEqual(splitWords(value), [want], value);
  });

  it("names the bad escape and where its backslash is", () => {
    const table: [string, string, number][] = [
      ["ab \\q", "unsupported escape \\q", 3],
      ["\\8", "unsupported escape \\8", 0],
      ["x\\x0", "invalid \\x escape", 1],
      ["\\x00", "invalid \\x escape", 0],
      ["\\xg1", "invalid \\x escape", 0],
      ["\\x", "invalid \\x escape", 0],
      ["\\u00", "invalid \\u escape", 0],
      ["\\u0000", "invalid \\u escape", 0],
      ["\\ud800", "invalid \\u escape", 0],
      ["\\udfff", "invalid \\u escape", 0],
      ["\\U00110000", "invalid \\U escape", 0],
      ["\\U0000000", "invalid \\U escape", 0],
      ["a b \\18", "invalid octal escape", 4],
      ["\\400", "invalid octal escape", 0],
      ["\\000", "invalid octal escape", 0],
      ["\\7", "invalid octal escape", 0],
      ['"a \\q"', "unsupported escape \\q", 3],
    ];
    for (const [value, message, offset] of table) fails(() => splitWords(value), message, offset);
  });

  it("splits at white space, groups quotes, keeps a trailing backslash", () => {
    const table: [string, string[]][] = [
      [" \t\n\ra\r\n", ["a"]],
      ["a\vb", ["a\vb"]],
      ['a"b c"d', ["ab cd"]],
      [`'a"b'`, ['a"b']],
      [`"a'b"`, ["a'b"]],
      ['"a\\"b"', ['a"b']],
      ['"unterminated x', ["unterminated x"]],
      ['""', [""]],
      ['"" x', ["", "x"]],
      ["a\\", ["a\\"]],
      ["a b\\", ["a", "b\\"]],
      ["  ", []],
    ];
    for (const [value, want] of table) assert.deepEqual(splitWords(value), want, JSON.stringify(value));
    assert.deepEqual(splitWords("a\\nb \\q", { cunescape: false }), ["anb", "q"]);
    assert.deepEqual(splitWords("a\\ b", { cunescape: false }), ["a b"]);
    assert.deepEqual(splitWords("a\\nb", { cunescape: true }), ["a\nb"]);
    assert.deepEqual(splitWords("a\\nb", {}), ["a\nb"]);
  });

  it("unquotes a value that is one quoted word, and nothing else", () => {
    const table: [string, string][] = [
      ['"a b"', "a b"],
      ["'a b'", "a b"],
      ["'x\\ty'", "x\ty"],
      ['""', ""],
      ['"a" "b"', '"a" "b"'],
      ['"', '"'],
      ["'", "'"],
      [`"a'`, `"a'`],
      ['a"', 'a"'],
      ["ab", "ab"],
      ["", ""],
    ];
    for (const [value, want] of table) assert.equal(unquoteValue(value), want, value);
  });

  it("reads systemd's boolean words", () => {
    for (const v of ["1", "yes", "y", "true", "t", "on", " YES ", "On"])
      assert.equal(parseBoolean(v), true, v);
    for (const v of ["0", "no", "n", "false", "f", "off", "OFF"]) assert.equal(parseBoolean(v), false, v);
    for (const v of ["", "2", "yess", "ja", "of"]) assert.equal(parseBoolean(v), undefined, v);
  });

  it("reads KEY=VALUE words, dropping words without a key", () => {
    assert.deepEqual(parseKeyValueWords('A=1 "B=2 3" bare =x C= D=e=f'), [
      ["A", "1"],
      ["B", "2 3"],
      ["C", ""],
      ["D", "e=f"],
    ]);
    fails(() => parseKeyValueWords("A=\\q"), "unsupported escape \\q", 2);
  });

  it("quotes a word only when systemd would split or unescape it", () => {
    const table: [string, string][] = [
      ["abc", "abc"],
      ["%h/$X", "%h/$X"],
      ["\u00e9", "\u00e9"],
      ["", '""'],
      ["a b", '"a b"'],
      ['a"b', '"a\\"b"'],
      ["a'b", `"a'b"`],
      ["a\\b", '"a\\\\b"'],
      ["a\nb", '"a\\nb"'],
      ["\t", '"\\t"'],
      ["\r", '"\\r"'],
      ["\x01", '"\\x01"'],
      ["a\x1fb", '"a\\x1fb"'],
      ["\x7f", '"\\x7f"'],
      ["\x00", '"\\x00"'],
      ["a\u00a0b", '"a\u00a0b"'],
    ];
    for (const [word, want] of table) {
      assert.equal(escapeWord(word), want, JSON.stringify(word));
      // A NUL cannot be in an argument; systemd refuses \x00.
      if (word !== "\x00") assert.deepEqual(splitWords(escapeWord(word)), [word], JSON.stringify(word));
    }
    assert.equal(escapeWords(["a", "b c", ""]), 'a "b c" ""');
  });

  it("expands specifiers, %% as a percent sign, and refuses unknown ones", () => {
    assert.equal(expandSpecifiers("%n.%%", { n: "web" }), "web.%");
    assert.equal(expandSpecifiers("x%n%i", { n: "a", i: "b" }), "xab");
    assert.equal(expandSpecifiers("", {}), "");
    assert.equal(expandSpecifiers("%n", { n: "" }), "");
    fails(() => expandSpecifiers("%", {}), "'%' at end of value", 0);
    fails(() => expandSpecifiers("ab%", {}), "'%' at end of value", 2);
    fails(() => expandSpecifiers("a%q", { n: "x" }), "unknown or unavailable specifier %q", 1);
  });

  it("expands ${VAR} in words and splits a bare $VAR word", () => {
    const env = { A: " x  y ", B: "1 2", _a9: "z" };
    assert.deepEqual(expandEnvironment(["$A"], env), ["x", "y"]);
    assert.deepEqual(expandEnvironment(["$U"], env), []);
    assert.deepEqual(expandEnvironment(["$_a9"], env), ["z"]);
    assert.deepEqual(expandEnvironment(["${B}z"], env), ["1 2z"]);
    assert.deepEqual(expandEnvironment(["${U}"], env), [""]);
    assert.deepEqual(expandEnvironment(["a${B}b${_a9}"], env), ["a1 2bz"]);
    assert.deepEqual(expandEnvironment(["$A$B", "${1A}", "$", "$1", "x$A"], env), [
      "$A$B",
      "${1A}",
      "$",
      "$1",
      "x$A",
    ]);
    assert.deepEqual(expandEnvironment([], env), []);
  });
});
