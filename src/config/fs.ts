import { type LinkPolicy, SafeRoot } from "../engine/safe-fs.js";
import { nodeUnitFs, type UnitFs } from "../unit/fs.js";
import { QmPaths } from "./defaults.js";

export interface PartitionTrees {
  readonly rootfs: string;
  readonly rwEtc: string;
  readonly rwVar: string;
}

/**
 * A root as qm reads and writes it: the partition's /etc and /var (which the partition itself writes) never through
 * a link, its OS tree with links resolved inside it, everything else with links kept inside the root.
 */
export function qmRootFs(root: string, trees: PartitionTrees = QmPaths): SafeRoot {
  const policies: Record<string, LinkPolicy> = {
    [trees.rwEtc]: "refuse",
    [trees.rwVar]: "refuse",
    [trees.rootfs]: "confine",
  };
  return new SafeRoot(root, policies);
}

/** Unit files under a root as qm reads them on the host: no link followed below the partition's /etc and /var. */
export function qmUnitFs(root: string, trees: PartitionTrees = QmPaths): UnitFs {
  return nodeUnitFs(root, { refuseLinksBelow: [trees.rwEtc, trees.rwVar] });
}
