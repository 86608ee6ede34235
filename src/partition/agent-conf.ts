import { QmError } from "../core/errors.js";
import { isHostname } from "../core/text.js";

/**
 * The partition's BlueChi agent configuration, exactly as upstream's bluechiSetup (reference §2.4):
 * - an existing partition file only gets an empty `NodeName=` or `NodeName=qm.` completed to `qm.<hostname>`;
 * - else the host's agent.conf is copied with every `NodeName=X` line turned into `NodeName=qm.X`
 *   (and an empty result completed as above);
 * - else a two-line file `[bluechi-agent]` / `NodeName=qm.<hostname>`.
 */
export function partitionAgentConf(
  existing: string | null,
  hostConf: string | null,
  hostname: string,
): string {
  // The name becomes part of a NodeName= line: nothing but a host name may get there.
  if (!isHostname(hostname))
    throw new QmError("QM_SETUP_HOSTNAME", `${JSON.stringify(hostname)} is not a host name`);
  const complete = (text: string): string => text.replace(/^NodeName=(qm\.)?$/gm, `NodeName=qm.${hostname}`);
  if (existing !== null) return complete(existing);
  if (hostConf !== null) return complete(hostConf.replace(/^NodeName=/gm, "NodeName=qm."));
  return `[bluechi-agent]\nNodeName=qm.${hostname}\n`;
}

/** The node name the partition will register as, for reports. */
export function agentNodeName(conf: string): string | null {
  const lines = conf.split("\n").filter((l) => l.startsWith("NodeName="));
  const last = lines.at(-1);
  return last === undefined ? null : last.slice("NodeName=".length);
}

export interface ConfProblem {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/**
 * Check a BlueChi configuration file the way BlueChi reads it (bluechi-agent.conf(5)): sections, `#`/`;` comments,
 * `Key=Value`, indented continuation lines after a value, at most 500 characters a line. Returns the first problem.
 */
export function checkBluechiConf(text: string): ConfProblem | null {
  let inValue = false;
  let section = false;
  for (const [i, raw] of text.split("\n").entries()) {
    const line = i + 1;
    if (raw.length > 500) return { line, column: 501, message: "line longer than 500 characters" };
    const trimmed = raw.trim();
    if (trimmed === "") {
      inValue = false;
      continue;
    }
    if (trimmed.startsWith("#") || trimmed.startsWith(";")) continue;
    if (/^\s/.test(raw) && inValue) continue;
    const column = raw.length - raw.trimStart().length + 1;
    if (trimmed.startsWith("[")) {
      if (!/^\[[^\]]+\]$/.test(trimmed))
        return { line, column, message: `malformed section header '${trimmed}'` };
      section = true;
      inValue = false;
      continue;
    }
    const eq = trimmed.indexOf("=");
    if (eq <= 0) return { line, column, message: `expected Key=Value, found '${trimmed}'` };
    if (!section) return { line, column, message: "Key=Value before the first [section]" };
    inValue = true;
  }
  return null;
}
