import { isIP } from "node:net";
import { basename, dirname } from "node:path";
import { QmError } from "../core/errors.js";
import { isHostname, pathProblem } from "../core/text.js";

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

/** How the partition's agent reaches the controller (`qm setup --bluechi-controller`). */
export type ControllerAddress =
  | { readonly kind: "unix"; readonly socket: string }
  | { readonly kind: "tcp"; readonly host: string; readonly port: number };

/**
 * Where the partition sees the directory of the controller's socket, mounted read-only: the directory, because the
 * controller recreates its socket when it restarts; not /run/bluechi, which BlueChi's own tmpfiles.d entry empties.
 */
export const CONTROLLER_DIR = "/run/bluechi-controller";
/** The controller's default port (bluechi-controller.conf(5)). */
export const CONTROLLER_PORT = 842;

const IPV6 = /^[0-9A-Fa-f:.]+$/;

function badController(text: string, why: string): QmError {
  return new QmError("QM_SETUP_BLUECHI_CONTROLLER", `--bluechi-controller ${JSON.stringify(text)}: ${why}`, {
    hint: "give the controller's socket (/run/bluechi/bluechi.sock) or its address (HOST, HOST:PORT, [IPV6]:PORT)",
  });
}

/**
 * `/PATH/SOCKET` (a unix socket on this host, mounted into the partition) or `HOST[:PORT]`, `IPV6`, `[IPV6]:PORT`
 * (TCP; port 842 by default). Both end up in generated files, so only names that cannot break out of a line, a
 * `Volume=` (no ':') or a systemd specifier ('%') pass.
 */
export function parseControllerAddress(text: string): ControllerAddress {
  if (text.startsWith("/")) {
    const problem = pathProblem(text);
    if (problem) throw badController(text, problem);
    if (text.includes(":")) throw badController(text, "a socket path with ':' cannot be mounted (Volume=)");
    if (dirname(text) === "/") throw badController(text, "the socket must be in a directory of its own");
    return { kind: "unix", socket: text };
  }
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(text);
  const bareIpv6 = bracketed === null && text.split(":").length > 2;
  const [host, portText] = bracketed
    ? [bracketed[1] as string, bracketed[2]]
    : bareIpv6
      ? [text, undefined]
      : (text.split(":") as [string, string | undefined]);
  const ok = bracketed || bareIpv6 ? isIpv6(host) : isHostname(host);
  if (!ok) throw badController(text, `${JSON.stringify(host)} is not a host name or IP address`);
  if (portText === undefined) return { kind: "tcp", host, port: CONTROLLER_PORT };
  const port = /^[1-9]\d{0,4}$/.test(portText) ? Number(portText) : 0;
  if (port < 1 || port > 65535)
    throw badController(text, `port ${JSON.stringify(portText)} is not 1 to 65535`);
  return { kind: "tcp", host, port };
}

/** An IPv6 address without a zone ('%' is a systemd specifier). */
function isIpv6(host: string): boolean {
  return IPV6.test(host) && isIP(host) === 6;
}

/** The agent's settings for reaching the controller: a file of its own in agent.conf.d, read after agent.conf. */
export function controllerAgentConf(a: ControllerAddress): string {
  const lines =
    a.kind === "unix"
      ? [`ControllerAddress=unix:path=${CONTROLLER_DIR}/${basename(a.socket)}`]
      : [`ControllerHost=${a.host}`, `ControllerPort=${a.port}`];
  return ["# Written by qm setup --bluechi-controller.", "[bluechi-agent]", ...lines, ""].join("\n");
}

/**
 * The qm.container drop-in that mounts the controller's socket directory into the partition. Over TCP nothing is
 * mounted; the drop-in says so, replacing a socket mount an earlier setup wrote.
 */
export function controllerDropIn(a: ControllerAddress): string {
  const head = "# Written by qm setup --bluechi-controller";
  if (a.kind === "tcp") return `${head}: the controller is reached over TCP, nothing to mount.\n`;
  return [
    `${head}: the controller's socket directory, read-only.`,
    "[Container]",
    `Volume=${dirname(a.socket)}:${CONTROLLER_DIR}:ro`,
    "",
  ].join("\n");
}
