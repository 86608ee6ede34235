/**
 * The reference generator for differential tests: podman 5.4.2's quadlet binary, taken from Debian 13's
 * `podman` package (it runs on Debian 12 as it is). The package is fetched from the Debian archive by name
 * and exact version, checked against a pinned checksum, unpacked with `dpkg -x` (nothing is installed),
 * and the binary is cached by its own pinned checksum. Any failure throws: a test that needs the
 * reference fails loudly instead of skipping.
 *
 *   QM_DEBIAN_MIRROR   archive to fetch from (default http://deb.debian.org/debian)
 *   QM_TEST_CACHE      cache directory (default /var/tmp/qm-test-cache)
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";

export const REFERENCE = {
  package: "podman",
  version: "5.4.2+ds1-2+b2",
  suite: "trixie",
  arch: "amd64",
  /** sha256 of podman_5.4.2+ds1-2+b2_amd64.deb */
  debSha256: "e3987a9d1e6d46cbd4ee11bd067927a5f7f886e41c7a2dbe5b89a436905d44a0",
  member: "usr/libexec/podman/quadlet",
  /** sha256 of the quadlet binary inside it */
  binarySha256: "5e605b8d917c954e353538858dab6baf77f90ac326e2216b7a261d49551600f2",
  /** What `quadlet -version` prints. */
  quadletVersion: "5.4.2",
} as const;

const sha256 = (data: Buffer): string => createHash("sha256").update(data).digest("hex");

async function download(url: string): Promise<Buffer> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(300_000) });
      if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
      return Buffer.from(await response.arrayBuffer());
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`cannot download ${url}: ${(lastError as Error).message}`);
}

/** The archive path of the package at the pinned version, from the suite's Packages index. */
async function poolPath(mirror: string): Promise<string> {
  const index = gunzipSync(
    await download(`${mirror}/dists/${REFERENCE.suite}/main/binary-${REFERENCE.arch}/Packages.gz`),
  ).toString("utf8");
  for (const stanza of index.split("\n\n")) {
    const field = (name: string): string | undefined =>
      new RegExp(`^${name}: (.*)$`, "m").exec(stanza)?.[1]?.trim();
    if (field("Package") !== REFERENCE.package || field("Version") !== REFERENCE.version) continue;
    const sum = field("SHA256");
    const filename = field("Filename");
    if (!filename || sum !== REFERENCE.debSha256) {
      throw new Error(
        `the archive lists ${REFERENCE.package} ${REFERENCE.version} with sha256 ${sum}, not the pinned one`,
      );
    }
    return filename;
  }
  // A point release may have moved the suite on; the pinned file can still be in the pool.
  const version = REFERENCE.version.replace(/^\d+:/, "");
  return `pool/main/p/${REFERENCE.package}/${REFERENCE.package}_${version}_${REFERENCE.arch}.deb`;
}

let cached: Promise<string> | undefined;

/** Path of the reference quadlet binary (fetched and cached on first use). Throws when it cannot be had. */
export function referenceQuadlet(): Promise<string> {
  cached ??= fetchReference();
  return cached;
}

async function fetchReference(): Promise<string> {
  const cacheDir = process.env.QM_TEST_CACHE ?? "/var/tmp/qm-test-cache";
  const dir = join(cacheDir, `quadlet-${REFERENCE.binarySha256.slice(0, 16)}`);
  const binary = join(dir, "quadlet");
  if (existsSync(binary) && sha256(readFileSync(binary)) === REFERENCE.binarySha256) return binary;

  const mirror = (process.env.QM_DEBIAN_MIRROR ?? "http://deb.debian.org/debian").replace(/\/+$/, "");
  const deb = await download(`${mirror}/${await poolPath(mirror)}`);
  if (sha256(deb) !== REFERENCE.debSha256) {
    throw new Error(
      `${REFERENCE.package} ${REFERENCE.version}: sha256 ${sha256(deb)} is not the pinned ${REFERENCE.debSha256}`,
    );
  }
  mkdirSync(cacheDir, { recursive: true });
  const work = mkdtempSync(join(cacheDir, "quadlet-fetch-"));
  try {
    writeFileSync(join(work, "podman.deb"), deb);
    const x = spawnSync("dpkg", ["-x", join(work, "podman.deb"), join(work, "root")], { encoding: "utf8" });
    if (x.status !== 0) throw new Error(`dpkg -x failed: ${x.stderr || x.error?.message}`);
    const extracted = join(work, "root", REFERENCE.member);
    if (sha256(readFileSync(extracted)) !== REFERENCE.binarySha256) {
      throw new Error(`${REFERENCE.member} in the package does not have the pinned sha256`);
    }
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, `quadlet.tmp-${process.pid}`);
    copyFileSync(extracted, tmp);
    chmodSync(tmp, 0o755);
    renameSync(tmp, binary);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const version = spawnSync(binary, ["-version"], { encoding: "utf8" });
  if (version.stdout.trim() !== REFERENCE.quadletVersion) {
    throw new Error(
      `${binary} -version printed ${JSON.stringify(version.stdout)} (${version.error?.message ?? version.stderr})`,
    );
  }
  return binary;
}
