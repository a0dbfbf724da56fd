import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  loadOrganization, MAX_OU_DEPTH, OrganizationalUnitDeclaration, parseLockFile, renderLockFile,
} from '../../accounts';
import { loadSample, loadShippedOrganization, REPO_ROOT, sampleDeclaration, sampleLock } from '../fixtures/organization';
import { problemsOf } from '../fixtures/problems';

const DECL = 'accounts/organization.ts';
const LOCK = 'accounts/accounts.lock.json';


describe('the shipped organization', () => {
  const org = loadShippedOrganization();

  test('loads with the OUs a fintech landing zone needs', () => {
    expect(org.organizationalUnits.map(u => u.path)).toEqual(expect.arrayContaining([
      'Security', 'Infrastructure', 'Workloads', 'Workloads/Dev', 'Workloads/Staging', 'Workloads/Prod', 'Sandbox', 'Suspended',
    ]));
  });

  test('promotes dev -> staging -> prod, each on its own workload account, prod behind approval', () => {
    expect(org.environments.map(e => e.name)).toEqual(['dev', 'staging', 'prod']);
    expect(new Set(org.environments.map(e => e.account.id)).size).toBe(3);
    expect(org.environments.every(e => e.account.role === 'workload')).toBe(true);
    expect(org.environments.map(e => e.manualApproval)).toEqual([false, false, true]);
  });

  test('resolves every account and OU to a well-formed id', () => {
    for (const account of org.accounts) expect(account.id).toMatch(/^\d{12}$/);
    for (const unit of org.organizationalUnits) expect(unit.id).toMatch(/^ou-exmp-[a-z0-9]{8,32}$/);
    expect(org.pipeline.toolingAccount.role).toBe('tooling');
  });
});

describe('loading a valid organization', () => {
  test('keeps promotion order, applies defaults and resolves ids', () => {
    const org = loadSample();
    expect(org.environments.map(e => [e.name, e.order, e.account.id, e.manualApproval, e.production])).toEqual([
      ['dev', 0, '100000000004', false, false],
      ['prod', 1, '100000000005', true, true],
    ]);
    expect(org.pipeline.engine).toBe('codepipeline');
    expect(org.pipeline.waves).toEqual(['default']);
    expect(org.organizationalUnits.find(u => u.path === 'Workloads/Prod')).toEqual({
      path: 'Workloads/Prod', name: 'Prod', parentPath: 'Workloads', depth: 2, id: 'ou-test-wrkldprd',
    });
  });
});

describe('the declaration refuses', () => {
  test('a duplicate account name', () => {
    expect(problemsOf(() => loadSample(d => { d.accounts[4].name = 'dev'; }))).toContain(
      `${DECL}: accounts[4].name "dev" is already the name of accounts[3]; account names must be unique`);
  });

  test('an account named like the management account', () => {
    expect(problemsOf(() => loadSample(d => { d.accounts[0].name = 'management'; }))).toContain(
      `${DECL}: accounts[0].name "management" is already the name of managementAccount; account names must be unique`);
  });

  test('a duplicate email, whatever its case', () => {
    expect(problemsOf(() => loadSample(d => { d.accounts[1].email = 'LOGS@test.example'; }))).toContain(
      `${DECL}: accounts[1].email "LOGS@test.example" is already the email of accounts[0]; every AWS account needs its own email`);
  });

  test('an account email that is not an email', () => {
    expect(problemsOf(() => loadSample(d => { d.accounts[0].email = 'logs-at-test'; }))).toEqual([
      `${DECL}: accounts[0].email "logs-at-test" is not a valid email address`,
    ]);
  });

  test('an account in an OU that is not declared', () => {
    expect(problemsOf(() => loadSample(d => { d.accounts[4].ou = 'Workloads/Production'; }))).toEqual([
      `${DECL}: accounts[4].ou "Workloads/Production" is not a declared organizational unit; allowed: Security, Infrastructure, Workloads, Workloads/Dev, Workloads/Prod`,
    ]);
  });

  test('an unknown account role', () => {
    expect(problemsOf(() => loadSample(d => { (d.accounts[4] as { role: string }).role = 'production'; }))).toContain(
      `${DECL}: accounts[4].role "production" is not allowed; allowed: "log-archive", "security", "tooling", "shared-services", "workload", "sandbox"`);
  });

  test('an organization without a log-archive account', () => {
    expect(problemsOf(() => loadSample(d => { d.accounts[0].role = 'sandbox'; }))).toContain(
      `${DECL}: accounts must contain exactly one account with role "log-archive" (found 0)`);
  });

  test('an environment whose account is not declared', () => {
    expect(problemsOf(() => loadSample(d => { d.environments[1].account = 'production'; }))).toEqual([
      `${DECL}: environments[1].account "production" is not a declared account; allowed (role "workload"): dev, prod`,
    ]);
  });

  test('an environment whose account is not a workload account', () => {
    expect(problemsOf(() => loadSample(d => { d.environments[1].account = 'tooling'; }))).toEqual([
      `${DECL}: environments[1].account "tooling" has role "tooling", not "workload"; allowed: dev, prod`,
    ]);
  });

  test('two environments sharing one workload account', () => {
    expect(problemsOf(() => loadSample(d => { d.environments[1].account = 'dev'; }))).toEqual([
      `${DECL}: environments[1].account "dev" is already the account of environment "dev"; each environment needs its own workload account`,
    ]);
  });

  test('an environment listed twice in the promotion order', () => {
    expect(problemsOf(() => loadSample(d => {
      d.environments.push({ name: 'dev', account: 'prod', regions: ['eu-west-1'] });
    }))).toContain(`${DECL}: environments[2].name "dev" is declared twice; each environment appears once in the promotion order`);
  });

  test('a region that does not exist', () => {
    const problems = problemsOf(() => loadSample(d => { d.environments[0].regions = ['eu-west-9']; }));
    expect(problems[0]).toMatch(new RegExp(`^${DECL}: environments\\[0\\]\\.regions\\[0\\] "eu-west-9" is not an AWS region; allowed: .*eu-west-1, eu-west-2`));
  });

  test('a misspelt allowed region', () => {
    expect(problemsOf(() => loadSample(d => { d.allowedRegions = ['eu-west-1', 'eu-centrl-1']; }))[0])
      .toMatch(/^accounts\/organization\.ts: allowedRegions\[1\] "eu-centrl-1" is not an AWS region; allowed: /);
  });

  test('a real region outside the allow-list', () => {
    expect(problemsOf(() => loadSample(d => { d.environments[1].regions = ['eu-west-1', 'us-east-1']; }))).toEqual([
      `${DECL}: environments[1].regions[1] "us-east-1" is not in allowedRegions; allowed: eu-west-1, eu-central-1`,
    ]);
  });

  test('a home region outside the allow-list', () => {
    expect(problemsOf(() => loadSample(d => { d.homeRegion = 'us-east-1'; }))).toContain(
      `${DECL}: homeRegion "us-east-1" is not in allowedRegions; allowed: eu-west-1, eu-central-1`);
  });

  test('a region listed twice for an environment', () => {
    expect(problemsOf(() => loadSample(d => { d.environments[0].regions = ['eu-west-1', 'eu-west-1']; }))).toEqual([
      `${DECL}: environments[0].regions[1] "eu-west-1" is listed twice`,
    ]);
  });

  test(`OUs nested deeper than the ${MAX_OU_DEPTH} levels AWS allows`, () => {
    const chain = (names: string[]): OrganizationalUnitDeclaration =>
      ({ name: names[0], ...(names.length > 1 ? { children: [chain(names.slice(1))] } : {}) });
    expect(problemsOf(() => loadSample(d => {
      d.organizationalUnits.push(chain(['L1', 'L2', 'L3', 'L4', 'L5', 'L6']));
    }))).toContain(
      `${DECL}: organizationalUnits[3].children[0].children[0].children[0].children[0].children[0].name "L6" `
      + 'is nested 6 levels deep ("L1/L2/L3/L4/L5/L6"); AWS allows at most 5 levels of OUs under the root');
  });

  test('two sibling OUs with the same name', () => {
    expect(problemsOf(() => loadSample(d => {
      d.organizationalUnits[2] = { name: 'Workloads', children: [{ name: 'Dev' }, { name: 'Prod' }, { name: 'Dev' }] };
    }))).toContain(
      `${DECL}: organizationalUnits[2].children[2].name "Dev" is declared twice under "Workloads"; OU names must be unique within their parent`);
  });

  test('an OU name with the path separator in it', () => {
    expect(problemsOf(() => loadSample(d => { d.organizationalUnits[0] = { name: 'Sec/urity' }; }))).toContain(
      `${DECL}: organizationalUnits[0].name "Sec/urity" is not a valid OU name; allowed: 1-128 letters, digits, spaces, "_" or "-", starting with a letter or digit`);
  });

  test('a pipeline tooling account without the tooling role', () => {
    expect(problemsOf(() => loadSample(d => { d.pipeline.toolingAccount = 'audit'; }))).toEqual([
      `${DECL}: pipeline.toolingAccount "audit" is not a declared account with role "tooling"; allowed: tooling`,
    ]);
  });

  test('an unknown pipeline engine', () => {
    expect(problemsOf(() => loadSample(d => { (d.pipeline as { engine: string }).engine = 'jenkins'; }))).toEqual([
      `${DECL}: pipeline.engine "jenkins" is not allowed; allowed: "codepipeline", "github"`,
    ]);
  });

  test('a wave listed twice', () => {
    expect(problemsOf(() => loadSample(d => { d.pipeline.waves = ['core', 'edge', 'core']; }))).toEqual([
      `${DECL}: pipeline.waves[2] "core" is listed twice`,
    ]);
  });

  test('a connection ARN that is not one', () => {
    expect(problemsOf(() => loadSample(d => { d.pipeline.connectionArn = 'arn:aws:s3:::bucket'; }))).toEqual([
      `${DECL}: pipeline.connectionArn "arn:aws:s3:::bucket" is not a CodeConnections connection ARN; allowed: arn:aws:codeconnections:<region>:<account>:connection/<uuid>`,
    ]);
  });

  test('a connection outside the home region', () => {
    expect(problemsOf(() => loadSample(d => {
      d.pipeline.connectionArn = 'arn:aws:codeconnections:us-east-1:100000000003:connection/11111111-1111-4111-8111-111111111111';
    }))).toEqual([
      `${DECL}: pipeline.connectionArn "arn:aws:codeconnections:us-east-1:100000000003:connection/11111111-1111-4111-8111-111111111111" `
      + 'is in region us-east-1; the pipelines run in homeRegion eu-west-1, so the connection must be there too',
    ]);
  });

  test('a connection in the wrong account (governance in the tooling account)', () => {
    expect(problemsOf(() => loadSample(d => {
      d.pipeline.governanceConnectionArn = d.pipeline.connectionArn;
    }))).toEqual([
      `${DECL}: pipeline.governanceConnectionArn "arn:aws:codeconnections:eu-west-1:100000000003:connection/11111111-1111-4111-8111-111111111111" `
      + 'is not in the management account, 100000000000; create the connection there',
    ]);
  });

  test('a misspelt field', () => {
    expect(problemsOf(() => loadSample(d => {
      Object.assign(d.environments[0], { manualAproval: true });
    }))).toEqual([`${DECL}: environments[0] has unknown field "manualAproval" (check the spelling)`]);
  });

  test('a missing field and a value of the wrong type', () => {
    expect(problemsOf(() => loadSample(d => {
      delete (d as { homeRegion?: string }).homeRegion;
      (d.environments[0] as { manualApproval: unknown }).manualApproval = 'yes';
    }))).toEqual(expect.arrayContaining([
      `${DECL}: homeRegion is required (expected string)`,
      `${DECL}: environments[0].manualApproval "yes" is not a boolean`,
    ]));
  });

  test('every problem at once, not just the first', () => {
    const problems = problemsOf(() => loadSample(d => {
      d.accounts[0].email = d.accounts[1].email;
      d.environments[0].regions = ['ap-south-1'];
    }));
    expect(problems).toHaveLength(2);
    expect(() => loadSample(d => { d.accounts[0].email = d.accounts[1].email; d.environments[0].regions = ['ap-south-1']; }))
      .toThrow(/^2 problems:\n {2}- accounts\/organization\.ts: accounts\[1\]\.email "audit@test\.example" is already the email of accounts\[0\]/);
  });
});

describe('the lock file refuses', () => {
  test('a malformed account id', () => {
    expect(problemsOf(() => loadSample((_, l) => { l.accounts.prod = '12345'; }))).toEqual([
      `${LOCK}: accounts.prod "12345" is not a 12-digit account id`,
    ]);
  });

  test('malformed organization, root and OU ids', () => {
    expect(problemsOf(() => loadSample((_, l) => {
      l.organizationId = 'org-1';
      l.rootId = 'root';
      l.organizationalUnits.Security = 'ou-1';
    }))).toEqual([
      `${LOCK}: organizationId "org-1" is not an organization id; allowed: "o-" followed by 10-32 lowercase letters or digits`,
      `${LOCK}: rootId "root" is not a root id; allowed: "r-" followed by 4-32 lowercase letters or digits`,
      `${LOCK}: organizationalUnits.Security "ou-1" is not an OU id; allowed: "ou-<root suffix>-" followed by 8-32 lowercase letters or digits`,
    ]);
  });

  test('a declared account it has no id for', () => {
    expect(problemsOf(() => loadSample((_, l) => { delete l.accounts.prod; }))).toEqual([
      `${LOCK}: accounts has no id for account "prod" (declared in ${DECL}); the bootstrap tool records it when it creates or adopts it`,
    ]);
  });

  test('a declared OU it has no id for', () => {
    expect(problemsOf(() => loadSample((_, l) => { delete l.organizationalUnits['Workloads/Prod']; }))).toEqual([
      `${LOCK}: organizationalUnits has no id for OU "Workloads/Prod" (declared in ${DECL}); the bootstrap tool records it when it creates or adopts it`,
    ]);
  });

  test('an account or OU that is not declared', () => {
    expect(problemsOf(() => loadSample((_, l) => {
      l.accounts.legacy = '100000000099';
      l.organizationalUnits.Legacy = 'ou-test-legacy12';
    }))).toEqual([
      `${LOCK}: organizationalUnits.Legacy "ou-test-legacy12" is not declared in ${DECL}; allowed: Security, Infrastructure, Workloads, Workloads/Dev, Workloads/Prod`,
      `${LOCK}: accounts.legacy "100000000099" is not declared in ${DECL}; allowed: log-archive, audit, tooling, dev, prod`,
    ]);
  });

  test('an OU id under another root', () => {
    expect(problemsOf(() => loadSample((_, l) => { l.organizationalUnits.Security = 'ou-abcd-security'; }))).toEqual([
      `${LOCK}: organizationalUnits.Security "ou-abcd-security" does not belong to root "r-test"; its OU ids start with "ou-test-"`,
    ]);
  });

  test('one account id for two accounts', () => {
    expect(problemsOf(() => loadSample((_, l) => { l.accounts.prod = l.accounts.dev; }))).toEqual([
      `${LOCK}: accounts.prod "100000000004" is already the id of accounts.dev; every account has its own id`,
    ]);
  });

  test('text that is not JSON', () => {
    const problems = problemsOf(() => loadOrganization({ declaration: sampleDeclaration(), lockText: '{ "organizationId": ' }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^accounts\/accounts\.lock\.json: is not valid JSON \(/);
  });

  test('with the file names the caller gives', () => {
    const lock = { ...sampleLock(), rootId: 'x' };
    expect(problemsOf(() => loadOrganization({
      declaration: sampleDeclaration(), lockText: JSON.stringify(lock), lockFile: 'other/lock.json',
    }))[0]).toMatch(/^other\/lock\.json: rootId "x" is not a root id/);
  });
});

describe('renderLockFile', () => {
  test('reproduces the shipped lock file byte for byte (it is in canonical form)', () => {
    const text = fs.readFileSync(path.join(REPO_ROOT, 'accounts', 'accounts.lock.json'), 'utf8');
    expect(renderLockFile(parseLockFile(text, 'accounts.lock.json'))).toBe(text);
  });
});
