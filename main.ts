import * as fs from 'node:fs';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks, PCIDSS321Checks } from 'cdk-nag';
import { ConfigError, LOCK_FILE, loadOrganization, Organization } from './accounts';
import declaration from './accounts/organization';
import { GuardrailsStack } from './governance';

/**
 * Builds every stack of the platform into `app` from the organization model,
 * with cdk-nag (AWS Solutions and PCI DSS 3.2.1) validating them at synth.
 */
export function buildPlatform(app: cdk.App, organization: Organization): cdk.Stack[] {
  cdk.Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new PCIDSS321Checks(app));
  const guardrails = new GuardrailsStack(app, 'Governance-Guardrails', { organization });
  return [guardrails];
}

/** A short, human summary of what a synth produced. */
export function summarize(organization: Organization, assembly: CloudAssembly): string {
  const org = organization;
  const envs = org.environments
    .map(e => `${e.name} (${e.account.name} ${e.account.id}; ${e.regions.join(', ')}${e.manualApproval ? '; manual approval' : ''})`);
  const stacks = assembly.stacks.map(s => `${s.stackName} (${s.environment.account}/${s.environment.region})`);
  return [
    `Synthesized organization ${org.name} (${org.id}, root ${org.rootId}) into ${assembly.directory}`,
    `  OUs (${org.organizationalUnits.length}): ${org.organizationalUnits.map(u => u.path).join(', ')}`,
    `  Accounts (${org.accounts.length + 1}): management ${org.managementAccount.id}, `
      + org.accounts.map(a => `${a.name} ${a.id}`).join(', '),
    `  Environments in promotion order: ${envs.join(' -> ')}`,
    `  Pipeline: ${org.pipeline.engine} in ${org.pipeline.toolingAccount.name} (${org.pipeline.toolingAccount.id})`,
    `  Stacks (${stacks.length}): ${stacks.join(', ')}`,
  ].join('\n');
}

/** Reads the repository's declaration files, builds and synthesizes the app. */
function main(): void {
  const organization = loadOrganization({
    declaration,
    lockText: fs.readFileSync(path.join(__dirname, LOCK_FILE), 'utf8'),
  });
  const app = new cdk.App();
  buildPlatform(app, organization);
  const assembly = app.synth();
  // stderr: the CDK CLI shows it, and stdout stays free for templates.
  console.error(summarize(organization, assembly));
}

if (require.main === module) {
  try {
    main();
  } catch (e) {
    // A user's mistake is printed without a stack trace; a bug keeps its.
    if (!(e instanceof ConfigError)) throw e;
    console.error(e.message);
    process.exitCode = 1;
  }
}
