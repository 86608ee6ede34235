// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} in these strings is unit-file syntax left for systemd, not a template.
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

describe("unit values", () => {
  it("splits words like systemd: quotes, escapes, relaxed endings", () => {
    assert.deepEqual(
      splitWords(`/some/path "an arg" "a;b\\nc\\td'e" a;b\\nc\\td 'a"b' '\\110ello \\127orld'`),
      ["/some/path", "an arg", "a;b\nc\td'e", "a;b\nc\td", 'a"b', "Hello World"],
    );
    assert.deepEqual(splitWords(`  a"b c"d  'unterminated x`), ["ab cd", "unterminated x"]);
    assert.deepEqual(splitWords("x\\sy \\x41\\u00e9 \\s"), ["x y", "Aé", " "]);
    assert.deepEqual(splitWords(""), []);
    assert.throws(() => splitWords("bad\\q"), ValueSyntaxError);
    assert.throws(() => splitWords("\\x0"), ValueSyntaxError);
  });

  it("escapes words so that splitting gives them back", () => {
    const words = [
      "plain",
      "",
      "with space",
      'q"uote',
      "back\\slash",
      "nl\nx",
      "tab\t",
      "\x01",
      "${VAR}",
      "%t/x",
      "é",
    ];
    assert.deepEqual(splitWords(escapeWords(words)), words);
    assert.equal(escapeWord("${ROOTFS}"), "${ROOTFS}");
    assert.equal(escapeWord("a b"), '"a b"');
  });

  it("parses booleans, key=value words and quoted values", () => {
    assert.equal(parseBoolean("Yes"), true);
    assert.equal(parseBoolean("off"), false);
    assert.equal(parseBoolean("maybe"), undefined);
    assert.deepEqual(parseKeyValueWords(`a=1 "b=two words" bare c=`), [
      ["a", "1"],
      ["b", "two words"],
      ["c", ""],
    ]);
    assert.equal(unquoteValue('""'), "");
    assert.equal(unquoteValue('"a b"'), "a b");
    assert.equal(unquoteValue('"a" "b"'), '"a" "b"');
  });

  it("expands specifiers and environment for direct runs", () => {
    assert.equal(expandSpecifiers("%t/%N.cid 100%%", { t: "/run", N: "qm" }), "/run/qm.cid 100%");
    assert.throws(() => expandSpecifiers("%Z", {}), /%Z/);
    assert.deepEqual(
      expandEnvironment(["--rootfs", "${ROOTFS}", "$ARGS", "${UNSET}x"], { ROOTFS: "/r", ARGS: "a  b" }),
      ["--rootfs", "/r", "a", "b", "x"],
    );
  });
});
