import * as cdk from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { buildPlatform, summarize } from '../main';
import { loadSample, loadShippedOrganization } from './fixtures/organization';

describe('the CDK app', () => {
  test('synthesizes the shipped organization offline with no cdk-nag errors', () => {
    const app = new cdk.App();
    const stacks = buildPlatform(app, { organization: loadShippedOrganization() });
    // Validation plugins (cdk-nag) run inside synth and throw on any error.
    const assembly = app.synth();
    expect(stacks.map(s => s.stackName)).toEqual(['Governance-Guardrails']);
    expect(assembly.getStackByName('Governance-Guardrails').environment).toMatchObject({
      account: '111111111111', region: 'eu-west-1',
    });
  });

  test('fails synth when a stack breaks an AWS Solutions or a PCI DSS rule', () => {
    const app = new cdk.App();
    const [stack] = buildPlatform(app, { organization: loadSample() });
    new s3.Bucket(stack, 'UnencryptedLoglessBucket');
    let message = '';
    try {
      app.synth();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('AwsSolutions-S10');
    expect(message).toContain('PCI.DSS.321-S3DefaultEncryptionKMS');
  });

  test('summarizes OUs, accounts, environments in promotion order and stacks', () => {
    const organization = loadSample();
    const app = new cdk.App();
    buildPlatform(app, { organization });
    const summary = summarize(organization, app.synth());
    expect(summary).toContain('Synthesized organization testorg (o-testorg123, root r-test)');
    expect(summary).toContain('OUs (5): Security, Infrastructure, Workloads, Workloads/Dev, Workloads/Prod');
    expect(summary).toContain('Accounts (6): management 100000000000, log-archive 100000000001');
    expect(summary).toMatch(/Environments in promotion order: dev \(dev 100000000004; eu-west-1\) -> prod \(.*manual approval\)/);
    expect(summary).toContain('Stacks (1): Governance-Guardrails (100000000000/eu-west-1)');
  });
});
