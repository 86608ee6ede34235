import { VERSION } from "../core/version.js";
import { passThroughRest, readStdin, writeStdout } from "../hooks/io.js";
import { partitionCgroupsHook } from "../partition/cgroup-hook.js";

// precreate hook: OCI spec on stdin, edited spec on stdout (see src/partition/cgroup-hook.ts).
if (process.argv.includes("--version")) {
  writeStdout(`oci-qm-partition-cgroups ${VERSION}\n`);
} else {
  const input = readStdin();
  if (input.tooLarge) {
    writeStdout(input.data);
    passThroughRest();
  } else {
    writeStdout(partitionCgroupsHook(input.data.toString("utf8")));
  }
}
