export interface MountEntry {
  readonly mountpoint: string;
  readonly fstype: string;
  readonly superOptions: readonly string[];
}

/** /proc/self/mountinfo: "id parent maj:min root mountpoint opts [optional...] - fstype source superopts". */
export function parseMountinfo(text: string | null): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of (text ?? "").split("\n")) {
    const fields = line.split(" ");
    const dash = fields.indexOf("-");
    if (dash < 5 || fields.length < dash + 4) continue;
    const mountpoint = (fields[4] as string).replace(/\\([0-7]{3})/g, (_, o: string) =>
      String.fromCharCode(Number.parseInt(o, 8)),
    );
    out.push({
      mountpoint,
      fstype: fields[dash + 1] as string,
      superOptions: (fields[dash + 3] as string).split(","),
    });
  }
  return out;
}
