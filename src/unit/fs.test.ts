// cleanPath, joinPath and dirPath are Go's filepath.Clean, Join and Dir; FsError words failures as Go's
// *os.PathError does ("op path: reason"); the node adapter reads real temporary trees.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  byteFs,
  cleanPath,
  dirPath,
  FsError,
  joinPath,
  MAX_UNIT_FILE_BYTES,
  memoryUnitFs,
  nodeUnitFs,
  type UnitFs,
} from "./fs.js";

const message = (r: unknown): string => {
  assert.ok(r instanceof FsError, `not an FsError: ${String(r)}`);
  return r.message;
};

describe("Go path functions", () => {
  it("cleans like filepath.Clean", () => {
    const table: [string, string][] = [
      ["", "."],
      [".", "."],
      ["/", "/"],
      ["//", "/"],
      ["abc", "abc"],
      ["abc/def", "abc/def"],
      ["a/b/.", "a/b"],
      ["a/./b", "a/b"],
      ["a//b", "a/b"],
      ["a/b/", "a/b"],
      ["//a", "/a"],
      ["/../a", "/a"],
      ["/..", "/"],
      ["../a", "../a"],
      ["..", ".."],
      ["a/..", "."],
      ["a/../..", ".."],
      ["../../a/..", "../.."],
      ["abc/def/../../..", ".."],
      ["/abc/def/../../..", "/"],
      ["a/../b/c/../d", "b/d"],
      ["./a", "a"],
    ];
    for (const [p, want] of table) assert.equal(cleanPath(p), want, p);
  });

  it("joins like filepath.Join and takes the directory like filepath.Dir", () => {
    assert.equal(joinPath("a", "b"), "a/b");
    assert.equal(joinPath("a", ""), "a");
    assert.equal(joinPath("", "a"), "a");
    assert.equal(joinPath("", ""), "");
    assert.equal(joinPath(), "");
    assert.equal(joinPath("/", "a"), "/a");
    assert.equal(joinPath("a/", "/b"), "a/b");
    assert.equal(joinPath("a", "../b"), "b");
    assert.equal(joinPath("/etc", "x", "y.conf"), "/etc/x/y.conf");
    const dirs: [string, string][] = [
      ["", "."],
      [".", "."],
      ["/", "/"],
      ["/a", "/"],
      ["a", "."],
      ["a/b", "a"],
      ["/a/b", "/a"],
      ["/a/b/", "/a/b"],
      ["a//b", "a"],
    ];
    for (const [p, want] of dirs) assert.equal(dirPath(p), want, p);
  });
});

describe("file-system errors", () => {
  it("words them as Go's os.PathError", () => {
    const table: [string, string][] = [
      ["ENOENT", "no such file or directory"],
      ["EACCES", "permission denied"],
      ["EPERM", "operation not permitted"],
      ["EISDIR", "is a directory"],
      ["ENOTDIR", "not a directory"],
      ["ELOOP", "too many levels of symbolic links"],
      ["ENAMETOOLONG", "file name too long"],
      ["EIO", "input/output error"],
      ["EMFILE", "too many open files"],
      ["ENFILE", "too many open files in system"],
      ["ENXIO", "no such device or address"],
      ["EINVAL", "invalid argument"],
      ["EBADF", "bad file descriptor"],
      ["QM_TOO_LARGE", "file is larger than 64 MiB"],
      ["QM_NOT_REGULAR", "not a regular file"],
      ["QM_LINK", "a symbolic link in a tree whose links qm does not follow"],
      ["ESOMETHING", "esomething"],
    ];
    for (const [code, text] of table)
      assert.equal(new FsError("open", "/x/y", code).message, `open /x/y: ${text}`);
    assert.equal(
      new FsError("lstat", "/x", "ELOOP", "EvalSymlinks: too many links").message,
      "EvalSymlinks: too many links",
    );
    assert.equal(new FsError("open", "/x", "ENOENT").notExist, true);
    assert.equal(new FsError("open", "/x", "EACCES").notExist, false);
    assert.equal(MAX_UNIT_FILE_BYTES, 67108864);
  });
});

describe("the in-memory tree", () => {
  const fs = memoryUnitFs({
    "/etc/q/z.container": "Z",
    "/etc/q/b/y.conf": "Y",
    "/etc/q/b/x.conf": "X",
    "/etc/q/C.volume": "",
    "/etc/q/caf\u00e9.network": "N",
    "/etc/top": "T",
  });

  it("reads files, lists directories sorted by name, and knows what exists", () => {
    assert.equal(fs.readText("/etc/q/z.container"), "Z");
    assert.equal(fs.readText("/etc/q/z.container/"), "Z");
    assert.equal(fs.readText("/etc/q/z.container//"), "Z");
    assert.equal(fs.readText("/etc/q/C.volume"), "");
    assert.equal(fs.readText("/etc/q"), undefined);
    assert.equal(fs.readText("/etc/q/nope"), undefined);
    assert.deepEqual(fs.list("/etc/q"), [
      { name: "C.volume", kind: "file" },
      { name: "b", kind: "dir" },
      { name: "caf\u00e9.network", kind: "file" },
      { name: "z.container", kind: "file" },
    ]);
    assert.deepEqual(fs.list("/etc/q/"), fs.list("/etc/q"));
    assert.deepEqual(fs.list("/etc/q/b"), [
      { name: "x.conf", kind: "file" },
      { name: "y.conf", kind: "file" },
    ]);
    assert.deepEqual(fs.list("/"), [{ name: "etc", kind: "dir" }]);
    assert.deepEqual(fs.list("/etc"), [
      { name: "q", kind: "dir" },
      { name: "top", kind: "file" },
    ]);
    assert.equal(fs.list("/nope"), undefined);
    assert.equal(fs.list("/etc/top"), undefined);
    for (const p of ["/", "/etc", "/etc/q/b/", "/etc/top", "/etc/q/C.volume"])
      assert.equal(fs.exists(p), true, p);
    for (const p of ["/etc/q/nope", "/etc/to", "/nope"]) assert.equal(fs.exists(p), false, p);
  });

  it("gives byte-string views with Go-worded errors", () => {
    const b = byteFs(fs);
    assert.deepEqual(b.readdir("/etc/q"), ["C.volume", "b", "caf\xc3\xa9.network", "z.container"]);
    assert.equal(message(b.readdir("/etc/top")), "open /etc/top: not a directory");
    assert.equal(message(b.readdir("/nope")), "open /nope: no such file or directory");
    assert.equal(b.readFile("/etc/q/caf\xc3\xa9.network"), "N");
    assert.equal(b.readFile("/etc/q/C.volume"), "");
    assert.equal(message(b.readFile("/etc/q")), "read /etc/q: is a directory");
    assert.equal(message(b.readFile("/nope")), "open /nope: no such file or directory");
    assert.equal(b.realpath("/etc/q/b/"), "/etc/q/b");
    assert.equal(b.realpath("/etc/top"), "/etc/top");
    assert.equal(message(b.realpath("/nope")), "lstat /nope: no such file or directory");
    assert.equal(b.stat("/etc/q"), "dir");
    assert.equal(b.stat("/etc/top"), "file");
    assert.equal(b.stat("/etc/q/C.volume"), "file");
    assert.equal(message(b.stat("/nope")), "stat /nope: no such file or directory");
    const other: UnitFs = { readText: () => undefined, list: () => undefined, exists: () => true };
    const o = byteFs(other);
    assert.equal(o.stat("/dev/x"), "other");
    assert.equal(message(o.readFile("/dev/x")), "read /dev/x: input/output error");
    assert.equal(message(o.readdir("/dev/x")), "open /dev/x: not a directory");
    assert.equal(o.realpath("/dev//x"), "/dev/x");
    // Byte order, not UTF-16 order: U+FFED sorts before U+1F600 in UTF-8 but after it in UTF-16.
    const wide = byteFs(memoryUnitFs({ "/s/\u{1f600}": "", "/s/\uffed": "" }));
    assert.deepEqual(wide.readdir("/s"), ["\xef\xbf\xad", "\xf0\x9f\x98\x80"]);
    const own = nodeUnitFs("/");
    assert.equal(byteFs(own), own.bytes);
  });
});

describe("the node file system", () => {
  let tmp = "";
  let root = "";
  const dir = "/etc/containers/systemd";
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), "qm-unit-fs-"));
    root = join(tmp, "root");
    const d = join(root, dir);
    mkdirSync(join(d, "sub"), { recursive: true });
    writeFileSync(join(d, "a.container"), "A\n");
    writeFileSync(join(d, "sub/b.volume"), "B\n");
    writeFileSync(join(d, "caf\u00e9.network"), "caf\u00e9\n");
    symlinkSync("a.container", join(d, "link.container"));
    symlinkSync(`${dir}/a.container`, join(d, "abs.container"));
    symlinkSync("../../../../..", join(d, "up"));
    symlinkSync("nowhere", join(d, "dangling.container"));
    symlinkSync("loop2", join(d, "loop1"));
    symlinkSync("loop1", join(d, "loop2"));
    writeFileSync(join(d, "big.container"), "");
    truncateSync(join(d, "big.container"), MAX_UNIT_FILE_BYTES + 1);
    spawnSync("mkfifo", [join(d, "fifo.container")]);
    // A chain of 255 links resolves (Go's limit); one more does not.
    mkdirSync(join(root, "chain"));
    writeFileSync(join(root, "chain/end"), "E\n");
    for (let i = 0; i < 256; i++) symlinkSync(i === 255 ? "end" : `l${i + 1}`, join(root, `chain/l${i}`));
    // Names that are not UTF-8 stay bytes.
    mkdirSync(join(root, "bytes"));
    writeFileSync(Buffer.from(`${root}/bytes/x\xff.container`, "latin1"), "X\n");
    symlinkSync(Buffer.from("x\xff.container", "latin1"), Buffer.from(`${root}/bytes/link`, "latin1"));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it("reads, lists and stats below a root, links resolving inside it", () => {
    const fs = nodeUnitFs(root);
    assert.equal(fs.readText(`${dir}/a.container`), "A\n");
    assert.equal(fs.readText(`${dir}/link.container`), "A\n");
    assert.equal(fs.readText(`${dir}/abs.container`), "A\n");
    assert.equal(fs.readText(`${dir}/caf\u00e9.network`), "caf\u00e9\n");
    assert.equal(fs.readText(`${dir}/sub`), undefined);
    assert.equal(fs.readText(`${dir}/nope`), undefined);
    // abs.container and up: see the test of links below.
    assert.deepEqual(
      fs.list(dir)?.filter((e) => e.name !== "abs.container" && e.name !== "up"),
      [
        { name: "a.container", kind: "file" },
        { name: "big.container", kind: "file" },
        { name: "caf\u00e9.network", kind: "file" },
        { name: "link.container", kind: "file" },
        { name: "sub", kind: "dir" },
      ],
    );
    assert.equal(fs.list(`${dir}/nope`), undefined);
    assert.equal(fs.exists(`${dir}/sub`), true);
    assert.equal(fs.exists(`${dir}/a.container`), true);
    assert.equal(fs.exists(`${dir}/nope`), false);

    const b = nodeUnitFs(root).bytes;
    assert.ok(b);
    assert.deepEqual(b.readdir(dir), [
      "a.container",
      "abs.container",
      "big.container",
      "caf\xc3\xa9.network",
      "dangling.container",
      "fifo.container",
      "link.container",
      "loop1",
      "loop2",
      "sub",
      "up",
    ]);
    assert.deepEqual(b.readdir(`${dir}/up/etc/containers/systemd/sub`), ["b.volume"]);
    assert.equal(message(b.readdir(`${dir}/nope`)), `open ${dir}/nope: no such file or directory`);
    assert.equal(message(b.readdir(`${dir}/a.container`)), `open ${dir}/a.container: not a directory`);
    assert.equal(b.readFile(`${dir}/caf\xc3\xa9.network`), "caf\xc3\xa9\n");
    assert.equal(b.readFile(`${dir}/up${dir}/abs.container`), "A\n");
    assert.equal(message(b.readFile(`${dir}/sub`)), `read ${dir}/sub: is a directory`);
    assert.equal(
      message(b.readFile(`${dir}/fifo.container`)),
      `read ${dir}/fifo.container: not a regular file`,
    );
    assert.equal(
      message(b.readFile(`${dir}/big.container`)),
      `read ${dir}/big.container: file is larger than 64 MiB`,
    );
    assert.equal(message(b.readFile(`${dir}/nope`)), `open ${dir}/nope: no such file or directory`);
    assert.equal(message(b.readFile(`${dir}/loop1`)), `open ${dir}/loop1: too many levels of symbolic links`);
    assert.equal(b.realpath(`${dir}/abs.container`), `${dir}/a.container`);
    // As in Go, ".." applies to the resolved path: up is /, so up/.. is / too.
    assert.equal(
      message(b.realpath(`${dir}/up/../a.container`)),
      "lstat /a.container: no such file or directory",
    );
    assert.equal(b.realpath(`${dir}/sub/../a.container`), `${dir}/a.container`);
    assert.equal(b.realpath(`${dir}/up`), "/");
    assert.equal(b.realpath(`/./etc//containers/systemd/sub/`), `${dir}/sub`);
    assert.equal(message(b.realpath("/etc/nope/x")), "lstat /etc/nope: no such file or directory");
    assert.equal(message(b.realpath(`${dir}/loop1`)), "EvalSymlinks: too many links");
    assert.equal(b.stat(`${dir}/sub`), "dir");
    assert.equal(b.stat(`${dir}/link.container`), "file");
    assert.equal(b.stat(`${dir}/fifo.container`), "other");
    assert.equal(
      message(b.stat(`${dir}/dangling.container`)),
      `stat ${dir}/dangling.container: no such file or directory`,
    );
    assert.equal(b.realpath("/chain/l1"), "/chain/end");
    assert.equal(b.readFile("/chain/l1"), "E\n");
    assert.equal(message(b.realpath("/chain/l0")), "EvalSymlinks: too many links");
    assert.equal(b.realpath("/bytes/link"), "/bytes/x\xff.container");
    assert.equal(b.readFile("/bytes/link"), "X\n");
    assert.equal(nodeUnitFs(`${root}//`).readText(`${dir}/a.container`), "A\n");
  });

  it("lists and tests existence with links resolved inside the root, as it reads", () => {
    const fs = nodeUnitFs(root);
    assert.equal(fs.exists(`${dir}/abs.container`), true);
    assert.equal(fs.exists(`${dir}/up/etc/containers/systemd/a.container`), true);
    assert.deepEqual(
      fs.list(dir)?.filter((e) => e.name === "abs.container" || e.name === "up"),
      [
        { name: "abs.container", kind: "file" },
        { name: "up", kind: "dir" },
      ],
    );
    // `up` climbs past the root: it stops there, so it lists the root's own top (made in before()), not the host's.
    assert.deepEqual(
      fs.list(`${dir}/up`)?.map((e) => e.name),
      ["bytes", "chain", "etc"],
    );
  });

  it("follows host paths as they are under /", () => {
    const d = join(root, dir);
    const fs = nodeUnitFs();
    const b = fs.bytes;
    assert.ok(b);
    assert.equal(fs.readText(join(d, "link.container")), "A\n");
    assert.equal(fs.exists(d), true);
    assert.equal(b.realpath(join(d, "link.container")), join(d, "a.container"));
    assert.equal(message(b.realpath(join(d, "nope"))), `lstat ${join(d, "nope")}: no such file or directory`);
    assert.equal(message(b.realpath(join(d, "loop1"))), "EvalSymlinks: too many links");
    assert.equal(b.stat(join(d, "a.container")), "file");
    assert.equal(message(b.readFile(join(d, "nope"))), `open ${join(d, "nope")}: no such file or directory`);
    assert.equal(message(b.readdir(join(d, "nope"))), `open ${join(d, "nope")}: no such file or directory`);
    assert.equal(message(b.stat(join(d, "nope"))), `stat ${join(d, "nope")}: no such file or directory`);
    assert.equal(b.realpath(`${root}/bytes/link`), `${realpathSync(root)}/bytes/x\xff.container`);
    // A relative path stays relative to the working directory, as for quadlet.
    assert.match(b.readFile("package.json") as string, /^\{/);
    assert.equal(b.realpath("package.json"), join(realpathSync("."), "package.json"));
    assert.equal(fs.exists("package.json"), true);
  });

  it("refuses every symbolic link below the directories it is told to", () => {
    const fs = nodeUnitFs(root, { refuseLinksBelow: [`${dir}/`] });
    const b = fs.bytes;
    assert.ok(b);
    const refused = "a symbolic link in a tree whose links qm does not follow";
    assert.equal(fs.readText(`${dir}/a.container`), "A\n");
    assert.equal(fs.readText(`${dir}/link.container`), undefined);
    assert.equal(fs.exists(`${dir}/link.container`), false);
    assert.equal(fs.exists(`${dir}/a.container`), true);
    assert.deepEqual(
      fs.list(dir)?.map((e) => e.name),
      ["a.container", "big.container", "caf\u00e9.network", "sub"],
    );
    assert.equal(fs.list(`${dir}/up`), undefined);
    assert.equal(message(b.readFile(`${dir}/link.container`)), `open ${dir}/link.container: ${refused}`);
    assert.equal(message(b.readFile(`${dir}/up/x`)), `open ${dir}/up/x: ${refused}`);
    assert.equal(message(b.realpath(`${dir}/abs.container`)), `lstat ${dir}/abs.container: ${refused}`);
    assert.equal(message(b.stat(`${dir}/link.container`)), `stat ${dir}/link.container: ${refused}`);
    assert.equal(message(b.readdir(`${dir}/up`)), `open ${dir}/up: ${refused}`);
    assert.equal(b.readFile(`${dir}/sub/b.volume`), "B\n");
    assert.equal(b.realpath(`${dir}/sub`), `${dir}/sub`);
    const missing = nodeUnitFs(root, { refuseLinksBelow: ["/nonexistent"] }).bytes;
    assert.equal(
      message(missing?.readFile("/nonexistent/x")),
      "open /nonexistent/x: no such file or directory",
    );
  });
});
