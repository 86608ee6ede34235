import { isHostname } from "../core/text.js";
import { run } from "../engine/exec.js";
import { podman } from "../engine/podman.js";
import { which } from "../engine/which.js";
import { agentNodeName } from "./agent-conf.js";

/** The partition as a BlueChi node, for `qm status`: its agent inside, and the controller's view from this host. */
export interface BluechiStatus {
  /** The node name the agent registers as (its configuration's last NodeName=), null when unset or not a name. */
  readonly node: string | null;
  /** bluechi-agent.service in the partition: active, failed, inactive, ... */
  readonly agent: string;
  /** The agent says it is connected to its controller (bluechi-is-online agent). */
  readonly connected: boolean;
  /**
   * What this host's controller says of the node: online, offline, or unknown (not among its nodes, e.g. missing
   * from AllowedNodeNames=); null when no controller answers here.
   */
  readonly controller: "online" | "offline" | "unknown" | null;
}

/** The agent's configuration files in load order (bluechi-agent.conf(5)); the shell sorts the drop-ins. */
const CONFIG =
  "/usr/share/bluechi-agent/config/agent.conf /etc/bluechi/agent.conf /etc/bluechi/agent.conf.d/*.conf";
const PROBE = `systemctl is-active bluechi-agent.service; bluechi-is-online agent >/dev/null 2>&1; echo "connected=$?"; cat ${CONFIG} 2>/dev/null`;

/**
 * What the partition answered, read as hostile text: a unit state of lowercase letters, an exit status, and the
 * configuration (only a host name is taken from it). Null when the answer is not in that shape.
 */
export function parseAgentProbe(
  text: string,
): { agent: string; connected: boolean; node: string | null } | null {
  const [state, connected, ...conf] = text.split("\n");
  if (state === undefined || !/^[a-z-]{1,32}$/.test(state)) return null;
  const m = /^connected=(\d{1,3})$/.exec(connected ?? "");
  if (!m) return null;
  const node = agentNodeName(conf.join("\n"));
  return { agent: state, connected: m[1] === "0", node: node !== null && isHostname(node) ? node : null };
}

/**
 * The controller's answer to `bluechictl list-units NODE`: it lists the node's units when the node is online and
 * says why not otherwise (BlueChi's error messages); anything else means no controller answered.
 */
export function controllerVerdict(code: number, stderr: string): BluechiStatus["controller"] {
  if (code === 0) return "online";
  if (/\bNode is offline\b/.test(stderr)) return "offline";
  if (/\b(Node not found|Unknown object)\b/.test(stderr)) return "unknown";
  return null;
}

/** Ask the running partition, and this host's controller when bluechictl is here. */
export async function bluechiStatus(container: string): Promise<BluechiStatus | null> {
  const r = await podman(["exec", container, "sh", "-c", PROBE], {
    allowFailure: true,
    timeoutMs: 15_000,
  }).catch(() => null);
  const probe = r === null ? null : parseAgentProbe(r.stdout);
  if (probe === null) return null;
  const tool = which("bluechictl");
  let controller: BluechiStatus["controller"] = null;
  if (tool !== null && probe.node !== null) {
    const argv = ["list-units", probe.node, "--filter=bluechi-agent.service"];
    const c = await run(tool, argv, { allowFailure: true, timeoutMs: 5_000 }).catch(() => null);
    controller = c === null || c.timedOut ? null : controllerVerdict(c.code, c.stderr);
  }
  return { ...probe, controller };
}

/** One line for `qm status`. */
export function renderBluechi(b: BluechiStatus): string {
  const at =
    b.controller === null
      ? "no controller answers on this host"
      : b.controller === "unknown"
        ? "this host's controller does not know the node (AllowedNodeNames=?)"
        : `this host's controller says ${b.controller}`;
  return `BlueChi: node ${b.node ?? "(no valid NodeName)"}, agent ${b.agent}, ${b.connected ? "connected" : "not connected"}; ${at}`;
}
