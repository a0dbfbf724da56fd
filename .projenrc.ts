import { awscdk, DependencyType, javascript, JsonFile, typescript } from 'projen';

// Versions are pinned exactly where a drift would change synthesized output
// (aws-cdk-lib feature flags, the CDK CLI's assembly format) or break the
// toolchain (TypeScript 7 is excluded by typescript-eslint).
const CDK_VERSION = '2.276.0';
const CDK_CLI_VERSION = '2.1148.1';

const project = new awscdk.AwsCdkTypeScriptApp({
  name: 'aws-landing-zone-pipeline',
  description: 'Multi-account AWS landing zone plus a self-mutating delivery pipeline for serverless microservices',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  // The Node.js LTS lines in support (pipelines run pipeline/runtime-versions.ts's NODE_VERSION); engine-strict stays off,
  // and devEngines below makes npm warn, not fail, on a machine with an older Node (this one has 20).
  minNodeVersion: '22.0.0',
  // tsx (esbuild) runs .projenrc.ts and the CDK app without type-checking
  // them on every run; the type check is a separate step of `test`.
  runner: typescript.TypeScriptRunner.tsx(),

  cdkVersion: CDK_VERSION,
  cdkCliVersion: CDK_CLI_VERSION,
  cdkVersionPinning: true,
  constructsVersion: '10.8.1',
  typescriptVersion: '~6.0.3',
  // The CDK app lives at the repository root: accounts/, governance/,
  // services/ and pipeline/ are top-level folders, so there is no src/.
  srcdir: '.',
  testdir: 'test',
  libdir: 'lib',
  // tsx as node's loader, in the app's own process: `npx tsx main.ts` ran a second Node.js process (48 MB) around it for
  // the whole synth. --optimize-for-size: V8 grows its heap less eagerly; a synth leaves much garbage (validation, template
  // writing) but keeps about the same live heap: at 100 services the app's peak fell from 869 to 635 MiB on a second
  // synth in the same time (see the README's Performance section).
  app: 'node --optimize-for-size --import tsx main.ts',
  sampleCode: false,
  lambdaAutoDiscover: false,
  edgeLambdaAutoDiscover: false,
  lambdaExtensionAutoDiscover: false,
  integrationTestAutoDiscover: false,
  featureFlags: awscdk.CdkFeatureFlags.V2.fromLocalAwsCdkLib(),
  context: {
    // CloudFormation schema errors fail synth instead of the deployment.
    '@aws-cdk/core:validateAgainstDefaultRules': true,
    // The CDK CLI (2.1100.0 and later) sends usage telemetry by default, from a process it starts beside every command
    // (seen at 80% of a core at the start of a synth). Synth makes no calls outside the machine: not to AWS, not to this.
    'cli-telemetry': false,
  },
  requireApproval: awscdk.ApprovalLevel.BROADENING,

  deps: [
    // The local stage (services/local): request validation as API Gateway does it (JSON Schema draft 4), and the SSM
    // parameters through which services find each other.
    'ajv@^8.17.1',
    'ajv-draft-04@^1.0.0',
    // The load test (test/e2e/load.ts), against the local stage in CI and staging in the pipeline.
    'autocannon@^8.0.0',
    '@types/autocannon@^7.12.7',
    '@aws-sdk/client-ssm@^3.1100.0',
    'zod@^4.6.7',
    'cdk-nag@^3.0.2',
    // The app bundles Lambda code at synth (kit/bundle.ts); without
    // esbuild, CDK would fall back to Docker.
    'esbuild@0.28.2',
    // Pipeline engines and policy validation. cdk-pipelines-github is
    // pre-1.0: pinned exactly.
    'cdk-pipelines-github@0.4.139',
    '@cdklabs/cdk-validator-cfnguard@0.0.62',
    // Lambda runtime code (Powertools pinned to one release so they share one
    // @aws-lambda-powertools/commons; bundled by esbuild; the AWS SDK v3 comes with the
    // Node.js runtime and is left out of bundles).
    '@aws-lambda-powertools/logger@2.35.0',
    '@aws-lambda-powertools/tracer@2.35.0',
    '@aws-lambda-powertools/metrics@2.35.0',
    '@aws-lambda-powertools/batch@2.35.0',
    '@aws-lambda-powertools/idempotency@2.35.0',
    '@aws-lambda-powertools/parameters@2.35.0',
    // Feature flags (services/runtime/flags.ts): read from AWS AppConfig through Powertools' AppConfig provider.
    '@aws-sdk/client-appconfigdata@^3.1100.0',
    // The public edge's authorizer (services/edge): verifies merchants' OAuth 2.0 access tokens (JWS with the issuer's
    // JWKS), in Lambda and in the local stage's edge, where the local token issuer signs with it too.
    'jose@^6.2.18',
    '@aws-sdk/client-dynamodb@^3.1100.0',
    '@aws-sdk/lib-dynamodb@^3.1100.0',
    '@aws-sdk/client-sqs@^3.1100.0',
    '@aws-sdk/client-secrets-manager@^3.1100.0',
    '@aws-sdk/client-lambda@^3.1100.0',
    '@aws-sdk/client-codedeploy@^3.1100.0',
    // The account bootstrap tool (accounts/bootstrap) and governance custom resources.
    '@aws-sdk/client-organizations@^3.1100.0',
    '@aws-sdk/client-sts@^3.1100.0',
    '@aws-sdk/client-cloudformation@^3.1100.0',
    '@aws-sdk/client-iam@^3.1100.0',
    '@aws-sdk/client-guardduty@^3.1100.0',
    '@aws-sdk/credential-providers@^3.1100.0',
    '@smithy/signature-v4@^5',
    '@aws-crypto/sha256-js@^5',
    'yaml@^2.9.1',
  ],
  devDeps: [
    // The SBOM every build produces (CycloneDX, from the lock file): npx projen scan:deps.
    '@cyclonedx/cyclonedx-npm@^6.0.1',
    // Security rules for the TypeScript code, in the lint every build runs (see the eslint settings below).
    'eslint-plugin-security@^4.1.0',
    'tsx@^4.23.15',
    '@swc/core@^1.16.22',
    '@swc/jest@^0.2.39',
    '@types/node@^20',
    '@types/aws-lambda@^8.10.164',
    'aws-sdk-client-mock@^4.1.0',
    'aws-sdk-client-mock-jest@^4.1.0',
    // Evaluates the composed SCPs, RCPs and trust policies in tests only
    // (AGPL-3.0: a test-time tool, never bundled or shipped). Pre-1.0: exact.
    '@cloud-copilot/iam-simulate@0.1.173',
    // The diagrams of docs/platform.md (npx projen plan) through the real Mermaid parser, in a test (test/plan/mermaid-check.mjs):
    // mermaid 11 (12 needs Node.js 22.12) under jsdom 29 (30 and later need Node.js 22.22), both pinned exactly.
    'mermaid@11.17.2',
    'jsdom@29.1.1',
  ],

  // CI is .ci/run on a clean clone; no GitHub workflows from projen (the
  // github pipeline engine writes its own deploy workflow).
  github: false,
  buildWorkflow: false,
  release: false,
  depsUpgrade: false,
  pullRequestTemplate: false,
  licensed: true,
  license: 'Apache-2.0',

  tsconfig: {
    compilerOptions: {
      rootDir: '.',
      lib: ['es2022'],
      target: 'ES2022',
      noEmit: true,
      skipLibCheck: true,
      esModuleInterop: true,
      resolveJsonModule: true,
    },
    exclude: ['node_modules', 'cdk.out', 'lib', 'coverage', 'test-reports', '.venv', '.venv-scan', '.venv-lint', '.build', '.bin'],
  },
  tsconfigDev: {
    compilerOptions: {},
    exclude: ['node_modules', 'cdk.out', 'lib', 'coverage', 'test-reports', '.venv', '.venv-scan', '.venv-lint', '.build', '.bin'],
  },
  tsconfigDevFile: 'tsconfig.dev.json',
  typecheckTests: true,

  jestOptions: {
    jestVersion: '^30',
    // `projen test` must never rewrite snapshots silently.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testPathIgnorePatterns: ['/node_modules/', '/cdk.out/'],
      coveragePathIgnorePatterns: ['/node_modules/', '/test/'],
      collectCoverage: false,
      // One worker per core (jest's default leaves one core idle): the suites
      // are CPU-bound synths; on 2 cores this took jest from 114 s to 82 s.
      maxWorkers: '100%',
      // CDK's schema validation and creation stack traces off where nothing reads them (see the file).
      setupFiles: ['<rootDir>/test/setup.ts'],
      // The shared assemblies of test/fixtures/assembly.ts (and the benchmark's copies) are not sources:
      // jest neither crawls nor watches them.
      modulePathIgnorePatterns: ['<rootDir>/.build/test-assemblies/', '<rootDir>/.build/scale/'],
    },
  },
  eslintOptions: {
    dirs: ['accounts', 'governance', 'kit', 'services', 'pipeline', 'plan', 'main.ts'],
    devdirs: ['test', 'scripts'],
    ignorePatterns: ['cdk.out/', 'lib/', 'coverage/', '*.d.ts', '.venv/', '.venv-scan/', '.venv-lint/'],
  },
});

// Security rules for the TypeScript code (eslint-plugin-security), as errors in the lint every build runs. A false
// positive is acknowledged where it is: `// eslint-disable-next-line security/<rule> -- <why>` (README, "Quality gates").
const SECURITY_RULES = [
  'detect-bidi-characters', 'detect-buffer-noassert', 'detect-child-process', 'detect-disable-mustache-escape',
  'detect-eval-with-expression', 'detect-new-buffer', 'detect-no-csrf-before-method-override', 'detect-non-literal-regexp',
  'detect-non-literal-require', 'detect-possible-timing-attacks', 'detect-pseudoRandomBytes', 'detect-unsafe-regex',
];
project.eslint!.addPlugins('security');
project.eslint!.addRules({
  ...Object.fromEntries(SECURITY_RULES.map(rule => [`security/${rule}`, 'error'])),
  // Off: it flags every computed member access (obj[key]), hundreds here; keys come from validated manifests and typed
  // records, and lookups of untrusted keys go through Object.hasOwn or a Map (the injection it looks for cannot happen).
  'security/detect-object-injection': 'off',
  // Reading and writing the repository's files by computed paths is what the tools, synth and tests do; the code that
  // runs deployed (below) is held to it.
  'security/detect-non-literal-fs-filename': 'off',
});
project.eslint!.addOverride({
  files: ['services/runtime/**/*.ts', 'services/*/src/**/*.ts', 'services/edge/**/*.ts', 'services/hooks/**/*.ts'],
  rules: { 'security/detect-non-literal-fs-filename': 'error' },
});
// Tests build expected messages and load fixtures from computed values, and compare made-up tokens: nothing they read is
// untrusted, so these three rules would only flag test scaffolding there.
project.eslint!.addOverride({
  files: ['test/**/*.ts'],
  rules: Object.fromEntries(['detect-non-literal-require', 'detect-non-literal-regexp', 'detect-possible-timing-attacks'].map(rule => [`security/${rule}`, 'off'])),
});

// Jest: swc strips types (~10x faster than ts-jest); the type check runs as
// its own step of the test task (typecheckTests).
project.jest!.config.transform = {
  '^.+\\.tsx?$': new javascript.Transform('@swc/jest', {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  }),
  // jose 6 ships ES modules only, which jest's CommonJS runtime cannot load: transformed like our sources.
  '^.+/node_modules/jose/.+\\.js$': new javascript.Transform('@swc/jest', {
    jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  }),
};
project.jest!.config.transformIgnorePatterns = ['/node_modules/(?!jose/)'];
// Tests live under test/ and in each service folder (projen would also scan
// the whole root srcdir).
project.package.file.addOverride('jest.testMatch', [
  '<rootDir>/test/**/*.test.ts',
  // Each service folder carries its own handler tests.
  '<rootDir>/services/*/test/**/*.test.ts',
]);
project.deps.removeDependency('ts-jest');
project.deps.removeDependency('ts-node');
// esbuild is a runtime dependency of the app (see deps); projen's CDK app
// type also lists it as a dev dependency.
project.deps.removeDependency('esbuild', DependencyType.BUILD);

// With noEmit, `compile` is a type check of the app code (tests are checked
// by the test task); nothing is emitted to lib/.
project.compileTask.reset('tsc --noEmit -p tsconfig.json');

// npm 11 blocks dependency install scripts unless allowed. None is needed:
// esbuild and swc ship their binaries as optional platform packages (their
// postinstall only verifies them), and @parcel/watcher is a file watcher used
// by nothing we run. Denying explicitly keeps installs quiet and reviewed.
project.package.addField('allowScripts', {
  'esbuild': false,
  '@swc/core': false,
  '@parcel/watcher': false,
});

project.addTask('new-service', {
  description: 'Create services/<name>/ (manifest, handler, test, contract): npx projen new-service <name> [--wave <wave>]',
  exec: 'tsx services/scaffold/new-service.ts',
  receiveArgs: true,
});

// A service pipeline's build (sharded topologies): the type check, handler
// tests and lint of its own services only, so its time does not grow with the
// number of services. The platform pipeline runs the whole suite.
project.addTask('test:services', {
  description: 'Type check, tests and lint of the named services only: npx projen test:services -- <service> [...]',
  exec: 'tsx pipeline/test-services.ts',
  receiveArgs: true,
});

// Feature flags: each service's typed accessors (services/<name>/src/flags.generated.ts) from the flags of its manifest.
project.addTask('flags', {
  description: 'Write the typed feature-flag accessors of each service from its manifest: npx projen flags [-- <service> ...]',
  exec: 'tsx services/scaffold/flags.ts',
  receiveArgs: true,
});

// Consumer-driven contracts: each consumer's services/<name>/contracts.ts against its providers'
// api.yaml and queue message schemas. The unit suite checks them all; a service pipeline's build
// (test:services) checks those where its services are consumer or provider.
project.addTask('contracts', {
  description: 'Check consumer contracts against their providers: npx projen contracts [-- <service> ...] (default: every consumer)',
  exec: 'tsx services/check-contracts.ts',
  receiveArgs: true,
});

// The platform's plan (docs/platform.md): diagrams, guardrail matrix, service catalogue and migration progress, from the
// models synth validates. A unit test fails when the committed file differs from what this writes.
project.addTask('plan', {
  description: 'Write docs/platform.md (organization and delivery diagrams, guardrails, service catalogue, migration) from the models',
  exec: 'tsx plan/cli.ts',
});

project.addTask('bench', {
  description: 'Time synth, unit tests and the type check on this machine (BENCH_RUNS=3)',
  exec: 'tsx test/bench/bench.ts',
});
project.tasks.tryFind('bench')!.exec('tsx test/bench/nag-report.ts');
// Delivery at scale: N generated services per topology and engine (pipelines, limits, synth and scoped
// synth time, lead time of a one-service change). Minutes at N = 300; see the README's table.
project.addTask('bench:scale', {
  description: 'Generate N services in a temporary copy and measure each topology and engine: npx projen bench:scale -- --services 3,30,300',
  exec: 'tsx test/bench/scale.ts',
  receiveArgs: true,
});

// The account bootstrap tool (accounts/bootstrap): `npx projen bootstrap -- plan|apply|bootstrap|lock [options]`.
project.addTask('bootstrap', {
  description: 'Reconcile the AWS organization with accounts/organization.ts and CDK-bootstrap its accounts (see --help)',
  exec: 'tsx accounts/bootstrap/cli.ts',
  receiveArgs: true,
  // Hides the AWS SDK's notice that future releases need Node.js 22.
  env: { NODE_NO_WARNINGS: '1' },
});

// Integration tests run the bootstrap tool against moto server (an AWS API
// emulator) that each test file starts; moto comes from PyPI into .venv/.
// They have their own jest config and file suffix, so `projen test` needs no Python.
project.addTask('moto:install', {
  description: 'Install the pinned moto server into .venv/ (for test:integration)',
  exec: 'bash scripts/install-moto.sh',
});
new JsonFile(project, 'jest.integration.json', {
  obj: {
    rootDir: '.',
    testMatch: ['<rootDir>/test/**/*.integration.ts'],
    testPathIgnorePatterns: ['/node_modules/', '/cdk.out/'],
    transform: {
      '^.+\\.tsx?$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
      '^.+/node_modules/jose/.+\\.js$': ['@swc/jest', { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
    },
    transformIgnorePatterns: ['/node_modules/(?!jose/)'],
    // Files run one at a time: each starts its own moto server, and CDK bootstrap is CPU-heavy.
    maxWorkers: 1,
    testTimeout: 180_000,
  },
});
// The IaC scanner (checkov) over every synthesized template: every finding fixed or acknowledged in code with a reason
// (kit/nag.ts acknowledgeFindings). From PyPI into .venv-scan/; run in CI and in both pipelines' builds, after the synth.
project.addTask('scan:install', {
  description: 'Install the pinned IaC scanner (checkov) into .venv-scan/',
  exec: 'bash scripts/install-scanners.sh',
});
const scanIac = project.addTask('scan:iac', {
  description: 'Scan every template of cdk.out with checkov; fails on an unacknowledged finding (-- --assembly <dir> --sarif <file>)',
});
scanIac.spawn(project.tasks.tryFind('scan:install')!);
scanIac.exec('tsx pipeline/scan-iac.ts', { receiveArgs: true });

// Supply chain (scripts/supply-chain.ts), after the synth: registry signatures and provenance, a CycloneDX SBOM
// (.build/reports/sbom.cdx.json), licences against this list, and no dev-only package in a bundle. The AGPL policy
// simulator and the two AGPL packages it brings are for tests only: allowed as dev dependencies, never in production
// or a bundle.
const LICENCES_ALLOWED = [
  'MIT', 'ISC', 'Apache-2.0', 'BSD-2-Clause', 'BSD-3-Clause', 'BlueOak-1.0.0',
  '0BSD', // tslib
  'CC0-1.0', // railroad-diagrams, spdx-license-ids (dev)
  'MIT-0', // @aws-lambda-powertools/* (production)
  'Zlib', // pako: MIT AND Zlib (production)
  'Python-2.0', // argparse (dev)
  'CC-BY-4.0', // caniuse-lite data (dev)
  'CC-BY-3.0', // spdx-exceptions data (dev)
];
const DEV_ONLY = [
  '@cloud-copilot/iam-simulate', '@cloud-copilot/iam-policy', '@cloud-copilot/iam-utils',
  // Through mermaid (the diagram check of docs/platform.md, tests only): khroma declares no licence in its package.json
  // (its licence file is MIT), robust-predicates is under the Unlicense.
  'khroma', 'robust-predicates',
];
project.addTask('scan:deps', {
  description: 'Supply chain: registry signatures and provenance, CycloneDX SBOM, licences, no dev-only package in a bundle (-- --signatures if-reachable)',
  // The SBOM goes into the synth's output, so each pipeline build keeps it with its artifact (CodePipeline's, GitHub's cdk.out).
  exec: `tsx scripts/supply-chain.ts --allow ${LICENCES_ALLOWED.join(',')} --dev-only ${DEV_ONLY.join(',')} --bundles .build/bundles --bundles cdk.out --sbom cdk.out/sbom.cdx.json`,
  receiveArgs: true,
});

// The secret scanner (gitleaks, built from its Go module into .bin/): every commit in a full clone, else the files.
project.addTask('scan:secrets', {
  description: 'Scan the repository for secrets with gitleaks (history in a full clone); fails on a finding',
  exec: 'bash scripts/scan-secrets.sh',
});

project.package.addField('devEngines', { runtime: { name: 'node', version: '>= 22.0.0', onFail: 'warn' } });

// The github engine's generated workflows (each topology, from the shared test assemblies, so nothing is written to
// .github/) under actionlint with shellcheck: both pinned into .venv-lint/ (actionlint built from its Go module).
const lintWorkflows = project.addTask('lint:workflows', {
  description: 'Check the github engine\'s generated workflows with actionlint and shellcheck (installs both into .venv-lint/ first)',
  env: { LINT_WORKFLOWS: '1' },
});
lintWorkflows.exec('bash scripts/install-workflow-linters.sh');
lintWorkflows.exec('jest test/pipeline/workflow-lint.test.ts');

// The same linters over the workflows a github engine build has just written (.github/workflows): the github engine's builds run it.
const scanWorkflows = project.addTask('scan:workflows', {
  description: 'Check the workflows in .github/workflows with actionlint and shellcheck (installs both into .venv-lint/ first)',
});
scanWorkflows.exec('bash scripts/install-workflow-linters.sh');
scanWorkflows.exec('.venv-lint/bin/actionlint -no-color -shellcheck .venv-lint/bin/shellcheck .github/workflows/*.yml');

const integration = project.addTask('test:integration', {
  description: 'Integration tests of the bootstrap tool against moto server, and of the IaC scanner (installs both first)',
});
integration.spawn(project.tasks.tryFind('moto:install')!);
integration.spawn(project.tasks.tryFind('scan:install')!);
integration.exec('jest --config jest.integration.json --ci');

// The local stage: every service here, on moto server (installed first) and local ports, until Ctrl-C.
const local = project.addTask('local', {
  description: 'Run the services here: moto server, their APIs on local ports, their queue consumers (-- --only a,b --port N)',
  env: { NODE_NO_WARNINGS: '1' },
});
local.spawn(project.tasks.tryFind('moto:install')!);
local.exec('tsx services/local/cli.ts', { receiveArgs: true });

// The integration and end-to-end suites against the local stage, as the pipeline runs them against a deployed one.
const e2e = project.addTask('test:e2e', {
  description: 'Start the local stage, run the smoke and end-to-end suites against it, stop it',
  env: { NODE_NO_WARNINGS: '1' },
});
e2e.spawn(project.tasks.tryFind('moto:install')!);
e2e.exec('tsx test/e2e/run-local.ts');

project.gitignore.exclude('cdk.out/', '.build/', '.bin/', '.venv/', '.venv-scan/', '.venv-lint/', 'coverage/', 'test-reports/');

project.synth();
