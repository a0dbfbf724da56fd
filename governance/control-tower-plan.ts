import { ConfigError, ControlId, Organization, OrganizationalUnit } from '../accounts';

/**
 * `AWSControlTowerBaseline` version per landing zone version, from "Compatibility
 * of OU baselines and landing zone versions"
 * (https://docs.aws.amazon.com/controltower/latest/userguide/table-of-baselines.html):
 * baseline 1.0 for LZ 2.0-2.7, 2.0 for 2.8-2.9, 3.0 for 3.0-3.1, 4.0 for 3.2-3.3.
 * EnableBaseline rejects a version the landing zone does not support.
 */
export const CONTROL_TOWER_BASELINE_VERSIONS: Readonly<Record<string, string>> = {
  '2.0': '1.0',
  '2.1': '1.0',
  '2.2': '1.0',
  '2.3': '1.0',
  '2.4': '1.0',
  '2.5': '1.0',
  '2.6': '1.0',
  '2.7': '1.0',
  '2.8': '2.0',
  '2.9': '2.0',
  '3.0': '3.0',
  '3.1': '3.0',
  '3.2': '4.0',
  '3.3': '4.0',
};

/** An OU Control Tower governs, and how it gets registered. */
export interface GovernedOu {
  readonly ou: OrganizationalUnit;
  /**
   * `landing-zone`: the landing zone sets it up itself (its security or
   * sandbox OU); `baseline`: registered with an `AWSControlTowerBaseline`.
   */
  readonly registeredBy: 'landing-zone' | 'baseline';
}

/** One elective control enabled on one OU. */
export interface PlannedControl {
  /** OU path, e.g. `Workloads/Prod`. */
  readonly ouPath: string;
  readonly controlId: ControlId;
}

/** What the Control Tower stack creates, derived from the model before any construct. */
export interface ControlTowerPlan {
  /** `AWSControlTowerBaseline` version matching `landingZoneVersion`. */
  readonly baselineVersion: string;
  /** OUs Control Tower governs, parents before children. */
  readonly governedOus: readonly GovernedOu[];
  /** OUs that need an `AWSControlTowerBaseline`, parents before children (the order they are registered in). */
  readonly baselineOus: readonly OrganizationalUnit[];
  /** Every (OU, control) of `governance.controlTower.controls`, in declaration order. */
  readonly controls: readonly PlannedControl[];
}

/**
 * Decides which OUs Control Tower registers and which controls it enables:
 * every declared OU except `unregisteredOus` is governed; the security and
 * sandbox OUs are set up by the landing zone itself, all others get a baseline.
 */
export function planControlTower(org: Organization): ControlTowerPlan {
  const ct = org.governance.controlTower;
  const baselineVersion = CONTROL_TOWER_BASELINE_VERSIONS[ct.landingZoneVersion];
  if (!baselineVersion) {
    throw new ConfigError([`accounts/organization.ts: governance.controlTower.landingZoneVersion "${ct.landingZoneVersion}" `
      + `has no known AWSControlTowerBaseline version; allowed: ${Object.keys(CONTROL_TOWER_BASELINE_VERSIONS).join(', ')}`]);
  }
  const unregistered = new Set(ct.unregisteredOus);
  const setUpByLandingZone = new Set([ct.securityOu, ...(ct.sandboxOu ? [ct.sandboxOu] : [])]);
  const governedOus: GovernedOu[] = org.organizationalUnits
    .filter(ou => !unregistered.has(ou.path))
    .map(ou => ({ ou, registeredBy: setUpByLandingZone.has(ou.path) ? 'landing-zone' : 'baseline' }));
  const controls = Object.entries(ct.controls)
    .flatMap(([ouPath, ids]) => ids.map(controlId => ({ ouPath, controlId })));
  return {
    baselineVersion,
    governedOus,
    baselineOus: governedOus.filter(g => g.registeredBy === 'baseline').map(g => g.ou),
    controls,
  };
}

/**
 * Splits `items` into `lanes` chains: item i waits for item i - lanes, so at
 * most `lanes` of them are in progress at once while the rest queue behind.
 * Returns, for each item, the index of the item it waits for (or undefined).
 */
export function laneDependencies(count: number, lanes: number): ReadonlyArray<number | undefined> {
  if (!Number.isInteger(lanes) || lanes < 1) throw new Error(`lanes must be a positive integer, got ${lanes}`);
  return Array.from({ length: count }, (_, i) => (i >= lanes ? i - lanes : undefined));
}
