import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { withEnv } from "../../test/helpers.js";
import { ExitCode, QmError } from "../core/errors.js";
import { inspectContainer, podmanTimeoutMs } from "./podman.js";

test("QM_PODMAN_TIMEOUT: 30 s unless set; seconds, fractions allowed; anything else is a usage error", () => {
  assert.equal(
    withEnv({ QM_PODMAN_TIMEOUT: undefined }, () => podmanTimeoutMs()),
    30_000,
  );
  assert.equal(
    withEnv({ QM_PODMAN_TIMEOUT: "" }, () => podmanTimeoutMs()),
    30_000,
  );
  assert.equal(
    withEnv({ QM_PODMAN_TIMEOUT: "3" }, () => podmanTimeoutMs()),
    3_000,
  );
  assert.equal(
    withEnv({ QM_PODMAN_TIMEOUT: "0.5" }, () => podmanTimeoutMs()),
    500,
  );
  assert.equal(
    withEnv({ QM_PODMAN_TIMEOUT: "86400" }, () => podmanTimeoutMs()),
    86_400_000,
  );
  for (const bad of ["0", "-1", "3s", " 3", "1e3", "abc", "0.0", "3\n", "86400.5", "99999999999"]) {
    assert.throws(
      () => withEnv({ QM_PODMAN_TIMEOUT: bad }, () => podmanTimeoutMs()),
      (e: unknown) => e instanceof QmError && e.code === "QM_USAGE" && e.message.includes(`'${bad}'`),
      bad,
    );
  }
});

test("a podman that does not answer: QM_PODMAN_UNRESPONSIVE, status 5, naming the command and the lock", async () => {
  const dir = mkdtempSync(join(tmpdir(), "qm-podman-"));
  try {
    const slow = join(dir, "podman");
    writeFileSync(slow, "#!/bin/sh\nexec sleep 10\n");
    chmodSync(slow, 0o755);
    await withEnv({ QM_PODMAN: slow, QM_PODMAN_TIMEOUT: "0.3" }, () =>
      assert.rejects(inspectContainer("qm"), (e: unknown) => {
        assert.ok(e instanceof QmError);
        assert.equal(e.code, "QM_PODMAN_UNRESPONSIVE");
        assert.equal(e.exitCode, ExitCode.commandFailed);
        assert.match(
          e.message,
          /did not answer within 0\.3 s \(.*podman container inspect --format json qm\)/,
        );
        assert.match(e.hint ?? "", /lslocks/);
        return true;
      }),
    );
    const absent = join(dir, "absent");
    writeFileSync(absent, "#!/bin/sh\necho 'Error: no such container qm' >&2\nexit 125\n");
    chmodSync(absent, 0o755);
    assert.equal(await withEnv({ QM_PODMAN: absent }, () => inspectContainer("qm")), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
