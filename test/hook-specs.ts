/**
 * Hostile OCI specs for the hook fuzzers: annotation keys and values of any content, sections of the wrong type,
 * broken JSON, megabytes of annotation, deep nesting and uint64 literals (shared by src/hooks/fuzz.test.ts and
 * test/integration/nested-oom-hook.fuzz.test.ts).
 */
import fc from "fast-check";
import { BIG_INTEGERS } from "./fuzz.js";

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
export const specText = fc.tuple(shuffled, fc.constantFrom(...INDENTS)).map(([s, indent]) => text(s, indent));

/** A few edits of a spec's text: mostly no longer JSON, sometimes JSON of another shape. */
export const mutatedText = fc
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

export const tokenSoup = fc
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

export const hookInput = fc.oneof(
  { weight: 120, arbitrary: specText },
  { weight: 50, arbitrary: mutatedText },
  { weight: 20, arbitrary: tokenSoup },
  { weight: 10, arbitrary: fc.string({ unit: "binary", maxLength: 50 }) },
  { weight: 10, arbitrary: fc.constantFrom("", " ", "\n", "null", "[]", '"spec"', "1", "{}") },
  { weight: 1, arbitrary: huge },
);
