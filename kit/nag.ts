import * as cdk from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Renders a value the way cdk-nag names IAM5 findings: `{ Ref: X }` as `<X>`,
 * `{ Fn::GetAtt: [X, Y] }` as `<X.Y>`, `Fn::Join` parts concatenated. The
 * partition may be a literal or `<AWS::Partition>` depending on context, so
 * finding ids must be rendered, not written by hand.
 */
export function nagResourceName(scope: IConstruct, value: string): string {
  const flatten = (node: unknown): string => {
    if (typeof node === 'string') return node;
    if (node && typeof node === 'object') {
      const n = node as Record<string, unknown>;
      if (Array.isArray(n['Fn::Join'])) {
        const [delimiter, items] = n['Fn::Join'] as [string, unknown[]];
        return items.map(flatten).join(delimiter);
      }
      if (Array.isArray(n['Fn::GetAtt'])) {
        const [resource, attribute] = n['Fn::GetAtt'] as [unknown, unknown];
        return `<${flatten(resource)}.${flatten(attribute)}>`;
      }
      if ('Ref' in n) return `<${flatten(n.Ref)}>`;
    }
    return JSON.stringify(node);
  };
  return flatten(cdk.Stack.of(scope).resolve(value));
}

/** Checkov's check ids (CKV_AWS_117, CKV2_AWS_5): acknowledged as skip metadata on the resources, not through cdk.Validations. */
const CHECKOV_ID = /^CKV2?_[A-Z0-9]+_\d+$/;

/**
 * Acknowledges findings of every scanner with one reason, written once:
 * cdk-nag rule ids and cfn-guard ids (`cdk-validator-cfnguard::<rule>`)
 * through cdk.Validations, checkov ids (`CKV_AWS_117`) as checkov's own skip
 * metadata (`Metadata.checkov.skip`) on each CloudFormation resource under
 * `scope`, so the acknowledgement travels in the template the scanner reads.
 */
export function acknowledgeFindings(scope: IConstruct, ids: readonly string[], reason: string): void {
  const checkov = ids.filter(id => CHECKOV_ID.test(id));
  for (const id of ids.filter(i => !CHECKOV_ID.test(i))) cdk.Validations.of(scope).acknowledge({ id, reason });
  if (checkov.length === 0) return;
  for (const node of scope.node.findAll()) {
    if (!(node instanceof cdk.CfnResource)) continue;
    const current = (node.getMetadata('checkov') ?? {}) as { skip?: Array<{ id: string; comment: string }> };
    const skip = (current.skip ?? []).filter(s => !checkov.includes(s.id));
    node.addMetadata('checkov', { ...current, skip: [...skip, ...checkov.map(id => ({ id, comment: reason }))] });
  }
}

/** Acknowledges AwsSolutions-IAM5 for one wildcard resource granted to `scope`, with the reason. */
export function acknowledgeWildcardResource(scope: IConstruct, resource: string, reason: string): void {
  cdk.Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${nagResourceName(scope, resource)}]`, reason });
}

/**
 * PCI DSS LambdaInsideVPC and Control Tower CT.LAMBDA.PR.3: service functions
 * reach only AWS APIs (DynamoDB, SQS, Secrets Manager, KMS, X-Ray, API
 * Gateway) over TLS with IAM; there is no VPC resource to reach, so a VPC
 * would add NAT or endpoints and cold start time without narrowing exposure.
 * Data perimeter policies restrict who may reach the data instead.
 */
export function acknowledgeNoVpc(fn: IConstruct): void {
  acknowledgeFindings(fn, ['PCI.DSS.321-LambdaInsideVPC', 'cdk-validator-cfnguard::lambda_inside_vpc_check', 'CKV_AWS_117'],
    'Reaches only AWS APIs over TLS with IAM and no VPC resource; a VPC adds NAT/endpoint cost and cold start without narrowing exposure');
}

/**
 * Checkov CKV_AWS_45 (hard-coded secrets in a function's environment): the
 * framework passes names, ARNs and references there, never a credential
 * (secrets are passed as ARNs and read from Secrets Manager); checkov's
 * heuristic flags some functions depending on what their Refs resolve to
 * in one layout of the assembly and not another.
 */
export function acknowledgeNoSecretsInEnvironment(fn: IConstruct): void {
  acknowledgeFindings(fn, ['CKV_AWS_45'], 'Only names, ARNs and references in the environment, never a credential: secrets are passed as ARNs and '
    + 'read from Secrets Manager; checkov\'s heuristic flags functions depending on what their references resolve to');
}

/**
 * Checkov CKV_AWS_115: reserved concurrency carves a fixed share out of the
 * account's pool for each function, and is also a ceiling: set per function
 * (`reservedConcurrency` in a manifest) where a downstream needs protecting,
 * not by default. API Gateway throttling bounds what reaches a function.
 */
export function acknowledgeUnreservedConcurrency(fn: IConstruct): void {
  acknowledgeFindings(fn, ['CKV_AWS_115'], 'Unreserved by default: reserved concurrency takes a fixed share of the account\'s pool and caps the '
    + 'function; a service reserves it per function where a downstream needs the ceiling, and API Gateway throttling bounds the rest');
}

/** PCI DSS IAMNoInlinePolicy: CDK grants write one policy per role, created and deleted with it. */
export function acknowledgeInlinePolicies(role: IConstruct): void {
  cdk.Validations.of(role).acknowledge({
    id: 'PCI.DSS.321-IAMNoInlinePolicy',
    reason: 'Least-privilege statements generated by CDK grants for this role alone; inline so they cannot be attached elsewhere and die with the role',
  });
}

/** AwsSolutions-IAM5 for X-Ray: active tracing needs PutTraceSegments/PutTelemetryRecords on `*`. */
export function acknowledgeXRay(role: IConstruct): void {
  cdk.Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) have no resource-level permissions',
  });
}

/** A statement of a resolved IAM policy document. */
export interface ResolvedStatement { readonly Effect?: string; readonly Action?: string | string[]; readonly Resource?: unknown }

/** Every IAM policy (AWS::IAM::Policy) under `scope`, with its document resolved as it will be in the template. */
export function policiesUnder(scope: IConstruct): Array<{ readonly node: cdk.CfnResource; readonly statements: readonly ResolvedStatement[] }> {
  return scope.node.findAll()
    .filter((node): node is cdk.CfnResource => node instanceof cdk.CfnResource && node.cfnResourceType === 'AWS::IAM::Policy')
    .map(node => {
      const document = cdk.Stack.of(node).resolve((node as unknown as { policyDocument: unknown }).policyDocument) as
        { Statement?: ResolvedStatement[] };
      return { node, statements: document.Statement ?? [] };
    });
}

/**
 * Acknowledges every AwsSolutions-IAM5 wildcard finding of the IAM policies
 * under `scope`, with one reason. Only for policies a library generates and
 * we cannot shape (CDK Pipelines' roles): our own roles are acknowledged one
 * finding at a time where they are made.
 */
export function acknowledgeGeneratedWildcards(scope: IConstruct, reason: string): number {
  let count = 0;
  for (const { node, statements } of policiesUnder(scope)) {
    const findings = new Set<string>();
    for (const statement of statements) {
      if (statement.Effect !== 'Allow') continue;
      for (const action of [statement.Action ?? []].flat()) if (action.includes('*')) findings.add(`Action::${action}`);
      for (const resource of [statement.Resource ?? []].flat()) {
        const name = typeof resource === 'string' ? resource : nagResourceName(node, resource as string);
        if (name.includes('*')) findings.add(`Resource::${name}`);
      }
    }
    for (const finding of findings) {
      cdk.Validations.of(node).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
      count++;
    }
  }
  return count;
}

/** Acknowledges AwsSolutions-IAM4 for one AWS managed policy attached to `scope` (a role), with the reason. */
export function acknowledgeAwsManagedPolicy(scope: IConstruct, policy: { readonly managedPolicyArn: string }, reason: string): void {
  cdk.Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM4[Policy::${nagResourceName(scope, policy.managedPolicyArn)}]`, reason });
}

/**
 * Control Tower CT.LAMBDA.PR.2 on an invoke permission of API Gateway: the
 * permission names apigateway.amazonaws.com and a SourceArn of one API's
 * stage, method and path, but the rule only recognises a literal or
 * Ref/GetAtt SourceArn, not the Fn::Join an API id needs.
 */
export function acknowledgeApiGatewayInvoke(permission: IConstruct): void {
  cdk.Validations.of(permission).acknowledge({
    id: 'cdk-validator-cfnguard::lambda_function_public_access_prohibited_check',
    reason: 'Only apigateway.amazonaws.com may invoke, and SourceArn limits it to one API\'s own stage, method and path (or its authorizer) '
      + '(arn:<partition>:execute-api:<region>:<account>:<api id>/...); the rule accepts SourceArn only as a literal '
      + 'or a Ref/GetAtt, not the Fn::Join the API id needs. No SourceAccount: Lambda documents it for sources such as S3, not API Gateway, '
      + 'and a condition API Gateway does not meet would refuse every call',
  });
}
