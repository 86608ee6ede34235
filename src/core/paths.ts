import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The project's shipped data (share/). Bundles live in <pkg>/dist, compiled sources in <repo>/build/src/..., so look
 * upward from this module for the first share/ that holds qm's data; QM_SHARE_DIR overrides.
 */
export function shareDir(): string {
  const override = process.env.QM_SHARE_DIR;
  if (override) return override;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "share");
    if (existsSync(join(candidate, "qm"))) return candidate;
    dir = dirname(dir);
  }
  throw new Error(
    `cannot find qm's share/ directory above ${fileURLToPath(import.meta.url)}; set QM_SHARE_DIR`,
  );
}

/**
 * The file name of a bundle in dist/: the OCI hooks (oci-*) are CommonJS (.cjs), so they also run as extension-less
 * files on Node 18; every other executable is an ES module (.mjs). See scripts/build.mjs.
 */
export function bundleFileName(name: string): string {
  return `${name}.${name.startsWith("oci-") ? "cjs" : "mjs"}`;
}

/** A sibling bundle of the running one (e.g. qm-quadlet next to qm), when running from dist/. */
export function siblingBundle(name: string): string | null {
  const candidate = join(dirname(fileURLToPath(import.meta.url)), bundleFileName(name));
  return existsSync(candidate) ? candidate : null;
}
