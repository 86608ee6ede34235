import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  discoverUnits,
  dropinDirNames,
  expandSearchDirs,
  findDropins,
  loadUnitFile,
  unitSearchDirs,
} from "./dropins.js";
import { memoryUnitFs } from "./fs.js";

describe("search directories", () => {
  it("system, user and QUADLET_UNIT_DIRS", () => {
    assert.deepEqual(unitSearchDirs(), [
      "/run/containers/systemd",
      "/etc/containers/systemd",
      "/usr/share/containers/systemd",
    ]);
    assert.deepEqual(
      unitSearchDirs({ user: true, uid: 1000, env: { XDG_RUNTIME_DIR: "/run/user/1000", HOME: "/home/u" } }),
      [
        "/run/user/1000/containers/systemd",
        "/home/u/.config/containers/systemd",
        "/etc/containers/systemd/users/1000",
        "/etc/containers/systemd/users",
      ],
    );
    assert.deepEqual(unitSearchDirs({ env: { QUADLET_UNIT_DIRS: "/a::/b" } }), ["/a", "/b"]);
  });

  it("walks subdirectories; the first directory holding a name wins", () => {
    const fs = memoryUnitFs({
      "/etc/containers/systemd/a.container": "[Container]\nImage=etc\n",
      "/etc/containers/systemd/sub/b.container": "[Container]\nImage=sub\n",
      "/etc/containers/systemd/users/c.container": "[Container]\nImage=user\n",
      "/usr/share/containers/systemd/a.container": "[Container]\nImage=usr\n",
      "/usr/share/containers/systemd/notes.txt": "x",
    });
    const dirs = expandSearchDirs(fs, unitSearchDirs());
    assert.deepEqual(dirs, [
      "/etc/containers/systemd",
      "/etc/containers/systemd/sub",
      "/usr/share/containers/systemd",
    ]);
    assert.deepEqual(discoverUnits(fs, dirs, ["container"]), [
      { name: "a.container", path: "/etc/containers/systemd/a.container" },
      { name: "b.container", path: "/etc/containers/systemd/sub/b.container" },
    ]);
  });
});

describe("drop-ins", () => {
  it("names the directories from most to least specific", () => {
    assert.deepEqual(dropinDirNames("foo-bar-baz.container"), [
      "foo-bar-baz.container.d",
      "foo-bar-.container.d",
      "foo-.container.d",
      "container.d",
    ]);
    assert.deepEqual(dropinDirNames("web@1.container"), [
      "web@1.container.d",
      "web@.container.d",
      "container.d",
    ]);
  });

  it("shadows by file name and applies in lexicographic order, keeping provenance", () => {
    const fs = memoryUnitFs({
      "/etc/u/foo-bar.container": "[Container]\nImage=x\nDropCapability=a\n",
      "/etc/u/container.d/10-all.conf": "[Container]\nLabel=from=type-wide\n",
      "/etc/u/container.d/50-override.conf": "[Container]\nLabel=layer=type\n",
      "/etc/u/foo-.container.d/50-override.conf": "[Container]\nLabel=layer=prefix\n",
      "/usr/u/foo-bar.container.d/50-override.conf": "[Container]\nLabel=layer=specific\n",
      "/etc/u/foo-bar.container.d/20-reset.conf": "[Container]\nDropCapability=\nDropCapability=b\n",
      "/usr/u/foo-bar.container.d/20-reset.conf": "[Container]\nDropCapability=shadowed\n",
      "/etc/u/foo-bar.container.d/README": "not a drop-in",
    });
    const dirs = ["/etc/u", "/usr/u"];
    assert.deepEqual(findDropins(fs, dirs, "foo-bar.container"), [
      "/etc/u/container.d/10-all.conf",
      "/etc/u/foo-bar.container.d/20-reset.conf",
      "/usr/u/foo-bar.container.d/50-override.conf",
    ]);
    const unit = loadUnitFile(fs, dirs, { name: "foo-bar.container", path: "/etc/u/foo-bar.container" });
    assert.deepEqual(unit.words("Container", "DropCapability"), ["b"]);
    assert.deepEqual(
      [...unit.keyValues("Container", "Label")],
      [
        ["from", "type-wide"],
        ["layer", "specific"],
      ],
    );
    const last = unit.last("Container", "DropCapability");
    assert.deepEqual(
      [last?.file, last?.line, last?.column],
      ["/etc/u/foo-bar.container.d/20-reset.conf", 3, 16],
    );
    assert.equal(unit.sources.length, 4);
  });
});
