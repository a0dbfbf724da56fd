import * as cdk from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { acknowledgeApiGatewayInvoke, acknowledgeFindings } from '../kit';

/** One route of a {@link ServiceApi}. */
export interface ServiceApiRoute {
  /** Function id in the manifest; names the request model. */
  readonly functionId: string;
  readonly method: string;
  readonly path: string;
  /** Usually the function's `live` alias. */
  readonly target: lambda.IFunction;
  /** JSON Schema (draft 4) the request body must match. @default - no body model */
  readonly requestSchema?: Readonly<Record<string, unknown>>;
}

/** Properties of a {@link ServiceApi}. */
export interface ServiceApiProps {
  /** API name, e.g. `payments-prod`. */
  readonly apiName: string;
  readonly description: string;
  /** Stage name: the environment's name. */
  readonly stageName: string;
  readonly routes: readonly ServiceApiRoute[];
  /** Only principals of this organization may call the API. */
  readonly organizationId: string;
  /** Key that encrypts the access logs. */
  readonly encryptionKey: kms.IKey;
  readonly logRetentionDays: number;
  /** Put an AWS WAF web ACL with AWS managed rules in front of the stage. */
  readonly waf: boolean;
  /**
   * Steady-state requests per second and burst for the whole stage.
   * @default 100 rps, burst 200
   */
  readonly throttling?: { readonly rateLimit: number; readonly burstLimit: number };
  /** @default RETAIN */
  readonly removalPolicy?: cdk.RemovalPolicy;
}

/**
 * The REST API of a service: IAM (SigV4) authorization on every method, a
 * resource policy that refuses principals outside the organization, request
 * validation from the OpenAPI contract, JSON access logs, X-Ray, stage
 * throttling, and WAF where asked.
 *
 * Why IAM rather than a JWT authorizer: the callers are other services and
 * the pipeline's test roles, all AWS principals of this organization with
 * short-lived credentials; IAM needs no token issuer and is what the data
 * perimeter guardrails reason about. A public edge would add a JWT
 * authorizer in front, not replace this.
 */
export class ServiceApi extends Construct {
  public readonly api: apigateway.RestApi;
  /** The stage's invoke URL, e.g. `https://id.execute-api.eu-west-1.amazonaws.com/prod/`. */
  public readonly url: string;
  /** The web ACL, when `waf` is set. */
  public readonly webAcl?: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: ServiceApiProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? cdk.RemovalPolicy.RETAIN;
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      encryptionKey: props.encryptionKey,
      removalPolicy,
    });
    const throttling = props.throttling ?? { rateLimit: 100, burstLimit: 200 };

    this.api = new apigateway.RestApi(this, 'Api', {
      restApiName: props.apiName,
      description: props.description,
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      cloudWatchRole: true,
      // The account-level CloudWatch role setting outlives any one API.
      cloudWatchRoleRemovalPolicy: cdk.RemovalPolicy.RETAIN,
      defaultMethodOptions: { authorizationType: apigateway.AuthorizationType.IAM },
      policy: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            sid: 'AllowOrganizationPrincipals',
            effect: iam.Effect.ALLOW,
            principals: [new iam.AnyPrincipal()],
            actions: ['execute-api:Invoke'],
            resources: ['execute-api:/*'],
            conditions: { StringEquals: { 'aws:PrincipalOrgID': props.organizationId } },
          }),
          new iam.PolicyStatement({
            sid: 'DenyOutsideOrganization',
            effect: iam.Effect.DENY,
            principals: [new iam.AnyPrincipal()],
            actions: ['execute-api:Invoke'],
            resources: ['execute-api:/*'],
            conditions: { StringNotEquals: { 'aws:PrincipalOrgID': props.organizationId } },
          }),
        ],
      }),
      deployOptions: {
        stageName: props.stageName,
        tracingEnabled: true,
        metricsEnabled: true,
        // Errors only, and never request bodies: payment data stays out of logs.
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields({
          caller: true,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: true,
        }),
        throttlingRateLimit: throttling.rateLimit,
        throttlingBurstLimit: throttling.burstLimit,
      },
    });
    const validator = new apigateway.RequestValidator(this, 'Validator', {
      restApi: this.api,
      validateRequestBody: true,
      validateRequestParameters: true,
    });

    for (const route of props.routes) {
      const resource = this.api.root.resourceForPath(route.path);
      const parameters = [...route.path.matchAll(/\{([^}]+)\}/g)].map(m => m[1]);
      const model = route.requestSchema
        ? this.api.addModel(`${capitalize(route.functionId)}Request`, {
          contentType: 'application/json',
          modelName: `${capitalize(route.functionId)}Request`,
          schema: route.requestSchema as apigateway.JsonSchema,
        })
        : undefined;
      const method = resource.addMethod(route.method, new apigateway.LambdaIntegration(route.target, {
        // No permission for the console's test invocations: they call the
        // function bypassing the method's IAM authorization, the resource
        // policy's organization condition and the WAF.
        allowTestInvoke: false,
      }), {
        authorizationType: apigateway.AuthorizationType.IAM,
        requestValidator: validator,
        requestParameters: Object.fromEntries(parameters.map(p => [`method.request.path.${p}`, true])),
        requestModels: model ? { 'application/json': model } : undefined,
      });
      // The invoke permission's default logical id holds the API's full construct path: a pipeline engine or topology that
      // nests the stack differently would replace every permission. Named after its method's (a path within the stack).
      for (const permission of method.node.children.filter((c): c is lambda.CfnPermission => c instanceof lambda.CfnPermission)) {
        permission.overrideLogicalId(`${cdk.Stack.of(this).resolve((method.node.defaultChild as cdk.CfnElement).logicalId)}Permission`);
      }
      acknowledgeApiGatewayInvoke(method);
    }
    this.url = this.api.url;
    // The stack publishes the URL as its ApiUrl output: drop RestApi's generated duplicate.
    this.api.node.tryRemoveChild('Endpoint');

    if (props.waf) {
      this.webAcl = this.addWaf(props.apiName, props.logRetentionDays, props.encryptionKey, removalPolicy);
    } else {
      // Rule ids, not keys (gitleaks' generic-api-key rule measures their entropy): gitleaks:allow
      for (const rule of ['AwsSolutions-APIG3', 'PCI.DSS.321-APIGWAssociatedWithWAF']) { // gitleaks:allow
        cdk.Validations.of(this.api).acknowledge({
          id: rule,
          reason: 'WAF fronts production only: this pre-production stage accepts only SigV4-signed calls from principals of the organization (resource policy)',
        });
      }
    }
    this.acknowledgeFindings();
  }

  private acknowledgeFindings(): void {
    const acknowledge = (id: string, reason: string) => cdk.Validations.of(this.api).acknowledge({ id, reason });
    acknowledge('AwsSolutions-COG4',
      'Every method uses IAM (SigV4) authorization: callers are AWS principals of the organization, not end users with Cognito tokens');
    acknowledge('AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'The account-level role API Gateway uses to write execution logs; the AWS managed policy only allows CloudWatch Logs writes');
    acknowledge('PCI.DSS.321-APIGWSSLEnabled',
      'Backend client certificates authenticate API Gateway to HTTP backends; the only backends here are Lambda functions invoked through IAM');
    acknowledgeFindings(this.api, ['PCI.DSS.321-APIGWCacheEnabledAndEncrypted', 'CKV_AWS_120'],
      'Caching is off on purpose: responses are per-request financial data that must never be served stale or to another caller, so there is no cache to encrypt');
  }

  private addWaf(name: string, retentionDays: number, key: kms.IKey, removalPolicy: cdk.RemovalPolicy): wafv2.CfnWebACL {
    const managed = (ruleName: string, priority: number) => ({
      name: ruleName,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: ruleName } },
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: ruleName, sampledRequestsEnabled: true },
    });
    const webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: `${name}-api`,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: `${name}-api`, sampledRequestsEnabled: true },
      rules: [
        managed('AWSManagedRulesAmazonIpReputationList', 0),
        managed('AWSManagedRulesCommonRuleSet', 1),
        managed('AWSManagedRulesKnownBadInputsRuleSet', 2),
        {
          // Per source IP, 5 minutes window: stops credential-stuffing style floods.
          name: 'RateLimitPerIp',
          priority: 3,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: 2000, aggregateKeyType: 'IP' } },
          visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'RateLimitPerIp', sampledRequestsEnabled: true },
        },
      ],
    });
    new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: this.api.deploymentStage.stageArn,
      webAclArn: webAcl.attrArn,
    });
    // WAF only logs to log groups whose name starts with aws-waf-logs-. Named by stack, not by construct path: the
    // same wherever the pipeline engine or topology places the stack (a new name would replace the group).
    const wafLogs = new logs.LogGroup(this, 'WafLogs', {
      logGroupName: `aws-waf-logs-${cdk.Stack.of(this).stackName}-${this.node.id}`.toLowerCase(),
      retention: retentionDays as logs.RetentionDays,
      encryptionKey: key,
      removalPolicy,
    });
    new wafv2.CfnLoggingConfiguration(this, 'WafLogging', {
      resourceArn: webAcl.attrArn,
      // WAF wants the log group ARN without the trailing ":*" of logGroupArn.
      logDestinationConfigs: [cdk.Stack.of(this).formatArn({
        service: 'logs',
        resource: 'log-group',
        resourceName: wafLogs.logGroupName,
        arnFormat: cdk.ArnFormat.COLON_RESOURCE_NAME,
      })],
      // Never log credentials.
      redactedFields: [{ singleHeader: { Name: 'authorization' } }],
    });
    return webAcl;
  }
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
