import { existsSync } from "node:fs";
import { run } from "../engine/exec.js";
import { oomScoreAdj, processAlive } from "../engine/host.js";
import { inspectContainer, podman } from "../engine/podman.js";
import type { Ports } from "./runtime.js";
import { stopSupervisor, supervisorAlive } from "./supervisor.js";

/** The ports on this machine: podman, systemctl, /proc, the supervisor, the filesystem. */
export const realPorts: Ports = {
  podman: {
    inspect: inspectContainer,
    async systemState(container) {
      const r = await podman(["exec", container, "systemctl", "is-system-running"], {
        allowFailure: true,
        timeoutMs: 10_000,
      }).catch((e: unknown) => ({ stdout: "", stderr: e instanceof Error ? e.message : String(e), code: 1 }));
      const state = r.stdout.trim() || null;
      const error =
        state === null ? r.stderr.trim().split("\n").slice(-1)[0] || `exit status ${r.code}` : null;
      return { state, error };
    },
    async stop(container, timeoutSec) {
      await podman(["stop", "--time", String(timeoutSec), container], {
        allowFailure: true,
        workSec: timeoutSec,
      });
    },
    async remove(container) {
      // --force stops a container that still runs, waiting up to its stop timeout (podman's default, 10 s).
      await podman(["rm", "--force", "--volumes", container], { allowFailure: true, workSec: 10 });
    },
  },
  systemctl: {
    async show(unit, properties) {
      const r = await run("systemctl", ["show", unit, `--property=${properties.join(",")}`], {
        allowFailure: true,
      });
      return Object.fromEntries(
        r.stdout
          .trim()
          .split("\n")
          .filter((l) => l.includes("="))
          .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
      );
    },
    async stop(unit) {
      await run("systemctl", ["stop", unit]);
    },
  },
  processes: {
    alive: processAlive,
    oomScoreAdj,
    kill: (pid) => process.kill(pid, "SIGKILL"),
  },
  supervisor: { alive: supervisorAlive, stop: (identity) => stopSupervisor(identity) },
  files: { exists: existsSync },
};
