import { runQuadlet } from "../cli/quadlet.js";

// The generator speaks bytes (see src/unit/gostr.ts): what it prints is written as such.
try {
  process.exitCode = runQuadlet(process.argv.slice(2), {
    argv0: process.argv[1] ?? "qm-quadlet",
    env: process.env,
    uid: process.getuid?.() ?? 0,
    stdout: (text) => process.stdout.write(Buffer.from(text, "latin1")),
    stderr: (text) => process.stderr.write(Buffer.from(text, "latin1")),
  });
} catch (error) {
  // A defect, never an answer to input: reported as qm reports internal errors.
  process.stderr.write(`qm-quadlet: internal error: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 70;
}
