import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QmError } from "../core/errors.js";
import { run } from "../engine/exec.js";
import { which } from "../engine/which.js";

/** The name of qm's policy module (policy_module(qm, ...) in share/selinux/VARIANT/qm.te). */
export const POLICY_MODULE = "qm";
/** The module's source files, shipped in share/selinux/VARIANT/. */
export const POLICY_FILES = ["qm.te", "qm.if", "qm.fc"] as const;
/** The reference policy's module Makefile: Debian's selinux-policy-dev, Fedora's selinux-policy-devel. */
export const POLICY_DEVEL_MAKEFILE = "/usr/share/selinux/devel/Makefile";
/** Where setup records the digest of the sources it installed (below the install directory). */
export const POLICY_RECORD = "selinux-module.sha256";

/**
 * The policy sources for a distribution: Debian and Ubuntu use the reference policy ("debian"). Other families
 * (Fedora's container-selinux) have no variant yet: null.
 */
export function policyVariant(osId: string, osIdLike: string): "debian" | null {
  return /\b(debian|ubuntu)\b/.test(`${osId} ${osIdLike}`) ? "debian" : null;
}

/** sha256 over the module's source files, in a fixed order: what decides whether the loaded module is current. */
export function policyDigest(dir: string): string {
  const hash = createHash("sha256");
  for (const name of POLICY_FILES) {
    hash.update(`${name}\0`);
    hash.update(readFileSync(join(dir, name)));
  }
  return hash.digest("hex");
}

/** Names of the installed policy modules (`semodule -l`). */
export async function installedModules(): Promise<string[]> {
  const r = await run("semodule", ["-l"], { timeoutMs: 120_000 });
  return r.stdout
    .split("\n")
    .map((l) => l.trim().split(/\s+/)[0] ?? "")
    .filter(Boolean);
}

/**
 * Compiles the module from SOURCES against this host's policy headers and installs it (`semodule -i`). The sources
 * are copied to a private temporary directory first: the build writes next to them.
 */
export async function installPolicyModule(sources: string, log: (line: string) => void): Promise<void> {
  if (!existsSync(POLICY_DEVEL_MAKEFILE)) {
    throw new QmError("QM_SETUP_SELINUX", `SELinux is active but ${POLICY_DEVEL_MAKEFILE} is missing`, {
      hint: "install the policy headers (Debian: apt-get install selinux-policy-dev), then rerun qm setup",
    });
  }
  for (const tool of ["make", "semodule"]) {
    if (!which(tool))
      throw new QmError("QM_SETUP_SELINUX", `SELinux is active but '${tool}' is not installed`, {
        hint: "Debian: apt-get install make policycoreutils semodule-utils",
      });
  }
  const work = mkdtempSync(join(tmpdir(), "qm-selinux-"));
  try {
    for (const name of POLICY_FILES) copyFileSync(join(sources, name), join(work, name));
    log(`compiling SELinux policy module ${POLICY_MODULE} from ${sources}`);
    await run("make", ["-f", POLICY_DEVEL_MAKEFILE, "-C", work, `${POLICY_MODULE}.pp`], {
      timeoutMs: 600_000,
    });
    log(`installing SELinux policy module ${POLICY_MODULE} (semodule -i)`);
    await run("semodule", ["-i", join(work, `${POLICY_MODULE}.pp`)], { timeoutMs: 900_000 });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Removes the module (`semodule -r qm`) when it is installed. */
export async function removePolicyModule(): Promise<boolean> {
  if (!which("semodule") || !(await installedModules()).includes(POLICY_MODULE)) return false;
  await run("semodule", ["-r", POLICY_MODULE], { timeoutMs: 900_000 });
  return true;
}

/** Labels the trees as the loaded policy's file contexts say (restorecon -R). */
export async function relabel(paths: readonly string[]): Promise<void> {
  if (!which("restorecon")) {
    throw new QmError("QM_SETUP_SELINUX", "SELinux is active but 'restorecon' is not installed", {
      hint: "Debian: apt-get install policycoreutils",
    });
  }
  await run("restorecon", ["-R", ...paths], { timeoutMs: 900_000 });
}
