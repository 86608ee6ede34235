// systemd.syntax(7): sections, Key=Value lines, # and ; comments, backslash continuations (comments inside them
// skipped); the lossless document keeps every byte, edits touch only their own lines.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { QmError } from "../core/errors.js";
import {
  addEntry,
  entriesOf,
  parseUnit,
  sectionNames,
  serializeUnit,
  setEntry,
  unsetEntry,
} from "./syntax.js";

const located = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof QmError);
    assert.equal(e.code, "QM_UNIT_SYNTAX");
    assert.equal(
      e.hint,
      "unit files hold [Section] headers, Key=Value lines and comments starting with # or ;",
    );
    return e.located();
  }
  assert.fail("no error");
};

describe("unit syntax, edges", () => {
  it("names file, line and column in every message", () => {
    const table: [string, string][] = [
      ["K=v\n", "f:1:1: assignment 'K=' outside of any [Section]"],
      ["[A]\n  no equals\n", "f:2:3: line is not a section, a comment or Key=Value: no equals"],
      ["[A]\n  [B] x\n", "f:2:3: invalid section header: [B] x"],
      ["[A]\n[B]]\n", "f:2:1: invalid section header: [B]]"],
      ["[A]\n[]\n", "f:2:1: invalid section name: []"],
      ["[A]\n [a[b]\n", "f:2:2: invalid section name: [a[b]"],
      ["[A]\n[a\x01]\n", "f:2:1: invalid section name: [a\x01]"],
      ["[A]\n[a\x1f]\n", "f:2:1: invalid section name: [a\x1f]"],
      ["[A]\n\t=v\n", "f:2:2: invalid key name ''"],
      ["[A]\n-K=v\n", "f:2:1: invalid key name '-K'"],
      ["[A]\nK K=v\n", "f:2:1: invalid key name 'K K'"],
      ["[A]\nK/x=v\n", "f:2:1: invalid key name 'K/x'"],
      ["[A]\nK=\x00v\n", "f:2:3: NUL character in unit file"],
      ["\x00", "f:1:1: NUL character in unit file"],
    ];
    for (const [text, want] of table)
      assert.equal(
        located(() => parseUnit(text, "f")),
        want,
        JSON.stringify(text),
      );
    assert.equal(
      located(() => parseUnit("x")),
      "<input>:1:1: line is not a section, a comment or Key=Value: x",
    );
  });

  it("accepts systemd's key characters and section names", () => {
    const doc = parseUnit("[X-a b.c]\n_a.b@c:d-e9=1\n9=2\nA = 3 \n", "f");
    assert.deepEqual(
      entriesOf(doc).map((e) => [e.section, e.key, e.value, e.column]),
      [
        ["X-a b.c", "_a.b@c:d-e9", "1", 13],
        ["X-a b.c", "9", "2", 3],
        ["X-a b.c", "A", "3", 5],
      ],
    );
    assert.deepEqual(sectionNames(parseUnit("[A]\n[B]\n[A]\n")), ["A", "B"]);
  });

  it("computes value columns after indentation and spaces", () => {
    const doc = parseUnit("[A]\n  K=v\nL=  w\nM=\n\tN =\tx\r\n", "f");
    assert.deepEqual(
      entriesOf(doc, "A").map((e) => [e.key, e.value, e.line, e.column]),
      [
        ["K", "v", 2, 5],
        ["L", "w", 3, 5],
        ["M", "", 4, 3],
        ["N", "x", 5, 6],
      ],
    );
  });

  it("joins continuations, skips comments inside them, and ends them at the end of the file", () => {
    const doc = parseUnit("[A]\nK=a\\\n; c\n# d\n  b \\\n# last\nc\n[B]\nL=x\\\n# only comments\n", "f");
    const [k, l] = entriesOf(doc);
    assert.equal(k?.value, "a   b  c");
    assert.equal(k?.line, 2);
    assert.equal(k?.text, "K=a\\\n; c\n# d\n  b \\\n# last\nc");
    // A section header right after a continuation is part of the value, as in systemd.
    assert.equal(entriesOf(parseUnit("[A]\nK=a\\\n[B]\n", "f"))[0]?.value, "a [B]");
    assert.equal(l?.value, "x");
    assert.deepEqual(sectionNames(doc), ["A", "B"]);
    const end = parseUnit("[A]\nK=a\\\n# c", "f");
    assert.equal(entriesOf(end)[0]?.value, "a");
    const crlf = parseUnit("[A]\r\nK=a\\\r\nb\r\n", "f");
    assert.equal(entriesOf(crlf)[0]?.value, "a b");
    assert.deepEqual(
      parseUnit("[A]\n  ; c\n \r\n", "f").lines.map((l) => l.kind),
      ["section", "comment", "blank", "blank"],
    );
  });

  it("filters entries by section and key", () => {
    const doc = parseUnit("[A]\nK=1\nL=2\n[B]\nK=3\n", "f");
    assert.deepEqual(
      entriesOf(doc, undefined, "K").map((e) => e.value),
      ["1", "3"],
    );
    assert.deepEqual(
      entriesOf(doc, "A").map((e) => e.value),
      ["1", "2"],
    );
    assert.deepEqual(
      entriesOf(doc, "B", "L").map((e) => e.value),
      [],
    );
  });

  it("inserts after the section's last line, in its last occurrence, keeping line ends", () => {
    const text = "[A]\nK=1\n\n[B]\nX=1\n# tail\n\n[A]\nL=2\n\n\n";
    assert.equal(
      serializeUnit(addEntry(parseUnit(text), "A", "M", "3")),
      "[A]\nK=1\n\n[B]\nX=1\n# tail\n\n[A]\nL=2\nM=3\n\n\n",
    );
    assert.equal(
      serializeUnit(addEntry(parseUnit(text), "B", "Y", "2")),
      "[A]\nK=1\n\n[B]\nX=1\n# tail\nY=2\n\n[A]\nL=2\n\n\n",
    );
    assert.equal(serializeUnit(addEntry(parseUnit("[A]\nK=1"), "B", "Y", "2")), "[A]\nK=1\n\n[B]\nY=2");
    assert.equal(serializeUnit(addEntry(parseUnit(""), "B", "Y", "2")), "[B]\nY=2\n");
    assert.equal(serializeUnit(addEntry(parseUnit("\n"), "B", "Y", "2")), "\n[B]\nY=2\n");
    assert.equal(serializeUnit(addEntry(parseUnit("[A]\n\n"), "B", "Y", "2")), "[A]\n\n[B]\nY=2\n");
    assert.equal(
      serializeUnit(addEntry(parseUnit("[A]\r\nK=1\r\n"), "B", "Y", "2")),
      "[A]\r\nK=1\r\n\n[B]\r\nY=2\r\n",
    );
    assert.equal(
      serializeUnit(addEntry(parseUnit("[A]\r\nK=1\r\n"), "A", "Y", "2")),
      "[A]\r\nK=1\r\nY=2\r\n",
    );
    assert.throws(() => addEntry(parseUnit("[A]\n"), "A", "K", "a\rb"), /newline/);
  });

  it("sets the last assignment and drops the earlier ones; unsets only the named key", () => {
    const doc = parseUnit("[A]\nK=1\nL=x\nK = 2 \\\n  more\n[B]\nK=3\n", "f");
    assert.equal(serializeUnit(setEntry(doc, "A", "K", "9")), "[A]\nL=x\nK =9\n[B]\nK=3\n");
    assert.equal(serializeUnit(setEntry(doc, "B", "K", "")), "[A]\nK=1\nL=x\nK = 2 \\\n  more\n[B]\nK=\n");
    assert.equal(
      serializeUnit(setEntry(doc, "C", "K", "1")),
      "[A]\nK=1\nL=x\nK = 2 \\\n  more\n[B]\nK=3\n\n[C]\nK=1\n",
    );
    assert.equal(serializeUnit(unsetEntry(doc, "A", "K")), "[A]\nL=x\n[B]\nK=3\n");
    assert.equal(serializeUnit(unsetEntry(doc, "C", "K")), serializeUnit(doc));
    assert.equal(
      serializeUnit(setEntry(parseUnit("[A]\r\nK=1\r\nK=2\r\n"), "A", "K", "3")),
      "[A]\r\nK=3\r\n",
    );
  });
});
