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

test("a program that outlives timeoutMs is killed and says so: timedOut, 'did not finish within'", async () => {
  const r = await run("sleep", ["5"], { timeoutMs: 200, allowFailure: true });
  assert.equal(r.timedOut, true);
  assert.equal(r.signal, "SIGTERM");
  await assert.rejects(run("sleep", ["5"], { timeoutMs: 200 }), (e: unknown) => {
    assert.ok(e instanceof QmError);
    assert.equal(e.code, "QM_COMMAND_FAILED");
    assert.match(e.message, /^sleep 5 failed \(did not finish within 0\.2 s\)/);
    return true;
  });
});

test("a program that catches SIGTERM and exits 0 after its timeout still timed out; one that ignores it is killed", async () => {
  const r = await run("sh", ["-c", "trap 'exit 0' TERM; sleep 1 & wait"], {
    timeoutMs: 200,
    allowFailure: true,
  });
  assert.equal(r.timedOut, true);
  assert.equal(r.code, 0);
  await assert.rejects(
    run("sh", ["-c", "trap 'exit 0' TERM; sleep 1 & wait"], { timeoutMs: 200 }),
    /did not finish within 0\.2 s/,
  );
  const began = Date.now();
  const stubborn = await run("sh", ["-c", "trap '' TERM; exec sleep 10"], {
    timeoutMs: 200,
    allowFailure: true,
  });
  assert.equal(stubborn.timedOut, true);
  assert.equal(stubborn.signal, "SIGKILL");
  assert.ok(Date.now() - began < 8000, "SIGKILL follows SIGTERM");
});

test("a program killed by a signal before its timeout is not reported as timed out", async () => {
  const r = await run("sh", ["-c", "kill -9 $$"], { timeoutMs: 5000, allowFailure: true });
  assert.equal(r.timedOut, false);
  assert.equal(r.signal, "SIGKILL");
  const quick = await run("true", [], { timeoutMs: 5000 });
  assert.equal(quick.timedOut, false);
});

test("a program ended by a signal reports 128 plus that signal's number, as a shell does", async () => {
  const term = await run("sh", ["-c", "kill -TERM $$"], { allowFailure: true });
  assert.equal(term.signal, "SIGTERM");
  assert.equal(term.code, 143);
  const kill = await run("sh", ["-c", "kill -KILL $$"], { allowFailure: true });
  assert.equal(kill.code, 137);
  const hup = await run("sh", ["-c", "kill -HUP $$"], { allowFailure: true });
  assert.equal(hup.code, 129);
});

test("timeoutError: a timeout ends in that error even where failures are allowed", async () => {
  const mine = new Error("too slow");
  await assert.rejects(
    run("sleep", ["5"], { timeoutMs: 200, allowFailure: true, timeoutError: () => mine }),
    (e: unknown) => e === mine,
  );
  const ok = await run("sh", ["-c", "exit 3"], {
    timeoutMs: 5000,
    allowFailure: true,
    timeoutError: () => mine,
  });
  assert.equal(ok.code, 3);
});
