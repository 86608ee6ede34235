// Expected values follow systemd's extract_first_word() and cunescape rules (src/basic/extract-word.c,
// src/basic/escape.c) and quadlet's escapeWord for ExecStart= (podman pkg/systemd/parser).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ARGS_FLAGS,
  escapeString,
  escapeWord,
  escapeWords,
  extractFirstWord,
  SplitError,
  SplitFlag,
  STRV_FLAGS,
  splitString,
  trySplit,
  WHITESPACE,
} from "./words.js";

const {
  relax,
  cunescape,
  unescapeRelax,
  unescapeSeparators,
  keepQuote,
  unquote,
  dontCoalesce,
  retainEscape,
  retainSeparators,
} = SplitFlag;

describe("systemd word splitting", () => {
  it("has systemd's flag values and quadlet's flag sets", () => {
    assert.deepEqual(
      [relax, cunescape, unescapeRelax, unescapeSeparators, keepQuote, unquote, dontCoalesce],
      [1, 2, 4, 8, 16, 32, 64],
    );
    assert.deepEqual([retainEscape, retainSeparators], [128, 256]);
    assert.equal(ARGS_FLAGS, 35);
    assert.equal(STRV_FLAGS, 160);
    assert.equal(WHITESPACE, " \t\n\r");
  });

  it("extracts the first word and what follows", () => {
    const table: [string, string, number, string, string, boolean][] = [
      // input, separators, flags, word, rest, more
      ["foobar waldo", " ", 0, "foobar", "waldo", true],
      ["waldo", " ", 0, "waldo", "", true],
      ["", " ", 0, "", "", false],
      ["    ", " ", 0, "", "", false],
      ["   foobar   ", " ", 0, "foobar", "", true],
      ["foobar   waldo  ", " ", 0, "foobar", "waldo  ", true],
      ["\"foobar\" 'waldo'", " ", 0, '"foobar"', "'waldo'", true],
      ["\"foobar\" 'waldo'", " ", unquote, "foobar", "'waldo'", true],
      ["'waldo'", " ", unquote, "waldo", "", true],
      ['"foo bar" x', " ", keepQuote, '"foo bar"', "x", true],
      ['"foo bar" x', " ", unquote, "foo bar", "x", true],
      ["yay'foo'bar", " ", keepQuote, "yay'foo'bar", "", true],
      ["yay'foo'bar", " ", unquote, "yayfoobar", "", true],
      ["yay'foo bar'baz x", " ", unquote, "yayfoo barbaz", "x", true],
      ["'fooo", " ", unquote | relax, "fooo", "", true],
      ['"fooo', " ", unquote | relax, "fooo", "", true],
      ["a\\ b c", " ", 0, "a b", "c", true],
      [" foo\\ba\\x6ar ", " ", 0, "foobax6ar", "", true],
      [" foo\\ba\\x6ar ", " ", cunescape, "foo\bajr", "", true],
      ["foo\\", " ", relax, "foo", "", true],
      ["foo\\", " ", cunescape | relax, "foo", "", true],
      ["foo\\", " ", unescapeRelax, "foo\\", "", true],
      ["'foo\\", " ", unquote | unescapeRelax | relax, "foo\\", "", true],
      ["foo\\w", " ", cunescape | unescapeRelax, "foo\\w", "", true],
      ["foo\\:b", ":", unescapeSeparators, "foo:b", "", true],
      ["foo\\\\b", ":", unescapeSeparators, "foo\\b", "", true],
      ["foo\\wb", ":", unescapeSeparators | unescapeRelax, "foo\\wb", "", true],
      ["foo\\x41", ":", cunescape | unescapeSeparators, "fooA", "", true],
      ["foo\\:", ":", cunescape | unescapeSeparators, "foo:", "", true],
      ["a:b:c", ":", 0, "a", "b:c", true],
      ["a::b", ":", 0, "a", "b", true],
      ["a::b", ":", dontCoalesce, "a", ":b", true],
      [":b", ":", dontCoalesce, "", "b", true],
      [":b", ":", dontCoalesce | retainSeparators, "", ":b", true],
      ["a:b", ":", dontCoalesce | retainSeparators, "a", ":b", true],
      ["a  b", " ", retainSeparators, "a", "  b", true],
      ["  a", " ", retainSeparators, "a", "", true],
      ["a\\b", " ", retainEscape, "a\\b", "", true],
      ["'a\\' b", " ", retainEscape | unquote, "a\\", "b", true],
      ['"a\\"b" c', " ", unquote, 'a"b', "c", true],
      ['"a\\tb"', " ", unquote | cunescape, "a\tb", "", true],
      ["a\x00b c", " ", 0, "a", "", true],
      ["\x00a", " ", 0, "", "", false],
      ["a b", "", 0, "a b", "", true],
      [":bc", ":", dontCoalesce, "", "bc", true],
      ['"":b', ":", unquote | dontCoalesce, "", "b", true],
      ["foo\\\x00bar", " ", unescapeRelax, "foo\\", "", true],
      ["foo\\\x00bar", " ", relax, "foo", "", true],
      ["'fo\x00o", " ", unquote | relax, "fo", "", true],
      ["a  \x00b", " ", 0, "a", "", true],
      ["foo\\x41", ":", unescapeSeparators | unescapeRelax, "foo\\x41", "", true],
    ];
    for (const [input, seps, flags, word, rest, more] of table) {
      assert.deepEqual(
        extractFirstWord(input, seps, flags),
        { word, rest, more },
        `${JSON.stringify(input)} ${flags}`,
      );
    }
  });

  it("fails on unbalanced quotes and escapes, and unknown escapes", () => {
    const table: [string, number, string][] = [
      ['"', unquote, "unbalanced quotes"],
      ["'", unquote, "unbalanced quotes"],
      ["'fooo", unquote, "unbalanced quotes"],
      ["a 'b", unquote, "unbalanced quotes"],
      ['"a\\"b"', retainEscape | unquote, "unbalanced quotes"],
      ["foo\\", 0, "unbalanced escape"],
      ["foo\\", cunescape, "unbalanced escape"],
      ["'foo\\", unquote | unescapeRelax, "unbalanced escape"],
      ["foo\\w", cunescape, "unsupported escape char"],
      ["foo\\wb", unescapeSeparators, "unsupported escape char"],
    ];
    for (const [input, flags, message] of table) {
      assert.throws(
        () => splitString(input, flags),
        (e: unknown) => e instanceof SplitError && e.message === message,
        `${JSON.stringify(input)} ${flags}`,
      );
    }
  });

  it("decodes C escapes like cunescape", () => {
    const table: [string, string][] = [
      ["\\a\\b\\f\\n\\r\\t\\v", "\x07\x08\x0c\n\r\t\x0b"],
      ["\\\\\\\"\\'\\s", "\\\"' "],
      ["\\x41\\x4a\\x4F\\x0a\\x0A\\x0f\\x0F\\x3a\\x7f", "AJO\n\n\x0f\x0f:\x7f"],
      ["\\u00e9\\u00E9", "\xc3\xa9\xc3\xa9"],
      ["\\u20ac", "\xe2\x82\xac"],
      ["\\U0001f600", "\xf0\x9f\x98\x80"],
      ["\\U0010ffff", "\xf4\x8f\xbf\xbf"],
      ["\\101\\177\\011", "A\x7f\t"],
      ["\\377", "\xc3\xbf"],
      ["\\1010", "A0"],
      ["\\x411", "A1"],
    ];
    for (const [input, want] of table) assert.deepEqual(splitString(input, cunescape), [want], input);
    const invalid = ["\\x0", "\\x", "\\x00", "\\x0g", "\\x0G", "\\x0:", "\\x0/", "\\x0@", "\\x0`", "\\xg0"];
    invalid.push("\\u00e", "\\u0000", "\\u00g9", "\\U00110000", "\\U00000000", "\\U0001f60");
    invalid.push("\\000", "\\400", "\\081", "\\0/1", "\\18", "\\1", "\\q", "\\8");
    for (const input of invalid) {
      assert.throws(() => splitString(input, cunescape), SplitError, input);
      assert.deepEqual(splitString(input, cunescape | unescapeRelax), [input], input);
    }
  });

  it("splits all words, at white space by default", () => {
    assert.deepEqual(splitString("a\tb\nc\rd e\vf", 0), ["a", "b", "c", "d", "e\vf"]);
    assert.deepEqual(splitString("a,,b", dontCoalesce, ","), ["a", "", "b"]);
    assert.deepEqual(splitString("a,,b", 0, ","), ["a", "b"]);
    assert.deepEqual(splitString(`/bin/echo "a b" 'c d' e\\x20f`, ARGS_FLAGS), [
      "/bin/echo",
      "a b",
      "c d",
      "e f",
    ]);
    assert.deepEqual(splitString(`CAP_A "CAP B" C\\x20D`, STRV_FLAGS), ["CAP_A", "CAP B", "C\\x20D"]);
    assert.deepEqual(splitString(`a "b`, ARGS_FLAGS), ["a", "b"]);
    assert.deepEqual(splitString("", ARGS_FLAGS), []);
    assert.deepEqual(trySplit("a 'b", STRV_FLAGS), undefined);
    assert.deepEqual(trySplit("a 'b c'", STRV_FLAGS), ["a", "b c"]);
    assert.deepEqual(trySplit("a\\q", ARGS_FLAGS), undefined);
  });

  it("escapes words for ExecStart= as quadlet does", () => {
    const table: [string, string][] = [
      ["", ""],
      ["abc", "abc"],
      ["!#&([]~", "!#&([]~"],
      ["/usr/bin/a-b", "/usr/bin/a-b"],
      ["a b", '"a b"'],
      ["a\tb\nc\rd", '"a\\tb\\nc\\rd"'],
      ["\x07\x08\x0b\x0c", '"\\a\\b\\v\\f"'],
      ['a"b', '"a\\"b"'],
      ["a'b", `"a'b"`],
      ["a\\b", '"a\\\\b"'],
      ["a\x01b\x1f", '"a\\x01b\\x1f"'],
      ["\x7f", '"\\x7f"'],
      ["\xc2\x80", '"\\x80"'],
      ["\xc3\xa9", "\xc3\xa9"],
      ["\xc2\x85", "\xc2\x85"],
      ["\xc2\xa0", "\xc2\xa0"],
      ["\xff", "\xff"],
      ["a \xff", '"a \xef\xbf\xbd"'],
      ["\xc3\xa9 x", '"\xc3\xa9 x"'],
      ["\xc3\xa9-/x", "\xc3\xa9-/x"],
    ];
    for (const [word, want] of table) assert.equal(escapeWord(word), want, JSON.stringify(word));
    assert.equal(escapeWords(["/bin/sh", "-c", "echo a b", "it's"]), `/bin/sh -c "echo a b" "it's"`);
    assert.equal(escapeWords([]), "");
    assert.equal(escapeWords(["a", "b"]), "a b");
  });

  it("escapes paths: slashes become dashes, a leading one disappears", () => {
    assert.equal(escapeString("/a-b/c", true), "a\\x2db-c");
    assert.equal(escapeString("a/b", true), "a-b");
    assert.equal(escapeString("/a-b/c", false), "/a-b/c");
    assert.equal(escapeString("a b\\", false), "a b\\\\");
    assert.equal(escapeString("\xff", false), "\xef\xbf\xbd");
  });
});
