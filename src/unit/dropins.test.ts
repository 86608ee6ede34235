import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  discoverUnits,
  dropinFiles,
  expandSearchDirs,
  findDropins,
  loadUnits,
  unitSearchDirs,
} from "./dropins.js";
import { byteFs, memoryUnitFs } from "./fs.js";
import { Unit } from "./unit.js";
import { UnitFile } from "./unitfile.js";

describe("search directories", () => {
  it("system, user and QUADLET_UNIT_DIRS (up to the first relative entry)", () => {
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
        "/etc/containers/systemd/users",
        "/etc/containers/systemd/users/1000",
      ],
    );
    assert.deepEqual(unitSearchDirs({ env: { QUADLET_UNIT_DIRS: "/a:/b:rel:/c" } }), ["/a", "/b"]);
  });

  it("walks subdirectories (not NAME.d ones); the first directory holding a name wins", () => {
    const fs = memoryUnitFs({
      "/etc/containers/systemd/a.container": "[Container]\nImage=etc\n",
      "/etc/containers/systemd/sub/b.container": "[Container]\nImage=sub\n",
      "/etc/containers/systemd/x.d/c.container": "[Container]\nImage=hidden\n",
      "/etc/containers/systemd/users/c.container": "[Container]\nImage=user\n",
      "/usr/share/containers/systemd/a.container": "[Container]\nImage=usr\n",
      "/usr/share/containers/systemd/notes.txt": "x",
    });
    const dirs = expandSearchDirs(fs, unitSearchDirs());
    assert.deepEqual(dirs, [
      "/run/containers/systemd",
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
    const dirs = (name: string): string[] => {
      const u = new UnitFile();
      u.filename = name;
      return u.dropinDirs();
    };
    assert.deepEqual(dirs("foo-bar-baz.container"), [
      "foo-bar-baz.container.d",
      "foo-bar-.container.d",
      "foo-.container.d",
      "container.d",
    ]);
    assert.deepEqual(dirs("web-x@1.container"), [
      "web-x@1.container.d",
      "web-x@.container.d",
      "web-@.container.d",
      "web-.container.d",
      "container.d",
    ]);
  });

  it("search directory before specificity; a name seen first wins; applied in byte order", () => {
    const fs = memoryUnitFs({
      "/usr/u/foo-bar.container": "[Container]\nImage=x\nDropCapability=a\n",
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
      "/etc/u/foo-.container.d/50-override.conf",
    ]);
    const loaded = loadUnits(byteFs(fs), { env: { QUADLET_UNIT_DIRS: dirs.join(":") } });
    const unit = Unit.fromUnitFile(loaded.units[0] as UnitFile);
    assert.deepEqual(unit.words("Container", "DropCapability"), ["b"]);
    assert.deepEqual(
      [...unit.keyValues("Container", "Label")],
      [
        ["from", "type-wide"],
        ["layer", "prefix"],
      ],
    );
    const last = unit.last("Container", "DropCapability");
    assert.deepEqual(
      [last?.file, last?.line, last?.column],
      ["/etc/u/foo-bar.container.d/20-reset.conf", 3, 16],
    );
    assert.equal(unit.sources.length, 4);
    assert.deepEqual(dropinFiles(byteFs(fs), loaded.units[0] as UnitFile, []), []);
  });

  it("a unit file that does not parse drops every unit of its directory, as quadlet does", () => {
    const fs = memoryUnitFs({
      "/u/a.container": "[Container]\nImage=x\n",
      "/u/b.container": "[Container]\nnot a key\n",
      "/u/sub/a.container": "[Container]\nImage=y\n",
      "/u/sub/c.container": "[Container]\nImage=z\n",
    });
    const loaded = loadUnits(byteFs(fs), { env: { QUADLET_UNIT_DIRS: "/u" } });
    assert.deepEqual(
      loaded.units.map((u) => u.path),
      ["/u/sub/c.container"],
    );
    assert.deepEqual(
      loaded.errors.map((e) => e.text),
      [
        'error loading "/u/b.container", file contains line 2: \u00e2\u0080\u009cnot a key\u00e2\u0080\u009d which is not a key-value pair, group, or comment',
      ],
    );
  });
});
