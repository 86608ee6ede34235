import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { QmError } from "../core/errors.js";
import {
  addEntry,
  entriesOf,
  parseUnit,
  resetEntry,
  sectionNames,
  serializeUnit,
  setEntry,
  unsetEntry,
} from "./syntax.js";

const SAMPLE = `# leading comment
; another

[Unit]
Description=demo \\
  continued \\
# a comment inside a continuation is skipped
  end
After=a.service
After=b.service

[Container]
Image=x
Exec=/bin/sh -c "echo hi"  
[X-Unknown]
Whatever = kept as is
`;

describe("unit syntax", () => {
  it("round-trips byte for byte, including CRLF and a missing final newline", () => {
    for (const text of [SAMPLE, SAMPLE.replaceAll("\n", "\r\n"), "[A]\nB=c", "", "\n\n", "[A]\nK=v\\"]) {
      assert.equal(serializeUnit(parseUnit(text)), text);
    }
  });

  it("joins continuation lines with a space and skips comments inside them", () => {
    const doc = parseUnit(SAMPLE, "s.container");
    const d = entriesOf(doc, "Unit", "Description")[0];
    assert.equal(d?.value, "demo    continued    end");
    assert.equal(d?.line, 5);
    assert.deepEqual(
      entriesOf(doc, "Unit", "After").map((e) => e.value),
      ["a.service", "b.service"],
    );
    assert.equal(entriesOf(doc, "Container", "Exec")[0]?.value, '/bin/sh -c "echo hi"');
    assert.equal(entriesOf(doc, "X-Unknown", "Whatever")[0]?.value, "kept as is");
    assert.deepEqual(sectionNames(doc), ["Unit", "Container", "X-Unknown"]);
  });

  it("reports file, line and column for malformed lines", () => {
    const cases: Array<[string, number, number, RegExp]> = [
      ["Key=outside\n", 1, 1, /outside of any/],
      ["[A]\n  no equals here\n", 2, 3, /not a section/],
      ["[A]\n[B] trailing\n", 2, 1, /section header/],
      ["[A]\n[]\n", 2, 1, /section name/],
      ["[A]\n=value\n", 2, 1, /invalid key/],
    ];
    for (const [text, line, column, message] of cases) {
      assert.throws(
        () => parseUnit(text, "f.container"),
        (e: unknown) =>
          e instanceof QmError &&
          e.code === "QM_UNIT_SYNTAX" &&
          e.location?.file === "f.container" &&
          e.location.line === line &&
          e.location.column === column &&
          message.test(e.message),
        text,
      );
    }
  });

  it("edits touch only their own lines", () => {
    const doc = parseUnit(SAMPLE);
    const set = serializeUnit(setEntry(doc, "Container", "Image", "y"));
    assert.equal(set, SAMPLE.replace("Image=x", "Image=y"));
    const add = serializeUnit(addEntry(doc, "Unit", "After", "c.service"));
    assert.equal(add, SAMPLE.replace("After=b.service\n", "After=b.service\nAfter=c.service\n"));
    const unset = serializeUnit(unsetEntry(doc, "Unit", "After"));
    assert.equal(unset, SAMPLE.replace("After=a.service\nAfter=b.service\n", ""));
    const reset = serializeUnit(resetEntry(doc, "Container", "Exec"));
    assert.equal(reset, SAMPLE.replace('echo hi"  \n', 'echo hi"  \nExec=\n'));
    const created = serializeUnit(addEntry(parseUnit("[A]\nB=c\n"), "Install", "WantedBy", "default.target"));
    assert.equal(created, "[A]\nB=c\n\n[Install]\nWantedBy=default.target\n");
    const crlf = serializeUnit(setEntry(parseUnit("[A]\r\nB=c\r\n"), "A", "B", "d"));
    assert.equal(crlf, "[A]\r\nB=d\r\n");
    assert.throws(() => setEntry(doc, "A", "B", "x\ny"), /newline/);
  });
});
