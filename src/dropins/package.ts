/**
 * A sub-package with its contents in memory: the manifest plus every file's final bytes (marker included).
 * Catalog entries live in share/dropins/NAME/, custom ones in any directory holding a dropin.json.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, posix, resolve } from "node:path";
import { QmError } from "../core/errors.js";
import { bundleFileName, shareDir, siblingBundle } from "../core/paths.js";
import { VERSION } from "../core/version.js";
import { SafeDir } from "../engine/safe-fs.js";
import { hookInstallPlan } from "../hooks/install-plan.js";
import { type Manifest, parseManifest } from "./manifest.js";

export const MANIFEST = "dropin.json";

export type FileKind =
  | "qm-dropin"
  | "nested-unit"
  | "containers-conf"
  | "hook-config"
  | "partition-unit"
  | "file";

export interface PackageFile {
  readonly destination: string;
  readonly mode: number;
  readonly content: Buffer;
  readonly kind: FileKind;
  /** Where the bytes came from, for error messages (a file path, or PACKAGE!/path). */
  readonly origin: string;
  /** Lines qm put in front of the origin's text (the marker), so errors can name the origin's own line. */
  readonly lineOffset: number;
}

export interface DropinPackage {
  readonly manifest: Manifest;
  readonly version: string;
  /** The manifest's directory, or the package file it was read from. */
  readonly origin: string;
  readonly files: readonly PackageFile[];
}

const QUADLET_EXT = /\.(container|volume|network|pod|kube|image|build|artifact)$/;
const SYSTEMD_EXT = /\.(service|socket|target|timer|path|mount)$/;

/** What a destination path is, which decides how it is validated. */
export function fileKind(destination: string): FileKind {
  const dir = posix.dirname(destination);
  if (dir.endsWith("/qm.container.d")) return "qm-dropin";
  if (dir === "/etc/qm/containers/systemd" && QUADLET_EXT.test(destination)) return "nested-unit";
  if (dir === "/etc/qm/containers/containers.conf.d") return "containers-conf";
  if (/\/oci\/hooks\.d$/.test(dir) && destination.endsWith(".json")) return "hook-config";
  if (dir.startsWith("/etc/qm/systemd/") && SYSTEMD_EXT.test(destination)) return "partition-unit";
  return "file";
}

// Marker: the first line of every file whose syntax has # comments, so that a file is always traceable to
// the package that put it there, and direct removal deletes nothing else.
const MARKER = /^# qm-dropin: package=([a-z0-9+.-]+) version=(\S+)/;
const COMMENTABLE =
  /\.(conf|container|volume|network|pod|kube|image|socket|service|target|timer|path|mount|ini|toml)$/;

export function markerLine(pkg: string, version: string): string {
  return `# qm-dropin: package=${pkg} version=${version} ('qm dropin remove ${pkg}' deletes this file)\n`;
}

export function withMarker(destination: string, content: Buffer, pkg: string, version: string): Buffer {
  if (!COMMENTABLE.test(destination) || readMarker(content) !== undefined) return content;
  return Buffer.concat([Buffer.from(markerLine(pkg, version)), content]);
}

/** The package named by a file's marker line, if it has one. */
export function readMarker(content: Buffer | string): { package: string; version: string } | undefined {
  const head =
    (typeof content === "string" ? content : content.subarray(0, 300).toString("utf8")).split("\n")[0] ?? "";
  const m = MARKER.exec(head);
  return m ? { package: m[1] as string, version: m[2] as string } : undefined;
}

export function sha256(content: Buffer | string): string {
  return createHash("sha256").update(content).digest("hex");
}

export function catalogDir(): string {
  return join(shareDir(), "dropins");
}

/** Names of the catalog entries, sorted. */
export function catalogNames(): string[] {
  const dir = catalogDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => existsSync(join(dir, n, MANIFEST)))
    .sort();
}

/** A bundled executable or shipped file of qm itself (the hook files of the oci-hooks package). */
function qmFile(source: string): string {
  const share = shareDir();
  if (source.startsWith("dist/")) {
    const name = basename(source).replace(/\.[cm]js$/, "");
    const candidates = [
      siblingBundle(name),
      process.env.QM_DIST_DIR ? join(process.env.QM_DIST_DIR, bundleFileName(name)) : null,
      join(dirname(share), source),
    ];
    const found = candidates.find((c): c is string => c !== null && existsSync(c));
    if (!found)
      throw new QmError("QM_DROPIN_SOURCE", `cannot find qm's ${source}`, {
        hint: "build qm first (node scripts/build.mjs) or set QM_DIST_DIR",
      });
    return found;
  }
  return join(dirname(share), source);
}

/**
 * Load a sub-package: a catalog name, or a directory (or its dropin.json) made with `qm dropin new`.
 * Throws QM_DROPIN_UNKNOWN when the name is neither.
 */
export function loadPackage(nameOrDir: string): DropinPackage {
  const looksLikePath = nameOrDir.includes("/") || nameOrDir === "." || nameOrDir === "..";
  let dir: string;
  if (looksLikePath) {
    const p = resolve(nameOrDir);
    dir = existsSync(p) && statSync(p).isFile() ? dirname(p) : p;
  } else {
    dir = join(catalogDir(), nameOrDir);
  }
  const manifestPath = join(dir, MANIFEST);
  // Everything below the package's directory is read without following a link: a package is what it holds.
  const files = new SafeDir(dir);
  const manifestText = existsSync(dir) && statSync(dir).isDirectory() ? files.readText(MANIFEST) : null;
  if (manifestText === null) {
    throw new QmError(
      "QM_DROPIN_UNKNOWN",
      looksLikePath ? `${dir} holds no ${MANIFEST}` : `no sub-package '${nameOrDir}' in the catalog`,
      {
        hint: looksLikePath
          ? "create one with 'qm dropin new NAME'"
          : `known: ${catalogNames().join(", ")}; a directory must be given as a path (./NAME)`,
      },
    );
  }
  const manifest = parseManifest(manifestText, manifestPath);
  const version = manifest.version ?? VERSION;
  const contents: PackageFile[] = manifest.files.map((f) => {
    const origin = join(dir, f.source);
    const content = files.read(f.source);
    if (content === null)
      throw new QmError("QM_DROPIN_SOURCE", `${manifestPath}: ${f.source} does not exist`, {
        location: { file: manifestPath, line: 1 },
      });
    const marked = withMarker(f.destination, content, manifest.package, version);
    return {
      destination: f.destination,
      mode: f.mode,
      content: marked,
      kind: fileKind(f.destination),
      origin,
      lineOffset: marked === content ? 0 : 1,
    };
  });
  if (manifest.hooks) {
    for (const h of hookInstallPlan({ root: "/" })) {
      const origin = qmFile(h.source);
      contents.push({
        destination: h.destination,
        mode: h.mode,
        content: readFileSync(origin),
        kind: fileKind(h.destination),
        origin,
        lineOffset: 0,
      });
    }
  }
  contents.sort((a, b) => (a.destination < b.destination ? -1 : a.destination > b.destination ? 1 : 0));
  return { manifest, version, origin: dir, files: contents };
}
