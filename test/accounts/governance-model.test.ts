import { OrganizationDeclarationInput } from '../../accounts';
import { loadSample } from '../fixtures/organization';
import { problemsOf } from '../fixtures/problems';

const DECL = 'accounts/organization.ts';
type Governance = OrganizationDeclarationInput['governance'];
const withGovernance = (edit: (g: Governance, d: OrganizationDeclarationInput) => void) => () => loadSample(d => edit(d.governance, d));

describe('the governance section', () => {
  test('applies the documented defaults', () => {
    const gov = loadSample().governance;
    expect(gov.controlTower).toMatchObject({ landingZoneVersion: '3.3', securityOu: 'Security', logRetentionDays: 365, identityCenter: true });
    expect(gov.quotas).toEqual({
      serviceControlPolicyMaxChars: 10_240,
      serviceControlPoliciesPerTarget: 10,
      resourceControlPolicyMaxChars: 5_120,
      resourceControlPoliciesPerTarget: 5,
      tagPolicyMaxChars: 10_000,
      tagPoliciesPerTarget: 10,
      controlTowerPoliciesPerOu: 1,
    });
    expect(gov.budgets).toMatchObject({ actualThresholdsPercent: [80, 100], forecastThresholdPercent: 100 });
  });

  test('is required', () => {
    expect(problemsOf(() => loadSample(d => { delete (d as Partial<OrganizationDeclarationInput>).governance; }))).toEqual([
      `${DECL}: governance is required (expected object)`,
    ]);
  });
});

describe('bad governance input is reported with file, field, value and what is allowed', () => {
  test.each<[string, (g: Governance, d: OrganizationDeclarationInput) => void, string]>([
    ['a policy target that is not an OU',
      g => { g.serviceControlPolicies['Workloads/Production'] = ['deny-iam-users']; },
      `${DECL}: governance.serviceControlPolicies["Workloads/Production"] is not a policy target; allowed: Root, Security, Infrastructure, Workloads, Workloads/Dev, Workloads/Prod`],
    ['an unknown guardrail',
      g => { (g.serviceControlPolicies.Workloads as string[]).push('deny-everything'); },
      `${DECL}: governance.serviceControlPolicies.Workloads[1] "deny-everything" is not allowed; allowed: "deny-leaving-organization", "deny-root-user", "deny-regions-outside-allow-list", "protect-security-services", "protect-platform-roles", "deny-iam-users", "deny-changes-outside-pipeline", "deny-all"`],
    ['an unknown resource guardrail',
      g => { g.resourceControlPolicies = { Root: ['deny-public-buckets' as 'deny-insecure-transport'] }; },
      `${DECL}: governance.resourceControlPolicies.Root[0] "deny-public-buckets" is not allowed; allowed: "deny-access-from-outside-organization", "deny-insecure-transport"`],
    ['a guardrail listed twice for a target',
      g => { g.serviceControlPolicies.Workloads = ['deny-iam-users', 'deny-iam-users']; },
      `${DECL}: governance.serviceControlPolicies.Workloads[1] "deny-iam-users" is listed twice for this target`],
    ['deny-all above an environment\'s account',
      g => { g.serviceControlPolicies['Workloads/Dev'] = ['deny-all']; },
      `${DECL}: governance.serviceControlPolicies["Workloads/Dev"] attaches "deny-all", which denies everything, above OU "Workloads/Dev" that holds the tooling, security, log-archive or an environment's account; attach it to an OU without them`],
    ['the pipeline-only guardrail above the tooling account',
      g => { g.serviceControlPolicies.Root!.push('deny-changes-outside-pipeline'); },
      `${DECL}: governance.serviceControlPolicies.Root attaches "deny-changes-outside-pipeline", which denies changes outside the pipeline, above OU "Infrastructure" that holds the tooling, security, log-archive or an environment's account; attach it to an OU without them`],
    ['a break-glass user name IAM refuses',
      g => { g.breakGlassUsers = ['break glass']; },
      `${DECL}: governance.breakGlassUsers[0] "break glass" is not an IAM user or role name; allowed: 1-64 letters, digits or +=,.@_-`],
    ['no audit role',
      g => { g.auditRoles = []; },
      `${DECL}: governance.auditRoles [] must have at least 1 item(s)`],
    ['a security OU that is not top-level',
      g => { g.controlTower.securityOu = 'Workloads/Dev'; },
      `${DECL}: governance.controlTower.securityOu "Workloads/Dev" is not a top-level OU; allowed: Security, Infrastructure, Workloads`],
    ['a security OU without the log-archive and security accounts',
      g => { g.controlTower.securityOu = 'Infrastructure'; },
      `${DECL}: governance.controlTower.securityOu "Infrastructure" is not the OU of the log-archive and security accounts ("Security"); Control Tower keeps both in its security OU`],
    ['an unregistered OU that does not exist',
      g => { g.controlTower.unregisteredOus = ['Suspended']; },
      `${DECL}: governance.controlTower.unregisteredOus[0] "Suspended" is not a declared OU; allowed: Security, Infrastructure, Workloads, Workloads/Dev, Workloads/Prod`],
    ['leaving the security OU out of Control Tower',
      g => { g.controlTower.unregisteredOus = ['Security']; },
      `${DECL}: governance.controlTower.unregisteredOus[0] "Security" is set up by the landing zone itself and cannot be left out`],
    ['a registered child under an unregistered parent',
      g => { g.controlTower.unregisteredOus = ['Workloads']; g.controlTower.controls = {}; },
      `${DECL}: governance.controlTower.unregisteredOus leaves out "Workloads" but not its child "Workloads/Dev"; Control Tower registers an OU only under a registered parent`],
    ['controls on an undeclared OU',
      g => { g.controlTower.controls = { Production: ['AWS-GR_RESTRICTED_SSH'] }; },
      `${DECL}: governance.controlTower.controls.Production is not a declared OU; allowed: Security, Infrastructure, Workloads, Workloads/Dev, Workloads/Prod`],
    ['controls on an OU left out of Control Tower',
      g => { g.controlTower.unregisteredOus = ['Infrastructure']; g.controlTower.controls = { Infrastructure: ['AWS-GR_RESTRICTED_SSH'] }; },
      `${DECL}: governance.controlTower.controls.Infrastructure is listed in unregisteredOus; controls apply only to OUs Control Tower governs`],
    ['an unknown control',
      g => { g.controlTower.controls = { 'Workloads/Prod': ['AWS-GR_DENY_EVERYTHING' as 'AWS-GR_RESTRICTED_SSH'] }; },
      `${DECL}: governance.controlTower.controls["Workloads/Prod"][0] "AWS-GR_DENY_EVERYTHING" is not allowed; allowed: "AWS-GR_RESTRICT_ROOT_USER"`],
    ['a control listed twice',
      g => { g.controlTower.controls = { 'Workloads/Prod': ['AWS-GR_RESTRICTED_SSH', 'AWS-GR_RESTRICTED_SSH'] }; },
      `${DECL}: governance.controlTower.controls["Workloads/Prod"][1] "AWS-GR_RESTRICTED_SSH" is listed twice for this OU`],
    ['a landing zone version that is not one',
      g => { g.controlTower.landingZoneVersion = 'latest'; },
      `${DECL}: governance.controlTower.landingZoneVersion "latest" is not a landing zone version such as "3.3"`],
    ['a budget for an undeclared account',
      g => { g.budgets.accounts = { production: 100 }; },
      `${DECL}: governance.budgets.accounts.production is not a declared account; allowed: management, log-archive, audit, tooling, dev, prod`],
    ['a budget that is not positive',
      g => { g.budgets.defaultMonthlyUsd = 0; },
      `${DECL}: governance.budgets.defaultMonthlyUsd 0 must be greater than 0`],
    ['an alert threshold listed twice',
      g => { g.budgets.actualThresholdsPercent = [80, 80]; },
      `${DECL}: governance.budgets.actualThresholdsPercent[1] 80 is listed twice`],
    ['a budget alert without anyone to tell',
      g => { g.budgets.notificationEmails = []; },
      `${DECL}: governance.budgets.notificationEmails [] must have at least 1 item(s)`],
    ['an anomaly monitor that is not one',
      g => { g.costAnomaly = { existingServiceMonitorArn: 'arn:aws:ce::123:monitor/x' }; },
      `${DECL}: governance.costAnomaly.existingServiceMonitorArn "arn:aws:ce::123:monitor/x" is not a Cost Anomaly Detection monitor ARN; allowed: arn:aws:ce::<account>:anomalymonitor/<uuid>`],
    ['a quota that is not a positive integer',
      g => { g.quotas = { serviceControlPolicyMaxChars: 5120.5 }; },
      `${DECL}: governance.quotas.serviceControlPolicyMaxChars 5120.5 is not an integer`],
    ['an unknown governance field',
      g => { (g as Record<string, unknown>).scps = {}; },
      `${DECL}: governance has unknown field "scps" (check the spelling)`],
  ])('%s', (_, edit, expected) => {
    // Messages listing every allowed value are compared up to what the test spells out.
    expect(problemsOf(withGovernance(edit)).map(p => p.slice(0, expected.length))).toContain(expected);
  });
});
