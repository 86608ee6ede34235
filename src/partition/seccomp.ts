/**
 * The partition's no-realtime seccomp profile (upstream create-seccomp-rules, reference §2.10): the containers
 * default profile with sched_setscheduler allowed only for SCHED_OTHER, SCHED_BATCH and SCHED_IDLE (everything else
 * falls to the default action, ENOSYS) and sched_setattr always EPERM (its policy sits behind a pointer, so it
 * cannot be filtered by argument).
 */

export const deniedSyscalls = ["sched_setscheduler", "sched_setattr"] as const;

/** Scheduling policies sched_setscheduler may still set. */
export const allowedPolicies = { SCHED_OTHER: 0, SCHED_BATCH: 3, SCHED_IDLE: 5 } as const;

interface SyscallRule {
  names?: string[];
  action?: string;
  [key: string]: unknown;
}

export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  syscalls: SyscallRule[];
  [key: string]: unknown;
}

const ENOSYS = 38;

/**
 * Used only when neither the host nor the partition tree has a containers seccomp.json. It removes realtime
 * scheduling and nothing else, so it is weaker than podman's default filter; setup warns when it falls back to it.
 */
export const minimalBaseProfile: SeccompProfile = {
  defaultAction: "SCMP_ACT_ALLOW",
  syscalls: [],
};

function isProfile(value: unknown): value is SeccompProfile {
  const v = value as SeccompProfile | null;
  return (
    typeof v === "object" && v !== null && typeof v.defaultAction === "string" && Array.isArray(v.syscalls)
  );
}

export function parseProfile(text: string, source: string): SeccompProfile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source}: not JSON: ${(error as Error).message}`);
  }
  if (!isProfile(parsed))
    throw new Error(`${source}: not a seccomp profile (needs defaultAction and syscalls)`);
  return parsed;
}

/** Pure: base profile in, no-RT profile out. The base is not modified. */
export function noRealtimeProfile(base: SeccompProfile): SeccompProfile {
  const denied = new Set<string>(deniedSyscalls);
  const syscalls: SyscallRule[] = [];
  for (const rule of base.syscalls) {
    if (rule.action === "SCMP_ACT_ALLOW" && Array.isArray(rule.names)) {
      const names = rule.names.filter((n) => !denied.has(n));
      if (names.length === 0) continue;
      syscalls.push({ ...rule, names });
    } else {
      syscalls.push(rule);
    }
  }
  for (const value of Object.values(allowedPolicies)) {
    syscalls.push({
      names: ["sched_setscheduler"],
      action: "SCMP_ACT_ALLOW",
      args: [{ index: 1, value, valueTwo: 0, op: "SCMP_CMP_EQ" }],
      comment: "",
      includes: {},
      excludes: {},
    });
  }
  syscalls.push({
    names: ["sched_setattr"],
    action: "SCMP_ACT_ERRNO",
    args: [],
    errnoRet: 1,
    errno: "EPERM",
  });
  const profile: SeccompProfile = { ...base, syscalls };
  // With an allow-all base, unlisted sched_setscheduler policies must still fail with ENOSYS.
  if (base.defaultAction === "SCMP_ACT_ALLOW") {
    for (const value of [1, 2, 6]) {
      syscalls.push({
        names: ["sched_setscheduler"],
        action: "SCMP_ACT_ERRNO",
        errnoRet: ENOSYS,
        args: [{ index: 1, value, valueTwo: 0, op: "SCMP_CMP_EQ" }],
      });
    }
  }
  return profile;
}

/** Loading and unloading kernel modules. */
export const moduleSyscalls = ["init_module", "finit_module", "delete_module"] as const;

/**
 * Pure: the profile with module loading and unloading refused (EPERM) whatever capabilities the partition holds.
 * Without SELinux, only CAP_SYS_MODULE stands between the partition and the host kernel's modules, and a drop-in
 * that resets DropCapability= (upstream's 100-AddCAPA.conf does) gives it back; a filter is not reset that way.
 */
export function withoutModules(profile: SeccompProfile): SeccompProfile {
  const denied = new Set<string>(moduleSyscalls);
  const syscalls: SyscallRule[] = [];
  for (const rule of profile.syscalls) {
    if (rule.action === "SCMP_ACT_ALLOW" && Array.isArray(rule.names)) {
      const names = rule.names.filter((n) => !denied.has(n));
      if (names.length > 0) syscalls.push({ ...rule, names });
    } else syscalls.push(rule);
  }
  syscalls.push({
    names: [...moduleSyscalls],
    action: "SCMP_ACT_ERRNO",
    args: [],
    errnoRet: 1,
    errno: "EPERM",
  });
  return { ...profile, syscalls };
}

/** Upstream writes the profile with `jq --tab`. */
export function renderProfile(profile: SeccompProfile): string {
  return `${JSON.stringify(profile, null, "\t")}\n`;
}
