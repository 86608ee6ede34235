/**
 * Property-based fuzzing of every OCI hook qm ships, on specs a nested container's owner could shape: annotation
 * keys and values of any content, sections of the wrong type, broken JSON, megabytes of annotation, deep nesting and
 * uint64 literals. The three Node hooks run in-process (the same code the bundles run); the nested OOM hook, a shell
 * script, is fuzzed under /bin/sh in test/integration/nested-oom-hook.fuzz.test.ts. See test/fuzz.ts for seeds and
 * budgets.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { bigIntegerCounts, fuzz } from "../../test/fuzz.js";
import { tempDir } from "../../test/helpers.js";
import { hookInput } from "../../test/hook-specs.js";
import { partitionCgroupsHook } from "../partition/cgroup-hook.js";
import { deviceManager } from "./device-manager.js";
import type { HookEnv } from "./devices.js";
import type { Level } from "./log.js";
import { applyHook, type HookDefinition } from "./runner.js";
import { waylandClientDevices } from "./wayland-client.js";

// ---------------------------------------------------------------------------------------------------------------
// Properties

const isJsonObject = (t: string): boolean | undefined => {
  try {
    const v: unknown = JSON.parse(t);
    return typeof v === "object" && v !== null && !Array.isArray(v);
  } catch {
    return undefined;
  }
};

function mockEnv(dir: string): HookEnv {
  const files = (...names: string[]): string[] =>
    names.map((n) => {
      const path = join(dir, n);
      mkdirSync(join(path, ".."), { recursive: true });
      writeFileSync(path, "");
      return path;
    });
  const mocks = new Map<string, string[]>([
    ["AUDIO", files("snd/controlC0", "snd/pcmC0D0p")],
    ["VIDEO", files("video0")],
    ["INPUT", files("input/event0", "input/mice")],
    ["TTYS", files("tty0", "tty1")],
    ["TTYUSB", files("ttyUSB0")],
    ["DVB", files("dvb/adapter0/frontend0")],
    ["RADIO", files("radio0")],
    ["GPU", files("dri/renderD128", "dri/renderD129")],
    ["SEAT", files("seat/card0")],
  ]);
  return { testMode: true, mocks };
}

/** The runner's contract for any input (docs/hooks.md, "Malformed input and exit status"). */
function checkNodeHook(hook: HookDefinition, env: HookEnv, input: string): void {
  const lines: string[] = [];
  const log = { log: (level: Level, message: string) => lines.push(`${level} ${message}`) };
  const data = Buffer.from(input);
  const result = applyHook(hook, data, { log, env });
  const object = isJsonObject(data.toString("utf8"));
  if (data.toString("utf8").trim() === "") {
    assert.deepEqual(result, { status: 1, output: undefined });
  } else if (object === undefined) {
    assert.equal(result.status, 1);
    assert.ok(Buffer.isBuffer(result.output) && result.output.equals(data), "not JSON: echoed");
  } else {
    assert.equal(result.status, 0);
    assert.ok(result.output !== undefined);
    const out = result.output.toString();
    if (!Buffer.isBuffer(result.output)) {
      assert.equal(isJsonObject(out), object, "a spec comes back as a spec");
      assert.deepEqual(bigIntegerCounts(out), bigIntegerCounts(input), "integers beyond 2^53 kept exactly");
    } else assert.ok(result.output.equals(data));
  }
  for (const line of lines)
    assert.doesNotMatch(line, /[\u0000-\u001f\u007f]/, "no control character reaches the log");
}

describe("fuzz: OCI hooks on hostile specs", () => {
  const IN_PROCESS = { minRuns: 10_000, budgetMs: 5_000, caseLimitMs: 2_000 };

  test("oci-qm-device-manager (and the seat manager)", (t) => {
    const env = mockEnv(tempDir(t));
    const r = fuzz(
      t,
      "oci-qm-device-manager",
      hookInput,
      (input) => checkNodeHook(deviceManager, env, input),
      IN_PROCESS,
    );
    assert.ok(r.runs >= 10_000);
  });

  test("oci-qm-wayland-client-devices", (t) => {
    const env = mockEnv(tempDir(t));
    const r = fuzz(
      t,
      "oci-qm-wayland-client-devices",
      hookInput,
      (input) => checkNodeHook(waylandClientDevices, env, input),
      IN_PROCESS,
    );
    assert.ok(r.runs >= 10_000);
  });

  test("oci-qm-partition-cgroups", (t) => {
    const r = fuzz(
      t,
      "oci-qm-partition-cgroups",
      hookInput,
      (generated) => {
        // As the executable reads it: UTF-8 from stdin (a lone surrogate arrives as U+FFFD).
        const input = Buffer.from(generated).toString();
        const out = partitionCgroupsHook(input);
        const object = isJsonObject(input);
        if (object === undefined) assert.equal(out, input, "not JSON: passed through");
        else {
          assert.equal(isJsonObject(out), object, "a spec comes back as a spec");
          assert.deepEqual(
            bigIntegerCounts(out),
            bigIntegerCounts(input),
            "integers beyond 2^53 kept exactly",
          );
        }
      },
      IN_PROCESS,
    );
    assert.ok(r.runs >= 10_000);
  });
});
