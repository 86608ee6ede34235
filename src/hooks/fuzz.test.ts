/**
 * Property-based fuzzing of every OCI hook qm ships, on specs a nested container's owner could shape: annotation
 * keys and values of any content, sections of the wrong type, broken JSON, megabytes of annotation, deep nesting and
 * uint64 literals. The three Node hooks run in-process (the same code the bundles run); the nested OOM hook runs under
 * /bin/sh like podman runs it, with fewer cases since each one forks. See test/fuzz.ts for seeds and budgets.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import fc from "fast-check";
import { BIG_INTEGERS, bigIntegerCounts, fuzz } from "../../test/fuzz.js";
import { repoRoot, tempDir } from "../../test/helpers.js";
import { partitionCgroupsHook } from "../partition/cgroup-hook.js";
import { deviceManager } from "./device-manager.js";
import type { HookEnv } from "./devices.js";
import type { Level } from "./log.js";
import { applyHook, type HookDefinition } from "./runner.js";
import { waylandClientDevices } from "./wayland-client.js";

// ---------------------------------------------------------------------------------------------------------------
// Inputs

const KEYS = [
  "org.containers.qm.device.audio",
  "org.containers.qm.device.video",
  "org.containers.qm.device.input",
  "org.containers.qm.device.ttys",
  "org.containers.qm.device.ttyUSB",
  "org.containers.qm.device.dvb",
  "org.containers.qm.device.radio",
  "org.containers.qm.device.",
  "org.containers.qm.device.constructor",
  "org.containers.qm.device.__proto__",
  "org.containers.qm.device.../../etc",
  "org.containers.qm.wayland.seat",
  "org.containers.qm.wayland.seat.0",
  "org.containers.qm.wayland-client.gpu",
  "org.containers.qm.start-limit",
  "org.containers.qm.other",
  "oomScoreAdj",
  "process",
  '"process":{',
  "io.podman.annotations.label",
];
const PIECES = [
  "true",
  "1",
  "yes",
  "True",
  "TRUE",
  "YES",
  "Yes",
  "false",
  "",
  "null",
  "seat0",
  "seat-x_1",
  "seat0;id",
  "$(id)",
  "`id`",
  "\n",
  "\r",
  "\u0000",
  "\u001b[2J",
  " ",
  '"',
  "\\",
  '\\"',
  "{",
  "}",
  "[",
  "]",
  ",",
  ":",
  "oomScoreAdj",
  '"oomScoreAdj":1',
  '"process":{',
  "18446744073709551615",
  "1111111111111111",
  "é",
  "\u2028",
  "\ud800",
];

const hostileText = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...PIECES) },
  { weight: 3, arbitrary: fc.array(fc.constantFrom(...PIECES), { maxLength: 6 }).map((p) => p.join("")) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 30 }) },
);
const key = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...KEYS) },
  { weight: 1, arbitrary: hostileText.map((t) => `org.containers.qm.device.${t}`) },
  { weight: 1, arbitrary: hostileText },
);
const annotationValue = fc.oneof(
  { weight: 9, arbitrary: hostileText },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);
/** Stand-ins replaced by BIG_INTEGERS[i] in the JSON text (a JavaScript value cannot hold them). */
const big = fc.nat({ max: BIG_INTEGERS.length - 1 }).map((i) => `@@big${i}@@`);
const anyJson = fc.jsonValue({ maxDepth: 3 });

const rule = fc.record(
  {
    allow: fc.boolean(),
    type: fc.constantFrom("c", "b", "a"),
    major: fc.oneof(fc.integer({ min: 0, max: 300 }), big),
    minor: fc.integer({ min: 0, max: 300 }),
    access: fc.constantFrom("rwm", "r"),
  },
  { requiredKeys: [] },
);
const linux = fc.oneof(
  fc.constantFrom(undefined, null, "x", 1, []),
  fc.record(
    {
      devices: fc.oneof(fc.array(fc.oneof(rule, anyJson), { maxLength: 3 }), anyJson),
      resources: fc.oneof(
        fc.record(
          {
            devices: fc.oneof(fc.array(fc.oneof(rule, anyJson), { maxLength: 3 }), anyJson),
            memory: fc.record({ limit: big, swap: big }),
            pids: fc.record({ limit: fc.integer() }),
          },
          { requiredKeys: [] },
        ),
        anyJson,
      ),
      sysctl: fc.dictionary(hostileText, hostileText, { maxKeys: 2 }),
    },
    { requiredKeys: [] },
  ),
);
const mount = fc.oneof(
  fc.constant({
    destination: "/sys/fs/cgroup/systemd",
    type: "bind",
    source: "/sys/fs/cgroup/systemd",
    options: ["bind"],
  }),
  fc.record({
    destination: fc.constantFrom("/sys/fs/cgroup", "/proc", "/x"),
    type: fc.constantFrom("cgroup", "bind", "proc"),
    source: hostileText,
    options: fc.oneof(fc.array(fc.constantFrom("ro", "rw", "nosuid", "rprivate")), anyJson),
  }),
  anyJson,
);
const processSection = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record(
      {
        args: fc.array(hostileText, { maxLength: 3 }),
        env: fc.array(hostileText, { maxLength: 3 }),
        rlimits: fc.array(fc.record({ type: fc.constant("RLIMIT_NOFILE"), hard: big, soft: big }), {
          maxLength: 2,
        }),
        oomScoreAdj: fc.integer({ min: -1000, max: 1000 }),
        user: fc.record({ uid: fc.nat(), oomScoreAdj: fc.integer() }, { requiredKeys: ["uid"] }),
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: anyJson },
);
const spec = fc.record(
  {
    ociVersion: fc.constant("1.0.2-dev"),
    annotations: fc.oneof(
      { weight: 9, arbitrary: fc.dictionary(key, annotationValue, { maxKeys: 6 }) },
      { weight: 1, arbitrary: anyJson },
    ),
    process: processSection,
    linux,
    mounts: fc.oneof(fc.array(mount, { maxLength: 4 }), anyJson),
    hooks: anyJson,
  },
  { requiredKeys: [] },
);
/** Key order matters to the sh hook (process before or after annotations), so it is shuffled. */
const shuffled = spec.chain((s) =>
  fc
    .shuffledSubarray(Object.entries(s), { minLength: Object.keys(s).length })
    .map((e) => Object.fromEntries(e)),
);

function text(value: unknown, indent: string | number): string {
  return JSON.stringify(value, null, indent).replace(
    /"@@big(\d)@@"/g,
    (_, i: string) => BIG_INTEGERS[Number(i)] ?? "0",
  );
}

const INDENTS = [0, 1, 2, 4, "\t", " \t", "\n"] as const;
const specText = fc.tuple(shuffled, fc.constantFrom(...INDENTS)).map(([s, indent]) => text(s, indent));

/** A few edits of a spec's text: mostly no longer JSON, sometimes JSON of another shape. */
const mutatedText = fc
  .tuple(
    specText,
    fc.array(
      fc.tuple(
        fc.nat(),
        fc.constantFrom("delete", "insert", "replace"),
        fc.constantFrom(...PIECES, "-", "0", "e"),
      ),
      { minLength: 1, maxLength: 4 },
    ),
  )
  .map(([t, edits]) => {
    let out = t;
    for (const [at, op, piece] of edits) {
      const i = out.length === 0 ? 0 : at % out.length;
      out =
        op === "delete"
          ? out.slice(0, i) + out.slice(i + 1)
          : out.slice(0, i) + piece + out.slice(i + (op === "replace" ? 1 : 0));
    }
    return out;
  });

const tokenSoup = fc
  .array(
    fc.constantFrom(
      "{",
      "}",
      "[",
      "]",
      ",",
      ":",
      '"',
      '"a"',
      "\\",
      "-",
      "1111111111111111",
      "true",
      " ",
      "\n",
      '"\\"',
    ),
    {
      maxLength: 60,
    },
  )
  .map((t) => t.join(""));

/** Inputs of unusual size: kept rare, they cost most of the time. */
const huge = fc
  .constantFrom(
    () =>
      JSON.stringify({
        annotations: { "org.containers.qm.device.audio": "true", big: '\\"{'.repeat(70_000) },
      }),
    () =>
      `{"annotations":{"org.containers.qm.wayland-client.gpu":"true"},"x":${"[".repeat(5_000)}${"]".repeat(5_000)}}`,
    () => `{"annotations":{"a":"${'\\"'.repeat(20_000)}1111111111111111`,
    () => `{"linux":{},"n":${"1".repeat(100_000)}}`,
    () =>
      `{"annotations":${JSON.stringify(Object.fromEntries(Array.from({ length: 3_000 }, (_, i) => [`org.containers.qm.device.x${i}`, "true"])))}}`,
  )
  .map((make) => make());

const hookInput = fc.oneof(
  { weight: 120, arbitrary: specText },
  { weight: 50, arbitrary: mutatedText },
  { weight: 20, arbitrary: tokenSoup },
  { weight: 10, arbitrary: fc.string({ unit: "binary", maxLength: 50 }) },
  { weight: 10, arbitrary: fc.constantFrom("", " ", "\n", "null", "[]", '"spec"', "1", "{}") },
  { weight: 1, arbitrary: huge },
);

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

  test("oci-qm-nested-oom-score-adj under /bin/sh", (t) => {
    const hook = join(repoRoot, "share/qm/hooks/oci-qm-nested-oom-score-adj");
    // A shell variable cannot hold NUL bytes, and no container runtime writes them.
    const input = fc
      .oneof(
        { weight: 12, arbitrary: specText },
        { weight: 3, arbitrary: mutatedText },
        { weight: 1, arbitrary: tokenSoup },
      )
      .map((t) => t.replaceAll("\u0000", ""));
    fuzz(
      t,
      "oci-qm-nested-oom-score-adj",
      input,
      (text) => {
        const r = spawnSync("/bin/sh", [hook], {
          input: text,
          encoding: "utf8",
          env: {},
          timeout: 20_000,
          maxBuffer: 1 << 26,
        });
        assert.equal(r.error, undefined);
        // What the hook reads: UTF-8 (a lone surrogate is sent as U+FFFD), trailing newlines dropped by $(cat).
        const sent = Buffer.from(text).toString().replace(/\n+$/, "");
        let value: unknown;
        try {
          value = JSON.parse(sent);
        } catch {
          value = undefined;
        }
        const isObject = (v: unknown): v is Record<string, unknown> =>
          typeof v === "object" && v !== null && !Array.isArray(v);
        if (!isObject(value)) {
          assert.equal(r.status, 1, r.stderr);
          assert.equal(r.stdout, `${sent}\n`, "not a JSON object: echoed");
          return;
        }
        assert.equal(r.status, 0, r.stderr);
        const process = value.process;
        const expected =
          isObject(process) && !Object.hasOwn(process, "oomScoreAdj")
            ? { ...value, process: { ...process, oomScoreAdj: 750 } }
            : value;
        assert.deepEqual(
          JSON.parse(r.stdout),
          expected,
          "750 exactly where the spec's own process sets nothing",
        );
        assert.deepEqual(
          bigIntegerCounts(r.stdout),
          bigIntegerCounts(text),
          "integers beyond 2^53 kept exactly",
        );
      },
      { minRuns: 100, budgetMs: 8_000, caseLimitMs: 10_000 },
    );
  });
});
