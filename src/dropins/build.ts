/**
 * Build a sub-package as .deb (dpkg-deb) or .rpm (rpmbuild). The package tree and the metadata are plain data
 * (metadata.ts); the build runs in a temporary directory and the result appears in the
 * output directory by one rename, so an interrupted build never leaves a half-written package behind.
 * File times are clamped to SOURCE_DATE_EPOCH: the same inputs give the same .deb, byte for byte.
 */
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { QmError } from "../core/errors.js";
import { run } from "../engine/exec.js";
import {
  debControl,
  debScripts,
  dependencies,
  type PackageFormat,
  packageFileName,
  rpmSpec,
} from "./metadata.js";
import type { DropinPackage } from "./package.js";

/** 2025-01-01T00:00:00Z: the default file time inside packages (reproducible builds). */
export const DEFAULT_SOURCE_DATE_EPOCH = 1735689600;

export interface BuildResult {
  readonly format: PackageFormat;
  readonly path: string;
  readonly package: string;
  readonly version: string;
  readonly bytes: number;
  readonly files: readonly string[];
  readonly depends: readonly string[];
  readonly millis: number;
}

/** Lay the package's files out below `tree` with their modes; returns the content size. */
function writeTree(pkg: DropinPackage, tree: string): number {
  let bytes = 0;
  for (const d of pkg.manifest.directories) {
    mkdirSync(join(tree, d.path), { recursive: true });
    chmodSync(join(tree, d.path), d.mode);
  }
  for (const f of pkg.files) {
    const path = join(tree, f.destination);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.content);
    chmodSync(path, f.mode);
    bytes += f.content.length;
  }
  return bytes;
}

/** Set every path's times to the epoch (deepest first, so setting a file does not touch its directory again). */
function clampTimes(dir: string, epoch: number): void {
  const visit = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) visit(p);
      utimesSync(p, epoch, epoch);
    }
  };
  visit(dir);
  utimesSync(dir, epoch, epoch);
}

export interface BuildOptions {
  readonly format: PackageFormat;
  readonly outputDir: string;
  readonly sourceDateEpoch?: number;
}

export async function buildPackage(pkg: DropinPackage, options: BuildOptions): Promise<BuildResult> {
  const started = Date.now();
  const epoch = options.sourceDateEpoch ?? DEFAULT_SOURCE_DATE_EPOCH;
  const outputDir = resolve(options.outputDir);
  mkdirSync(outputDir, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), "qm-dropin-build-"));
  const env = { ...process.env, SOURCE_DATE_EPOCH: String(epoch), LC_ALL: "C", TZ: "UTC" };
  const name = packageFileName(pkg, options.format);
  try {
    let built: string;
    if (options.format === "deb") {
      const tree = join(work, "tree");
      const bytes = writeTree(pkg, tree);
      const debian = join(tree, "DEBIAN");
      mkdirSync(debian, { recursive: true });
      writeFileSync(join(debian, "control"), debControl(pkg, Math.max(1, Math.ceil(bytes / 1024))));
      for (const [script, text] of Object.entries(debScripts(pkg))) {
        writeFileSync(join(debian, script), text, { mode: 0o755 });
        chmodSync(join(debian, script), 0o755);
      }
      chmodSync(tree, 0o755);
      clampTimes(tree, epoch);
      built = join(work, name);
      await run("dpkg-deb", ["--root-owner-group", "-Zxz", "--build", tree, built], { env });
    } else {
      const top = join(work, "rpmbuild");
      const tree = join(top, "src", "tree");
      mkdirSync(tree, { recursive: true });
      writeTree(pkg, tree);
      clampTimes(tree, epoch);
      const spec = join(top, `${pkg.manifest.package}.spec`);
      writeFileSync(spec, rpmSpec(pkg));
      const define = (k: string, v: string): string[] => ["--define", `${k} ${v}`];
      await run(
        "rpmbuild",
        [
          "-bb",
          "--nodeps",
          ...define("_topdir", top),
          ...define("_sourcedir", join(top, "src")),
          ...define("_rpmdir", join(top, "out")),
          ...define("_build_name_fmt", "%%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm"),
          ...define("__os_install_post", "%{nil}"),
          ...define("_build_id_links", "none"),
          ...define("_buildhost", "qm"),
          ...define("use_source_date_epoch_as_buildtime", "1"),
          ...define("clamp_mtime_to_source_date_epoch", "1"),
          spec,
        ],
        { env },
      );
      built = join(top, "out", name);
    }
    // Copy next to the destination first: the rename is then atomic even across file systems.
    const temp = join(outputDir, `.${name}.${process.pid}.tmp`);
    try {
      copyFileSync(built, temp);
      renameSync(temp, join(outputDir, name));
    } finally {
      rmSync(temp, { force: true });
    }
    const path = join(outputDir, name);
    return {
      format: options.format,
      path,
      package: pkg.manifest.package,
      version: pkg.version,
      bytes: statSync(path).size,
      files: pkg.files.map((f) => f.destination),
      depends: dependencies(pkg),
      millis: Date.now() - started,
    };
  } catch (error) {
    if (error instanceof QmError && error.code === "QM_COMMAND_NOT_FOUND") {
      throw new QmError(error.code, error.message, {
        hint:
          options.format === "deb"
            ? "install dpkg (dpkg-deb)"
            : "install rpm (Debian) or rpm-build (Fedora) for rpmbuild",
      });
    }
    throw error;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
