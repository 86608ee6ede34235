// Quadlet's unit-file parser and lookups (podman pkg/systemd/parser/unitfile.go): what it keeps of each line,
// where it fails, and how LookupInt, LookupBoolean and the word lookups read values.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  convertNumber,
  excerpt,
  extIndex,
  extOf,
  MESSAGE_EXCERPT,
  UnitFile,
  UnitParseError,
} from "./unitfile.js";

const one = (value: string): UnitFile => UnitFile.parse(`[S]\nK=${value}\n`, "/u/x.container");

describe("quadlet's unit file parser", () => {
  it("keeps each key, value, file, first line and value column", () => {
    const f = UnitFile.parse(
      "# head\n\n[Unit]\n  Key = value  \nA=a \\\n  b\\\n# skipped\n  c\n[Service]\nB=x\\",
      "/u/web.container",
    );
    assert.equal(f.path, "/u/web.container");
    assert.equal(f.filename, "web.container");
    assert.deepEqual(f.sources, ["/u/web.container"]);
    assert.deepEqual(
      f.groups.map((g) => g.name),
      ["Unit", "Service"],
    );
    // Only a blank line right before the group is dropped (toString() writes it back).
    assert.deepEqual(f.group("Unit")?.comments, [
      { key: "", value: "# head", isComment: true },
      { key: "", value: "", isComment: true },
    ]);
    assert.deepEqual(f.group("Unit")?.lines, [
      { key: "Key", value: "value", isComment: false, file: "/u/web.container", line: 4, column: 9 },
      { key: "A", value: "a bc", isComment: false, file: "/u/web.container", line: 5, column: 3 },
    ]);
    assert.deepEqual(f.group("Service")?.lines, [
      { key: "B", value: "x", isComment: false, file: "/u/web.container", line: 10, column: 3 },
    ]);
    assert.equal(UnitFile.parse("", "").filename, "");
    assert.deepEqual(UnitFile.parse("", "").sources, []);
    assert.equal(UnitFile.parse("", "/a/b/c.volume", "other").filename, "other");
  });

  it("trims Unicode white space around keys and values, byte by byte", () => {
    const f = UnitFile.parse("[S]\nA\xa0\t=\x85 v\n\xc2\xa0B=1\n", "/x");
    assert.deepEqual(f.listKeys("S"), ["A", "B"]);
    assert.equal(f.lookupLast("S", "A"), "v");
    assert.equal(f.lastLine("S", "A")?.column, 7);
  });

  it("keeps comments and blank lines and writes the file back", () => {
    const text = "# top\n[A]\nk=v\n; semi\nk2=w\n\n# before B\n[B]\nx=y\n";
    const f = UnitFile.parse(text, "/x");
    assert.equal(f.toString(), text);
    assert.deepEqual(f.group("B")?.comments, [{ key: "", value: "# before B", isComment: true }]);
    assert.deepEqual(
      f.group("A")?.lines.map((l) => [l.key, l.value, l.isComment]),
      [
        ["k", "v", false],
        ["", "; semi", true],
        ["k2", "w", false],
      ],
    );
    // Comments after a group's last key belong to the next group.
    assert.deepEqual(
      UnitFile.parse("[A]\nk=v\n# c\n\n[B]\n", "/x")
        .group("B")
        ?.comments.map((l) => l.value),
      ["# c", ""],
    );
    const noGroup = UnitFile.parse("# only a comment\n", "/x");
    assert.deepEqual(
      noGroup.groups.map((g) => g.name),
      [""],
    );
    // The nameless group holds the comment as a line, and is never written.
    assert.deepEqual(noGroup.group("")?.lines, [{ key: "", value: "# only a comment", isComment: true }]);
    assert.equal(noGroup.toString(), "");
  });

  it("fails on lines it cannot read, naming the line", () => {
    const table: [string, string, number][] = [
      ["A=1\n", "key file does not start with a group", 1],
      [
        "[S]\nfoo\n",
        "file contains line 2: \xe2\x80\x9cfoo\xe2\x80\x9d which is not a key-value pair, group, or comment",
        2,
      ],
      [
        "[S]\n\n[S] x\n",
        "file contains line 3: \xe2\x80\x9c[S] x\xe2\x80\x9d which is not a key-value pair, group, or comment",
        3,
      ],
      [
        "[S]\n[x\n",
        "file contains line 2: \xe2\x80\x9c[x\xe2\x80\x9d which is not a key-value pair, group, or comment",
        2,
      ],
      ["[]\n", "invalid group name: ", 1],
      ["# c\n[a[b]\n", "invalid group name: a[b", 2],
      [
        "[a]b]\n",
        "file contains line 1: \xe2\x80\x9c[a]b]\xe2\x80\x9d which is not a key-value pair, group, or comment",
        1,
      ],
      ["[a\x01]\n", "invalid group name: a\x01", 1],
      ["[a\x7f]\n", "invalid group name: a\x7f", 1],
    ];
    for (const [text, message, line] of table) {
      assert.throws(
        () => UnitFile.parse(text, "/x"),
        (e: unknown) => e instanceof UnitParseError && e.message === message && e.line === line,
        JSON.stringify(text),
      );
    }
    assert.ok(UnitFile.parse("[S] \t\n[T\xc3\xa9]\n", "/x").hasGroup("T\xc3\xa9"));
  });

  it("reads a last line without newline, a lone backslash line, ] in a value, a key of white space", () => {
    assert.equal(UnitFile.parse("[S]\nA=1", "/x").lookup("S", "A"), "1");
    assert.equal(UnitFile.parse("[S]\nK=a]\n", "/x").lookup("S", "K"), "a]");
    assert.equal(new UnitFile().filename, "");
    // A line holding only a backslash continues nothing; as the last line it is an empty comment.
    const lone = UnitFile.parse("[S]\n\\\nK=v\n\\", "/x");
    assert.deepEqual(
      lone.group("S")?.lines.map((l) => [l.key, l.value, l.isComment, l.line]),
      [
        ["K", "v", false, 3],
        ["", "", true, undefined],
      ],
    );
    // Bytes 0x85 and 0xa0 count as white space where quadlet looks at single bytes, so this key is empty.
    assert.throws(
      () => UnitFile.parse("[S]\n\xa0=x\n", "/x"),
      (e: unknown) => e instanceof UnitParseError && e.message === "invalid key name: " && e.line === 2,
    );
  });

  it("cuts long lines in messages", () => {
    assert.equal(MESSAGE_EXCERPT, 2000);
    const exact = "x".repeat(2000);
    assert.equal(excerpt(exact), exact);
    const long = `${"a".repeat(1000)}b${"c".repeat(1000)}`;
    assert.equal(excerpt(long), `${"a".repeat(1000)}[... 1 bytes ...]${"c".repeat(1000)}`);
    assert.throws(
      () => UnitFile.parse(`[S]\n${long}\n`, "/x"),
      (e: unknown) => e instanceof UnitParseError && e.message.includes("[... 1 bytes ...]"),
    );
  });
});

describe("quadlet's lookups", () => {
  it("takes the last value, Lookup stripping trailing space and outer double quotes", () => {
    const f = UnitFile.parse('[S]\nA=1\nA="two"  \n# A=3\nB=""x""\nC="\nD=a"b"c\n', "/x");
    assert.equal(f.lookupLast("S", "A"), '"two"');
    f.add("S", "T", '"t"  ');
    assert.equal(f.lookupLast("S", "T"), '"t"  ');
    assert.equal(f.lookup("S", "T"), "t");
    assert.equal(f.lookup("S", "A"), "two");
    assert.equal(f.lookup("S", "B"), "x");
    assert.equal(f.lookup("S", "C"), "");
    assert.equal(f.lookup("S", "D"), 'a"b"c');
    assert.equal(f.lookup("S", "Nope"), undefined);
    assert.equal(f.lookup("Nope", "A"), undefined);
    assert.equal(f.hasKey("S", "A"), true);
    assert.equal(f.hasKey("S", "a"), false);
    assert.deepEqual(f.listKeys("S"), ["A", "B", "C", "D", "T"]);
    assert.deepEqual(f.listKeys("Nope"), []);
    f.add("S", "E", '  x "');
    assert.equal(f.lookup("S", "E"), "  x ");
  });

  it("reads booleans as LookupBoolean does", () => {
    for (const v of ["1", "yes", "YES", "true", "True", "on", "ON", '"yes"', "yes  "]) {
      assert.equal(one(v).lookupBoolean("S", "K"), true, v);
    }
    for (const v of ["0", "no", "false", "off", "", "maybe", "y", "2", "yess"]) {
      assert.equal(one(v).lookupBoolean("S", "K"), false, v);
    }
    assert.equal(one("1").lookupBoolean("S", "Nope"), undefined);
    assert.equal(one("1").lookupBooleanWithDefault("S", "Nope", true), true);
    assert.equal(one("1").lookupBooleanWithDefault("S", "Nope", false), false);
    assert.equal(one("no").lookupBooleanWithDefault("S", "K", true), false);
    assert.equal(one("on").lookupBooleanWithDefault("S", "K", false), true);
  });

  it("reads numbers as quadlet's convertNumber does: sign, 0x hex, leading-0 octal", () => {
    const table: [string, bigint | undefined][] = [
      ["42", 42n],
      ["-42", -42n],
      ["+7", 7n],
      ["0", 0n],
      ["07", 7n],
      ["0777", 511n],
      ["010", 8n],
      ["08", undefined],
      ["0o7", undefined],
      ["0x1F", 31n],
      ["0X1f", 31n],
      ["-0x10", -16n],
      ["0x", undefined],
      ["0xg", undefined],
      ["0x-5", -5n],
      ["0x+f", 15n],
      ["--5", 5n],
      ["+-5", -5n],
      ["-", undefined],
      ["", undefined],
      ["abc", undefined],
      ["ff", undefined],
      ["1_000", undefined],
      [" 5", undefined],
      ["5.0", undefined],
      ["1z", undefined],
      ["9", 9n],
      ["9223372036854775807", 9223372036854775807n],
      ["9223372036854775808", undefined],
      ["-9223372036854775807", -9223372036854775807n],
      ["-9223372036854775808", undefined],
      ["0x7fffffffffffffff", 9223372036854775807n],
      ["0x8000000000000000", undefined],
      ["0777777777777777777777", 9223372036854775807n],
    ];
    for (const [v, want] of table) assert.equal(convertNumber(v), want, v);
    assert.equal(one("0x10").lookupInt("S", "K", 5n), 16n);
    assert.equal(one("0x10 ").lookupInt("S", "K", 5n), 16n);
    assert.equal(one("x").lookupInt("S", "K", 5n), 5n);
    assert.equal(one("1").lookupInt("S", "Nope", -3n), -3n);
    assert.equal(one("4294967295").lookupUint32("S", "K", 7), 4294967295);
    assert.equal(one("0").lookupUint32("S", "K", 7), 0);
    assert.equal(one("4294967296").lookupUint32("S", "K", 7), 7);
    assert.equal(one("-1").lookupUint32("S", "K", 7), 7);
    assert.equal(one("x").lookupUint32("S", "K", 7), 7);
    assert.equal(one("1").lookupUint32("S", "Nope", 9), 9);
  });

  it("collects list values after the last empty one and splits their words", () => {
    const f = UnitFile.parse(
      '[S]\nL=a\nL=\n# L=c\nL=b c\nL=\'d e\' f\\x20\nL=x \'y\nA=a "b c" d\\x41\nA=bad\\q\nA=x "y\nE=A=1 "B=2 3" bare =x\nE=A=4\nE=Z=\\q\n',
      "/x",
    );
    assert.deepEqual(f.lookupAll("S", "L"), ["b c", "'d e' f\\x20", "x 'y"]);
    assert.deepEqual(f.lookupAll("S", "Nope"), []);
    assert.deepEqual(f.lookupAll("Nope", "L"), []);
    assert.deepEqual(f.lookupAllStrv("S", "L"), ["b", "c", "d e", "f\\x20"]);
    assert.deepEqual(f.lookupAllArgs("S", "A"), ["a", "b c", "dA", "x", "y"]);
    assert.deepEqual(f.lookupLastArgs("S", "A"), ["x", "y"]);
    assert.equal(f.lookupLastArgs("S", "Nope"), undefined);
    assert.equal(UnitFile.parse("[S]\nA=bad\\q\n", "/x").lookupLastArgs("S", "A"), undefined);
    assert.deepEqual(
      [...f.lookupAllKeyVal("S", "E")],
      [
        ["A", "4"],
        ["B", "2 3"],
        ["", "x"],
      ],
    );
  });
});

describe("quadlet's unit file edits", () => {
  it("sets, adds, unsets and prepends", () => {
    const f = UnitFile.parse("[S]\nA=1\n# c\nA=2\nB=3\n", "/x");
    f.set("S", "A", "9");
    f.set("S", "N", "new");
    f.set("T", "K", "v");
    f.setv("S", "B", "4", "C", "5", "odd");
    f.addCmdline("S", "Exec", ["/bin/sh", "-c", "echo a b"]);
    assert.equal(
      f.toString(),
      '[S]\nA=1\n# c\nA=9\nB=4\nN=new\nC=5\nExec=/bin/sh -c "echo a b"\n\n[T]\nK=v\n',
    );
    f.unset("S", "A");
    f.unset("Nope", "A");
    f.prependLine("S", "First", "1");
    f.prependLine("U", "Only", "u");
    f.prependComment("generated", "do not edit");
    assert.equal(
      f.toString(),
      '# generated\n# do not edit\n[S]\nFirst=1\n# c\nB=4\nN=new\nC=5\nExec=/bin/sh -c "echo a b"\n\n[T]\nK=v\n\n[U]\nOnly=u\n',
    );
    const empty = new UnitFile();
    empty.prependComment("hello");
    assert.equal(empty.toString(), "# hello\n");
  });

  it("merges, copies, renames and removes groups", () => {
    const a = UnitFile.parse("[A]\nx=1\n[B]\ny=2\n", "/d/a.container");
    const b = UnitFile.parse("# note\n[B]\ny=3\n[C]\nz=4\n", "/d/a.container.d/b.conf");
    a.merge(b);
    assert.deepEqual(a.sources, ["/d/a.container", "/d/a.container.d/b.conf"]);
    assert.equal(a.toString(), "[A]\nx=1\n\n# note\n[B]\ny=2\ny=3\n\n[C]\nz=4\n");
    const copy = a.dup();
    assert.equal(copy.filename, "a.container");
    assert.equal(copy.path, "");
    assert.equal(copy.toString(), a.toString());
    copy.set("A", "x", "changed");
    assert.equal(a.lookup("A", "x"), "1");
    a.renameGroup("A", "A2");
    assert.equal(a.hasGroup("A"), false);
    assert.equal(a.lookup("A2", "x"), "1");
    a.renameGroup("C", "B");
    assert.equal(a.hasGroup("C"), false);
    assert.deepEqual(a.lookupAll("B", "y"), ["2", "3"]);
    assert.deepEqual(a.lookupAll("B", "z"), ["4"]);
    a.renameGroup("B", "B");
    a.renameGroup("Nope", "X");
    assert.equal(a.hasGroup("X"), false);
    a.removeGroup("Nope");
    a.removeGroup("A2");
    assert.deepEqual(
      a.groups.map((g) => g.name),
      ["B"],
    );
    assert.equal(a.group("A2"), undefined);
  });
});

describe("quadlet's unit names", () => {
  it("splits template names and lists drop-in directories as GetUnitDropinPaths", () => {
    const named = (filename: string): UnitFile => UnitFile.parse("", `/d/${filename}`);
    assert.deepEqual(named("web@inst.container").templateParts(), ["web", "inst", true]);
    assert.deepEqual(named("web@.container").templateParts(), ["web", "", true]);
    assert.deepEqual(named("web.container").templateParts(), ["web", "", false]);
    assert.deepEqual(named("noext").templateParts(), ["noext", "", false]);
    assert.deepEqual(named("a.b.volume").templateParts(), ["a.b", "", false]);
    assert.deepEqual(named("foo-bar-baz@inst.container").dropinDirs(), [
      "foo-bar-baz@inst.container.d",
      "foo-bar-baz@.container.d",
      "foo-bar-@.container.d",
      "foo-bar-.container.d",
      "foo-@.container.d",
      "foo-.container.d",
      "container.d",
    ]);
    assert.deepEqual(named("a-b.volume").dropinDirs(), ["a-b.volume.d", "a-.volume.d", "volume.d"]);
    assert.deepEqual(named("web@.container").dropinDirs(), ["web@.container.d", "container.d"]);
    assert.deepEqual(named("web.container").dropinDirs(), ["web.container.d", "container.d"]);
    assert.deepEqual(named("noext").dropinDirs(), ["noext.d", "d"]);
  });

  it("finds the extension as filepath.Ext", () => {
    const table: [string, number, string][] = [
      ["a.b", 1, ".b"],
      ["a.b.c", 3, ".c"],
      ["a", -1, ""],
      ["", -1, ""],
      ["a.", 1, "."],
      [".a", 0, ".a"],
      ["a.b/c", -1, ""],
      ["a.b/c.d", 5, ".d"],
      ["/x/.hidden", 3, ".hidden"],
    ];
    for (const [name, i, ext] of table) {
      assert.equal(extIndex(name), i, name);
      assert.equal(extOf(name), ext, name);
    }
  });
});
