import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { repoRoot } from "../../test/helpers.js";
import { POLICY_FILES, policyDigest, policyVariant } from "./selinux.js";

describe("SELinux policy module selection", () => {
  test("Debian and its derivatives use the reference-policy variant; others have none", () => {
    assert.equal(policyVariant("debian", ""), "debian");
    assert.equal(policyVariant("ubuntu", "debian"), "debian");
    assert.equal(policyVariant("raspbian", "debian"), "debian");
    assert.equal(policyVariant("fedora", ""), null);
    assert.equal(policyVariant("centos", "rhel fedora"), null);
    assert.equal(policyVariant("debianish", ""), null);
  });

  test("the shipped variant has every source file, and the digest follows each one's content", (t) => {
    const dir = mkdtempSync(join(tmpdir(), "qm-selinux-unit-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    cpSync(join(repoRoot, "share/selinux/debian"), dir, { recursive: true });
    const before = policyDigest(dir);
    assert.match(before, /^[0-9a-f]{64}$/);
    assert.equal(policyDigest(dir), before);
    for (const name of POLICY_FILES) {
      const copy = mkdtempSync(join(tmpdir(), "qm-selinux-unit-"));
      t.after(() => rmSync(copy, { recursive: true, force: true }));
      cpSync(dir, copy, { recursive: true });
      writeFileSync(join(copy, name), "changed\n", { flag: "a" });
      assert.notEqual(policyDigest(copy), before, `${name} is not part of the digest`);
    }
  });
});
