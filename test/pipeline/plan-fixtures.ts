import { DeliveryPlan, planDelivery, PlanServiceInput } from '../../pipeline';

/** The environments of the shipped organization as the plan sees them: dev, staging, prod in two regions. */
export const THREE_ENVIRONMENTS = [
  { name: 'dev', accountId: '666666666666', regions: ['eu-west-1'], manualApproval: false, production: false },
  { name: 'staging', accountId: '777777777777', regions: ['eu-west-1'], manualApproval: false, production: false },
  { name: 'prod', accountId: '888888888888', regions: ['eu-west-1', 'eu-central-1'], manualApproval: true, production: true },
];

/**
 * `count` generated services with APIs (`svc-001` ...) in two waves: the
 * first tenth in `foundation`, the rest in `core`, each core service
 * depending on the foundation service of its index. Owners: `team-<n>`,
 * ten services each. No files: plans and limits are pure.
 */
export function generatedServices(count: number): Array<PlanServiceInput & { owner: string }> {
  const foundation = Math.max(1, Math.floor(count / 10));
  return Array.from({ length: count }, (_, i) => {
    const name = `svc-${String(i + 1).padStart(3, '0')}`;
    const inFoundation = i < foundation;
    return {
      name,
      wave: inFoundation ? 'foundation' : 'core',
      dependsOn: inFoundation ? [] : [`svc-${String((i % foundation) + 1).padStart(3, '0')}`],
      hasApi: true,
      owner: `team-${Math.floor(i / 10) + 1}`,
    };
  });
}

/** The plan of {@link generatedServices} in {@link THREE_ENVIRONMENTS}. */
export function generatedPlan(count: number): DeliveryPlan {
  return planDelivery({ environments: THREE_ENVIRONMENTS, waves: ['foundation', 'core'], services: generatedServices(count) });
}
