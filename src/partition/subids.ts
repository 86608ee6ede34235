/**
 * /etc/subuid and /etc/subgid entries as upstream's replaceIDs: append `NAME:START:COUNT` only when no line starts
 * with `NAME:`. Pure; returns the new text and the lines it added (for a reversible setup).
 */
export interface SubIdEntry {
  readonly name: string;
  readonly start: number;
  readonly count: number;
}

/** Host: the partition's own range and the range of its nested containers (reference §2.1). */
export const hostSubIds: readonly SubIdEntry[] = [
  { name: "qmcontainers", start: 1_000_000_000, count: 1_500_000_000 },
  { name: "containers", start: 2_500_000_000, count: 1_500_000_000 },
];
/** Inside the partition: the nested podman's `containers` range. */
export const partitionSubIds: readonly SubIdEntry[] = [
  { name: "containers", start: 1_000_000_000, count: 1_500_000_000 },
];

export function ensureSubIds(
  text: string | null,
  entries: readonly SubIdEntry[],
): { text: string; added: string[] } {
  let out = text ?? "";
  const added: string[] = [];
  for (const e of entries) {
    if (out.split("\n").some((l) => l.startsWith(`${e.name}:`))) continue;
    const line = `${e.name}:${e.start}:${e.count}`;
    if (out !== "" && !out.endsWith("\n")) out += "\n";
    out += `${line}\n`;
    added.push(line);
  }
  return { text: out, added };
}

/** Remove exactly the given lines (those setup added), keeping everything else byte for byte. */
export function removeSubIdLines(text: string, lines: readonly string[]): string {
  const drop = new Set(lines);
  return text
    .split(/(?<=\n)/)
    .filter((l) => !drop.has(l.replace(/\n$/, "")))
    .join("");
}
