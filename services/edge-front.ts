import * as cdk from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { EDGE_FRONT_REGION, EdgeEnvironment, Environment, Organization, regionalDomainName, wafLogBucketName } from '../accounts';
import { ORIGIN_VERIFY_HEADER, originSecretName } from './edge/origin';
import { EDGE_SERVICE_NAME } from './service-model';
import { acknowledgeFindings } from '../kit';

/** The managed rule groups of the front's web ACL, in evaluation order after the rate limit, with why each is there. */
export const EDGE_MANAGED_RULE_GROUPS: readonly { readonly name: string; readonly why: string }[] = [
  { name: 'AWSManagedRulesAmazonIpReputationList', why: 'addresses Amazon threat intelligence lists as bots, scanners and attack sources' },
  { name: 'AWSManagedRulesCommonRuleSet', why: 'OWASP Top 10 style exploits: XSS, path traversal, oversized or malformed requests' },
  { name: 'AWSManagedRulesKnownBadInputsRuleSet', why: 'request patterns of known exploits (Log4j, Java deserialization, localhost Host headers)' },
];

/** Properties of an {@link EdgeFront}. */
export interface EdgeFrontProps {
  readonly organization: Organization;
  /** The environment; its edge must declare waf and a domain. */
  readonly environment: Environment;
  /**
   * The header value CloudFront sends the origin; default: the replica of the
   * origin secret in this region, resolved by CloudFormation at deploy time.
   */
  readonly originSecretValue?: cdk.SecretValue;
}

/**
 * AWS WAF in front of an environment's edge. API Gateway HTTP APIs cannot
 * be associated with a web ACL, so a CloudFront distribution with a web ACL
 * (scope CLOUDFRONT: both live in us-east-1) takes merchants' name and
 * forwards to the regional APIs' origin name, adding the origin secret
 * header the edge's authorizers require (services/edge/origin.ts).
 *
 * Nothing is cached: every request reaches the edge with its method, path,
 * query string, headers (Authorization included, Host excepted: API
 * Gateway answers on the origin name) and body.
 */
export class EdgeFront extends Construct {
  public readonly webAcl: wafv2.CfnWebACL;
  public readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string, props: EdgeFrontProps) {
    super(scope, id);
    const { organization: org, environment: env } = props;
    const edge = env.edge;
    const stack = cdk.Stack.of(this);
    if (!edge?.waf || !edge.domain?.cloudFrontCertificateArn) throw new Error(`environment ${env.name} declares no edge with waf and a CloudFront certificate`);
    if (stack.region !== EDGE_FRONT_REGION) throw new Error(`the front of the ${env.name} edge must be in ${EDGE_FRONT_REGION}, not ${stack.region}`);

    this.webAcl = this.addWebAcl(org, env, edge);
    new wafv2.CfnLoggingConfiguration(this, 'WafLogging', {
      resourceArn: this.webAcl.attrArn,
      logDestinationConfigs: [`arn:${stack.partition}:s3:::${wafLogBucketName(env.account.id, env.name)}`],
      // Merchants' tokens never reach the logs.
      redactedFields: [{ singleHeader: { Name: 'authorization' } }],
    });

    const secret = props.originSecretValue ?? cdk.SecretValue.secretsManager(originSecretName(org.name, env.name));
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `${org.name} ${env.name} edge: AWS WAF in front of the regional APIs`,
      domainNames: [edge.domain.name],
      certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', edge.domain.cloudFrontCertificateArn),
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      webAclId: this.webAcl.attrArn,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      // Edge locations in North America and Europe, where the environment's regions and its merchants are.
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      defaultBehavior: {
        origin: new origins.HttpOrigin(regionalDomainName(edge)!, {
          protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
          originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
          // API Gateway's own limit for an integration is 30 s.
          readTimeout: cdk.Duration.seconds(30),
          customHeaders: { [ORIGIN_VERIFY_HEADER]: secret.unsafeUnwrap() },
        }),
        // An API: plain HTTP is refused rather than redirected (a redirect would replay a POST's token in the clear first).
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      },
    });
    new cdk.CfnOutput(stack, 'FrontTarget', {
      value: this.distribution.distributionDomainName,
      description: `Point ${edge.domain.name} here (a Route 53 alias to CloudFront); ${regionalDomainName(edge)} to the regional APIs (latency records)`,
    });
    const acknowledge = (ids: readonly string[], reason: string) => acknowledgeFindings(this.distribution, ids, reason);
    acknowledge(['AwsSolutions-CFR1'], 'Merchants call from their own servers wherever they host them; the web ACL\'s IP reputation list '
      + 'and per-IP rate limit refuse abusive sources instead of whole countries');
    acknowledge(['AwsSolutions-CFR3', 'cdk-validator-cfnguard::cloudfront_access_logs_enabled_check', 'CKV_AWS_86'], 'Every request is logged twice already: '
      + `by AWS WAF (the whole request, Authorization redacted) to ${wafLogBucketName(env.account.id, env.name)} in ${env.regions[0]}, `
      + 'and by the regional API\'s access logs');
    acknowledge(['cdk-validator-cfnguard::cloudfront_default_root_object_configured_check'],
      'An API, not a website: there is no root document to serve, and a request for / goes to the edge (the monolith) like any other');
    acknowledge(['cdk-validator-cfnguard::cloudfront_origin_failover_enabled_check'], `The origin ${regionalDomainName(edge)} is a name `
      + 'latency-routed across the environment\'s regions, where Route 53 health checks fail over; CloudFront origin groups would fail '
      + 'over GET, HEAD and OPTIONS only, never a payment\'s POST');
  }

  private addWebAcl(org: Organization, env: Environment, edge: EdgeEnvironment): wafv2.CfnWebACL {
    const name = `${org.name}-edge-${env.name}`;
    const visibility = (metric: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      metricName: metric,
      sampledRequestsEnabled: true,
    });
    return new wafv2.CfnWebACL(this, 'WebAcl', {
      name,
      description: `Requests of merchants to the ${env.name} edge`,
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(name),
      rules: [
        {
          name: 'RateLimitPerIp',
          priority: 0,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: edge.waf!.ipRateLimit, aggregateKeyType: 'IP', evaluationWindowSec: 300 } },
          visibilityConfig: visibility(`${name}-rate-limit`),
        },
        ...EDGE_MANAGED_RULE_GROUPS.map((group, i) => ({
          name: group.name,
          priority: i + 1,
          overrideAction: { none: {} },
          statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: group.name } },
          visibilityConfig: visibility(`${name}-${group.name}`),
        })),
      ],
    });
  }
}

/** Properties of an {@link EdgeFrontStack}. */
export interface EdgeFrontStackProps extends cdk.StackProps {
  readonly organization: Organization;
  readonly environment: Environment;
}

/**
 * The front of an environment's edge in a stack of its own, in us-east-1,
 * when the environment does not deploy there (otherwise its us-east-1 edge
 * stack holds it). Named like an edge stack: `edge-<env>-us-east-1`.
 */
export class EdgeFrontStack extends cdk.Stack {
  public readonly front: EdgeFront;

  constructor(scope: Construct, id: string, props: EdgeFrontStackProps) {
    const { organization: org, environment: env } = props;
    super(scope, id, {
      description: `AWS WAF and CloudFront in front of the public edge of ${org.name} in ${env.name}`,
      ...props,
      env: { account: env.account.id, region: EDGE_FRONT_REGION },
    });
    cdk.Tags.of(this).add('service', EDGE_SERVICE_NAME);
    cdk.Tags.of(this).add('environment', env.name);
    cdk.Tags.of(this).add('owner', org.governance.platformTags.owner);
    cdk.Tags.of(this).add('cost-center', org.governance.platformTags.costCenter);
    this.front = new EdgeFront(this, 'Front', { organization: org, environment: env });
  }
}
