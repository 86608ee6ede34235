import assert from "node:assert/strict";
import { test } from "node:test";
import { ExitCode, QmError } from "../core/errors.js";
import { run } from "./exec.js";

test("a program that is not installed: QM_COMMAND_NOT_FOUND, host not ready", async () => {
  await assert.rejects(run("/nonexistent/qm-no-such-program", ["x"]), (e: unknown) => {
    assert.ok(e instanceof QmError);
    assert.equal(e.code, "QM_COMMAND_NOT_FOUND");
    assert.equal(e.exitCode, ExitCode.hostNotReady);
    assert.match(e.hint ?? "", /install \/nonexistent\/qm-no-such-program/);
    return true;
  });
});

test("a program that fails: QM_COMMAND_FAILED, status 5, with the command and its stderr", async () => {
  await assert.rejects(run("sh", ["-c", "echo broken >&2; exit 3"]), (e: unknown) => {
    assert.ok(e instanceof QmError);
    assert.equal(e.code, "QM_COMMAND_FAILED");
    assert.equal(e.exitCode, ExitCode.commandFailed);
    assert.match(e.message, /sh -c .* failed \(exit status 3\):\nbroken/);
    return true;
  });
});
