/**
 * What every hook does around its own logic: read the spec from stdin, parse it without losing
 * number precision, let the hook edit it, and write it back. Whatever goes wrong, stdout carries
 * a spec: the edited one, or the input unchanged.
 *
 * Exit status: 0 whenever a spec was produced (including "left unchanged because malformed").
 * 1 when stdin is empty or is not JSON at all: nothing a container runtime produced, so there is
 * no container start to protect, and failing loudly is the useful answer.
 */
import { VERSION } from "../core/version.js";
import { type HookEnv, readHookEnv } from "./devices.js";
import { MAX_SPEC_BYTES, passThroughRest, readStdin, writeStdout } from "./io.js";
import { parseJson } from "./json.js";
import { HookLog, type Logger, shown } from "./log.js";
import { isObject, type Json } from "./spec.js";

export interface HookContext {
  readonly log: Logger;
  readonly env: HookEnv;
}

export interface HookDefinition {
  /** Executable name, e.g. oci-qm-device-manager. */
  readonly name: string;
  /** Tag in log lines, e.g. qm-device-manager. */
  readonly tag: string;
  /** Log file when TEST_LOGFILE is not set. */
  readonly logFile: string;
  /** Indentation of the JSON written back (upstream's device manager is compact, jq . indents 2). */
  readonly indent?: number;
  /** Edit the spec in place; return whether anything changed. Throwing leaves the spec unchanged. */
  run(spec: Json, context: HookContext): boolean;
  /** Lines logged after a spec has been produced. */
  done?(spec: Json, context: HookContext): void;
}

export interface HookResult {
  readonly status: number;
  /** What goes to stdout; undefined for nothing. */
  readonly output: string | Buffer | undefined;
}

/** Everything a hook does between reading stdin and writing stdout; never throws. */
export function applyHook(hook: HookDefinition, input: Buffer, context: HookContext): HookResult {
  const { log } = context;
  const text = input.toString("utf8");
  if (text.trim() === "") {
    log.log("ERROR", "Failed to read OCI spec from stdin");
    return { status: 1, output: undefined };
  }
  let parsed: ReturnType<typeof parseJson>;
  try {
    parsed = parseJson(text);
  } catch (error) {
    log.log("ERROR", `OCI spec on stdin is not valid JSON (${shown((error as Error).message)})`);
    return { status: 1, output: input };
  }
  const spec = parsed.value;
  if (!isObject(spec)) {
    log.log("ERROR", "OCI spec is not a JSON object; passing it through unchanged");
    return { status: 0, output: input };
  }
  let output: string | Buffer = input;
  try {
    if (hook.run(spec, context)) output = `${parsed.stringify(spec, hook.indent)}\n`;
    hook.done?.(spec, context);
  } catch (error) {
    // A bug or an unexpected shape: the container starts without the extra devices rather than not at all.
    log.log("ERROR", `Internal error, spec passed through unchanged: ${shown(String(error))}`);
    return { status: 0, output: input };
  }
  return { status: 0, output };
}

export function runHook(
  hook: HookDefinition,
  processEnv: NodeJS.ProcessEnv = process.env,
  args: readonly string[] = process.argv.slice(2),
): number {
  // Podman passes no arguments (hook.args is unset); these are for people and install checks.
  if (args[0] === "--version") {
    writeStdout(`${hook.name} ${VERSION}\n`);
    return 0;
  }
  if (args[0] === "--help" || args[0] === "-h") {
    writeStdout(
      `Usage: ${hook.name} < config.json > new-config.json\nOCI precreate hook; see man ${hook.name}.\n`,
    );
    return 0;
  }
  const log = new HookLog(hook.tag, processEnv.TEST_LOGFILE || hook.logFile);
  const env = readHookEnv(processEnv);
  const input = readStdin();
  if (input.tooLarge) {
    log.log("ERROR", `OCI spec larger than ${MAX_SPEC_BYTES} bytes; passing it through unchanged`);
    writeStdout(input.data);
    passThroughRest();
    return 0;
  }
  const result = applyHook(hook, input.data, { log, env });
  if (result.output !== undefined) writeStdout(result.output);
  return result.status;
}
