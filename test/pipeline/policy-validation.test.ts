import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import * as cdk from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { synthTimings, ValidationCache } from '../../kit';
import { addPolicyValidation, ControlTowerGuardValidator, PolicyValidationOptions, prefetchPolicyValidation } from '../../pipeline';
import { readRuleFile, selectingTypes } from '../../pipeline/policy-validation';
import { ASSEMBLIES, sharedAssembly } from '../fixtures/assembly';

/** The Control Tower rule files bundled with the guard plugin. */
const CONTROL_TOWER_RULES = path.join(path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard')), '..', 'rules', 'control-tower', 'cfn-guard');

/** An app validated like every synth, with one stack to put resources in. */
function validatedApp(options: PolicyValidationOptions = {}): { app: cdk.App; stack: cdk.Stack } {
  const app = new cdk.App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'policy-validation-')) });
  // One stack: guard threads would only add their start-up.
  addPolicyValidation(app, { concurrency: 1, ...options });
  return { app, stack: new cdk.Stack(app, 'Probe', { env: { account: '123456789012', region: 'eu-west-1' } }) };
}

/** An alarm without any action: AWS Solutions and PCI DSS accept it, Control Tower's CT.CLOUDWATCH.PR.1 does not. */
function alarmWithoutAction(stack: cdk.Stack, id: string): cloudwatch.Alarm {
  return new cloudwatch.Alarm(stack, id, {
    metric: new cloudwatch.Metric({ namespace: 'Probe', metricName: 'Errors' }),
    threshold: 1,
    evaluationPeriods: 1,
  });
}

function synthError(app: cdk.App): string {
  try {
    app.synth();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected synth to fail policy validation');
}

describe('Control Tower proactive controls at synth', () => {
  test('a resource breaking a control fails synth, naming the control and how to acknowledge it', () => {
    const { app, stack } = validatedApp();
    alarmWithoutAction(stack, 'SilentAlarm');
    const message = synthError(app);
    expect(message).toContain('[CT.CLOUDWATCH.PR.1]');
    expect(message).toContain('Probe/SilentAlarm/Resource');
    expect(message).toContain('Acknowledge with \'cdk-validator-cfnguard::cloudwatch_alarm_action_check\'');
  });

  test('an acknowledged finding passes, and the validation report keeps its reason', () => {
    const { app, stack } = validatedApp();
    const alarm = alarmWithoutAction(stack, 'DashboardOnlyAlarm');
    cdk.Validations.of(alarm).acknowledge({ id: 'cdk-validator-cfnguard::cloudwatch_alarm_action_check', reason: 'shown on a dashboard only' });
    const assembly = app.synth();
    const report = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8')) as ValidationReport;
    const guard = report.pluginReports.find(r => r.pluginName === 'cdk-validator-cfnguard')!;
    expect(guard.violations).toEqual([]);
    expect(guard.suppressedViolations).toEqual([
      expect.objectContaining({ ruleName: 'cloudwatch_alarm_action_check', reason: 'shown on a dashboard only' }),
    ]);
  });

  test('acknowledging one finding does not let the unacknowledged ones pass', () => {
    const { app, stack } = validatedApp();
    cdk.Validations.of(alarmWithoutAction(stack, 'Acknowledged')).acknowledge({
      id: 'cdk-validator-cfnguard::cloudwatch_alarm_action_check', reason: 'shown on a dashboard only',
    });
    alarmWithoutAction(stack, 'Forgotten');
    const message = synthError(app);
    expect(message).toContain('Probe/Forgotten/Resource');
    expect(message).not.toContain('Probe/Acknowledged/Resource');
  });
});

describe('ControlTowerGuardValidator', () => {
  const validator = new ControlTowerGuardValidator();

  test('reports the same findings as CfnGuardValidator with all its Control Tower rules', () => {
    const app = new cdk.App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'guard-equivalence-')) });
    const stack = new cdk.Stack(app, 'NonCompliant');
    alarmWithoutAction(stack, 'Alarm');
    new sqs.Queue(stack, 'QueueWithoutDlq');
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => {}'),
    });
    fn.addPermission('Anyone', { principal: new iam.AnyPrincipal() });
    // CT.RDS.PR.2 selects database instances and follows their monitoring role's reference: its file runs only where an
    // instance is, on a copy holding the roles too: the instance whose monitoring role is a role of the template passes
    // (without the role in the copy, its reference would be invalid), the one without monitoring is a finding.
    const monitoring = new iam.Role(stack, 'MonitoringRole', { assumedBy: new iam.ServicePrincipal('monitoring.rds.amazonaws.com') });
    const database = { engine: 'postgres', dbInstanceClass: 'db.t4g.micro', allocatedStorage: '20' };
    new rds.CfnDBInstance(stack, 'Monitored', { ...database, monitoringInterval: 60, monitoringRoleArn: monitoring.roleArn });
    new rds.CfnDBInstance(stack, 'Unmonitored', database);
    // Holds no resource any rule inspects.
    new cdk.CfnWaitConditionHandle(new cdk.Stack(app, 'Empty'), 'Handle');
    const assembly = app.synth();
    const context = { templatePaths: assembly.stacks.map(s => s.templateFullPath), stackTemplates: [], appConstruct: app };
    const findings = (report: cdk.PolicyValidationPluginReport) => report.violations
      .flatMap(v => v.violatingResources.map(r => `${v.ruleName} ${r.resourceLogicalId}`)).sort();

    const scoped = validator.validate(context);
    expect(findings(scoped)).toEqual(findings(new CfnGuardValidator().validate(context)));
    // The templates split across one, two or three cfn-guard processes at once: the same findings.
    for (const concurrency of [1, 3]) {
      expect(findings(new ControlTowerGuardValidator({ concurrency }).validate(context))).toEqual(findings(scoped));
    }
    expect(findings(scoped)).toEqual(expect.arrayContaining([
      expect.stringMatching(/^cloudwatch_alarm_action_check Alarm/),
      expect.stringMatching(/^sqs_dlq_check QueueWithoutDlq/),
      expect.stringMatching(/^lambda_function_public_access_prohibited_check FnAnyone/),
      expect.stringMatching(/^lambda_inside_vpc_check Fn/),
    ]));
    expect(findings(scoped).filter(f => f.startsWith('rds_instance_enhanced_monitoring_enabled_check'))).toEqual([
      'rds_instance_enhanced_monitoring_enabled_check Unmonitored',
    ]);
    expect(scoped.success).toBe(false);
  });

  test('runs a rule file only for templates holding a resource type it names', () => {
    const rules = (types: string[]) => validator.rulesFor(new Set(types)).map(r => path.relative(path.dirname(path.dirname(r)), r));
    expect(rules([])).toEqual([]);
    expect(rules(['AWS::SQS::Queue'])).toEqual(['sqs/ct-sqs-pr-1.guard', 'sqs/ct-sqs-pr-2.guard']);
    const lambdaRules = rules(['AWS::Lambda::Function', 'AWS::Lambda::Permission']);
    expect(lambdaRules).toEqual(expect.arrayContaining(['lambda/ct-lambda-pr-2.guard', 'lambda/ct-lambda-pr-3.guard']));
    expect(lambdaRules.filter(r => r.startsWith('ec2/') || r.startsWith('rds/'))).toEqual([]);
    // A role alone: the files that read roles only as what another resource refers to (RDS, AppSync) do not run.
    const roleRules = rules(['AWS::IAM::Role']);
    expect(roleRules).toEqual(expect.arrayContaining(['identityandaccessmanagement/ct-iam-pr-1.guard']));
    expect(roleRules.filter(r => /^(rds|appsync)\//.test(r))).toEqual([]);
    expect(rules(['AWS::IAM::Role', 'AWS::RDS::DBInstance'])).toEqual(expect.arrayContaining(['rds/ct-rds-pr-2.guard']));
  });

  test('every bundled rule file is of the form whose selecting types it reads (else it would run for every type it names)', () => {
    const files = fs.readdirSync(CONTROL_TOWER_RULES, { recursive: true, encoding: 'utf8' }).filter(f => f.endsWith('.guard'));
    expect(files.length).toBeGreaterThan(200);
    const unknown = files.filter(f => readRuleFile(path.join(CONTROL_TOWER_RULES, f)).selects === undefined);
    expect(unknown).toEqual([]);
  });
});

describe('selectingTypes: the types without which every rule of a guard file SKIPs a template', () => {
  const file = (...lines: string[]) => lines.join('\n');
  const filters = file(
    'let DB = "AWS::RDS::DBInstance"',
    'let dbs = Resources.*[ Type == %DB ]',
    'let principals = Resources.*[',
    '    Type == "AWS::IAM::Role" or',
    '    Type == \'AWS::IAM::User\'',
    ']',
    'let roles = Resources.*[ Type == "AWS::IAM::Role" ]',
  );

  test('the types of the filters the template rules require, hook rules left out', () => {
    expect(selectingTypes(file(filters,
      'rule db_check when is_cfn_template(%INPUT_DOCUMENT)',
      '                   %dbs not empty {',
      '  check(%dbs.Properties)',
      '}',
      'rule db_check when is_cfn_hook(%INPUT_DOCUMENT, %DB) { check(%INPUT_DOCUMENT.%DB.resourceProperties) }',
      'rule principal_check when is_cfn_template(this) %principals not empty { %principals.Properties exists }',
      'rule check(props) { %props { Engine exists } }',
    ))).toEqual(new Set(['AWS::RDS::DBInstance', 'AWS::IAM::Role', 'AWS::IAM::User']));
  });

  test.each([
    ['a rule without a condition', 'rule always { Resources exists }'],
    ['a condition on something else', 'rule other when %INPUT_DOCUMENT.Parameters exists { Resources exists }'],
    ['a second condition besides the filter', 'rule both when is_cfn_template(this) %dbs not empty or %roles empty { Resources exists }'],
    ['a filter that is not by type', 'let named = Resources[ keys == /Db/ ]\nrule named_check when is_cfn_template(this) %named not empty { %named exists }'],
    ['a filter by a constant it does not know', 'let xs = Resources.*[ Type == %UNKNOWN ]\nrule x_check when is_cfn_template(this) %xs not empty { %xs exists }'],
  ])('%s: not known (the file then runs wherever a type it names is present)', (_, rule) => {
    expect(selectingTypes(file(filters, 'rule db_check when is_cfn_template(this) %dbs not empty { %dbs exists }', rule))).toBeUndefined();
  });
});

/** The counters of every validation phase so far in this process. */
function validationCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [phase, p] of Object.entries(synthTimings.snapshot().phases)) {
    if (!phase.startsWith('validation: ')) continue;
    for (const [counter, n] of Object.entries(p.counts)) counts[`${phase.slice('validation: '.length)}: ${counter}`] = n;
  }
  return counts;
}

/** What `fn` added to the validation counters. */
function validationCountsOf(fn: () => void): Record<string, number> {
  const before = validationCounts();
  fn();
  return Object.fromEntries(Object.entries(validationCounts())
    .map(([k, v]) => [k, v - (before[k] ?? 0)] as const).filter(([, v]) => v !== 0));
}

/** The Probe stack's template as synthesized by `app`. */
function probeTemplate(app: cdk.App): string {
  return fs.readFileSync(path.join(app.outdir, 'Probe.template.json'), 'utf8');
}

describe('the validation cache', () => {
  const GUARD = 'cdk-validator-cfnguard';
  const encryption = sqs.QueueEncryption.SQS_MANAGED;
  const dlqQueue = (stack: cdk.Stack) => new sqs.Queue(stack, 'Queue', {
    enforceSSL: true,
    encryption,
    deadLetterQueue: { queue: new sqs.Queue(stack, 'Dlq', { enforceSSL: true, encryption }), maxReceiveCount: 3 },
  });
  /** The findings of the probe's dead-letter queue (it has no redrive policy of its own), acknowledged but `except`. */
  const acknowledgeQueueFindings = (stack: cdk.Stack, except?: string) => {
    for (const id of ['Serverless-SQSRedrivePolicy', `${GUARD}::sqs_dlq_check`].filter(i => i !== except)) {
      cdk.Validations.of(stack).acknowledge({ id, reason: 'probe queues of a test' });
    }
  };

  test('an unchanged template is not validated again, and its findings are reported again from the cache', () => {
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'validation-cache-'));
    const messages: string[] = [];
    const runs = [0, 1].map(() => validationCountsOf(() => {
      const { app, stack } = validatedApp({ cacheDir });
      alarmWithoutAction(stack, 'SilentAlarm');
      messages.push(synthError(app));
    }));
    expect(runs[0]).toEqual(expect.objectContaining({ [`${GUARD}: templates validated`]: 1, 'AwsSolutions: stacks validated': 1 }));
    expect(runs[1]).toEqual({
      [`${GUARD}: templates from cache`]: 1,
      'AwsSolutions: stacks from cache': 1,
      'PCI.DSS.321: stacks from cache': 1,
      'Serverless: stacks from cache': 1,
    });
    expect(messages[1]).toContain('[CT.CLOUDWATCH.PR.1]');
    expect(messages[1]).toContain('Probe/SilentAlarm/Resource');
    // The reports are written to each app's own outdir (printed absolute or relative to the working directory).
    const outdirsHidden = (message: string) => message.replace(/\S*policy-validation-\w+/g, '<outdir>');
    expect(outdirsHidden(messages[1])).toBe(outdirsHidden(messages[0]));
  });

  test('a changed template is validated again: a finding added since the cached pass fails synth', () => {
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'validation-cache-'));
    const passing = validatedApp({ cacheDir });
    dlqQueue(passing.stack);
    acknowledgeQueueFindings(passing.stack);
    passing.app.synth();

    const changed = validatedApp({ cacheDir });
    dlqQueue(changed.stack);
    acknowledgeQueueFindings(changed.stack);
    alarmWithoutAction(changed.stack, 'NewSilentAlarm');
    let message = '';
    expect(validationCountsOf(() => message = synthError(changed.app))).toEqual(expect.objectContaining({
      [`${GUARD}: templates validated`]: 1,
      'AwsSolutions: stacks validated': 1,
    }));
    expect(message).toContain('Probe/NewSilentAlarm/Resource');
  });

  test('a stack placed elsewhere in the app reads the same entry, its findings named under its own path', () => {
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'validation-cache-'));
    const env = { account: '123456789012', region: 'eu-west-1' };
    // A finding of cdk-nag's (a bucket without access logs) and one of the Control Tower rules'.
    const findings = (stack: cdk.Stack) => {
      new s3.Bucket(stack, 'LoglessBucket', { enforceSSL: true });
      alarmWithoutAction(stack, 'SilentAlarm');
    };
    const topLevel = validatedApp({ cacheDir });
    findings(topLevel.stack);
    const first = synthError(topLevel.app);
    // cdk-nag's finding, on the line under it the construct it names (CDK found it in the tree: its type follows).
    const nagFinding = (where: string) =>
      new RegExp(`server access logs disabled\\. \\(AwsSolutions\\)\\n\\s+${where}/LoglessBucket/Resource aws-cdk-lib\\.aws_s3\\.CfnBucket\\n`);
    expect(first).toMatch(nagFinding('Probe'));

    // The same stack inside a stage (as another pipeline engine or topology nests it).
    const app = new cdk.App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'policy-validation-')) });
    addPolicyValidation(app, { cacheDir, concurrency: 1 });
    const nested = new cdk.Stack(new cdk.Stage(app, 'Moved', { env }), 'Probe', { env });
    findings(nested);
    let moved = '';
    const counts = validationCountsOf(() => moved = synthError(app));
    expect(counts).toEqual(expect.objectContaining({ 'AwsSolutions: stacks from cache': 1, [`${GUARD}: templates from cache`]: 1 }));
    expect(counts['AwsSolutions: stacks validated']).toBeUndefined();
    expect(moved).toMatch(nagFinding('Moved/Probe'));
    expect(moved).toContain('[CT.CLOUDWATCH.PR.1]');
    expect(moved).toContain('Moved/Probe/SilentAlarm/Resource');
  });

  test('removing an acknowledgement fails synth though the template is the same: acknowledgements are part of the key', () => {
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'validation-cache-'));
    const acknowledged = validatedApp({ cacheDir });
    dlqQueue(acknowledged.stack);
    acknowledgeQueueFindings(acknowledged.stack);
    acknowledged.app.synth();

    const forgotten = validatedApp({ cacheDir });
    dlqQueue(forgotten.stack);
    acknowledgeQueueFindings(forgotten.stack, 'Serverless-SQSRedrivePolicy');
    const message = synthError(forgotten.app);
    expect(probeTemplate(forgotten.app)).toBe(probeTemplate(acknowledged.app));
    expect(message).toContain('Serverless-SQSRedrivePolicy');
    expect(message).toContain('Probe/Dlq/Resource');
  });
});

describe('checks started while constructs are built', () => {
  const GUARD = 'cdk-validator-cfnguard';

  test('a stage synthesized early is checked with the app, and its findings fail the app\'s synth', () => {
    const app = new cdk.App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'policy-prefetch-')) });
    addPolicyValidation(app, { concurrency: 2 });
    const stage = new cdk.Stage(app, 'Early', { env: { account: '123456789012', region: 'eu-west-1' } });
    alarmWithoutAction(new cdk.Stack(stage, 'Probe'), 'SilentAlarm');
    // What CDK Pipelines does when a stage is added.
    stage.synth();
    prefetchPolicyValidation(stage);
    const message = synthError(app);
    expect(message).toContain('[CT.CLOUDWATCH.PR.1]');
    expect(message).toContain('Early/Probe/SilentAlarm/Resource');
  });

  /** Two probe stacks with a finding each, prefetched and then validated by `validator`: what it counted and found. */
  const prefetchedProbes = (validator: ControlTowerGuardValidator) => {
    const app = new cdk.App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'policy-prefetch-')) });
    const stacks = [0, 1].map(i => new cdk.Stack(app, `Probe${i}`));
    stacks.forEach((stack, i) => alarmWithoutAction(stack, `SilentAlarm${i}`));
    const templatePaths = stacks.map(stack => app.synth().getStackByName(stack.stackName).templateFullPath);
    let report: cdk.PolicyValidationPluginReport | undefined;
    const counts = validationCountsOf(() => {
      validator.prefetch(templatePaths);
      report = validator.validate({ templatePaths, stackTemplates: [], appConstruct: app } as cdk.IPolicyValidationContext);
    });
    const findings = report!.violations.flatMap(v => v.violatingResources.map(r => `${v.ruleName} ${path.basename(r.templatePath ?? '')}`)).sort();
    return { counts, findings };
  };
  const probeFindings = ['cloudwatch_alarm_action_check Probe0.template.json', 'cloudwatch_alarm_action_check Probe1.template.json'];

  test('templates prefetched in batches are checked in the background, once', () => {
    const { counts, findings } = prefetchedProbes(new ControlTowerGuardValidator({ prefetchBatch: 2, concurrency: 2 }));
    expect(counts).toEqual({ [`${GUARD}: templates validated while constructs were built`]: 2 });
    expect(findings).toEqual(probeFindings);
  });

  test('on one thread nothing starts in the background: validate() checks every template itself', () => {
    const { counts, findings } = prefetchedProbes(new ControlTowerGuardValidator({ prefetchBatch: 1, concurrency: 1 }));
    expect(counts).toEqual({ [`${GUARD}: templates validated`]: 2, [`${GUARD}: cfn-guard runs`]: expect.any(Number) });
    expect(findings).toEqual(probeFindings);
  });

  test('a template changed after its background check is checked again', () => {
    const app = new cdk.App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'policy-prefetch-')) });
    const stack = new cdk.Stack(app, 'Probe');
    const queue = new sqs.Queue(stack, 'Queue', { enforceSSL: true, encryption: sqs.QueueEncryption.SQS_MANAGED });
    cdk.Validations.of(queue).acknowledge({ id: `${GUARD}::sqs_dlq_check`, reason: 'probe' });
    const templatePath = app.synth().getStackByName('Probe').templateFullPath;
    const validator = new ControlTowerGuardValidator({ concurrency: 2 });
    validator.prefetch([templatePath]);
    // The queue loses its encryption after the background check started.
    const template = JSON.parse(fs.readFileSync(templatePath, 'utf8')) as { Resources: Record<string, { Properties: Record<string, unknown> }> };
    delete template.Resources[stack.getLogicalId(queue.node.defaultChild as cdk.CfnElement)].Properties.SqsManagedSseEnabled;
    fs.writeFileSync(templatePath, JSON.stringify(template));
    const report = validator.validate({ templatePaths: [templatePath], stackTemplates: [], appConstruct: app } as cdk.IPolicyValidationContext);
    expect(report.violations.map(v => v.ruleName)).toContain('sqs_queue_encrypted_check');
  });
});

describe('the whole app (fixture services)', () => {
  test('passes the Control Tower controls, acknowledging only what it must: no VPC, API Gateway invoke permissions, dead-letter queues; '
    + 'and for the pipelines, CodePipeline\'s artifact buckets', () => {
    // The app as `cdk synth` builds it (its pipelines and every stage they deploy), validated once for the suites that read it.
    const report = sharedAssembly(ASSEMBLIES.fixture).validation!.report as unknown as ValidationReport;
    const guard = report.pluginReports.find(r => r.pluginName === 'cdk-validator-cfnguard')!;
    expect(guard.violations).toEqual([]);
    // Stages' templates are in nested assemblies (assembly-<pipeline>-<stage>/); the pipelines' own at the top.
    const rules = (deployed: boolean) => [...new Set(guard.suppressedViolations
      .filter(v => v.violatingConstructs.some(c => c.cloudFormationResource?.templatePath.startsWith('assembly-') === deployed))
      .map(v => v.ruleName))].sort();
    // The edge's monolith routes authenticate nothing themselves (without WAF): the monolith does (services/edge-stack.ts); the
    // production edge's front (services/edge-front.ts): CloudFront logged by WAF, an API without a root object, failover by DNS;
    // WAF's log bucket (a log bucket: no access logs of its own, nothing reacting to its objects).
    expect(rules(true)).toEqual([
      'api_gw_v2_authorization_type_configured_check', 'cloudfront_access_logs_enabled_check', 'cloudfront_default_root_object_configured_check',
      'cloudfront_origin_failover_enabled_check', 'lambda_function_public_access_prohibited_check', 'lambda_inside_vpc_check',
      's3_bucket_logging_enabled_check', 's3_event_notifications_enabled_check', 'sqs_dlq_check',
    ]);
    expect(rules(false)).toEqual([
      's3_bucket_logging_enabled_check', 's3_bucket_object_lock_enabled_check', 's3_bucket_versioning_enabled_check',
      's3_event_notifications_enabled_check', 's3_lifecycle_policy_check',
    ]);
    // Buckets: CodePipeline's artifact buckets, and WAF's log bucket of the production edge.
    expect(new Set(guard.suppressedViolations.filter(v => v.ruleName.startsWith('s3_')).map(v => v.reason.split(/[:;(]/)[0].trim())))
      .toEqual(new Set(['Artifact bucket generated by CodePipeline', 'A log bucket, written only by AWS log delivery for the edge\'s web ACL and locked against changes', 'Nothing reacts to a new log object']));
  });
});

interface ValidationReport {
  readonly pluginReports: ReadonlyArray<{
    readonly pluginName: string;
    readonly violations: readonly unknown[];
    readonly suppressedViolations: ReadonlyArray<{
      readonly ruleName: string;
      readonly reason: string;
      readonly violatingConstructs: ReadonlyArray<{ readonly cloudFormationResource?: { readonly templatePath: string } }>;
    }>;
  }>;
}
