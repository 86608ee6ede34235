// qm's SELinux policy module (share/selinux/debian) against Debian 13's full reference policy, without an SELinux
// kernel: the module is compiled with selinux-policy-dev and linked into the distribution's policy with
// `semodule -n -i` in a cached trixie tree (test/selinux/build.sh), then sesearch, seinfo and selabel_lookup
// check what the partition and its nested containers may and may not do. See docs/selinux.md.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { appendFileSync, cpSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot, rootSkipReason, tempDir } from "../helpers.js";

const cacheDir = process.env.QM_SELINUX_CACHE ?? "/var/tmp/qm-selinux-cache";
const policySource = join(repoRoot, "share/selinux/debian");
const policyFile = "/etc/selinux/default/policy/policy.34";
const fileContexts = "/etc/selinux/default/contexts/files/file_contexts";
/** QM_SELINUX_BREAK=1 widens the module (the partition may read the host's etc_t and shadow_t): checks must fail. */
const widen = process.env.QM_SELINUX_BREAK === "1";

const missing = ["mmdebstrap", "unshare", "flock", "chroot"].filter(
  (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status !== 0,
);
const skip =
  rootSkipReason() ??
  (missing.length ? `needs ${missing.join(", ")} (scripts/install-host-deps --test)` : undefined);

function run(file: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out }));
  });
}

/** COMMAND in the policy tree with WORK's store and /etc/selinux (WORK is the tree's /mnt); the cache stays as it is. */
const inTree = (tree: string, work: string, command: string[]) =>
  run("unshare", [
    "--mount",
    "--propagation",
    "private",
    "bash",
    join(repoRoot, "test/selinux/policy-run.sh"),
    tree,
    work,
    ...command,
  ]);

/** A query and its answer: the tool's output, one rule or name per line. */
type Queries = Record<string, string[]>;

/** Runs every query in one chroot (each tool start reads the 2 MB policy; one process per query is enough). */
async function answer(tree: string, work: string, queries: Queries): Promise<Record<string, string[]>> {
  const script = Object.entries(queries)
    .map(([name, argv]) => `echo '=== ${name}'; ${argv.map((a) => `'${a}'`).join(" ")} 2>&1 || true`)
    .join("\n");
  writeFileSync(join(work, "queries.sh"), `${script}\n`);
  const r = await inTree(tree, work, ["sh", "/mnt/queries.sh"]);
  assert.equal(r.code, 0, r.out);
  const answers: Record<string, string[]> = {};
  let current = "";
  for (const line of r.out.split("\n")) {
    if (line.startsWith("=== ")) {
      current = line.slice(4);
      answers[current] = [];
    } else if (current && line.trim()) answers[current]?.push(line.trim());
  }
  return answers;
}

const allow = (...args: string[]) => ["sesearch", "-A", ...args, policyFile];
/** sesearch's allow rules, without the ones whose target is the source itself (self rules). */
const rules = (lines: string[] | undefined) => (lines ?? []).filter((l) => l.startsWith("allow "));
/** The target types/attributes of allow rules ("allow S T:C { p };" -> T). */
const targets = (lines: string[] | undefined) =>
  [...new Set(rules(lines).map((l) => l.split(/\s+/)[2]?.split(":")[0] ?? ""))].sort();

/**
 * Every type the partition may read regular files of: its own, the kernel's pseudo files and what Debian grants
 * every domain (the dynamic linker, libraries, cpu_online_t, sysctl_crypto_t). Anything new here is a widening.
 */
const partitionReadable = [
  "cgroup_types",
  "cpu_online_t",
  "ld_so_cache_t",
  "ld_so_t",
  "lib_t",
  // Timezone=local bind-mounts the host's /etc/localtime (zoneinfo) into the partition.
  "locale_t",
  "nsfs_t",
  "proc_net_t",
  "proc_psi_t",
  "proc_t",
  "qm_container_domain",
  "qm_file_type",
  "qm_t",
  "security_t",
  "sysctl_crypto_t",
  "sysctl_type",
  "sysfs_t",
  "textrel_shlib_t",
];

/** Filesystems with one instance per kernel: a mount in the partition would be the host's (their units are masked). */
const singleInstanceFs = ["debugfs_t", "tracefs_t", "configfs_t"];

test("SELinux: qm's policy module linked into Debian 13's policy", { skip: skip ?? false }, async (t) => {
  let tree = "";
  await t.test("build the policy tree (trixie, selinux-policy-default and -dev; cached)", async () => {
    const r = await run("bash", [join(repoRoot, "test/selinux/build.sh"), cacheDir]);
    assert.equal(r.code, 0, r.out);
    const [dir, seconds] = r.out.trim().split("\n").pop()?.split(" ") ?? [];
    assert.ok(dir && existsSync(join(dir, policyFile)), r.out);
    t.diagnostic(`policy tree ${dir}: ${seconds === "0" ? "cached" : `built in ${seconds} s`}`);
    tree = dir;
  });
  if (!tree) return;
  const work = tempDir(t, "qm-selinux-");
  cpSync(policySource, join(work, "src"), { recursive: true });
  if (widen) {
    appendFileSync(join(work, "src/qm.te"), "\nfiles_read_etc_files(qm_t)\nauth_read_shadow(qm_t)\n");
    t.diagnostic("QM_SELINUX_BREAK=1: qm_t may read etc_t and shadow_t");
  }

  await t.test("compile qm.pp with selinux-policy-dev", async () => {
    const r = await inTree(tree, work, [
      "sh",
      "-c",
      "cd /mnt/src && make -f /usr/share/selinux/devel/Makefile qm.pp",
    ]);
    assert.equal(r.code, 0, r.out.slice(-4000));
    assert.ok(existsSync(join(work, "src/qm.pp")), "no qm.pp");
  });
  await t.test("link into the full policy: semodule -n -i qm.pp", async () => {
    const r = await inTree(tree, work, ["sh", "-c", "semodule -n -i /mnt/src/qm.pp && semodule -n -l"]);
    assert.equal(r.code, 0, r.out.slice(-4000));
    assert.match(r.out, /^qm$/m, "semodule -l does not list qm");
  });

  const queries: Queries = {
    types: ["seinfo", policyFile, "-t"],
    "system_r types": ["seinfo", "-r", "system_r", "-x", policyFile],
    "qm_t attributes": ["seinfo", "-t", "qm_t", "-x", policyFile],
    "qm_container_t attributes": ["seinfo", "-t", "qm_container_t", "-x", policyFile],
    "engine -> qm_t transition": allow("-s", "podman_t", "-t", "qm_t", "-c", "process", "-p", "transition"),
    "qm_t entrypoint": allow("-s", "qm_t", "-t", "qm_file_t", "-c", "file", "-p", "entrypoint"),
    "qm_t writes its files": allow("-s", "qm_t", "-t", "qm_file_t", "-c", "file", "-p", "write"),
    "engine mounts qm_file_t": allow(
      "-s",
      "podman_t",
      "-t",
      "qm_file_t",
      "-c",
      "filesystem",
      "-p",
      "relabelto",
    ),
    "restorecon labels device nodes": allow(
      "-s",
      "setfiles_t",
      "-t",
      "qm_file_t",
      "-c",
      "chr_file",
      "-p",
      "relabelto",
    ),
    "qm_t -> nested transition": allow(
      "-s",
      "qm_t",
      "-t",
      "qm_container_t",
      "-c",
      "process",
      "-p",
      "transition",
    ),
    "nested entrypoint": allow(
      "-s",
      "qm_container_t",
      "-t",
      "qm_container_file_t",
      "-c",
      "file",
      "-p",
      "entrypoint",
    ),
    "qm_t watches cgroup files": allow("-s", "qm_t", "-t", "cgroup_t", "-c", "file", "-p", "watch"),
    "qm_t remounts fs_t": allow("-s", "qm_t", "-t", "fs_t", "-c", "filesystem", "-p", "remount"),
    "qm_t mounts overlays with context=": allow(
      "-s",
      "qm_t",
      "-t",
      "fs_t",
      "-c",
      "filesystem",
      "-p",
      "mount,relabelfrom",
    ),
    ...Object.fromEntries(
      singleInstanceFs.map((fs) => [
        `qm_t mounts ${fs}`,
        allow("-s", "qm_t", "-t", fs, "-c", "filesystem", "-p", "mount,remount"),
      ]),
    ),
    "qm_t links kernel keyrings": allow("-s", "qm_t", "-t", "kernel_t", "-c", "key", "-p", "link,search"),
    "qm_t reads or changes kernel keyrings": allow(
      "-s",
      "qm_t",
      "-t",
      "kernel_t",
      "-c",
      "key",
      "-p",
      "view,read,write,setattr,create",
    ),
    "qm_t fs sysctls": allow("-s", "qm_t", "-t", "sysctl_fs_t", "-c", "file", "-p", "write"),
    "qm_t transitions": allow("-s", "qm_t", "-c", "process", "-p", "transition"),
    "qm_t dyntransitions": allow("-s", "qm_t", "-c", "process", "-p", "dyntransition"),
    "nested transitions": allow("-s", "qm_container_t", "-c", "process", "-p", "transition"),
    "qm_t reads files": allow("-s", "qm_t", "-c", "file", "-p", "read"),
    "qm_t etc_t": allow("-s", "qm_t", "-t", "etc_t", "-c", "file", "-p", "read"),
    "qm_t shadow_t": allow("-s", "qm_t", "-t", "shadow_t", "-c", "file"),
    "qm_t container_var_lib_t": allow(
      "-s",
      "qm_t",
      "-t",
      "container_var_lib_t",
      "-c",
      "file,dir",
      "-p",
      "read,write",
    ),
    "qm_t container_file_t": allow("-s", "qm_t", "-t", "container_file_t", "-c", "file", "-p", "read,write"),
    "qm_t container_config_t": allow("-s", "qm_t", "-t", "container_config_t", "-c", "file", "-p", "read"),
    "qm_t writes files": allow("-s", "qm_t", "-c", "file", "-p", "write"),
    "qm_t capabilities": allow("-s", "qm_t", "-c", "capability,cap_userns"),
    "qm_t module load": allow("-s", "qm_t", "-c", "system", "-p", "module_load"),
    "qm_t setenforce": allow("-s", "qm_t", "-c", "security", "-p", "setenforce,load_policy,setbool"),
    "nested writes partition files": allow(
      "-s",
      "qm_container_t",
      "-t",
      "qm_file_t",
      "-c",
      "file",
      "-p",
      "write",
    ),
    "nested etc_t": allow("-s", "qm_container_t", "-t", "etc_t", "-c", "file", "-p", "read"),
    "nested -> qm_t": allow("-s", "qm_container_t", "-t", "qm_t", "-c", "process", "-p", "transition,ptrace"),
    "host containers read qm files": allow(
      "-s",
      "container_t",
      "-t",
      "qm_file_t",
      "-c",
      "file",
      "-p",
      "read",
    ),
    "fc /usr/lib/qm/rootfs/usr/bin/bash": [
      "selabel_lookup",
      "-b",
      "file",
      "-k",
      "/usr/lib/qm/rootfs/usr/bin/bash",
      "-f",
      fileContexts,
    ],
    "fc /etc/qm/containers/containers.conf": [
      "selabel_lookup",
      "-b",
      "file",
      "-k",
      "/etc/qm/containers/containers.conf",
      "-f",
      fileContexts,
    ],
    "fc /var/qm/tmp": ["selabel_lookup", "-b", "file", "-k", "/var/qm/tmp", "-f", fileContexts],
    "fc /var/qm/lib/containers/storage": [
      "selabel_lookup",
      "-b",
      "file",
      "-k",
      "/var/qm/lib/containers/storage",
      "-f",
      fileContexts,
    ],
    "fc /var/qm/lib/containers/storage/overlay/l": [
      "selabel_lookup",
      "-b",
      "file",
      "-k",
      "/var/qm/lib/containers/storage/overlay/l",
      "-f",
      fileContexts,
    ],
    "fc /usr/lib/qm-manager/dist/qm.mjs": [
      "selabel_lookup",
      "-b",
      "file",
      "-k",
      "/usr/lib/qm-manager/dist/qm.mjs",
      "-f",
      fileContexts,
    ],
    "fc /etc/passwd": ["selabel_lookup", "-b", "file", "-k", "/etc/passwd", "-f", fileContexts],
  };
  let a: Record<string, string[]> = {};
  await t.test("query the linked policy", async () => {
    a = await answer(tree, work, queries);
    assert.equal(Object.keys(a).length, Object.keys(queries).length, JSON.stringify(a).slice(0, 2000));
  });
  const none = (name: string) => () => assert.deepEqual(rules(a[name]), [], `${name}: allowed`);
  const some = (name: string) => () => assert.ok(rules(a[name]).length > 0, `${name}: not allowed`);
  const label = (path: string, type: string) => () =>
    assert.match(
      (a[`fc ${path}`] ?? []).join("\n"),
      new RegExp(`:${type}:s0$`, "m"),
      (a[`fc ${path}`] ?? []).join("\n"),
    );

  // What the module declares and what it must allow for the partition to start at all.
  await t.test("declares qm_t, qm_file_t, qm_container_{t,init_t,kvm_t,file_t,ro_file_t,var_lib_t}", () => {
    const want = ["qm_t", "qm_file_t", "qm_container_t", "qm_container_init_t", "qm_container_kvm_t"];
    want.push("qm_container_file_t", "qm_container_ro_file_t", "qm_container_var_lib_t");
    for (const type of want) assert.ok(a.types?.includes(type), `${type} missing`);
  });
  await t.test("system_r may hold qm_t and qm_container_t", () => {
    const text = (a["system_r types"] ?? []).join(" ");
    for (const type of ["qm_t", "qm_container_t"]) assert.match(text, new RegExp(`\\b${type}\\b`));
  });
  await t.test("podman_t may start the partition as qm_t", some("engine -> qm_t transition"));
  await t.test("podman_t may mount with context=qm_file_t", some("engine mounts qm_file_t"));
  await t.test("qm_t is entered from qm_file_t", some("qm_t entrypoint"));
  await t.test(
    "restorecon may label the tree's device nodes qm_file_t",
    some("restorecon labels device nodes"),
  );
  await t.test("qm_t writes its own files", some("qm_t writes its files"));
  await t.test("qm_t starts nested containers as qm_container_t", some("qm_t -> nested transition"));
  await t.test("qm_container_t is entered from qm_container_file_t", some("nested entrypoint"));
  await t.test("qm_t may watch cgroup files (systemd's cgroup.events)", some("qm_t watches cgroup files"));
  await t.test(
    "qm_t may remount fs_t (systemd's sandboxing bind-remounts the tree read-only)",
    some("qm_t remounts fs_t"),
  );
  await t.test("qm_t may mount overlays with context= (the nested podman's storage)", () => {
    const text = rules(a["qm_t mounts overlays with context="]).join("\n");
    for (const perm of ["mount", "relabelfrom"]) assert.match(text, new RegExp(`\\b${perm}\\b`), text);
  });

  // Isolation: what the partition and its containers must not get.
  await t.test("qm_t is not a container_domain, unconfined or an nsswitch domain", () => {
    const attrs = (a["qm_t attributes"] ?? []).join(" ");
    for (const attr of [
      "container_domain",
      "unconfined_domain_type",
      "nsswitch_domain",
      "files_unconfined_type",
    ])
      assert.doesNotMatch(attrs, new RegExp(`\\b${attr}\\b`), `qm_t has ${attr}`);
  });
  await t.test("qm_container_t is MCS constrained (nested containers separated by categories)", () =>
    assert.match((a["qm_container_t attributes"] ?? []).join(" "), /\bmcs_constrained_type\b/),
  );
  await t.test("qm_t reads no host file type (only its own and kernel pseudo files)", () =>
    assert.deepEqual(
      targets(a["qm_t reads files"]).filter((x) => !partitionReadable.includes(x)),
      [],
    ),
  );
  await t.test("qm_t writes only its own files and kernel interfaces", () => {
    // security_t: /sys/fs/selinux/context, written to validate a context (the nested podman does); changing
    // SELinux state is checked below by permission.
    const writable = [
      "cgroup_types",
      "qm_container_domain",
      "qm_file_type",
      "qm_t",
      "security_t",
      "sysctl_net_t",
      // net.unix.max_dgram_qlen: per network namespace (systemd raises it at boot).
      "sysctl_net_unix_t",
    ];
    assert.deepEqual(
      targets(a["qm_t writes files"]).filter((x) => !writable.includes(x)),
      [],
    );
  });
  await t.test("qm_t cannot read etc_t files", none("qm_t etc_t"));
  await t.test("qm_t has no access to shadow_t", none("qm_t shadow_t"));
  await t.test(
    "qm_t cannot read or write the host's container storage (container_var_lib_t)",
    none("qm_t container_var_lib_t"),
  );
  await t.test(
    "qm_t cannot read or write host containers' files (container_file_t)",
    none("qm_t container_file_t"),
  );
  await t.test("qm_t cannot read the host's container configuration", none("qm_t container_config_t"));
  await t.test("qm_t transitions only to itself and to nested container domains", () => {
    const ok = ["qm_t", "qm_container_domain"];
    for (const q of ["qm_t transitions", "qm_t dyntransitions"])
      assert.deepEqual(
        targets(a[q]).filter((x) => !ok.includes(x)),
        [],
        q,
      );
  });
  await t.test("qm_t has no sys_module, sys_boot or sys_resource capability", () => {
    const text = rules(a["qm_t capabilities"]).join("\n");
    assert.doesNotMatch(text, /\b(sys_module|sys_boot|sys_resource|mac_admin|mac_override)\b/, text);
  });
  await t.test("qm_t cannot load kernel modules (system module_load)", none("qm_t module load"));
  await t.test(
    "qm_t cannot mount or remount debugfs, tracefs or configfs (the host's single instances)",
    () => {
      for (const fs of singleInstanceFs) none(`qm_t mounts ${fs}`)();
    },
  );
  await t.test(
    "qm_t may link root's user keyring (kernel_t) into a session keyring (systemd's KeyringMode=shared)",
    some("qm_t links kernel keyrings"),
  );
  await t.test(
    "qm_t cannot view, read, write or set attributes of the kernel's keyrings",
    none("qm_t reads or changes kernel keyrings"),
  );
  await t.test("qm_t cannot write fs sysctls (host-wide: fs.file-max, fs.nr_open)", none("qm_t fs sysctls"));
  await t.test("qm_t cannot setenforce, load policy or set booleans", none("qm_t setenforce"));
  await t.test("qm_container_t cannot write the partition's files", none("nested writes partition files"));
  await t.test("qm_container_t cannot read etc_t files", none("nested etc_t"));
  await t.test("qm_container_t transitions nowhere and cannot ptrace qm_t", () => {
    assert.deepEqual(
      rules(a["nested transitions"]).filter((l) => !/ qm_container_t:process/.test(l)),
      [],
    );
    assert.deepEqual(rules(a["nested -> qm_t"]), []);
  });
  await t.test(
    "the host's containers (container_t) cannot read qm_file_t",
    none("host containers read qm files"),
  );

  // File contexts: restorecon labels the trees with these.
  await t.test("fc: the partition tree is qm_file_t", label("/usr/lib/qm/rootfs/usr/bin/bash", "qm_file_t"));
  await t.test("fc: /etc/qm is qm_file_t", label("/etc/qm/containers/containers.conf", "qm_file_t"));
  await t.test("fc: /var/qm is qm_file_t", label("/var/qm/tmp", "qm_file_t"));
  await t.test(
    "fc: nested storage is qm_container_var_lib_t",
    label("/var/qm/lib/containers/storage", "qm_container_var_lib_t"),
  );
  await t.test(
    "fc: nested image layers are qm_container_ro_file_t",
    label("/var/qm/lib/containers/storage/overlay/l", "qm_container_ro_file_t"),
  );
  await t.test("fc: qm's own install (/usr/lib/qm-manager) keeps the distribution's label", () =>
    assert.doesNotMatch((a["fc /usr/lib/qm-manager/dist/qm.mjs"] ?? []).join("\n"), /qm_/),
  );
  await t.test("fc: the host's /etc stays etc_t", label("/etc/passwd", "etc_t"));
});
