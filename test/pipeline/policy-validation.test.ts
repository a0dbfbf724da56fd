import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import * as cdk from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { buildBundles, buildPlatform } from '../../main';
import { addPolicyValidation, ControlTowerGuardValidator } from '../../pipeline';
import { loadServices } from '../../services';
import { loadShippedOrganization, REPO_ROOT } from '../fixtures/organization';

/** An app validated like every synth, with one stack to put resources in. */
function validatedApp(): { app: cdk.App; stack: cdk.Stack } {
  const app = new cdk.App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'policy-validation-')) });
  addPolicyValidation(app);
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
    // Holds no resource any rule inspects.
    new cdk.CfnWaitConditionHandle(new cdk.Stack(app, 'Empty'), 'Handle');
    const assembly = app.synth();
    const context = { templatePaths: assembly.stacks.map(s => s.templateFullPath), stackTemplates: [], appConstruct: app };
    const findings = (report: cdk.PolicyValidationPluginReport) => report.violations
      .flatMap(v => v.violatingResources.map(r => `${v.ruleName} ${r.resourceLogicalId}`)).sort();

    const scoped = validator.validate(context);
    expect(findings(scoped)).toEqual(findings(new CfnGuardValidator().validate(context)));
    expect(findings(scoped)).toEqual(expect.arrayContaining([
      expect.stringMatching(/^cloudwatch_alarm_action_check Alarm/),
      expect.stringMatching(/^sqs_dlq_check QueueWithoutDlq/),
      expect.stringMatching(/^lambda_function_public_access_prohibited_check FnAnyone/),
      expect.stringMatching(/^lambda_inside_vpc_check Fn/),
    ]));
    expect(scoped.success).toBe(false);
  });

  test('runs a rule file only for templates holding a resource type it names', () => {
    const rules = (types: string[]) => validator.rulesFor(new Set(types)).map(r => path.relative(path.dirname(path.dirname(r)), r));
    expect(rules([])).toEqual([]);
    expect(rules(['AWS::SQS::Queue'])).toEqual(['sqs/ct-sqs-pr-1.guard', 'sqs/ct-sqs-pr-2.guard']);
    const lambdaRules = rules(['AWS::Lambda::Function', 'AWS::Lambda::Permission']);
    expect(lambdaRules).toEqual(expect.arrayContaining(['lambda/ct-lambda-pr-2.guard', 'lambda/ct-lambda-pr-3.guard']));
    expect(lambdaRules.filter(r => r.startsWith('ec2/') || r.startsWith('rds/'))).toEqual([]);
  });
});

describe('the shipped app', () => {
  test('passes the Control Tower controls, acknowledging only what it must: no VPC, API Gateway invoke permissions, dead-letter queues', () => {
    const organization = loadShippedOrganization();
    const services = loadServices({ servicesDir: path.join(REPO_ROOT, 'services'), organization });
    const app = new cdk.App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'policy-validation-shipped-')) });
    buildPlatform(app, { organization, services, ...buildBundles(services, path.join(os.tmpdir(), `lz-policy-bundles-${process.pid}`)) });
    const assembly = app.synth();
    const report = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8')) as ValidationReport;
    const guard = report.pluginReports.find(r => r.pluginName === 'cdk-validator-cfnguard')!;
    expect(guard.violations).toEqual([]);
    expect([...new Set(guard.suppressedViolations.map(v => v.ruleName))].sort()).toEqual([
      'lambda_function_public_access_prohibited_check', 'lambda_inside_vpc_check', 'sqs_dlq_check',
    ]);
  });
});

interface ValidationReport {
  readonly pluginReports: ReadonlyArray<{
    readonly pluginName: string;
    readonly violations: readonly unknown[];
    readonly suppressedViolations: ReadonlyArray<{ readonly ruleName: string; readonly reason: string }>;
  }>;
}
