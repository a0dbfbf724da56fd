import { OrganizationDeclarationInput, onCallFor } from '../../accounts';
import { loadSample } from '../fixtures/organization';
import { problemsOf } from '../fixtures/problems';

const DECL = 'accounts/organization.ts';
type OnCall = OrganizationDeclarationInput['onCall'];
const withOnCall = (onCall: unknown) => () => loadSample(d => { d.onCall = onCall as OnCall; });

describe('the platform on-call', () => {
  test('each kind of endpoint is read into one shape', () => {
    const org = loadSample(d => {
      d.onCall = [
        { email: 'oncall@test.example' },
        { webhook: 'https://events.example.com/integration/abc/enqueue' },
        { slack: { workspaceId: 'T0TEST', channelId: 'C0ALERTS' } },
        { teams: { tenantId: '11111111-2222-4333-8444-555555555555', teamId: '66666666-7777-4888-9999-aaaaaaaaaaaa', channelId: '19%3aabc%40thread.tacv2' } },
      ];
    });
    expect(org.onCall).toEqual([
      { kind: 'email', address: 'oncall@test.example' },
      { kind: 'webhook', url: 'https://events.example.com/integration/abc/enqueue' },
      { kind: 'slack', workspaceId: 'T0TEST', channelId: 'C0ALERTS' },
      { kind: 'teams', tenantId: '11111111-2222-4333-8444-555555555555', teamId: '66666666-7777-4888-9999-aaaaaaaaaaaa', channelId: '19%3aabc%40thread.tacv2' },
    ]);
  });

  test('is required: platform alarms must reach someone', () => {
    expect(problemsOf(() => loadSample(d => { delete (d as Partial<OrganizationDeclarationInput>).onCall; }))).toEqual([
      `${DECL}: onCall is required (expected array)`,
    ]);
  });

  test('the former pipeline.notificationEmails is refused with where it went', () => {
    expect(problemsOf(() => loadSample(d => { (d.pipeline as Record<string, unknown>).notificationEmails = ['oncall@test.example']; }))).toEqual([
      `${DECL}: pipeline.notificationEmails ["oncall@test.example"] has moved: declare the platform's on-call at the top level instead, `
        + 'as onCall: [{ email: \'...\' }] (pipeline failures, the organization trail\'s alarms and budgets all go there)',
    ]);
  });

  test('an endpoint limited to some environments receives only their alarms', () => {
    const endpoints = [
      { kind: 'email', address: 'all@test.example' },
      { kind: 'email', address: 'prod@test.example', environments: ['prod'] },
    ] as const;
    expect(onCallFor(endpoints, 'dev').map(e => e.kind === 'email' && e.address)).toEqual(['all@test.example']);
    expect(onCallFor(endpoints, 'prod').map(e => e.kind === 'email' && e.address)).toEqual(['all@test.example', 'prod@test.example']);
  });
});

describe('bad on-call input is reported with file, field, value and what is allowed', () => {
  const uuid = '11111111-2222-4333-8444-555555555555';
  test.each<[string, unknown, string]>([
    ['no endpoint at all', [],
      `${DECL}: onCall [] must name at least one endpoint: who is told when an alarm fires; e.g. [{ email: 'team-oncall@example.com' }]`],
    ['an entry without an endpoint', [{}],
      `${DECL}: onCall[0] declares no endpoint; allowed: exactly one of email, webhook, slack, teams, e.g. { email: 'team-oncall@example.com' }`],
    ['two endpoints in one entry', [{ email: 'a@test.example', webhook: 'https://hooks.example.com/a' }],
      `${DECL}: onCall[0] declares email and webhook in one entry; allowed: exactly one of email, webhook, slack, teams per entry (add another entry)`],
    ['an email that is not one', [{ email: 'oncall' }],
      `${DECL}: onCall[0].email "oncall" is not a valid email address`],
    ['a webhook that is not a URL', [{ webhook: 'pagerduty' }],
      `${DECL}: onCall[0].webhook "pagerduty" is not a URL; allowed: an https:// webhook URL, e.g. the one PagerDuty or Opsgenie gives for Amazon SNS`],
    ['a plain http webhook', [{ webhook: 'http://hooks.example.com/a' }],
      `${DECL}: onCall[0].webhook "http://hooks.example.com/a" uses http; allowed: https only (notifications carry alarm details)`],
    ['a webhook with credentials (not echoed)', [{ webhook: 'https://user:s3cret@hooks.example.com/a' }],
      `${DECL}: onCall[0].webhook carries a user name or password; allowed: a URL without credentials (they would be stored in the repository `
        + 'and every template): use the integration URL the paging service issues for Amazon SNS'],
    ['a webhook with a fragment', [{ webhook: 'https://hooks.example.com/a#x' }],
      `${DECL}: onCall[0].webhook "https://hooks.example.com/a#x" has a #fragment, which is never sent to the endpoint; allowed: the URL without it`],
    ['a Slack channel given by name', [{ slack: { workspaceId: 'T0TEST', channelId: '#alerts' } }],
      `${DECL}: onCall[0].slack.channelId "#alerts" is not a Slack channel id; allowed: letters and digits, e.g. C0456EFGH (not the #name)`],
    ['a Slack workspace in lower case', [{ slack: { workspaceId: 'acme', channelId: 'C0ALERTS' } }],
      `${DECL}: onCall[0].slack.workspaceId "acme" is not a Slack workspace id; allowed: upper-case letters and digits, e.g. T0123ABCD`],
    ['a Teams channel id not URL-encoded', [{ teams: { tenantId: uuid, teamId: uuid, channelId: '19:abc@thread.tacv2' } }],
      `${DECL}: onCall[0].teams.channelId "19:abc@thread.tacv2" is not a Microsoft Teams channel id; `
        + 'allowed: the URL-encoded id from the channel link, e.g. 19%3aabc...%40thread.tacv2'],
    ['a Teams tenant that is not a UUID', [{ teams: { tenantId: 'acme', teamId: uuid, channelId: '19%3aabc%40thread.tacv2' } }],
      `${DECL}: onCall[0].teams.tenantId "acme" is not a Microsoft Entra tenant id; allowed: a UUID`],
    ['the same endpoint twice (emails compare without case)', [{ email: 'oncall@test.example' }, { email: 'OnCall@test.example' }],
      `${DECL}: onCall[1] repeats onCall[0] (email oncall@test.example); allowed: each endpoint once`],
    ['an environment list on a platform endpoint', [{ email: 'oncall@test.example', environments: ['prod'] }],
      `${DECL}: onCall[0].environments ["prod"] applies to service manifests only: platform alarms (trail, budgets, pipelines) `
        + 'belong to no environment; allowed: leave it out'],
    ['an unknown kind', [{ pagerduty: 'abc' }],
      `${DECL}: onCall[0] has unknown field "pagerduty" (check the spelling)`],
  ])('%s', (_, onCall, expected) => {
    expect(problemsOf(withOnCall(onCall))).toContain(expected);
  });

  test('more than ten endpoints', () => {
    const problems = problemsOf(withOnCall(Array.from({ length: 11 }, (_, i) => ({ email: `oncall${i}@test.example` }))));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^accounts\/organization\.ts: onCall \[.* must have at most 10 endpoints \(each is a subscription in every stack with alarms\)$/);
  });
});
