import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import { QmError } from "../core/errors.js";
import { AGENT_FILES, agentPayload, installAgent, readAgentFiles } from "./bluechi.js";
import { describeSource, sourceFingerprint } from "./source.js";

describe("--bluechi-from: the agent's files from a BlueChi build", () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  /** A staged install with the agent's files (content: their own paths). */
  const stage = (skip: readonly string[] = []): string => {
    const dir = mkdtempSync(join(tmpdir(), "qm-bc-stage-"));
    dirs.push(dir);
    for (const f of [
      ...AGENT_FILES.map((a) => a.path),
      "usr/libexec/bluechi-controller",
      "usr/lib/tmpfiles.d/bluechi.conf",
    ]) {
      if (skip.includes(f)) continue;
      mkdirSync(join(dir, dirname(f)), { recursive: true });
      writeFileSync(join(dir, f), f, { mode: 0o600 });
    }
    return dir;
  };

  test("only the agent's files, with their modes, into the tree", async () => {
    const payload = await agentPayload(stage());
    assert.deepEqual(
      payload.files.map((f) => [f.path, f.mode.toString(8)]),
      [
        ["usr/libexec/bluechi-agent", "755"],
        ["usr/lib/systemd/system/bluechi-agent.service", "644"],
        ["usr/share/bluechi-agent/config/agent.conf", "644"],
        ["usr/share/dbus-1/system.d/org.eclipse.bluechi.Agent.conf", "644"],
        ["usr/bin/bluechi-is-online", "755"],
        ["usr/libexec/bluechi-proxy", "755"],
        ["usr/lib/systemd/system/bluechi-proxy@.service", "644"],
        ["usr/lib/systemd/system/bluechi-dep@.service", "644"],
      ],
    );
    const tree = mkdtempSync(join(tmpdir(), "qm-bc-tree-"));
    dirs.push(tree);
    installAgent(tree, payload);
    assert.equal(statSync(join(tree, "usr/libexec/bluechi-agent")).mode & 0o7777, 0o755);
    assert.equal(statSync(join(tree, "usr/share/bluechi-agent/config/agent.conf")).mode & 0o7777, 0o644);
    assert.throws(() => statSync(join(tree, "usr/libexec/bluechi-controller")));
    assert.throws(() => statSync(join(tree, "usr/lib/tmpfiles.d/bluechi.conf")));
  });

  test("optional files may be missing; required ones may not; links are refused", async () => {
    assert.equal((await agentPayload(stage(["usr/libexec/bluechi-proxy"]))).files.length, 7);
    for (const f of AGENT_FILES.filter((a) => a.required)) {
      const dir = stage([f.path]);
      await assert.rejects(agentPayload(dir), (e: unknown) => {
        return (
          e instanceof QmError &&
          e.code === "QM_SETUP_BLUECHI" &&
          e.message === `--bluechi-from ${dir}: no ${f.path} in it`
        );
      });
    }
    const linked = stage(["usr/libexec/bluechi-agent"]);
    symlinkSync("/bin/sh", join(linked, "usr/libexec/bluechi-agent"));
    await assert.rejects(agentPayload(linked), /usr\/libexec\/bluechi-agent is not a regular file/);
    const dirLink = stage();
    rmSync(join(dirLink, "usr/share/dbus-1"), { recursive: true });
    symlinkSync("/usr/share/dbus-1", join(dirLink, "usr/share/dbus-1"));
    await assert.rejects(agentPayload(dirLink), /symbolic link/);
    await assert.rejects(agentPayload("/nonexistent/bluechi"), /no such file or directory/);
    const other = join(stage(), "usr/bin/bluechi-is-online");
    await assert.rejects(agentPayload(other), /not a directory, \.deb or \.rpm/);
  });

  test("a tree with links where the agent goes is refused, not followed", async () => {
    const payload = await agentPayload(stage());
    const tree = mkdtempSync(join(tmpdir(), "qm-bc-tree-"));
    dirs.push(tree);
    mkdirSync(join(tree, "usr"));
    symlinkSync(tmpdir(), join(tree, "usr/libexec"));
    assert.throws(() => installAgent(tree, payload), /symbolic link/);
  });

  test("the digest follows the files; the tree's fingerprint and description follow the digest", () => {
    const a = readAgentFiles(stage(), "A");
    const changed = stage();
    writeFileSync(join(changed, "usr/libexec/bluechi-agent"), "other");
    assert.notEqual(readAgentFiles(changed, "B").digest, a.digest);
    assert.equal(readAgentFiles(stage(), "C").digest, a.digest);
    const tar = { kind: "tar" as const, file: "/t.tar", fingerprint: "1" };
    const withAgent = { ...tar, agent: { from: "/stage", digest: a.digest } };
    assert.notEqual(sourceFingerprint(withAgent), sourceFingerprint(tar));
    assert.notEqual(
      sourceFingerprint(withAgent),
      sourceFingerprint({ ...tar, agent: { from: "/stage", digest: "0".repeat(16) } }),
    );
    assert.equal(describeSource(withAgent), "tarball /t.tar, with the BlueChi agent from /stage");
    assert.equal(describeSource(tar), "tarball /t.tar");
  });
});
