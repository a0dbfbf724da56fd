import { RegionInfo } from 'aws-cdk-lib/region-info';

/**
 * Every AWS region known to the pinned aws-cdk-lib (commercial, China,
 * GovCloud and isolated partitions), so a typo such as `eu-west-7` fails at
 * load instead of at deploy time. Upgrading aws-cdk-lib brings new regions.
 */
export const KNOWN_REGIONS: readonly string[] = RegionInfo.regions.map(r => r.name).sort();

const known = new Set(KNOWN_REGIONS);

/** True when `name` is a region aws-cdk-lib knows. */
export function isKnownRegion(name: string): boolean {
  return known.has(name);
}
