import { runQuadlet } from "../quadlet/cli.js";

process.exitCode = runQuadlet(process.argv.slice(2), {
  argv0: process.argv[1] ?? "qm-quadlet",
  env: process.env,
  uid: process.getuid?.() ?? 0,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
