// Expected values are those of Go's unicode/utf8, unicode and strings packages and strconv.Quote for the same bytes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  bytesBuffer,
  compareBytes,
  decodeLastRune,
  decodeRune,
  encodeRune,
  equalFold,
  fromBytes,
  goQuote,
  isControl,
  isSpace,
  runes,
  toBytes,
  trimLeftSpace,
  trimRightSpace,
  trimSpace,
} from "./gostr.js";

const BAD = 0xfffd;

describe("Go string functions over byte strings", () => {
  it("converts between text and byte strings", () => {
    assert.equal(toBytes("é€"), "\xc3\xa9\xe2\x82\xac");
    assert.equal(fromBytes("\xc3\xa9\xe2\x82\xac"), "é€");
    assert.equal(fromBytes("a\xffb"), "a\ufffdb");
    assert.deepEqual([...bytesBuffer("\x00\xff\x80")], [0, 255, 128]);
  });

  it("decodes one rune like utf8.DecodeRuneInString", () => {
    const table: [string, number, number][] = [
      ["", BAD, 0],
      ["a", 0x61, 1],
      ["\x00", 0, 1],
      ["\x7f", 0x7f, 1],
      ["\x80", BAD, 1],
      ["\xbf", BAD, 1],
      ["\xc0\x80", BAD, 1],
      ["\xc1\xbf", BAD, 1],
      ["\xc2\x80", 0x80, 2],
      ["\xc3\xa9x", 0xe9, 2],
      ["\xdf\xbf", 0x7ff, 2],
      ["\xc2", BAD, 1],
      ["\xc2A", BAD, 1],
      ["\xc2\xc0", BAD, 1],
      ["\xe0\xa0\x80", 0x800, 3],
      ["\xe0\xbf\xbf", 0xfff, 3],
      ["\xe0\x9f\xbf", BAD, 1],
      ["\xe1\x80\x80", 0x1000, 3],
      ["\xe1\x7f\x80", BAD, 1],
      ["\xe1\xc0\x80", BAD, 1],
      ["\xe1\x80", BAD, 1],
      ["\xe1\x80A", BAD, 1],
      ["\xe1\x80\xc0", BAD, 1],
      ["\xe2\x82\xac", 0x20ac, 3],
      ["\xec\xbf\xbf", 0xcfff, 3],
      ["\xed\x9f\xbf", 0xd7ff, 3],
      ["\xed\xa0\x80", BAD, 1],
      ["\xed\xbf\xbf", BAD, 1],
      ["\xee\x80\x80", 0xe000, 3],
      ["\xef\xbf\xbf", 0xffff, 3],
      ["\xef\xbf\xbd", 0xfffd, 3],
      ["\xf0\x90\x80\x80", 0x10000, 4],
      ["\xf0\x8f\xbf\xbf", BAD, 1],
      ["\xf0\x9f\x98\x80", 0x1f600, 4],
      ["\xf0\xbf\xbf\xbf", 0x3ffff, 4],
      ["\xf1\x80\x80\x80", 0x40000, 4],
      ["\xf1\x7f\x80\x80", BAD, 1],
      ["\xf1\xc0\x80\x80", BAD, 1],
      ["\xf1\x80\x80", BAD, 1],
      ["\xf1\x80\x80A", BAD, 1],
      ["\xf1\x80A\x80", BAD, 1],
      ["\xf1\x80", BAD, 1],
      ["\xf3\xbf\xbf\xbf", 0xfffff, 4],
      ["\xf4\x80\x80\x80", 0x100000, 4],
      ["\xf4\x8f\xbf\xbf", 0x10ffff, 4],
      ["\xf4\x90\x80\x80", BAD, 1],
      ["\xf5\x80\x80\x80", BAD, 1],
      ["\xf8\x88\x80\x80\x80", BAD, 1],
      ["\xff", BAD, 1],
      ["\x80\x80\x80\x80", BAD, 1],
      ["\xc0\x80\x80\x80", BAD, 1],
      ["\xc1\xbf\xbf\xbf", BAD, 1],
    ];
    for (const [s, rune, size] of table) assert.deepEqual(decodeRune(s), [rune, size], JSON.stringify(s));
    assert.deepEqual(decodeRune("a\xc3\xa9", 1), [0xe9, 2]);
    assert.deepEqual(decodeRune("a\xc3\xa9", 2), [BAD, 1]);
    assert.deepEqual(decodeRune("ab", 2), [BAD, 0]);
    assert.deepEqual(decodeRune("x\xc3", 1), [BAD, 1]);
    assert.deepEqual(decodeRune("x\xe2\x82", 1), [BAD, 1]);
    assert.deepEqual(decodeRune("x\xf0\x9f\x98", 1), [BAD, 1]);
  });

  it("decodes the last rune like utf8.DecodeLastRuneInString", () => {
    const table: [string, number, number][] = [
      ["", BAD, 0],
      ["a", 0x61, 1],
      ["ab\x7f", 0x7f, 1],
      ["a\xc3\xa9", 0xe9, 2],
      ["\xc3\xa9", 0xe9, 2],
      ["x\xe2\x82\xac", 0x20ac, 3],
      ["\xe2\x82\xac", 0x20ac, 3],
      ["\xf0\x9f\x98\x80", 0x1f600, 4],
      ["a\xf0\x9f\x98\x80", 0x1f600, 4],
      ["\xa9", BAD, 1],
      ["\xc3", BAD, 1],
      ["\xc3\xa9\xa9", BAD, 1],
      ["\xe2\x82", BAD, 1],
      ["a\x80\x80\x80\x80", BAD, 1],
      ["\xf0\x80\x80\x80\x80", BAD, 1],
      ["\xff", BAD, 1],
    ];
    for (const [s, rune, size] of table) assert.deepEqual(decodeLastRune(s), [rune, size], JSON.stringify(s));
    assert.deepEqual(decodeLastRune("\xc3\xa9!", 2), [0xe9, 2]);
    assert.deepEqual(decodeLastRune("\xf0\x9f\x98\x80", 3), [BAD, 1]);
    assert.deepEqual(decodeLastRune("abc", 0), [BAD, 0]);
    assert.deepEqual(decodeLastRune("abc", -1), [BAD, 0]);
    assert.deepEqual(decodeLastRune("abc", 1), [0x61, 1]);
  });

  it("ranges over runes, one U+FFFD per invalid byte", () => {
    assert.deepEqual([...runes("a\xc3\xa9\xff\xe2\x82\xac")], [0x61, 0xe9, BAD, 0x20ac]);
    assert.deepEqual([...runes("\xe2\x82")], [BAD, BAD]);
    assert.deepEqual([...runes("")], []);
  });

  it("knows unicode.IsSpace and unicode.IsControl", () => {
    const spaces = [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2005, 0x200a];
    spaces.push(0x2028, 0x2029, 0x202f, 0x205f, 0x3000);
    for (const r of spaces) assert.equal(isSpace(r), true, r.toString(16));
    const others = [0x00, 0x08, 0x0e, 0x1f, 0x21, 0x41, 0x84, 0x86, 0x9f, 0xa1, 0xff, 0x100, 0x167f, 0x1681];
    others.push(
      0x180e,
      0x1fff,
      0x200b,
      0x2027,
      0x202a,
      0x202e,
      0x2030,
      0x205e,
      0x2060,
      0x2fff,
      0x3001,
      0xfeff,
    );
    for (const r of others) assert.equal(isSpace(r), false, r.toString(16));
    for (const r of [0x00, 0x09, 0x1f, 0x7f, 0x80, 0x85, 0x9f])
      assert.equal(isControl(r), true, r.toString(16));
    for (const r of [0x20, 0x41, 0x7e, 0xa0, 0xff, 0x2028]) assert.equal(isControl(r), false, r.toString(16));
  });

  it("trims white space like strings.TrimSpace, Unicode spaces included", () => {
    const table: [string, string, string, string][] = [
      // input, TrimLeft, TrimRight, TrimSpace
      ["", "", "", ""],
      ["   ", "", "", ""],
      ["a", "a", "a", "a"],
      ["  a b  ", "a b  ", "  a b", "a b"],
      ["\t\n\v\f\r x \t\n\v\f\r", "x \t\n\v\f\r", "\t\n\v\f\r x", "x"],
      ["\xc2\xa0x\xc2\xa0", "x\xc2\xa0", "\xc2\xa0x", "x"],
      ["\xe3\x80\x80 x \xe2\x80\x80", "x \xe2\x80\x80", "\xe3\x80\x80 x", "x"],
      ["\xc2\xa0 \xc2\x85x \xc2\xa0 ", "x \xc2\xa0 ", "\xc2\xa0 \xc2\x85x", "x"],
      [" \xe2\x80\x80", "", "", ""],
      ["\xe2\x80\x80 ", "", "", ""],
      ["x\xe2\x80\x80", "x\xe2\x80\x80", "x", "x"],
      ["\xe2\x80\x80x", "x", "\xe2\x80\x80x", "x"],
      ["\xc3\xa9x\xc3\xa9", "\xc3\xa9x\xc3\xa9", "\xc3\xa9x\xc3\xa9", "\xc3\xa9x\xc3\xa9"],
      [" \xff x \xff ", "\xff x \xff ", " \xff x \xff", "\xff x \xff"],
      ["\xa0x\xa0", "\xa0x\xa0", "\xa0x\xa0", "\xa0x\xa0"],
      ["\x00x\x08", "\x00x\x08", "\x00x\x08", "\x00x\x08"],
      ["\x0ex\x1f", "\x0ex\x1f", "\x0ex\x1f", "\x0ex\x1f"],
      [
        "\xe2\x80\x8bx\xe2\x80\x8b",
        "\xe2\x80\x8bx\xe2\x80\x8b",
        "\xe2\x80\x8bx\xe2\x80\x8b",
        "\xe2\x80\x8bx\xe2\x80\x8b",
      ],
    ];
    for (const [s, left, right, both] of table) {
      assert.equal(trimLeftSpace(s), left, JSON.stringify(s));
      assert.equal(trimRightSpace(s), right, JSON.stringify(s));
      assert.equal(trimSpace(s), both, JSON.stringify(s));
    }
  });

  it("encodes runes like utf8.EncodeRune, invalid ones as U+FFFD", () => {
    const table: [number, string][] = [
      [0, "\x00"],
      [0x41, "A"],
      [0x7f, "\x7f"],
      [0x80, "\xc2\x80"],
      [0xe9, "\xc3\xa9"],
      [0x7ff, "\xdf\xbf"],
      [0x800, "\xe0\xa0\x80"],
      [0x20ac, "\xe2\x82\xac"],
      [0xd7ff, "\xed\x9f\xbf"],
      [0xd800, "\xef\xbf\xbd"],
      [0xdfff, "\xef\xbf\xbd"],
      [0xe000, "\xee\x80\x80"],
      [0xffff, "\xef\xbf\xbf"],
      [0x10000, "\xf0\x90\x80\x80"],
      [0x1f600, "\xf0\x9f\x98\x80"],
      [0x10ffff, "\xf4\x8f\xbf\xbf"],
      [0x110000, "\xef\xbf\xbd"],
      [-1, "\xef\xbf\xbd"],
    ];
    for (const [r, bytes] of table) assert.equal(encodeRune(r), bytes, r.toString(16));
  });

  it("folds case like strings.EqualFold against an ASCII word", () => {
    const table: [string, string, boolean][] = [
      ["yes", "yes", true],
      ["YES", "yes", true],
      ["yEs", "YeS", true],
      ["Az", "aZ", true],
      ["ye", "yes", false],
      ["yess", "yes", false],
      ["", "", true],
      ["", "y", false],
      ["y", "", false],
      ["yes", "yet", false],
      ["on-1", "ON-1", true],
      ["1", "1", true],
      ["1", "2", false],
      ["@", "`", false],
      ["`", "@", false],
      ["[", "{", false],
      ["{", "[", false],
      ["\xc5\xbfo", "so", true],
      ["\xc5\xbf", "S", true],
      ["\xe2\x84\xaaey", "key", true],
      ["\xe2\x84\xaa", "K", true],
      ["\xc5\xbf", "k", false],
      ["\xe2\x84\xaa", "s", false],
      ["\xc3\xa9", "e", false],
      ["\xc3\xa9", "s", false],
      ["\xc3\xa9", "k", false],
      ["\xe2\x84\xab", "k", false],
      ["\xc3\x89", "\xc3\xa9", false],
      ["\xff", "y", false],
      ["true\xff", "true", false],
    ];
    for (const [s, word, want] of table) assert.equal(equalFold(s, word), want, `${s} ${word}`);
  });

  it("orders byte-wise like Go's string comparison", () => {
    assert.equal(compareBytes("a", "b"), -1);
    assert.equal(compareBytes("b", "a"), 1);
    assert.equal(compareBytes("a", "a"), 0);
    assert.equal(compareBytes("", "a"), -1);
    assert.equal(compareBytes("a", ""), 1);
    assert.equal(compareBytes("Z", "a"), -1);
    assert.equal(compareBytes("\xff", "a"), 1);
    assert.equal(compareBytes("ab", "a\xc3\xa9"), -1);
  });

  it("quotes like strconv.Quote", () => {
    const table: [string, string][] = [
      ["", '""'],
      ["abc ~", '"abc ~"'],
      ['a"b\\c', '"a\\"b\\\\c"'],
      ["'", `"'"`],
      ["\x07\x08\x0c\n\r\t\x0b", '"\\a\\b\\f\\n\\r\\t\\v"'],
      ["\x00\x01\x1b\x1f\x7f", '"\\x00\\x01\\x1b\\x1f\\x7f"'],
      ["\x80\xff", '"\\x80\\xff"'],
      ["\xc3\xa9", '"\xc3\xa9"'],
      ["\xcc\x80", '"\xcc\x80"'],
      ["\xef\xbf\xbd", '"\xef\xbf\xbd"'],
      ["\xf0\x9f\x98\x80", '"\xf0\x9f\x98\x80"'],
      ["\xc2\x80", '"\\u0080"'],
      ["\xc2\x85", '"\\u0085"'],
      ["\xef\xbf\xbf", '"\\uffff"'],
      ["\xc2\xa0", '"\\u00a0"'],
      ["\xe2\x80\x8b", '"\\u200b"'],
      ["\xef\xbb\xbf", '"\\ufeff"'],
      ["\xee\x80\x80", '"\\ue000"'],
      ["\xf3\xb0\x80\x80", '"\\U000f0000"'],
      ["\xf4\x8f\xbf\xbf", '"\\U0010ffff"'],
      ["\xe2\x82", '"\\xe2\\x82"'],
      ["a\xc3", '"a\\xc3"'],
    ];
    for (const [s, want] of table) assert.equal(goQuote(s), want, JSON.stringify(s));
  });
});
