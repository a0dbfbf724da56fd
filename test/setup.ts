/**
 * The environment of every test file (jest `setupFiles`, see .projenrc.ts).
 *
 * CDK's own CloudFormation schema validation runs in every synth: about 2 s
 * per test file to start its engine, then a share of every synth. Without
 * cdk.json's `@aws-cdk/core:validateAgainstDefaultRules` its findings are
 * warnings, so in a test app it can fail nothing: off here. The shared
 * assemblies synthesized with policy validation (test/fixtures/assembly.ts)
 * turn it back on, with cdk.json's context, as `cdk synth` runs it.
 */
process.env.CDK_VALIDATION = 'false';

/**
 * Every construct records the stack trace of its creation (for `cdk synth
 * --debug`); under jest each trace is mapped through source maps, which
 * made up a third of the time to build an app. No test reads them.
 */
process.env.CDK_CONTEXT_JSON = JSON.stringify({
  ...(process.env.CDK_CONTEXT_JSON ? JSON.parse(process.env.CDK_CONTEXT_JSON) as Record<string, unknown> : {}),
  'aws:cdk:disable-creation-stack-traces': true,
  'aws:cdk:disable-stack-trace': true,
});
