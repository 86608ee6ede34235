/**
 * Property-based fuzzing of the nested OOM hook (share/qm/hooks/oci-qm-nested-oom-score-adj), a shell script, under
 * /bin/sh as podman runs it, on specs a nested container's owner could shape (test/hook-specs.ts). Every case forks
 * the shell and its sed and tr processes, so this target runs here rather than with the unit tests. See test/fuzz.ts
 * for seeds and budgets.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { bigIntegerCounts, fuzz } from "../fuzz.js";
import { repoRoot } from "../helpers.js";
import { mutatedText, specText, tokenSoup } from "../hook-specs.js";

test("fuzz: oci-qm-nested-oom-score-adj under /bin/sh on hostile specs", (t) => {
  const hook = join(repoRoot, "share/qm/hooks/oci-qm-nested-oom-score-adj");
  // A shell variable cannot hold NUL bytes, and no container runtime writes them.
  const input = fc
    .oneof(
      { weight: 12, arbitrary: specText },
      { weight: 3, arbitrary: mutatedText },
      { weight: 1, arbitrary: tokenSoup },
    )
    .map((text) => text.replaceAll("\u0000", ""));
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
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
    // 10,000 cases whatever the machine's speed (about 15 ms each), then none more: no budget beyond the floor.
    { minRuns: 10_000, budgetMs: 0, caseLimitMs: 10_000 },
  );
});
