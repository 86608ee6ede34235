import { spawn } from "node:child_process";
import { createReadStream, existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { QmError } from "../core/errors.js";
import { quoteArgv } from "../engine/exec.js";
import { inspectContainer, podman } from "../engine/podman.js";

/**
 * Images into the partition's own storage without a registry: an archive or a directory on the host is streamed
 * into `podman load` (or `podman import`) run inside the partition, so that nested quadlets' Image= resolves
 * locally. Nothing of the host's container storage is read or written.
 */
export type ImageSource =
  /** `podman save` output: docker-archive or oci-archive, compressed or not. */
  | { readonly kind: "archive"; readonly path: string }
  /** An OCI image layout directory (it holds `oci-layout`). */
  | { readonly kind: "oci-dir"; readonly path: string }
  /** A root filesystem: becomes a one-layer image. */
  | { readonly kind: "rootfs"; readonly path: string };

export function imageSource(path: string): ImageSource {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (e) {
    throw new QmError("QM_IMAGE_SOURCE", `${path}: ${(e as NodeJS.ErrnoException).code ?? "cannot be read"}`);
  }
  if (st.isFile()) return { kind: "archive", path };
  if (st.isDirectory())
    return existsSync(join(path, "oci-layout")) ? { kind: "oci-dir", path } : { kind: "rootfs", path };
  throw new QmError("QM_IMAGE_SOURCE", `${path} is neither a file nor a directory`);
}

/** What runs inside the partition for a source; the stream on its stdin is the file, or the directory as a tar. */
export function loadArgv(container: string, source: ImageSource, tag: string | undefined): string[] {
  const inside = ["exec", "-i", container, "podman"];
  if (source.kind !== "rootfs") return [...inside, "load"];
  if (tag === undefined)
    throw new QmError(
      "QM_USAGE",
      `${source.path} is a root filesystem directory: --tag names the image it becomes`,
      {
        hint: "e.g. --tag localhost/busybox:latest",
      },
    );
  return [...inside, "import", "--quiet", "-", tag];
}

/** The names podman load reports ("Loaded image: a" lines, or "Loaded image(s): a,b" from older podman). */
export function loadedImages(stdout: string): string[] {
  return [...stdout.matchAll(/^Loaded image(?:\(s\))?: (.+)$/gm)].flatMap((m) =>
    (m[1] as string).split(",").map((n) => n.trim()),
  );
}

export interface LoadReport {
  readonly source: ImageSource;
  readonly container: string;
  /** What the partition's storage now holds from it: names, or the new image's ID for an unnamed one. */
  readonly images: readonly string[];
  readonly tag?: string;
}

/** A directory as an uncompressed tar on stdout, named entries relative to it (as podman expects). */
function tarOf(dir: string) {
  const tar = spawn("tar", ["-C", dir, "--numeric-owner", "-cf", "-", "."], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  tar.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  const done = new Promise<void>((resolve, reject) => {
    tar.on("error", (e) => reject(new QmError("QM_COMMAND_NOT_FOUND", `cannot run tar: ${e.message}`)));
    tar.on("close", (code) =>
      code === 0
        ? resolve()
        : reject(
            new QmError("QM_IMAGE_SOURCE", `tar of ${dir} failed (exit status ${code}): ${stderr.trim()}`),
          ),
    );
  });
  return { stream: tar.stdout, done };
}

export async function loadImage(
  container: string,
  path: string,
  tag: string | undefined,
  log: (line: string) => void,
): Promise<LoadReport> {
  const source = imageSource(path);
  const argv = loadArgv(container, source, tag);
  const state = await inspectContainer(container);
  if (state?.status !== "running")
    throw new QmError("QM_NOT_RUNNING", `the partition (container ${container}) is not running`, {
      hint: "start it first: qm start",
    });
  const size = source.kind === "archive" ? ` (${(statSync(path).size / 2 ** 20).toFixed(1)} MiB)` : "";
  log(`streaming ${source.kind} ${path}${size} into ${quoteArgv(["podman", ...argv])}`);
  const tar = source.kind === "archive" ? null : tarOf(path);
  const input = tar ? tar.stream : createReadStream(path);
  const r = await podman(argv, { input, allowFailure: true });
  await tar?.done;
  if (r.code !== 0)
    throw new QmError(
      "QM_IMAGE_LOAD",
      `podman in the partition could not ${source.kind === "rootfs" ? "import" : "load"} ${path}: ${(r.stderr || r.stdout).trim().split("\n").slice(-4).join("\n")}`,
      {
        hint: "podman load takes what `podman save` writes (docker-archive or oci-archive) and OCI layout directories",
      },
    );
  const images = source.kind === "rootfs" ? [r.stdout.trim()] : loadedImages(r.stdout);
  if (source.kind !== "rootfs" && tag !== undefined) {
    if (images.length !== 1)
      throw new QmError("QM_IMAGE_LOAD", `${path} holds ${images.length} images: --tag needs exactly one`);
    await podman(["exec", container, "podman", "tag", images[0] as string, tag]);
  }
  return { source, container, images, ...(tag === undefined ? {} : { tag }) };
}
