import { effectiveCostSwitches, OrganizationDeclarationInput } from '../../accounts';
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
      securityHubConfigurationPolicies: 20,
    });
    expect(gov.budgets).toMatchObject({ actualThresholdsPercent: [80, 100], forecastThresholdPercent: 100 });
    expect(gov.costSwitches).toEqual({});
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
    ['cost switches for a target that is not an OU',
      g => { g.costSwitches = { 'Workloads/Sandbox': { guardDuty: { runtimeMonitoring: 'off' } } }; },
      `${DECL}: governance.costSwitches["Workloads/Sandbox"] is not a policy target; allowed: Root, Security, Infrastructure, Workloads, Workloads/Dev, Workloads/Prod`],
    ['an unknown cost switch',
      g => { g.costSwitches = { Workloads: { inspector: false } as never }; },
      `${DECL}: governance.costSwitches.Workloads has unknown field "inspector" (check the spelling)`],
    ['an unknown GuardDuty switch',
      g => { g.costSwitches = { Workloads: { guardDuty: { malwareProtection: false } as never } }; },
      `${DECL}: governance.costSwitches.Workloads.guardDuty has unknown field "malwareProtection" (check the spelling)`],
    ['a Runtime Monitoring mode that is not one',
      g => { g.costSwitches = { 'Workloads/Dev': { guardDuty: { runtimeMonitoring: 'agentless' as 'off' } } }; },
      `${DECL}: governance.costSwitches["Workloads/Dev"].guardDuty.runtimeMonitoring "agentless" is not allowed; allowed: "agent-managed", "self-managed", "off"`],
    ['a plan switch that is not a boolean',
      g => { g.costSwitches = { Root: { guardDuty: { s3DataEvents: 'no' as never } } }; },
      `${DECL}: governance.costSwitches.Root.guardDuty.s3DataEvents "no" is not a boolean`],
    ['an unknown Security Hub standard',
      g => { g.costSwitches = { Workloads: { securityHub: { standards: ['cis-aws-foundations-benchmark/v/1.2.0' as 'pci-dss/v/4.0.1'] } } }; },
      `${DECL}: governance.costSwitches.Workloads.securityHub.standards[0] "cis-aws-foundations-benchmark/v/1.2.0" is not allowed; `
      + 'allowed: "aws-foundational-security-best-practices/v/1.0.0", "pci-dss/v/4.0.1"'],
    ['Security Hub switches without a standards list',
      g => { g.costSwitches = { Workloads: { securityHub: {} as never } }; },
      `${DECL}: governance.costSwitches.Workloads.securityHub.standards is required (expected array)`],
    ['a Security Hub standard listed twice',
      g => { g.costSwitches = { Workloads: { securityHub: { standards: ['pci-dss/v/4.0.1', 'pci-dss/v/4.0.1'] } } }; },
      `${DECL}: governance.costSwitches.Workloads.securityHub.standards[1] "pci-dss/v/4.0.1" is listed twice for this target`],
    ['Security Hub standards per OU in an organization with one allowed region',
      (g, d) => {
        d.allowedRegions = ['eu-west-1'];
        d.environments.forEach(e => { e.regions = ['eu-west-1']; });
        g.costSwitches = { 'Workloads/Dev': { securityHub: { standards: [] } } };
      },
      `${DECL}: governance.costSwitches["Workloads/Dev"].securityHub needs Security Hub central configuration, which needs at least two `
      + 'allowedRegions (this organization allows only eu-west-1, so every account runs Security Hub\'s default standards through local '
      + 'configuration); add a region to allowedRegions or remove securityHub'],
    ['a Security Hub configuration policy quota that is not a positive integer',
      g => { g.quotas = { securityHubConfigurationPolicies: 0 }; },
      `${DECL}: governance.quotas.securityHubConfigurationPolicies 0 must be greater than 0`],
    ['an unknown governance field',
      g => { (g as Record<string, unknown>).scps = {}; },
      `${DECL}: governance has unknown field "scps" (check the spelling)`],
  ])('%s', (_, edit, expected) => {
    // Messages listing every allowed value are compared up to what the test spells out.
    expect(problemsOf(withGovernance(edit)).map(p => p.slice(0, expected.length))).toContain(expected);
  });
});

describe('cost switches', () => {
  test('are accepted for Root and declared OUs, GuardDuty in a one-region organization too', () => {
    const gov = loadSample(d => {
      d.allowedRegions = ['eu-west-1'];
      d.environments.forEach(e => { e.regions = ['eu-west-1']; });
      d.governance.costSwitches = { 'Root': { guardDuty: { ebsMalwareProtection: false } }, 'Workloads/Dev': { guardDuty: { runtimeMonitoring: 'off' } } };
    }).governance;
    expect(gov.costSwitches['Workloads/Dev']).toEqual({ guardDuty: { runtimeMonitoring: 'off' } });
  });

  const switches = loadSample(d => {
    d.governance.costSwitches = {
      'Root': { guardDuty: { ebsMalwareProtection: false, runtimeMonitoring: 'self-managed' } },
      'Workloads': { guardDuty: { runtimeMonitoring: 'off', s3DataEvents: false }, securityHub: { standards: [] } },
      'Workloads/Prod': {
        guardDuty: { runtimeMonitoring: 'agent-managed', ebsMalwareProtection: true },
        securityHub: { standards: ['aws-foundational-security-best-practices/v/1.0.0', 'pci-dss/v/4.0.1'] },
      },
    };
  }).governance.costSwitches;

  test('an account directly under the root (the management account) gets the Root settings', () => {
    expect(effectiveCostSwitches(switches)).toEqual({ guardDuty: { ebsMalwareProtection: false, runtimeMonitoring: 'self-managed' } });
  });

  test('an OU without switches inherits its closest ancestor\'s, key by key', () => {
    expect(effectiveCostSwitches(switches, 'Workloads/Dev')).toEqual({
      guardDuty: { ebsMalwareProtection: false, runtimeMonitoring: 'off', s3DataEvents: false },
      securityHubStandards: [],
      securityHubTarget: 'Workloads',
    });
  });

  test('an OU\'s own setting wins over its parents\' for that key only', () => {
    expect(effectiveCostSwitches(switches, 'Workloads/Prod')).toEqual({
      guardDuty: { ebsMalwareProtection: true, runtimeMonitoring: 'agent-managed', s3DataEvents: false },
      securityHubStandards: ['aws-foundational-security-best-practices/v/1.0.0', 'pci-dss/v/4.0.1'],
      securityHubTarget: 'Workloads/Prod',
    });
  });

  test('with no switches every key stays at the platform\'s default', () => {
    expect(effectiveCostSwitches({}, 'Workloads/Prod')).toEqual({ guardDuty: {} });
  });
});
