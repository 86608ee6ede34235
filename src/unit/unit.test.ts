import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { QmError } from "../core/errors.js";
import { parseUnit } from "./syntax.js";
import { Unit, valueError, wordsOf } from "./unit.js";
import { UnitFile } from "./unitfile.js";

const BASE = `[Unit]
Description=web

[Service]
Environment=A=1 B=2
Environment=C=3
Exec=/bin/a "b c"
Restart=yes
Exec=/bin/d e
Empty=
`;
const DROPIN = `[Service]
Environment=
Environment=D=4 "E=5 6" bare =x
Restart=off
[X-Extra]
Key=v
`;

const unit = (): Unit =>
  Unit.fromDocuments("web.service", "/etc/web.service", [
    parseUnit(BASE, "/etc/web.service"),
    parseUnit(DROPIN, "/etc/web.service.d/10.conf"),
  ]);

describe("the effective unit", () => {
  it("merges documents in order, sections in first-seen order, each value with its file, line and column", () => {
    const u = unit();
    assert.equal(u.name, "web.service");
    assert.equal(u.path, "/etc/web.service");
    assert.deepEqual(u.sources, ["/etc/web.service", "/etc/web.service.d/10.conf"]);
    assert.deepEqual(
      u.sections.map((s) => [s.name, s.entries.length]),
      [
        ["Unit", 1],
        ["Service", 9],
        ["X-Extra", 1],
      ],
    );
    assert.deepEqual(u.last("Service", "Restart"), {
      section: "Service",
      key: "Restart",
      value: "off",
      file: "/etc/web.service.d/10.conf",
      line: 4,
      column: 9,
    });
    assert.deepEqual(u.last("Service", "Exec"), {
      section: "Service",
      key: "Exec",
      value: "/bin/d e",
      file: "/etc/web.service",
      line: 9,
      column: 6,
    });
  });

  it("finds sections and keys", () => {
    const u = unit();
    assert.equal(u.hasSection("Service"), true);
    assert.equal(u.hasSection("service"), false);
    assert.equal(u.section("Nope"), undefined);
    assert.equal(u.section("X-Extra")?.entries[0]?.value, "v");
    assert.deepEqual(
      u.raw("Service", "Environment").map((v) => v.value),
      ["A=1 B=2", "C=3", "", 'D=4 "E=5 6" bare =x'],
    );
    assert.deepEqual(u.raw("Nope", "Environment"), []);
    assert.deepEqual(
      u.all("Service", "Environment").map((v) => v.value),
      ['D=4 "E=5 6" bare =x'],
    );
    assert.deepEqual(
      u.all("Service", "Exec").map((v) => v.value),
      ['/bin/a "b c"', "/bin/d e"],
    );
    assert.equal(u.get("Service", "Restart"), "off");
    assert.equal(u.get("Service", "Empty"), undefined);
    assert.equal(u.get("Service", "Missing"), undefined);
    assert.equal(u.has("Service", "Empty"), true);
    assert.equal(u.has("Service", "Missing"), false);
    assert.equal(u.last("Service", "Missing"), undefined);
  });

  it("reads booleans, and names the file, line and column of a bad one", () => {
    const u = unit();
    assert.equal(u.boolean("Service", "Restart"), false);
    assert.equal(u.boolean("Service", "Empty"), undefined);
    assert.equal(u.boolean("Service", "Missing"), undefined);
    const yes = Unit.fromDocuments("a", "/a", [parseUnit("[S]\nK=on\n", "/a")]);
    assert.equal(yes.boolean("S", "K"), true);
    const bad = Unit.fromDocuments("a", "/a", [parseUnit("[S]\n\nK=maybe\n", "/a")]);
    assert.throws(
      () => bad.boolean("S", "K"),
      (e: unknown) =>
        e instanceof QmError &&
        e.code === "QM_UNIT_VALUE" &&
        e.message === "K= needs a boolean (yes/no, true/false, 1/0, on/off)" &&
        e.located() === "/a:3:3: K= needs a boolean (yes/no, true/false, 1/0, on/off)" &&
        JSON.stringify(e.details) === JSON.stringify({ section: "S", key: "K", value: "maybe" }),
    );
  });

  it("splits words of every assignment or of the last one", () => {
    const u = unit();
    assert.deepEqual(u.words("Service", "Exec"), ["/bin/a", "b c", "/bin/d", "e"]);
    assert.deepEqual(u.lastWords("Service", "Exec"), ["/bin/d", "e"]);
    assert.equal(u.lastWords("Service", "Missing"), undefined);
    assert.deepEqual(u.lastWords("Service", "Empty"), []);
    assert.deepEqual(u.words("Service", "Missing"), []);
  });

  it("collects KEY=VALUE words, later keys winning, bare words dropped", () => {
    const u = unit();
    assert.deepEqual(
      [...u.keyValues("Service", "Environment")],
      [
        ["D", "4"],
        ["E", "5 6"],
      ],
    );
    const two = Unit.fromDocuments("a", "/a", [parseUnit("[S]\nE=A=1 B=2\nE=A=3\n", "/a")]);
    assert.deepEqual(
      [...two.keyValues("S", "E")],
      [
        ["A", "3"],
        ["B", "2"],
      ],
    );
    assert.deepEqual([...two.keyValues("S", "Missing")], []);
  });

  it("names the file, line and column of a bad escape", () => {
    const u = Unit.fromDocuments("a", "/a", [parseUnit("[S]\nX=1\n  Exec=ab\\q\nE=A=\\q\n", "/a")]);
    const check = (f: () => unknown, where: string, key: string, value: string): void => {
      assert.throws(f, (e: unknown) => {
        assert.ok(e instanceof QmError);
        assert.equal(e.code, "QM_UNIT_VALUE");
        assert.match(e.located(), new RegExp(`^${where}: ${key}=: `));
        assert.deepEqual(e.details, { section: "S", key, value });
        return true;
      });
    };
    check(() => u.words("S", "Exec"), "/a:3:10", "Exec", "ab\\q");
    check(() => u.lastWords("S", "Exec"), "/a:3:10", "Exec", "ab\\q");
    check(() => u.keyValues("S", "E"), "/a:4:5", "E", "A=\\q");
    const [v] = u.raw("S", "Exec");
    assert.ok(v);
    check(() => wordsOf(v), "/a:3:10", "Exec", "ab\\q");
  });

  it("locates where a key was last set, or the unit file", () => {
    const u = unit();
    assert.deepEqual(u.locate("Service", "Restart"), {
      file: "/etc/web.service.d/10.conf",
      line: 4,
      column: 9,
    });
    assert.deepEqual(u.locate("Service", "Missing"), { file: "/etc/web.service", line: 1 });
  });

  it("makes value errors with the value's place and an optional code", () => {
    const v = { section: "S", key: "K", value: "x", file: "/f", line: 7, column: 3 };
    const e = valueError(v, "bad K");
    assert.equal(e.code, "QM_UNIT_VALUE");
    assert.equal(e.located(), "/f:7:3: bad K");
    assert.deepEqual(e.details, { section: "S", key: "K", value: "x" });
    assert.equal(valueError(v, "bad", "QM_UNIT_SYNTAX").code, "QM_UNIT_SYNTAX");
  });

  it("reads the unit quadlet merged, decoding UTF-8, comments and the nameless group left out", () => {
    const f = UnitFile.parse(
      "# top\n[Unit]\nDescription=caf\xc3\xa9\n\n[Service]\n# c\n  Exec=/bin/x\n",
      "/d/web.service",
    );
    f.merge(UnitFile.parse("[Service]\nRestart=no\n", "/d/web.service.d/a.conf"));
    const u = Unit.fromUnitFile(f);
    assert.equal(u.name, "web.service");
    assert.equal(u.path, "/d/web.service");
    assert.deepEqual(u.sources, ["/d/web.service", "/d/web.service.d/a.conf"]);
    assert.deepEqual(
      u.sections.map((s) => s.name),
      ["Unit", "Service"],
    );
    assert.equal(u.get("Unit", "Description"), "café");
    assert.deepEqual(u.last("Service", "Exec"), {
      section: "Service",
      key: "Exec",
      value: "/bin/x",
      file: "/d/web.service",
      line: 7,
      column: 8,
    });
    assert.deepEqual(u.locate("Service", "Restart"), { file: "/d/web.service.d/a.conf", line: 2, column: 9 });
    assert.deepEqual(
      u.sections.map((s) => s.entries.map((e) => e.key)),
      [["Description"], ["Exec", "Restart"]],
    );
    assert.deepEqual(Unit.fromUnitFile(UnitFile.parse("# only a comment\n", "/x")).sections, []);
    const made = new UnitFile();
    made.path = "/gen/x.service";
    made.add("Service", "K", "v");
    assert.deepEqual(Unit.fromUnitFile(made).locate("Service", "K"), {
      file: "/gen/x.service",
      line: 1,
      column: 1,
    });
  });
});
