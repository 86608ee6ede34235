import assert from "node:assert/strict";
import { test } from "node:test";
import type { QmError } from "../core/errors.js";
import { memoryUnitFs } from "../unit/fs.js";
import { generateAll, generateServiceFrom, loadEffectiveUnitFrom, outputFiles, relPath } from "./generate.js";

// [base, target, what Go's filepath.Rel returns (undefined: its "can't make ... relative to ..." error)].
const REL: ReadonlyArray<readonly [string, string, string | undefined]> = [
  ["a", "a", "."],
  ["a/b", "a/b", "."],
  [".", "a", "a"],
  ["", "a/b", "a/b"],
  [".", ".", "."],
  ["a", ".", "../."],
  ["a/b", "a", ".."],
  ["a", "a/b", "b"],
  ["a/b/c", "a/d", "../../d"],
  ["a/b", "c/d", "../../c/d"],
  ["/a", "/a/b", "b"],
  ["/a/b", "/c", "../../c"],
  ["/", "/a", "a"],
  ["/a", "/", ".."],
  ["a", "/a", undefined],
  ["/a", "a", undefined],
  ["..", "a", undefined],
  ["../a", "b", undefined],
  ["a/..", "b", "b"],
  ["a//b/", "a/b/c", "c"],
  ["multi-user.target.wants", "x.service", "../x.service"],
  ["x", "x.service", "../x.service"],
  ["a/b/c/d", "a/x/y", "../../../x/y"],
  ["../..", "..", undefined],
  ["..", "../a", "a"],
  ["ab", "abc", "../abc"],
  ["abc", "ab", "../ab"],
  ["a/b", "a/bc", "../bc"],
  ["/a/b/c", "/a/b/c/d/e", "d/e"],
  ["a/./b", "a/b/../c", "../c"],
];

test("relPath is Go's filepath.Rel", () => {
  for (const [base, target, rel] of REL) assert.equal(relPath(base, target), rel, `Rel(${base}, ${target})`);
});

const env = { QUADLET_UNIT_DIRS: "/units:/bad" };
const FILES = {
  "/units/t@.container":
    "[Unit]\nDescription=T\n[Container]\nImage=docker.io/library/x:1\nExec=/bin/sh -c 'echo hi'\n[Install]\nWantedBy=a.target b.target\nRequiredBy=r.target\nAlias=al@.service ../up.service\nDefaultInstance=i\n",
  "/units/d.container": "[Container]\nImage=docker.io/library/x:1\n",
  "/units/d.container.d/10-x.conf": "[Container\n",
  "/units/e.container": "[Container]\nBogus=1\n",
  // A file that does not parse drops every unit of its directory.
  "/bad/bad.container": "[Container]\nImage=x\n[broken\n",
  "/bad/ok.container": "[Container]\nImage=docker.io/library/x:1\n",
};
const BAD = (file: string, line: number, text: string): string =>
  `${file}:${line}: error loading "${file}", file contains line ${line}: “${text}” which is not a key-value pair, group, or comment`;

test("generateAll: load errors with their file and line, then conversion errors", () => {
  const result = generateAll(memoryUnitFs(FILES), { env });
  assert.deepEqual(
    result.errors.map((e) => [e.code, e.located(), e.details]),
    [
      ["QM_QUADLET_LOAD", BAD("/bad/bad.container", 3, "[broken"), undefined],
      ["QM_QUADLET_LOAD", BAD("/units/d.container.d/10-x.conf", 1, "[Container"), undefined],
      [
        "QM_QUADLET_UNSUPPORTED_KEY",
        "/units/e.container:2:1: unsupported key 'Bogus' in group 'Container' in /units/e.container",
        { unit: "e.container", section: "Container", key: "Bogus" },
      ],
    ],
  );
  assert.equal(result.errors[2]?.hint, "see podman-systemd.unit(5) for the keys [Container] accepts");
  assert.equal(result.loadErrors.length, 2);
  assert.deepEqual(
    result.services.map((s) => s.sourceName),
    ["d.container", "t@.container"],
  );
});

test("GeneratedService: names, sections, [Service] entries, ExecStart words and [Install]", () => {
  const result = generateAll(memoryUnitFs(FILES), { env });
  const d = result.services.find((s) => s.sourceName === "d.container");
  const t = result.services.find((s) => s.sourceName === "t@.container");
  assert.ok(d && t);
  assert.deepEqual([d.sourcePath, d.serviceName, d.type], ["/units/d.container", "d.service", "container"]);
  assert.deepEqual(
    d.sections.map((s) => s.name),
    ["X-Container", "Unit", "Service"],
  );
  assert.deepEqual(d.service.slice(0, 2), [
    { key: "Environment", value: "PODMAN_SYSTEMD_UNIT=%n" },
    { key: "KillMode", value: "mixed" },
  ]);
  assert.equal(d.service.length, 9);
  assert.deepEqual(d.install, { wantedBy: [], requiredBy: [], alias: [] });
  assert.deepEqual(
    t.sections.map((s) => s.name),
    ["Unit", "X-Container", "Install", "Service"],
  );
  assert.deepEqual(t.sections[0]?.entries.slice(0, 3), [
    { key: "Wants", value: "network-online.target" },
    { key: "After", value: "network-online.target" },
    { key: "Description", value: "T" },
  ]);
  assert.deepEqual(t.install, {
    wantedBy: ["a.target", "b.target"],
    requiredBy: ["r.target"],
    alias: ["al@.service", "../up.service"],
    defaultInstance: "i",
  });
  assert.deepEqual(t.execStart.slice(2, 4), ["--name", "systemd-%p_%i"]);
  assert.deepEqual(t.execStart.slice(-3), ["/bin/sh", "-c", "echo hi"]);
  assert.deepEqual(
    outputFiles(t, "/out").map((f) =>
      f.kind === "file" ? [f.path, f.content === t.text] : [f.path, f.target],
    ),
    [
      ["/out/t@.service", true],
      ["/out/al@.service", "t@.service"],
      ["/out/a.target.wants/t@i.service", "../t@.service"],
      ["/out/b.target.wants/t@i.service", "../t@.service"],
      ["/out/r.target.requires/t@i.service", "../t@.service"],
    ],
  );
  assert.ok(
    t.text.startsWith("# Automatically generated by qm-quadlet\n# \n[Unit]\nWants=network-online.target\n"),
  );
});

test("the podman in Exec lines: the option, else $PODMAN, else /usr/bin/podman", () => {
  const fs = memoryUnitFs(FILES);
  const first = (options: Parameters<typeof generateServiceFrom>[2]) =>
    generateServiceFrom(fs, "t@.container", options).execStart[0];
  assert.equal(first({ env }), "/usr/bin/podman");
  assert.equal(first({ env, podman: "/opt/podman" }), "/opt/podman");
  assert.equal(first({ env: { ...env, PODMAN: "/env/podman" } }), "/env/podman");
  assert.equal(first({ env: { ...env, PODMAN: "/env/podman" }, podman: "/opt/p" }), "/opt/p");
});

test("loadEffectiveUnitFrom and generateServiceFrom: the unit's own errors, its drop-ins' errors, unknown names", () => {
  const fs = memoryUnitFs(FILES);
  const code = (f: () => unknown): string => {
    try {
      f();
    } catch (error) {
      const e = error as QmError;
      return `${e.code} ${e.located()}${e.hint ? ` (${e.hint})` : ""}`;
    }
    return "no error";
  };
  const notFound =
    "QM_QUADLET_NOT_FOUND unit nope.container not found in /units, /bad (install it under /etc/containers/systemd or /usr/share/containers/systemd, or set QUADLET_UNIT_DIRS)";
  assert.equal(
    code(() => loadEffectiveUnitFrom(fs, "nope.container", { env })),
    notFound,
  );
  assert.equal(
    code(() => generateServiceFrom(fs, "nope.container", { env })),
    notFound,
  );
  const bad = `QM_QUADLET_LOAD ${BAD("/bad/bad.container", 3, "[broken")}`;
  assert.equal(
    code(() => loadEffectiveUnitFrom(fs, "bad.container", { env })),
    bad,
  );
  assert.equal(
    code(() => generateServiceFrom(fs, "bad.container", { env })),
    bad,
  );
  assert.equal(
    code(() => loadEffectiveUnitFrom(fs, "ok.container", { env })),
    "QM_QUADLET_NOT_FOUND unit ok.container not found in /units, /bad (install it under /etc/containers/systemd or /usr/share/containers/systemd, or set QUADLET_UNIT_DIRS)",
  );
  assert.equal(
    code(() => loadEffectiveUnitFrom(fs, "d.container", { env })),
    `QM_QUADLET_LOAD ${BAD("/units/d.container.d/10-x.conf", 1, "[Container")}`,
  );
  assert.equal(generateServiceFrom(fs, "d.container", { env }).serviceName, "d.service");
  assert.equal(
    code(() => loadEffectiveUnitFrom(fs, "e.container", { env })),
    "no error",
  );
  assert.equal(
    code(() => generateServiceFrom(fs, "e.container", { env })),
    "QM_QUADLET_UNSUPPORTED_KEY /units/e.container:2:1: unsupported key 'Bogus' in group 'Container' in /units/e.container (see podman-systemd.unit(5) for the keys [Container] accepts)",
  );
  assert.equal(
    code(() => loadEffectiveUnitFrom(memoryUnitFs({}), "x.container", { env: {} })),
    "QM_QUADLET_NOT_FOUND unit x.container not found in /run/containers/systemd, /etc/containers/systemd, /usr/share/containers/systemd (install it under /etc/containers/systemd or /usr/share/containers/systemd, or set QUADLET_UNIT_DIRS)",
  );
});
