/**
 * Which pushes start which pipeline: path globs derived from the repository's
 * folder layout and the services a pipeline deploys (CodePipeline V2 trigger
 * file-path filters; GitHub `on.push.paths`).
 */

/** What {@link serviceTriggerPaths} reads of the repository (main.ts reads it; tests pass literals). */
export interface RepositoryLayout {
  /** Top-level folders of the app's code: those with an `index.ts` (accounts, governance, kit, pipeline, plan, services). */
  readonly codeFolders: readonly string[];
  /** The folder holding the framework files and one folder per service. */
  readonly servicesFolder: string;
  /** Folders under {@link servicesFolder} that belong to the framework: those without a service manifest (hooks, runtime, ...). */
  readonly frameworkServiceFolders: readonly string[];
  /** The folder only the governance pipeline deploys from. */
  readonly governanceFolder: string;
}

/** Files at the repository root that every build reads: the app, the toolchain and its lock. */
export const BUILD_FILES = ['main.ts', 'package.json', 'package-lock.json', '.projenrc.ts', 'cdk.json'] as const;

/** Folders of the post-deploy suites the service pipelines run (integration tests, end-to-end and load tests). */
export const POST_DEPLOY_SUITE_FOLDERS = ['test/integration', 'test/e2e'] as const;

/**
 * Folders under the services folder that only developers run: the
 * scaffolder (`npx projen new-service`) and the local stage (`npx projen
 * local`). No service pipeline's build, synth or post-deploy step reads
 * them, so a change to them starts only the platform pipeline, whose unit
 * suite tests them (at 300 services, not 300 pipelines).
 */
export const DEVELOPER_TOOL_FOLDERS: readonly string[] = ['local', 'scaffold'];

/**
 * Top-level code folders (they have an `index.ts`) that no service
 * pipeline's build, synth or post-deploy step reads: the renderer of the
 * platform's plan (`npx projen plan`, docs/platform.md). A change to them
 * starts only the platform pipeline, whose unit suite checks that
 * docs/platform.md is current; outside the framework, they also take none of
 * a service pipeline's trigger globs (CodePipeline allows 24).
 */
export const PLATFORM_ONLY_FOLDERS: readonly string[] = ['plan'];

/**
 * The framework as a service pipeline sees it: everything its build, synth
 * and post-deploy steps read besides its own services' folders. A change to
 * any of it starts every service pipeline. The governance code is left out:
 * no service stack or service pipeline stack holds a governance construct,
 * the governance pipeline deploys it, and the platform pipeline tests it.
 */
export function frameworkPaths(layout: RepositoryLayout): string[] {
  const services = layout.servicesFolder;
  return [
    ...layout.codeFolders.filter(f => f !== services && f !== layout.governanceFolder && !PLATFORM_ONLY_FOLDERS.includes(f)).sort().map(f => `${f}/**`),
    `${services}/*.ts`,
    ...[...layout.frameworkServiceFolders].filter(f => !DEVELOPER_TOOL_FOLDERS.includes(f)).sort().map(f => `${services}/${f}/**`),
    ...BUILD_FILES,
    ...POST_DEPLOY_SUITE_FOLDERS.map(f => `${f}/**`),
  ];
}

/** The paths that start the pipeline deploying `services`: their folders, then the framework. */
export function serviceTriggerPaths(layout: RepositoryLayout, services: readonly string[]): string[] {
  return [...[...services].sort().map(s => `${layout.servicesFolder}/${s}/**`), ...frameworkPaths(layout)];
}

/**
 * The paths that start the platform pipeline: the framework, the governance
 * code and every test (it runs the whole unit suite), and any service
 * manifest (a service folder added or removed gets or loses its pipeline).
 */
export function platformTriggerPaths(layout: RepositoryLayout): string[] {
  const framework = frameworkPaths(layout).filter(p => !POST_DEPLOY_SUITE_FOLDERS.some(f => p === `${f}/**`));
  const tools = layout.frameworkServiceFolders.filter(f => DEVELOPER_TOOL_FOLDERS.includes(f)).sort().map(f => `${layout.servicesFolder}/${f}/**`);
  const platformOnly = layout.codeFolders.filter(f => PLATFORM_ONLY_FOLDERS.includes(f)).sort().map(f => `${f}/**`);
  return [...framework, ...tools, ...platformOnly, `${layout.governanceFolder}/**`, 'test/**', `${layout.servicesFolder}/*/service.ts`];
}

/** Whether `file` (a repository path with `/`) matches `glob` (`*` within a path segment, `**` across segments). */
export function matchesGlob(file: string, glob: string): boolean {
  const pattern = glob.split('/').map(segment => segment === '**'
    ? '(?:.*)'
    : segment.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')).join('/')
    // `dir/**` also matches files directly in dir.
    .replace(/\/\(\?:\.\*\)$/, '/.*');
  // eslint-disable-next-line security/detect-non-literal-regexp -- the pattern is a glob of our own folder layout, escaped before it gets here; the input is a file path of the repository
  return new RegExp(`^${pattern}$`).test(file);
}
