// Convert 1000 .container units (each with a drop-in) and compare with parsing the same files alone.
// Prints units/s for both and the ratio, measured in the same run. Run: node build/bench/quadlet.js
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateAll } from "../src/quadlet/generate.js";
import { memoryUnitFs } from "../src/unit/fs.js";
import { parseUnit } from "../src/unit/syntax.js";

const COUNT = 1000;
const root = process.env.QM_REPO_ROOT ?? fileURLToPath(new URL("../../", import.meta.url));
const base = readFileSync(join(root, "share/containers/systemd/qm.container"), "utf8");
const dropin = "[Container]\nAddDevice=-/dev/net/tun\nPodmanArgs=\nPodmanArgs=--memory 5G\n";

const files: Record<string, string> = {};
for (let i = 0; i < COUNT; i++) {
  files[`/units/u${i}.container`] = base.replace("ContainerName=qm", `ContainerName=qm${i}`);
  files[`/units/u${i}.container.d/10-extra.conf`] = dropin;
}
const fs = memoryUnitFs(files);
const texts = Object.entries(files);

function time(fn: () => void, rounds: number): number {
  fn(); // warm up
  const start = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) fn();
  return Number(process.hrtime.bigint() - start) / 1e9 / rounds;
}

const parseSeconds = time(() => {
  for (const [path, text] of texts) parseUnit(text, path);
}, 5);
const convertSeconds = time(() => {
  const result = generateAll(fs, { env: { QUADLET_UNIT_DIRS: "/units" }, deviceExists: () => true });
  if (result.services.length !== COUNT) throw new Error(`converted ${result.services.length} of ${COUNT}`);
}, 5);

const rate = (s: number): string => Math.round(COUNT / s).toLocaleString("en-US");
process.stdout.write(`parse only:       ${rate(parseSeconds)} units/s (base + drop-in)\n`);
process.stdout.write(
  `full conversion:  ${rate(convertSeconds)} units/s (discover, drop-ins, merge, convert, render)\n`,
);
process.stdout.write(`ratio conversion/parse time: ${(convertSeconds / parseSeconds).toFixed(2)}x\n`);
