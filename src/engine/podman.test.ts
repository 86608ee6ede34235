import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { withEnv } from "../../test/helpers.js";
import { ExitCode, QmError } from "../core/errors.js";
import { realPorts } from "../partition/real-ports.js";
import { inspectContainer, podman, podmanTimeoutMs } from "./podman.js";

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

test("every podman call is bounded: QM_PODMAN_TIMEOUT plus the command's own time; a person's command is not", async () => {
  const dir = mkdtempSync(join(tmpdir(), "qm-podman-"));
  try {
    // Answers after a second, or never for "hang".
    const fake = join(dir, "podman");
    writeFileSync(fake, '#!/bin/sh\ncase " $* " in *" hang "*) exec sleep 30 ;; esac\nexec sleep 1\n');
    chmodSync(fake, 0o755);
    const unresponsive = (within: RegExp) => (e: unknown) => {
      assert.ok(e instanceof QmError);
      assert.equal(e.code, "QM_PODMAN_UNRESPONSIVE");
      assert.match(e.message, within);
      return true;
    };
    await withEnv({ QM_PODMAN: fake, QM_PODMAN_TIMEOUT: "0.3" }, async () => {
      await assert.rejects(
        podman(["rm", "--force", "qm"], { allowFailure: true }),
        unresponsive(/within 0\.3 s \(.*podman rm --force qm\)/),
      );
      // podman stop --time N may take N seconds by design.
      assert.equal((await podman(["stop", "--time", "20", "qm"], { workSec: 20 })).code, 0);
      await assert.rejects(
        podman(["stop", "hang"], { workSec: 0.2 }),
        unresponsive(/within 0\.5 s \(0\.2 s for the command itself plus QM_PODMAN_TIMEOUT, 0\.3 s\)/),
      );
      // The real ports: qm stop's podman stop gets its --time on top of the timeout.
      await realPorts.podman.stop("qm", 20);
      await assert.rejects(realPorts.podman.stop("hang", 0), unresponsive(/within 0\.3 s/));
      // qm logs: the person's own output, as long as it takes.
      assert.equal((await podman(["logs", "qm"], { interactive: true })).code, 0);
      // A bound of the caller's own: the result says it timed out, the caller judges.
      const own = await podman(["hang"], { timeoutMs: 200, allowFailure: true });
      assert.equal(own.timedOut, true);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
