import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { loadContextOfFile } from "./context.js";
import { runtimeUnitName } from "./runstate.js";

function tree(t: { after: (fn: () => void) => void }, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "qm-context-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const BASE = "[Container]\nImage=localhost/qm\nContainerName=qm\nNetwork=host\n";

describe("the partition context of a quadlet file", () => {
  test("below .../usr/share/containers/systemd: that prefix is the root, its /etc drop-ins apply", (t) => {
    const root = tree(t, {
      "usr/share/containers/systemd/qm.container": BASE,
      "etc/containers/systemd/qm.container.d/10-net.conf": "[Container]\nNetwork=none\n",
    });
    const ctx = loadContextOfFile(join(root, "usr/share/containers/systemd/qm.container"));
    assert.equal(ctx.root, root);
    assert.deepEqual(ctx.unit.sources, [
      "/usr/share/containers/systemd/qm.container",
      "/etc/containers/systemd/qm.container.d/10-net.conf",
    ]);
    assert.equal(ctx.unit.last("Container", "Network")?.value, "none");
    assert.equal(ctx.serviceName, runtimeUnitName(root));
    assert.equal(ctx.containerName, "qm");
  });

  test("anywhere else: the file's directory is the only one searched, on this machine's root", (t) => {
    const dir = tree(t, {
      "radio.container": BASE.replace("ContainerName=qm", "ContainerName=radio"),
      "radio.container.d/10-net.conf": "[Container]\nNetwork=none\n",
    });
    const ctx = loadContextOfFile(join(dir, "radio.container"));
    assert.equal(ctx.root, "/");
    assert.deepEqual(ctx.unit.sources, [
      join(dir, "radio.container"),
      join(dir, "radio.container.d/10-net.conf"),
    ]);
    assert.deepEqual([ctx.serviceName, ctx.containerName], ["radio.service", "radio"]);
  });
});
