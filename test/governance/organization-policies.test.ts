import * as cdk from 'aws-cdk-lib';
import { ConfigError, loadOrganization, OrganizationDeclarationInput } from '../../accounts';
import {
  composeOrganizationPolicies,
  denyIamUsers,
  denyLeavingOrganization,
  GuardrailsStack,
  mergeStatements,
  PolicyDocument,
  policyDocument,
  policySize,
} from '../../governance';
import { loadSample, loadShippedOrganization, sampleDeclaration, sampleLock } from '../fixtures/organization';
import { problemsOf } from '../fixtures/problems';

/** The sample organization with its declaration changed by `edit`. */
function sampleWith(edit: (d: OrganizationDeclarationInput) => void) {
  const declaration = sampleDeclaration();
  edit(declaration);
  return loadOrganization({ declaration, lockText: JSON.stringify(sampleLock()) });
}

describe('composeOrganizationPolicies', () => {
  const composed = composeOrganizationPolicies(loadSample());

  test('one SCP per target holds all its guardrails while they fit', () => {
    const scps = composed.policies.filter(p => p.type === 'SERVICE_CONTROL_POLICY');
    expect(scps.map(p => [p.name, p.targetId, p.guardrails])).toEqual([
      ['testorg-scp-root', 'r-test', ['deny-leaving-organization', 'deny-root-user', 'deny-regions-outside-allow-list',
        'protect-security-services', 'protect-platform-roles']],
      ['testorg-scp-workloads', 'ou-test-workload', ['deny-iam-users']],
      ['testorg-scp-workloads-prod', 'ou-test-wrkldprd', ['deny-changes-outside-pipeline']],
    ]);
  });

  test('the data perimeter is one RCP at the root, the tag policy one tag policy at the root', () => {
    expect(composed.policies.filter(p => p.type !== 'SERVICE_CONTROL_POLICY').map(p => [p.type, p.name, p.targetId])).toEqual([
      ['RESOURCE_CONTROL_POLICY', 'testorg-rcp-root', 'r-test'],
      ['TAG_POLICY', 'testorg-tag-cost-allocation', 'r-test'],
    ]);
  });

  test('sizes are measured on minified JSON', () => {
    for (const policy of composed.policies) {
      expect(policy.size).toBe(JSON.stringify(policy.content).length);
      expect(policy.size).toBeLessThan(JSON.stringify(policy.content, undefined, 2).length);
    }
  });

  test('slots count FullAWSAccess everywhere and Control Tower\'s SCPs on the OUs it governs', () => {
    const scpUsage = composed.usage.filter(u => u.type === 'SERVICE_CONTROL_POLICY').map(u => [u.target, u.attached, u.reserved, u.limit]);
    // Workloads/Prod has a preventive control (AWS-GR_RESTRICT_S3_DELETE_WITHOUT_MFA) in the sample: one more Control Tower SCP.
    expect(scpUsage).toEqual([['Root', 1, 1, 10], ['Workloads', 1, 2, 10], ['Workloads/Prod', 1, 3, 10]]);
    expect(composed.usage.find(u => u.type === 'RESOURCE_CONTROL_POLICY')).toMatchObject({ attached: 1, reserved: 1, limit: 5 });
  });

  test('the shipped organization fits well inside every quota', () => {
    const shipped = composeOrganizationPolicies(loadShippedOrganization());
    for (const policy of shipped.policies) {
      const max = { SERVICE_CONTROL_POLICY: 10_240, RESOURCE_CONTROL_POLICY: 5_120, TAG_POLICY: 10_000 }[policy.type];
      expect(policy.size).toBeLessThanOrEqual(max);
    }
    for (const u of shipped.usage) expect(u.attached + u.reserved).toBeLessThanOrEqual(u.limit);
  });

  test('under the former 5,120-character SCP quota the guardrails still fit, split where needed', () => {
    const former = composeOrganizationPolicies(loadSample(d => { d.governance.quotas = { serviceControlPolicyMaxChars: 5_120 }; }));
    const scps = former.policies.filter(p => p.type === 'SERVICE_CONTROL_POLICY');
    expect(scps.some(p => p.guardrails.includes('deny-changes-outside-pipeline'))).toBe(true);
    for (const p of scps) expect(p.size).toBeLessThanOrEqual(5_120);
    for (const u of former.usage) expect(u.attached + u.reserved).toBeLessThanOrEqual(u.limit);
  });
});

describe('fitting policies into the quotas', () => {
  test('statements differing only in actions are merged into one', () => {
    const merged = mergeStatements([
      { Sid: 'A', Effect: 'Deny', Action: 'iam:CreateUser', Resource: '*' },
      { Sid: 'B', Effect: 'Deny', Action: ['organizations:LeaveOrganization', 'iam:CreateUser'], Resource: '*' },
      { Sid: 'C', Effect: 'Deny', Action: 'iam:CreateUser', Resource: '*', Condition: { Bool: { 'aws:ViaAWSService': 'false' } } },
    ]);
    expect(merged).toEqual([
      { Sid: 'AAndB', Effect: 'Deny', Action: ['iam:CreateUser', 'organizations:LeaveOrganization'], Resource: '*' },
      { Sid: 'C', Effect: 'Deny', Action: 'iam:CreateUser', Resource: '*', Condition: { Bool: { 'aws:ViaAWSService': 'false' } } },
    ]);
  });

  test('statements excluding different resources are not merged', () => {
    const condition = { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/x' } };
    const statements = [
      { Sid: 'A', Effect: 'Deny' as const, Action: 'lambda:*', NotResource: 'arn:aws:lambda:*:*:function:a', Condition: condition },
      { Sid: 'B', Effect: 'Deny' as const, Action: 'sqs:*', NotResource: 'arn:aws:sqs:*:*:b', Condition: condition },
    ];
    expect(mergeStatements(statements)).toEqual(statements);
  });

  test('merging makes a target fit in one policy that would not fit unmerged', () => {
    // deny-leaving-organization and deny-iam-users share effect, resource and (no) condition.
    const unmerged = policySize(policyDocument([...denyLeavingOrganization(), ...denyIamUsers()]));
    const merged = policySize(policyDocument(mergeStatements([...denyLeavingOrganization(), ...denyIamUsers()])));
    expect(merged).toBeLessThan(unmerged);
    const org = sampleWith(d => {
      d.governance.serviceControlPolicies = { Root: ['deny-leaving-organization', 'deny-iam-users'] };
      d.governance.quotas = { serviceControlPolicyMaxChars: merged };
    });
    const [root] = composeOrganizationPolicies(org).policies;
    expect(root.guardrails).toEqual(['deny-leaving-organization', 'deny-iam-users']);
    expect(root.size).toBe(merged);
    expect((root.content as PolicyDocument).Statement).toHaveLength(1);
  });

  test('guardrails that do not fit one policy are split across several, in declaration order', () => {
    const org = sampleWith(d => {
      d.governance.quotas = { serviceControlPolicyMaxChars: 3_000 };
      // The prod guardrail alone is larger than that (see 'a guardrail larger than the SCP size quota on its own').
      delete d.governance.serviceControlPolicies['Workloads/Prod'];
    });
    const root = composeOrganizationPolicies(org).policies.filter(p => p.type === 'SERVICE_CONTROL_POLICY' && p.target === 'Root');
    expect(root.length).toBeGreaterThan(1);
    expect(root.map(p => p.name)).toEqual(root.map((_, i) => `testorg-scp-root-${i + 1}`));
    expect(root.flatMap(p => p.guardrails)).toEqual(['deny-leaving-organization', 'deny-root-user',
      'deny-regions-outside-allow-list', 'protect-security-services', 'protect-platform-roles']);
    for (const p of root) expect(p.size).toBeLessThanOrEqual(3_000);
  });
});

describe('quota violations fail synth with the target and the policies named', () => {
  test('a guardrail larger than the SCP size quota on its own', () => {
    const org = sampleWith(d => {
      d.governance.quotas = { serviceControlPolicyMaxChars: 1_000 };
    });
    expect(problemsOf(() => composeOrganizationPolicies(org))).toEqual(expect.arrayContaining([
      expect.stringMatching(/^accounts\/organization\.ts: governance\.serviceControlPolicies\.Root "protect-security-services" is \d+ characters minified on its own; one of the service control policies may hold at most 1000/),
      expect.stringMatching(/governance\.serviceControlPolicies\["Workloads\/Prod"\] "deny-changes-outside-pipeline" is \d+ characters/),
    ]));
  });

  test('more SCPs on an OU than AWS allows per target, counting FullAWSAccess and Control Tower\'s', () => {
    const org = sampleWith(d => {
      d.governance.quotas = { serviceControlPolicyMaxChars: 6_000, serviceControlPoliciesPerTarget: 3 };
      d.governance.serviceControlPolicies['Workloads/Prod'] = ['deny-changes-outside-pipeline', 'deny-iam-users'];
    });
    const problems = problemsOf(() => composeOrganizationPolicies(org));
    expect(problems).toContainEqual(
      'accounts/organization.ts: governance.serviceControlPolicies["Workloads/Prod"] needs 4 service control policies on OU '
      + '"Workloads/Prod" (ou-test-wrkldprd): testorg-scp-workloads-prod (deny-changes-outside-pipeline, deny-iam-users), '
      + 'plus 3 attached by AWS and Control Tower; AWS allows 3 per target (governance.quotas); move guardrails to a parent or child OU');
  });

  test('more RCPs at the root than AWS allows', () => {
    const org = sampleWith(d => {
      d.governance.quotas = { resourceControlPolicyMaxChars: 700, resourceControlPoliciesPerTarget: 2 };
    });
    expect(problemsOf(() => composeOrganizationPolicies(org))).toEqual([expect.stringMatching(
      /^accounts\/organization\.ts: governance\.resourceControlPolicies\.Root needs 3 resource control policies on the root \(r-test\): testorg-rcp-root-1 \(deny-access-from-outside-organization\); testorg-rcp-root-2 \(deny-insecure-transport\), plus 1 attached by AWS; AWS allows 2 per target/)]);
  });

  test('the tag policy over its size quota', () => {
    const org = sampleWith(d => {
      d.governance.quotas = { tagPolicyMaxChars: 100 };
    });
    expect(problemsOf(() => composeOrganizationPolicies(org))).toEqual([expect.stringMatching(
      /^accounts\/organization\.ts: environments make the cost-allocation tag policy \d+ characters minified; AWS allows 100/)]);
  });

  test('the guardrails stack refuses to synthesize such a model', () => {
    const org = sampleWith(d => {
      d.governance.quotas = { serviceControlPolicyMaxChars: 1_000 };
    });
    expect(() => new GuardrailsStack(new cdk.App(), 'Guardrails', { organization: org })).toThrow(ConfigError);
  });
});
