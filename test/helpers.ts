import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { bundleFileName } from "../src/core/paths.js";

/** Repository root (tests run from build/test/...). */
export const repoRoot = process.env.QM_REPO_ROOT ?? fileURLToPath(new URL("../../", import.meta.url));
/** A bundled executable, as installed: dist/NAME.mjs, or NAME.cjs for a hook (in $QM_DIST_DIR if set). */
export const distBin = (name: string): string =>
  join(process.env.QM_DIST_DIR ?? join(repoRoot, "dist"), bundleFileName(name));

/** Why an integration test cannot run here, or undefined when it can. Tests skip with this reason, never silently. */
export function rootSkipReason(): string | undefined {
  return process.getuid?.() === 0
    ? undefined
    : "needs root (integration tests use real podman, cgroups and mounts)";
}

/** A temporary directory removed when the test ends. */
export function tempDir(t: TestContext, prefix = "qm-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** DIR/root holding the shipped qm.container where quadlet finds it: a root for sub-package and setup tests. */
export function quadletRoot(dir: string): string {
  const root = join(dir, "root");
  mkdirSync(join(root, "usr/share/containers/systemd"), { recursive: true });
  cpSync(
    join(repoRoot, "share/containers/systemd/qm.container"),
    join(root, "usr/share/containers/systemd/qm.container"),
  );
  return root;
}

/**
 * Run `fn` with environment variables set (undefined: unset), restoring them after; when `fn` returns a promise,
 * after it settles.
 */
export function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const set = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  set(vars);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    set(saved);
    throw error;
  }
  if (result instanceof Promise) return result.finally(() => set(saved)) as T;
  set(saved);
  return result;
}
