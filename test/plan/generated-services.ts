import { Organization } from '../../accounts';
import { RepositoryModels } from '../../main';
import { Service, ServiceManifestSchema } from '../../services';
import { generatedServices } from '../pipeline/plan-fixtures';

/**
 * `count` generated services as validated models, in memory (no folders): the
 * names, waves, dependencies and owners of test/pipeline/plan-fixtures.ts
 * generatedServices (ten per team), each with one public route of its own
 * and an on-call. What the plan's renderers read of a real service, at any scale.
 */
export function generatedServiceModels(count: number): Service[] {
  return generatedServices(count).map(s => ({
    manifest: ServiceManifestSchema.parse({
      name: s.name,
      description: `Generated service ${s.name}`,
      owner: s.owner,
      costCenter: 'CC-9000',
      wave: s.wave,
      onCall: [{ email: `${s.owner}@example.com` }],
      functions: {
        getItem: { handler: 'src/get-item.ts', route: { method: 'GET', path: `/${s.name}/items/{itemId}`, scopes: [`${s.name}/read`] } },
      },
      dependsOn: s.dependsOn,
    }),
    requestSchemas: {},
    dir: `/generated/services/${s.name}`,
    folder: `services/${s.name}`,
  }));
}

/** `models` with `count` generated services instead of the repository's, in `topology` and `engine`. */
export function atScale(models: RepositoryModels, count: number, topology: Organization['pipeline']['topology'],
  engine: Organization['pipeline']['engine'] = models.organization.pipeline.engine): RepositoryModels {
  return {
    ...models,
    organization: { ...models.organization, pipeline: { ...models.organization.pipeline, topology, engine } },
    services: generatedServiceModels(count),
  };
}
