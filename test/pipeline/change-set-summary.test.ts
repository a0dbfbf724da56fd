import {
  codeBuildConsoleUrl,
  DescribeChangeSetJson,
  headline,
  reviewFailed,
  reviewOfChangeSet,
  reviewOfNewStack,
  StackReview,
  summaryMarkdown,
} from '../../pipeline/change-set-summary';

const guardrails = { stackName: 'Governance-Guardrails', account: '100000000000', region: 'eu-west-1' };
const services = { stackName: 'Governance-SecurityServices', account: '100000000002', region: 'eu-west-1' };
const cost = { stackName: 'Governance-CostBaseline', account: '100000000000', region: 'us-east-1' };

/** A DescribeChangeSet response as `aws cloudformation describe-change-set` prints it (trimmed of ids and timestamps). */
const guardrailsChangeSet: DescribeChangeSetJson = {
  Status: 'CREATE_COMPLETE',
  Changes: [
    {
      Type: 'Resource',
      ResourceChange: {
        Action: 'Modify',
        LogicalResourceId: 'DenyLeavingOrganizationPolicy3F1A',
        PhysicalResourceId: 'p-abcd1234',
        ResourceType: 'AWS::Organizations::Policy',
        Replacement: 'False',
        Scope: ['Properties'],
        Details: [
          { Target: { Attribute: 'Properties', Name: 'Content', RequiresRecreation: 'Never' }, Evaluation: 'Static', ChangeSource: 'DirectModification' },
          { Target: { Attribute: 'Properties', Name: 'TargetIds', RequiresRecreation: 'Never' }, Evaluation: 'Static', ChangeSource: 'DirectModification' },
        ],
      },
    },
    {
      Type: 'Resource',
      ResourceChange: {
        Action: 'Modify',
        LogicalResourceId: 'AlarmTopic',
        ResourceType: 'AWS::SNS::Topic',
        Replacement: 'True',
        PolicyAction: 'ReplaceAndDelete',
        Details: [
          { Target: { Attribute: 'Properties', Name: 'TopicName', RequiresRecreation: 'Always' }, Evaluation: 'Static', ChangeSource: 'DirectModification' },
          // The same property once more, through a changed reference: listed once, with the strongest mark.
          { Target: { Attribute: 'Properties', Name: 'TopicName', RequiresRecreation: 'Never' }, Evaluation: 'Dynamic', ChangeSource: 'ResourceReference' },
          { Target: { Attribute: 'Tags', RequiresRecreation: 'Never' }, Evaluation: 'Static', ChangeSource: 'DirectModification' },
        ],
      },
    },
    {
      Type: 'Resource',
      ResourceChange: {
        Action: 'Modify',
        LogicalResourceId: 'TrailAlarm',
        ResourceType: 'AWS::CloudWatch::Alarm',
        Replacement: 'Conditional',
        Details: [{ Target: { Attribute: 'Properties', Name: 'AlarmName', RequiresRecreation: 'Conditionally' }, Evaluation: 'Dynamic' }],
      },
    },
    { Type: 'Resource', ResourceChange: { Action: 'Add', LogicalResourceId: 'DenyRootUserPolicy', ResourceType: 'AWS::Organizations::Policy' } },
    {
      Type: 'Resource',
      ResourceChange: { Action: 'Remove', LogicalResourceId: 'OldTagPolicy', PhysicalResourceId: 'p-old', ResourceType: 'AWS::Organizations::Policy', PolicyAction: 'Retain' },
    },
    { Type: 'Resource', ResourceChange: { Action: 'Dynamic', LogicalResourceId: 'Nested', ResourceType: 'AWS::CloudFormation::Stack' } },
  ],
  NextToken: 'page-2',
};

describe('the governance change set summary', () => {
  test('sorts each change by what it does: replacement true is a replace, conditional a possible one, false a modify', () => {
    const review = reviewOfChangeSet(guardrails, [guardrailsChangeSet]);
    expect(review.status).toBe('changes');
    const rows = review.status === 'changes' ? review.changes : [];
    // What destroys first, then modifies, adds, the rest.
    expect(rows.map(r => [r.kind, r.logicalId, r.resourceType])).toEqual([
      ['remove', 'OldTagPolicy', 'AWS::Organizations::Policy'],
      ['replace', 'AlarmTopic', 'AWS::SNS::Topic'],
      ['conditional', 'TrailAlarm', 'AWS::CloudWatch::Alarm'],
      ['modify', 'DenyLeavingOrganizationPolicy3F1A', 'AWS::Organizations::Policy'],
      ['add', 'DenyRootUserPolicy', 'AWS::Organizations::Policy'],
      ['dynamic', 'Nested', 'AWS::CloudFormation::Stack'],
    ]);
    expect(rows.find(r => r.logicalId === 'AlarmTopic')).toMatchObject({ details: ['TopicName (replaces)', 'Tags'], policyAction: 'ReplaceAndDelete' });
    expect(rows.find(r => r.logicalId === 'TrailAlarm')?.details).toEqual(['AlarmName (may replace)']);
    expect(rows.find(r => r.logicalId === 'OldTagPolicy')?.policyAction).toBe('Retain');
  });

  test('reads every page of a long change set', () => {
    const second: DescribeChangeSetJson = {
      Status: 'CREATE_COMPLETE',
      Changes: [{ Type: 'Resource', ResourceChange: { Action: 'Add', LogicalResourceId: 'Zeta', ResourceType: 'AWS::SNS::Topic' } }],
    };
    const review = reviewOfChangeSet(guardrails, [guardrailsChangeSet, second]);
    expect(review.status === 'changes' && review.changes.filter(r => r.kind === 'add').map(r => r.logicalId)).toEqual(['DenyRootUserPolicy', 'Zeta']);
  });

  test('a change set that failed only because nothing changes is an unchanged stack; any other failure is reported', () => {
    expect(reviewOfChangeSet(guardrails, [{
      Status: 'FAILED',
      StatusReason: 'The submitted information didn\'t contain changes. Submit different information to create a change set.',
    }]).status).toBe('unchanged');
    expect(reviewOfChangeSet(guardrails, [{ Status: 'FAILED', StatusReason: 'No updates are to be performed.' }]).status).toBe('unchanged');
    expect(reviewOfChangeSet(guardrails, [{ Status: 'CREATE_COMPLETE', Changes: [] }]).status).toBe('unchanged');
    const failed = reviewOfChangeSet(guardrails, [{ Status: 'FAILED', StatusReason: 'Template format error: Unresolved resource dependencies [Missing]' }]);
    expect(failed).toEqual({ stack: guardrails, status: 'failed', reason: 'Template format error: Unresolved resource dependencies [Missing]' });
    expect(reviewOfChangeSet(guardrails, [{ Status: 'CREATE_IN_PROGRESS' }])).toMatchObject({
      status: 'failed', reason: 'change set is CREATE_IN_PROGRESS, not CREATE_COMPLETE',
    });
    expect(reviewFailed([failed])).toBe(true);
  });

  test('a stack that does not exist yet adds every resource of its template, a conditional one named with its condition', () => {
    const review = reviewOfNewStack(services, {
      Resources: {
        SecurityHubConfiguration: { Type: 'AWS::SecurityHub::ConfigurationPolicy' },
        CDKMetadata: { Type: 'AWS::CDK::Metadata', Condition: 'CDKMetadataAvailable' },
      },
    });
    expect(review).toEqual({
      stack: services,
      status: 'new',
      changes: [
        { kind: 'add', logicalId: 'CDKMetadata', resourceType: 'AWS::CDK::Metadata', details: ['if CDKMetadataAvailable'] },
        { kind: 'add', logicalId: 'SecurityHubConfiguration', resourceType: 'AWS::SecurityHub::ConfigurationPolicy', details: [] },
      ],
    });
  });

  const reviews: StackReview[] = [
    reviewOfChangeSet(guardrails, [guardrailsChangeSet]),
    reviewOfNewStack(services, { Resources: { Hub: { Type: 'AWS::SecurityHub::Hub' } } }),
    { stack: cost, status: 'unchanged' },
  ];

  test('summarizes every stack in one table of counts, then a table of each stack\'s resources', () => {
    const markdown = summaryMarkdown(reviews);
    const lines = markdown.split('\n');
    expect(lines[0]).toBe('## Governance change sets');
    expect(lines).toEqual(expect.arrayContaining([
      '| Stack | Account/region | Status | Add | Modify | Replace | May replace | Remove | Import / dynamic |',
      '| Governance-Guardrails | 100000000000/eu-west-1 | changes | 1 | 1 | 1 | 1 | 1 | 1 |',
      '| Governance-SecurityServices | 100000000002/eu-west-1 | new stack | 1 | 0 | 0 | 0 | 0 | 0 |',
      '| Governance-CostBaseline | 100000000000/us-east-1 | no changes | 0 | 0 | 0 | 0 | 0 | 0 |',
      '### Governance-Guardrails (100000000000/eu-west-1)',
      '| Remove | `OldTagPolicy` | AWS::Organizations::Policy |  | Retain |',
      '| Replace | `AlarmTopic` | AWS::SNS::Topic | TopicName (replaces), Tags | ReplaceAndDelete |',
      '| Modify (may replace) | `TrailAlarm` | AWS::CloudWatch::Alarm | AlarmName (may replace) |  |',
      '| Modify | `DenyLeavingOrganizationPolicy3F1A` | AWS::Organizations::Policy | Content, TargetIds |  |',
      '| Add | `DenyRootUserPolicy` | AWS::Organizations::Policy |  |  |',
      '| Dynamic | `Nested` | AWS::CloudFormation::Stack |  |  |',
      '### Governance-SecurityServices (100000000002/eu-west-1): new stack',
      '| Add | `Hub` | AWS::SecurityHub::Hub |  |  |',
    ]));
    // An unchanged stack has a row of counts and no table of its own.
    expect(markdown).not.toContain('### Governance-CostBaseline');
  });

  test('a failed change set is shown with its reason, and table cells never break the table', () => {
    const markdown = summaryMarkdown([{ stack: guardrails, status: 'failed', reason: 'bad | template\nline two' }]);
    expect(markdown).toContain('| Governance-Guardrails | 100000000000/eu-west-1 | **change set failed** |');
    expect(markdown).toContain('> bad \\| template line two');
  });

  test('the headline names what changes in one line, cut to fit an approval\'s comment', () => {
    expect(headline(reviews)).toBe('3 stacks: Governance-Guardrails +1 ~1 replace 1 may-replace 1 -1 other 1; Governance-SecurityServices new (+1); 1 unchanged');
    expect(headline([{ stack: cost, status: 'unchanged' }])).toBe('1 stack: 1 unchanged');
    const cut = headline(reviews, 40);
    expect(cut).toHaveLength(40);
    expect(cut.endsWith('…')).toBe(true);
  });

  test('the review URL is the console page of the CodeBuild build\'s log', () => {
    expect(codeBuildConsoleUrl('arn:aws:codebuild:eu-west-1:100000000000:build/PipelineGovernanceReview-AbC123:0f1e2d3c-aaaa-4bbb-8ccc-123456789abc'))
      .toBe('https://eu-west-1.console.aws.amazon.com/codesuite/codebuild/100000000000/projects/PipelineGovernanceReview-AbC123'
        + '/build/PipelineGovernanceReview-AbC123%3A0f1e2d3c-aaaa-4bbb-8ccc-123456789abc/log?region=eu-west-1');
    expect(codeBuildConsoleUrl('not an arn')).toBeUndefined();
  });
});
