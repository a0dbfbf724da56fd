import { Organization } from '../accounts';
import { describeMigration, EnvironmentEdgePlan, migrationProgress, routeShape } from '../services';
import { code, table } from './markdown';

/**
 * The migration off the monolith per environment with an edge: the same
 * lines synth prints in its summary (services/edge-plan.ts
 * describeMigration), a table of the numbers, and every route of the
 * monolith's inventory with what serves it in each environment.
 */
export function migrationSection(organization: Organization, edges: readonly EnvironmentEdgePlan[]): string {
  if (edges.length === 0) return 'No environment declares a public edge: the services are reachable only through their IAM APIs.';
  const progress = table(
    ['Environment', 'Routes on services', 'Monolith', 'Migrated', 'Left to the monolith'],
    edges.map(plan => {
      const { total, migrated, percent } = migrationProgress(plan);
      return [
        plan.environment,
        String(plan.serviceRoutes.length),
        plan.edge.monolithUrl ?? '(none)',
        plan.edge.monolithUrl ? `${migrated} of ${total} (${percent}%)` : '-',
        plan.edge.monolithUrl ? String(plan.monolithRoutes.length) : '-',
      ];
    }),
  );
  const inventory = organization.monolith?.routes ?? [];
  const servedBy = (plan: EnvironmentEdgePlan, route: string) => {
    const owner = plan.serviceRoutes.find(r => routeShape(r.key) === routeShape(route));
    if (owner) return `${owner.service} (${code(owner.key)})`;
    return plan.edge.monolithUrl ? 'monolith' : 'nothing (404: no monolith here)';
  };
  const routes = inventory.length === 0 ? [] : [
    '',
    `Each route of the monolith's inventory (${code('monolith.routes')} in accounts/organization.ts) and what serves it in each environment:`,
    '',
    table(['Monolith route', ...edges.map(e => e.environment)], [...inventory].sort().map(route => [code(route), ...edges.map(e => servedBy(e, route))])),
  ];
  return [
    'As synth prints it:',
    '',
    '```text',
    ...describeMigration(edges).map(line => line.trim()),
    '```',
    '',
    progress,
    ...routes,
  ].join('\n');
}
