#!/usr/bin/env node
// Bundle every src/bin/*.ts into one self-contained executable file (no dev toolchain needed): dist/<name>.mjs, an
// ES module, except the OCI hooks (oci-*), which are CommonJS dist/<name>.cjs: they are installed without an
// extension (upstream's hook paths), and Node 18 runs an extension-less file outside a "type": "module" package
// only as CommonJS. The target is the oldest Node.js the packages depend on (Debian 12's nodejs).
import { chmodSync, readdirSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const distDir = process.env.QM_DIST_DIR ?? join(root, "dist");
const entries = readdirSync(join(root, "src/bin"))
  .filter((f) => f.endsWith(".ts"))
  .map((f) => join(root, "src/bin", f));

rmSync(distDir, { recursive: true, force: true });
const results = await Promise.allSettled(
  entries.map(async (entry) => {
    const name = basename(entry, ".ts");
    const hook = name.startsWith("oci-");
    const outfile = join(distDir, `${name}.${hook ? "cjs" : "mjs"}`);
    await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: "node",
      format: hook ? "cjs" : "esm",
      target: "node18.20",
      minifySyntax: true,
      legalComments: "none",
      banner: { js: "#!/usr/bin/env node" },
      logLevel: "warning",
    });
    chmodSync(outfile, 0o755);
  }),
);
const failed = results.filter((r) => r.status === "rejected");
process.stdout.write(
  `built ${entries.length - failed.length} of ${entries.length} executables into ${distDir}\n`,
);
if (failed.length > 0) process.exitCode = 1;
