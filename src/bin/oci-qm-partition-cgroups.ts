import { readFileSync } from "node:fs";
import { VERSION } from "../core/version.js";
import { delegateCgroupsV1 } from "../partition/cgroup-hook.js";

// precreate hook: OCI spec on stdin, edited spec on stdout (see src/partition/cgroup-hook.ts). Anything
// unparsable passes through unchanged, so a malformed spec fails in the runtime with its own message.
if (process.argv.includes("--version")) {
  process.stdout.write(`oci-qm-partition-cgroups ${VERSION}\n`);
} else {
  const input = readFileSync(0, "utf8");
  let output = input;
  try {
    output = JSON.stringify(delegateCgroupsV1(JSON.parse(input)));
  } catch {
    // unchanged
  }
  process.stdout.write(output);
}
