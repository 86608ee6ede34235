import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { QmError } from "../core/errors.js";
import { run } from "../engine/exec.js";
import { SafeDir } from "../engine/safe-fs.js";
import { AGENT_PROGRAM } from "./source.js";

/**
 * The BlueChi agent for a partition tree whose distribution does not ship it (Debian, Ubuntu): its files, taken from
 * a BlueChi build the person points to (`qm setup --bluechi-from`), as `meson install` lays them out with
 * --prefix=/usr. Only these files are copied: the controller, bluechictl and BlueChi's tmpfiles.d entry (which would
 * empty /run/bluechi at the partition's boot, where the controller's socket directory may be mounted) stay out.
 */
export const AGENT_FILES: readonly {
  readonly path: string;
  readonly mode: number;
  readonly required: boolean;
}[] = [
  { path: AGENT_PROGRAM, mode: 0o755, required: true },
  { path: "usr/lib/systemd/system/bluechi-agent.service", mode: 0o644, required: true },
  { path: "usr/share/bluechi-agent/config/agent.conf", mode: 0o644, required: true },
  { path: "usr/share/dbus-1/system.d/org.eclipse.bluechi.Agent.conf", mode: 0o644, required: true },
  { path: "usr/bin/bluechi-is-online", mode: 0o755, required: false },
  { path: "usr/libexec/bluechi-proxy", mode: 0o755, required: false },
  { path: "usr/lib/systemd/system/bluechi-proxy@.service", mode: 0o644, required: false },
  { path: "usr/lib/systemd/system/bluechi-dep@.service", mode: 0o644, required: false },
];

/** The agent's files as read, and a digest of them that goes into the tree's fingerprint. */
export interface AgentPayload {
  readonly from: string;
  readonly files: readonly { readonly path: string; readonly mode: number; readonly content: Buffer }[];
  readonly digest: string;
}

const MAX_FILE = 64 * 1024 * 1024;

/** Read the agent's files from a staged install (never through a link), failing on a missing required one. */
export function readAgentFiles(dir: string, from: string): AgentPayload {
  const base = new SafeDir(dir);
  const files: { path: string; mode: number; content: Buffer }[] = [];
  const hash = createHash("sha256");
  for (const f of AGENT_FILES) {
    const entry = base.lstat(f.path);
    if (entry === null) {
      if (!f.required) continue;
      throw new QmError("QM_SETUP_BLUECHI", `--bluechi-from ${from}: no ${f.path} in it`, {
        hint: "point to BlueChi installed with --prefix=/usr (DESTDIR=DIR meson install), or its bluechi-agent .deb/.rpm",
      });
    }
    if (entry.kind !== "file")
      throw new QmError("QM_SETUP_BLUECHI", `--bluechi-from ${from}: ${f.path} is not a regular file`);
    const content = base.read(f.path, MAX_FILE) as Buffer;
    hash.update(`${f.path}\0${content.length}\0`).update(content);
    files.push({ path: f.path, mode: f.mode, content });
  }
  return { from, files, digest: hash.digest("hex").slice(0, 16) };
}

/** `--bluechi-from DIR|FILE.deb|FILE.rpm`: a staged install, or a package unpacked (not installed) to read from. */
export async function agentPayload(from: string): Promise<AgentPayload> {
  let isDir: boolean;
  try {
    isDir = statSync(from).isDirectory();
  } catch {
    throw new QmError("QM_SETUP_BLUECHI", `--bluechi-from ${from}: no such file or directory`);
  }
  if (isDir) return readAgentFiles(from, from);
  const unpack = from.endsWith(".deb")
    ? (dir: string) => run("dpkg-deb", ["-x", from, dir], { allowFailure: true })
    : from.endsWith(".rpm")
      ? (dir: string) =>
          run("sh", ["-c", 'rpm2cpio "$1" | cpio -idm --quiet --no-absolute-filenames', "sh", from], {
            cwd: dir,
            allowFailure: true,
          })
      : null;
  if (unpack === null)
    throw new QmError("QM_SETUP_BLUECHI", `--bluechi-from ${from}: not a directory, .deb or .rpm`);
  const dir = mkdtempSync(join(tmpdir(), "qm-bluechi-"));
  try {
    const r = await unpack(dir).catch((e: Error) => ({ code: 127, stderr: e.message }));
    if (r.code !== 0)
      throw new QmError("QM_SETUP_BLUECHI", `--bluechi-from ${from}: cannot unpack: ${r.stderr.trim()}`, {
        hint: from.endsWith(".deb") ? "dpkg-deb unpacks .deb files" : "rpm2cpio and cpio unpack .rpm files",
      });
    return readAgentFiles(dir, from);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Put the agent's files into a tree being built (links in the tree are refused, not followed). */
export function installAgent(tree: string, payload: AgentPayload): void {
  const t = new SafeDir(tree);
  for (const f of payload.files) {
    t.mkdir(dirname(f.path));
    t.write(f.path, f.content, f.mode);
  }
}
