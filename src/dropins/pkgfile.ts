/**
 * Read a built .deb or .rpm without installing it: its name, version, dependencies and the files it would
 * install, extracted into a temporary directory (dpkg-deb -x; rpm2archive piped into tar, no shell).
 */
import { spawn } from "node:child_process";
import { lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { QmError } from "../core/errors.js";
import { run } from "../engine/exec.js";
import type { PackageFormat } from "./metadata.js";
import { fileKind, type PackageFile } from "./package.js";

export interface PackageFileInfo {
  readonly path: string;
  readonly format: PackageFormat;
  readonly name: string;
  readonly version: string;
  /** Dependency names (versions and alternatives dropped), e.g. ["qm", "qm-oci-hooks"]. */
  readonly depends: readonly string[];
  readonly files: readonly PackageFile[];
}

export function packageFormat(path: string): PackageFormat | undefined {
  return path.endsWith(".deb") ? "deb" : path.endsWith(".rpm") ? "rpm" : undefined;
}

/** "qm (>= 0.1.0), a | b" -> ["qm", "a"]; rpm's own rpmlib(...) and file requirements are not packages. */
export function dependencyNames(list: readonly string[]): string[] {
  return list
    .map((d) => (d.split("|")[0] ?? "").trim())
    .filter((d) => d !== "" && !d.startsWith("rpmlib(") && !d.startsWith("/"))
    .map((d) => d.split(/[\s(<>=]/)[0] ?? "")
    .filter((n) => n !== "");
}

/** `producer < file | consumer`, both spawned directly and piped in Node. */
function pipe(file: string, producer: readonly string[], consumer: readonly string[]): Promise<void> {
  return new Promise((resolvePipe, reject) => {
    const input = openSync(file, "r");
    const a = spawn(producer[0] as string, producer.slice(1), { stdio: [input, "pipe", "pipe"] });
    const b = spawn(consumer[0] as string, consumer.slice(1), { stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    a.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    b.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    if (a.stdout) a.stdout.pipe(b.stdin);
    // A consumer that exits early must not crash us with EPIPE; its exit status tells what happened.
    b.stdin.on("error", () => {});
    let pending = 2;
    let failed: string | undefined;
    const done = (name: string) => (code: number | null) => {
      if (code !== 0 && failed === undefined) failed = `${name} exited with status ${code}`;
      if (--pending === 0) {
        if (failed) reject(new QmError("QM_COMMAND_FAILED", `${failed} reading ${file}: ${stderr.trim()}`));
        else resolvePipe();
      }
    };
    for (const [child, name] of [
      [a, producer[0]],
      [b, consumer[0]],
    ] as const) {
      child.on("error", (error) =>
        reject(
          new QmError("QM_COMMAND_NOT_FOUND", `cannot run ${name}: ${error.message}`, {
            hint: "install rpm2cpio (it provides rpm2archive) and tar",
          }),
        ),
      );
      child.on("close", done(name as string));
    }
  });
}

function readTree(dir: string, origin: string): PackageFile[] {
  const out: PackageFile[] = [];
  const visit = (d: string, logical: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const dest = `${logical}/${name}`;
      const st = lstatSync(p);
      if (st.isDirectory()) visit(p, dest);
      else if (st.isFile())
        out.push({
          destination: dest,
          mode: st.mode & 0o7777,
          content: readFileSync(p),
          kind: fileKind(dest),
          origin: `${origin}!${dest}`,
          lineOffset: 0,
        });
      else
        throw new QmError("QM_DROPIN_PACKAGE", `${origin} holds ${dest}, which is not a regular file`, {
          hint: "drop-in packages hold regular files only",
        });
    }
  };
  visit(dir, "");
  return out;
}

/** Inspect and extract a package file. The temporary directory is gone when this returns. */
export async function readPackageFile(path: string): Promise<PackageFileInfo> {
  const file = resolve(path);
  const format = packageFormat(file);
  if (!format) throw new QmError("QM_USAGE", `${path}: not a .deb or .rpm file`);
  try {
    lstatSync(file);
  } catch {
    throw new QmError("QM_DROPIN_UNKNOWN", `${path}: no such file`);
  }
  const work = mkdtempSync(join(tmpdir(), "qm-dropin-extract-"));
  try {
    let name: string;
    let version: string;
    let depends: string[];
    if (format === "deb") {
      const fields = await run("dpkg-deb", ["-f", file, "Package", "Version", "Depends"]);
      const get = (k: string): string =>
        /^(\S+): (.*)$/m.exec(fields.stdout.split("\n").find((l) => l.startsWith(`${k}:`)) ?? "")?.[2] ?? "";
      name = get("Package");
      version = get("Version");
      depends = dependencyNames(get("Depends").split(","));
      await run("dpkg-deb", ["-x", file, work]);
    } else {
      // Queries of a package file still open a database: keep it in the temporary directory.
      const db = ["--dbpath", join(work, ".rpmdb")];
      const q = await run("rpm", [...db, "-qp", "--qf", "%{NAME}\\n%{VERSION}\\n", file]);
      [name = "", version = ""] = q.stdout.split("\n");
      depends = dependencyNames((await run("rpm", [...db, "-qpR", file])).stdout.split("\n"));
      const tree = join(work, "tree");
      mkdirSync(tree);
      await pipe(file, ["rpm2archive", "-"], ["tar", "-xzf", "-", "-C", tree]);
      return {
        path: file,
        format,
        name,
        version,
        depends: [...new Set(depends)],
        files: readTree(tree, file),
      };
    }
    return { path: file, format, name, version, depends: [...new Set(depends)], files: readTree(work, file) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
