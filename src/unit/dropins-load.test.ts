// Quadlet's search path, unit loading and drop-in layering (podman-systemd.unit(5), quadlet's getUnitDirs,
// loadUnitsFromDir and loadUnitDropins), with what it logs and reports, over in-memory trees.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  discoverUnits,
  dropinFiles,
  expandSearchDirs,
  findDropins,
  type LoadError,
  type LogEvent,
  listingCache,
  loadUnits,
  MAX_SEARCH_DIRS,
  parseUnitFile,
  searchDirs,
  UNIT_DIR_ADMIN,
  UNIT_DIR_DISTRO,
  UNIT_DIR_TEMP,
  UNIT_ORDER,
  unitSearchDirs,
} from "./dropins.js";
import { type ByteFs, byteFs, FsError, memoryUnitFs } from "./fs.js";
import { UnitFile } from "./unitfile.js";

const E = "/etc/containers/systemd";
const SYSTEM = ["/run/containers/systemd", E, "/usr/share/containers/systemd"];

/** A ByteFs over a memory tree where the listed paths fail with EACCES for the given operation. */
function denying(files: Record<string, string>, deny: Partial<Record<keyof ByteFs, string[]>>): ByteFs {
  const base = byteFs(memoryUnitFs(files));
  const no = (op: keyof ByteFs, p: string): FsError | undefined =>
    deny[op]?.includes(p)
      ? new FsError(
          op === "readdir" || op === "readFile" ? "open" : op === "stat" ? "stat" : "lstat",
          p,
          "EACCES",
        )
      : undefined;
  return {
    readdir: (p) => no("readdir", p) ?? base.readdir(p),
    readFile: (p) => no("readFile", p) ?? base.readFile(p),
    realpath: (p) => no("realpath", p) ?? base.realpath(p),
    stat: (p) => no("stat", p) ?? base.stat(p),
  };
}

describe("quadlet's search path", () => {
  it("has quadlet's directories, order of types and limit", () => {
    assert.deepEqual([UNIT_DIR_TEMP, UNIT_DIR_ADMIN, UNIT_DIR_DISTRO], SYSTEM);
    assert.deepEqual(UNIT_ORDER, {
      ".container": 4,
      ".volume": 2,
      ".kube": 4,
      ".network": 2,
      ".image": 1,
      ".build": 3,
      ".pod": 5,
    });
    assert.equal(MAX_SEARCH_DIRS, 10000);
  });

  const tree = {
    [`${E}/a.container`]: "[Container]\n",
    [`${E}/sub/deeper/b.container`]: "[Container]\n",
    [`${E}/sub/c.container`]: "[Container]\n",
    [`${E}/a.container.d/x.conf`]: "",
    [`${E}/users/x/u.container`]: "",
    [`${E}/users/1000/v.container`]: "",
    [`${E}/users/2000/w.container`]: "",
    [`${E}/users/12a/y.container`]: "",
  };

  it("walks system directories depth first, skipping NAME.d and the users tree", () => {
    const events: LogEvent[] = [];
    const errors: LoadError[] = [];
    const dirs = searchDirs(byteFs(memoryUnitFs(tree)), {}, events, errors);
    assert.deepEqual(dirs, [
      "/run/containers/systemd",
      E,
      `${E}/sub`,
      `${E}/sub/deeper`,
      "/usr/share/containers/systemd",
    ]);
    assert.deepEqual(events, []);
    assert.deepEqual(errors, []);
    assert.deepEqual(searchDirs(byteFs(memoryUnitFs(tree)), { env: { QUADLET_UNIT_DIRS: "" } }), dirs);
  });

  it("walks the user directories: runtime, config, users (non-numeric) and users/UID", () => {
    const fs = byteFs(memoryUnitFs(tree));
    const env = { XDG_RUNTIME_DIR: "/run/user/1000", HOME: "/home/u" };
    assert.deepEqual(searchDirs(fs, { user: true, uid: 1000, env }), [
      "/run/user/1000/containers/systemd",
      "/home/u/.config/containers/systemd",
      `${E}/users`,
      `${E}/users/12a`,
      `${E}/users/x`,
      `${E}/users/1000`,
    ]);
    assert.deepEqual(searchDirs(fs, { user: true, env: { HOME: "/home/u", XDG_CONFIG_HOME: "" } }), [
      "/home/u/.config/containers/systemd",
      `${E}/users`,
    ]);
    assert.deepEqual(searchDirs(fs, { user: true, env: { XDG_CONFIG_HOME: "/cfg", HOME: "/home/u" } }), [
      "/cfg/containers/systemd",
      `${E}/users`,
    ]);
    const events: LogEvent[] = [];
    assert.deepEqual(searchDirs(fs, { user: true, env: { XDG_RUNTIME_DIR: "/r" } }, events), [
      "/r/containers/systemd",
    ]);
    assert.deepEqual(events, [
      { text: "Warning: neither $XDG_CONFIG_HOME nor $HOME are defined", raw: true },
    ]);
    const relative: LogEvent[] = [];
    assert.deepEqual(
      searchDirs(fs, { user: true, env: { XDG_CONFIG_HOME: "cfg", HOME: "/h" } }, relative),
      [],
    );
    assert.deepEqual(relative, [{ text: "Warning: path in $XDG_CONFIG_HOME is relative", raw: true }]);
  });

  it("takes QUADLET_UNIT_DIRS up to the first relative entry, walking each", () => {
    const events: LogEvent[] = [];
    const fs = byteFs(memoryUnitFs(tree));
    assert.deepEqual(searchDirs(fs, { env: { QUADLET_UNIT_DIRS: `/nope:${E}/users:rel:/b` } }, events), [
      "/nope",
      `${E}/users`,
      `${E}/users/1000`,
      `${E}/users/12a`,
      `${E}/users/2000`,
      `${E}/users/x`,
    ]);
    assert.deepEqual(events, [{ text: "rel not a valid file path" }]);
  });

  it("stops at the directory limit and says where", () => {
    const errors: LoadError[] = [];
    const dirs = searchDirs(byteFs(memoryUnitFs(tree)), { maxDirs: 2 }, [], errors);
    assert.deepEqual(dirs, ["/run/containers/systemd", E]);
    assert.deepEqual(errors, [
      { text: `search path "${E}" holds more than 2 directories; not searched further` },
    ]);
    const three: LoadError[] = [];
    assert.equal(searchDirs(byteFs(memoryUnitFs(tree)), { maxDirs: 3 }, [], three).length, 3);
    assert.equal(three.length, 1);
    const enough: LoadError[] = [];
    assert.equal(searchDirs(byteFs(memoryUnitFs(tree)), { maxDirs: 5 }, [], enough).length, 5);
    assert.deepEqual(enough, []);
  });

  it("logs what it cannot resolve, list or stat, and goes on", () => {
    const fs = denying(tree, {
      realpath: ["/run/containers/systemd", `${E}/users`],
      readdir: [`${E}/sub`],
      stat: [`${E}/a.container`],
    });
    const events: LogEvent[] = [];
    assert.deepEqual(searchDirs(fs, {}, events), [
      "/run/containers/systemd",
      E,
      `${E}/sub`,
      `${E}/users`,
      "/usr/share/containers/systemd",
    ]);
    assert.deepEqual(events, [
      {
        text: `Error occurred resolving path "${E}/users": lstat ${E}/users: permission denied`,
        debug: true,
      },
      {
        text: 'Error occurred resolving path "/run/containers/systemd": lstat /run/containers/systemd: permission denied',
        debug: true,
      },
      {
        text: `Error occurred resolving path "${E}/a.container": stat ${E}/a.container: permission denied`,
        debug: true,
      },
      {
        text: `Error occurred walking sub directories "${E}/sub": open ${E}/sub: permission denied`,
        debug: true,
      },
      {
        text: `Error occurred resolving path "${E}/users": lstat ${E}/users: permission denied`,
        debug: true,
      },
    ]);
  });
});

describe("quadlet's unit loading", () => {
  it("reports files it cannot read or parse in quadlet's words", () => {
    const fs = byteFs(memoryUnitFs({ "/d/bad.container": "[S]\nfoo\n", "/d/ok.container": "[S]\nA=1\n" }));
    assert.deepEqual(parseUnitFile(fs, "/d/nope.container"), {
      text: 'error loading "/d/nope.container", open /d/nope.container: no such file or directory',
      file: "/d/nope.container",
    });
    assert.deepEqual(parseUnitFile(fs, "/d/bad.container"), {
      text: 'error loading "/d/bad.container", file contains line 2: \xe2\x80\x9cfoo\xe2\x80\x9d which is not a key-value pair, group, or comment',
      file: "/d/bad.container",
      line: 2,
    });
    const ok = parseUnitFile(fs, "/d/ok.container");
    assert.ok(ok instanceof UnitFile);
    assert.equal(ok.lookup("S", "A"), "1");
  });

  it("loads each name from the first directory, drops a directory with a bad file, layers drop-ins", () => {
    const fs = byteFs(
      memoryUnitFs({
        "/run/containers/systemd/a.container": "[Container]\nImage=run\n",
        "/run/containers/systemd/a.container.d/10.conf": "[Container]\nLabel=run\n",
        [`${E}/a.container`]: "[Container]\nImage=etc\n",
        [`${E}/b.volume`]: "[Volume]\n",
        [`${E}/notes.txt`]: "not a unit",
        [`${E}/a.container.d/10.conf`]: "[Container]\nLabel=etc\n",
        [`${E}/a.container.d/20.conf`]: "[Container]\nLabel=etc20\n",
        [`${E}/a.container.d/30.txt`]: "ignored",
        [`${E}/b.volume.d/bad.conf`]: "nope\n",
        "/usr/share/containers/systemd/bad.container": "oops\n",
        "/usr/share/containers/systemd/c.network": "[Network]\n",
        "/usr/share/containers/systemd/container.d/05.conf": "[Container]\nLabel=all\n",
      }),
    );
    const loaded = loadUnits(fs);
    assert.deepEqual(loaded.dirs, SYSTEM);
    assert.deepEqual(
      loaded.units.map((u) => [u.filename, u.sources]),
      [
        [
          "a.container",
          [
            "/run/containers/systemd/a.container",
            "/usr/share/containers/systemd/container.d/05.conf",
            "/run/containers/systemd/a.container.d/10.conf",
            `${E}/a.container.d/20.conf`,
          ],
        ],
        ["b.volume", [`${E}/b.volume`]],
      ],
    );
    assert.deepEqual(loaded.units[0]?.lookupAll("Container", "Label"), ["all", "run", "etc20"]);
    assert.deepEqual(loaded.errors, [
      {
        text: 'error loading "/usr/share/containers/systemd/bad.container", file contains line 1: \xe2\x80\x9coops\xe2\x80\x9d which is not a key-value pair, group, or comment',
        file: "/usr/share/containers/systemd/bad.container",
        line: 1,
      },
      {
        text: `error loading "${E}/b.volume.d/bad.conf", file contains line 1: \xe2\x80\x9cnope\xe2\x80\x9d which is not a key-value pair, group, or comment`,
        file: `${E}/b.volume.d/bad.conf`,
        line: 1,
      },
    ]);
    assert.deepEqual(
      loaded.events.filter((e) => e.debug).map((e) => e.text),
      [
        "Loading source unit file /run/containers/systemd/a.container",
        `Loading source unit file ${E}/b.volume`,
        "Loading source unit file /usr/share/containers/systemd/bad.container",
        "Loading source unit file /usr/share/containers/systemd/c.network",
        "Loading source drop-in file /usr/share/containers/systemd/container.d/05.conf",
        "Loading source drop-in file /run/containers/systemd/a.container.d/10.conf",
        `Loading source drop-in file ${E}/a.container.d/20.conf`,
        `Loading source drop-in file ${E}/b.volume.d/bad.conf`,
      ],
    );
  });

  it("says when nothing was parsed, and reports directories it cannot list", () => {
    const empty = loadUnits(byteFs(memoryUnitFs({})));
    assert.deepEqual(empty.units, []);
    assert.deepEqual(empty.errors, []);
    assert.deepEqual(empty.events, [
      {
        text: "No files parsed from [/run/containers/systemd /etc/containers/systemd /usr/share/containers/systemd]",
        debug: true,
      },
    ]);
    const denied = loadUnits(denying({ [`${E}/a.container`]: "[Container]\n" }, { readdir: [E] }));
    assert.deepEqual(denied.errors, [{ text: `open ${E}: permission denied`, file: E }]);
    assert.deepEqual(denied.units, []);
  });

  it("reports drop-in directories it cannot list and skips them", () => {
    const files = {
      [`${E}/a.container`]: "[Container]\n",
      [`${E}/a.container.d/1.conf`]: "[Container]\n",
      [`${E}/container.d/2.conf`]: "[Container]\n",
    };
    const unit = UnitFile.parse("[Container]\n", `${E}/a.container`);
    const errors: LoadError[] = [];
    const fs = denying(files, { readdir: [`${E}/a.container.d`] });
    assert.deepEqual(dropinFiles(fs, unit, [E], errors), [`${E}/container.d/2.conf`]);
    assert.deepEqual(errors, [
      {
        text: `error reading directory "${E}/a.container.d", open ${E}/a.container.d: permission denied`,
        file: `${E}/a.container.d`,
      },
    ]);
    assert.deepEqual(dropinFiles(byteFs(memoryUnitFs(files)), unit, [E]), [
      `${E}/a.container.d/1.conf`,
      `${E}/container.d/2.conf`,
    ]);
  });

  it("remembers listings and answers for names its parent does not hold", () => {
    const calls: string[] = [];
    const base = byteFs(memoryUnitFs({ "/d/x/f": "", "/top": "" }));
    const cached = listingCache({
      ...base,
      readdir: (p) => {
        calls.push(p);
        return base.readdir(p);
      },
    });
    assert.deepEqual(cached.readdir("/d"), ["x"]);
    assert.deepEqual(cached.readdir("/d"), ["x"]);
    assert.equal(message(cached.readdir("/d/y")), "open /d/y: no such file or directory");
    assert.deepEqual(cached.readdir("/d/x"), ["f"]);
    assert.deepEqual(cached.readdir("/d/x/"), ["f"]);
    // "." and ".." are passed through to the tree (which here does not resolve them).
    assert.equal(message(cached.readdir("/d/.")), "open /d/.: no such file or directory");
    assert.equal(message(cached.readdir("/e")), "open /e: no such file or directory");
    assert.deepEqual(cached.readdir("/"), ["d", "top"]);
    assert.equal(message(cached.readdir("/q")), "open /q: no such file or directory");
    assert.equal(message(cached.readdir("rel")), "open rel: no such file or directory");
    assert.deepEqual(calls, ["/d", "/d/x", "/d/x/", "/d/.", "/e", "/", "rel"]);
    assert.equal(cached.readFile("/top"), "");
  });
});

const message = (r: unknown): string => {
  assert.ok(r instanceof FsError);
  return r.message;
};

describe("search directories for text callers", () => {
  it("lists the top directories for each mode", () => {
    assert.deepEqual(unitSearchDirs({ user: true, env: { XDG_CONFIG_HOME: "/cfg", HOME: "/h" } }), [
      "/cfg/containers/systemd",
      `${E}/users`,
    ]);
    assert.deepEqual(unitSearchDirs({ user: true, env: {} }), [`${E}/users`]);
    assert.deepEqual(unitSearchDirs({ user: true, env: { HOME: "/h" }, uid: 0 }), [
      "/h/.config/containers/systemd",
      `${E}/users`,
      `${E}/users/0`,
    ]);
    assert.deepEqual(unitSearchDirs({ env: { QUADLET_UNIT_DIRS: "" } }), SYSTEM);
    assert.deepEqual(unitSearchDirs({ user: true, env: { QUADLET_UNIT_DIRS: "/a" } }), ["/a"]);
    assert.deepEqual(unitSearchDirs({ env: { QUADLET_UNIT_DIRS: "rel:/a" } }), []);
  });

  it("expands them, the users tree only in user mode", () => {
    const fs = memoryUnitFs({ [`${E}/users/1/a.container`]: "", [`${E}/s/b.container`]: "" });
    assert.deepEqual(expandSearchDirs(fs, [E]), [E, `${E}/s`]);
    assert.deepEqual(expandSearchDirs(fs, [E], { user: true }), [E, `${E}/s`, `${E}/users`, `${E}/users/1`]);
  });

  it("discovers units by extension and finds their drop-ins", () => {
    const fs = memoryUnitFs({
      "/a/x.container": "",
      "/a/y.volume": "",
      "/a/z.txt": "",
      "/b/x.container": "",
      "/b/w.container": "",
      "/b/x.container.d/1.conf": "",
      "/a/x.container.d/2.conf": "",
      "/a/x.container.d/1.conf": "",
      "/b/container.d/0.conf": "",
    });
    assert.deepEqual(discoverUnits(fs, ["/a", "/b"], ["container", "volume"]), [
      { name: "w.container", path: "/b/w.container" },
      { name: "x.container", path: "/a/x.container" },
      { name: "y.volume", path: "/a/y.volume" },
    ]);
    assert.deepEqual(discoverUnits(fs, ["/a", "/nope"], ["txt"]), [{ name: "z.txt", path: "/a/z.txt" }]);
    assert.deepEqual(findDropins(fs, ["/a", "/b"], "x.container"), [
      "/b/container.d/0.conf",
      "/a/x.container.d/1.conf",
      "/a/x.container.d/2.conf",
    ]);
  });
});
