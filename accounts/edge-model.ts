import { z } from 'zod';

/**
 * The public edge of an environment, as the platform team declares it in
 * `accounts/organization.ts` (`environments[i].edge`), and the monolith the
 * services are replacing (`monolith`). The edge is the one API merchants
 * call: routes that services declare public (`route.scopes`) go to their
 * functions, every other request to the monolith.
 */

/** API Gateway's integrations per HTTP API: a hard limit (AWS does not raise it). */
export const HTTP_API_INTEGRATIONS_LIMIT = 300;

/** A route as `<METHOD> <path>`, e.g. `GET /payments/{paymentId}`. */
// eslint-disable-next-line security/detect-unsafe-regex -- anchored, and "/" delimits segments no segment matches: linear; input is a route from our own declaration
export const ROUTE_KEY_PATTERN = /^(GET|POST|PUT|PATCH|DELETE) (\/([a-z0-9-]+|\{[a-zA-Z][a-zA-Z0-9]*\}))+$/;

const RouteKeySchema = z.string().regex(ROUTE_KEY_PATTERN, {
  error: 'is not a route; allowed: "<METHOD> <path>" with METHOD one of GET, POST, PUT, PATCH, DELETE and a path of lowercase segments or {parameters}, e.g. "GET /payments/{paymentId}"',
});

const isLocalHost = (host: string) => host === '127.0.0.1' || host === 'localhost';

/** An https URL without a trailing slash, query or fragment. */
const HttpsUrlSchema = (what: string) => z.url({ error: `is not a URL; allowed: the https URL of ${what}` }).refine(u => {
  const url = new URL(u);
  return url.protocol === 'https:' && url.search === '' && url.hash === '' && !u.endsWith('/');
}, { error: `is not allowed; allowed: the https URL of ${what}, without a trailing slash, query or fragment` });

/** The OAuth 2.0 claim a merchant id is read from. */
const ClaimSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_:.-]{0,63}$/, { error: 'is not a claim name; allowed: 1-64 letters, digits, "_", ":", "." or "-"' });

/**
 * Who issues merchants' access tokens: a Cognito user pool the edge creates
 * (each merchant is an app client with the client credentials grant; its
 * client id is the merchant id), or an external OAuth 2.0 issuer.
 */
export const EdgeIdentitySchema = z.discriminatedUnion('provider', [
  z.strictObject({
    provider: z.literal('cognito'),
    /** Prefix of the user pool's token endpoint domain, `https://<prefix>.auth.<region>.amazoncognito.com`; unique per region. */
    // eslint-disable-next-line security/detect-unsafe-regex -- bounded repetition ({0,61}) of a 63-character prefix from our own declaration: no catastrophic backtracking
    domainPrefix: z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, {
      error: 'is not a Cognito domain prefix; allowed: 1-63 lowercase letters, digits or hyphens, not starting or ending with a hyphen',
    }).refine(p => !/aws|amazon|cognito/.test(p), { error: 'is not allowed: Cognito refuses domain prefixes containing "aws", "amazon" or "cognito"' }),
    /** Lifetime of access tokens. @default 60 */
    accessTokenMinutes: z.number().int().min(5).max(1440).default(60),
  }),
  z.strictObject({
    provider: z.literal('issuer'),
    /** The issuer (`iss`) of merchants' access tokens. */
    issuer: HttpsUrlSchema('the token issuer'),
    /** @default - `<issuer>/.well-known/jwks.json` */
    jwksUri: HttpsUrlSchema('the issuer\'s JSON Web Key Set').optional(),
    /** The audience (`aud`) tokens must name. @default - not checked */
    audience: z.string().min(1).max(256).optional(),
    /** The claim holding the merchant id. */
    merchantClaim: ClaimSchema.default('sub'),
  }),
], { error: 'is not an identity provider; allowed: { provider: "cognito", domainPrefix } or { provider: "issuer", issuer }' });

/**
 * CloudFront serves certificates from us-east-1 only, and AWS WAF's web ACLs
 * for CloudFront (scope CLOUDFRONT) are created there: the edge's front
 * (services/edge-front.ts) deploys to this region.
 */
export const EDGE_FRONT_REGION = 'us-east-1';

// eslint-disable-next-line security/detect-unsafe-regex -- the lookahead caps the input at 253 characters and "." delimits labels no label matches; a domain from our own declaration
const DomainNameSchema = z.string().regex(/^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, {
  error: 'is not a domain name; allowed: a lowercase DNS name such as api.example.com',
});

const CertificateArnSchema = z.string().regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/, {
  error: 'is not an ACM certificate ARN; allowed: arn:aws:acm:<region>:<account>:certificate/<uuid>',
});

/**
 * A custom domain of the edge: its name and an ACM certificate in each of
 * the environment's regions. With WAF, merchants' name is CloudFront's (a
 * certificate in us-east-1) and the regional APIs answer on `originName`,
 * the name CloudFront forwards to (latency-routed across the regions).
 */
const DomainSchema = z.strictObject({
  name: DomainNameSchema,
  /** By region: a regional API's certificate must be in its region (with WAF, of `originName`). */
  certificateArns: z.record(z.string(), CertificateArnSchema),
  /** With WAF: the certificate of `name` that CloudFront serves, in us-east-1. */
  cloudFrontCertificateArn: CertificateArnSchema.optional(),
  /** With WAF: the regional APIs' name, CloudFront's origin. @default `origin.<name>` */
  originName: DomainNameSchema.optional(),
});

/**
 * AWS WAF in front of the edge. API Gateway HTTP APIs cannot be associated
 * with a web ACL, so a CloudFront distribution with a web ACL (scope
 * CLOUDFRONT) fronts the edge and the regional APIs refuse what did not come
 * through it.
 */
const WafSchema = z.strictObject({
  /** Requests one IP address may send in any 5 minutes before WAF blocks it (a rate-based rule). @default 2000 */
  ipRateLimit: z.number().int().min(10).max(2_000_000_000).default(2000),
});

/** The edge of one environment. */
export const EdgeEnvironmentSchema = z.strictObject({
  identity: EdgeIdentitySchema,
  /**
   * Base URL of the monolith in this environment: requests for routes no
   * service serves here go to it, with method, path, query string, headers
   * and body as they came. @default - no monolith: such requests answer 404
   */
  monolithUrl: z.url({ error: 'is not a URL; allowed: the https base URL of the monolith' }).optional(),
  /** @default - the API's own execute-api domain only */
  domain: DomainSchema.optional(),
  /** AWS WAF in front of the edge; required in production. @default - none */
  waf: WafSchema.optional(),
  /**
   * This environment's API Gateway quotas for the edge's HTTP API, where AWS
   * raised them on request (Service Quotas): routes per API (default 300).
   * Integrations per API (300) cannot be raised. Synth refuses an edge that
   * would not fit.
   */
  quotas: z.strictObject({
    routes: z.number().int().min(300).max(10_000).default(300),
  }).default({ routes: 300 }),
  /** Steady-state requests per second and burst for the whole edge stage. @default 500 rps, burst 1000 */
  throttling: z.strictObject({
    rateLimit: z.number().int().min(1).max(10_000),
    burstLimit: z.number().int().min(1).max(5_000),
  }).default({ rateLimit: 500, burstLimit: 1000 }),
});

/** The monolith being replaced: the routes it serves today, the denominator of the migration's progress. */
export const MonolithSchema = z.strictObject({
  description: z.string().min(1).max(256).optional(),
  /** Every route the monolith serves, as `<METHOD> <path>`; a service takes one over by declaring it (with scopes). */
  routes: z.array(RouteKeySchema).min(1),
});

/** The edge of an environment as validated. */
export type EdgeEnvironment = z.output<typeof EdgeEnvironmentSchema>;
/** The identity provider of an edge. */
export type EdgeIdentity = z.output<typeof EdgeIdentitySchema>;
/** The monolith as validated. */
export type Monolith = z.output<typeof MonolithSchema>;

/** Checks of the edge declarations against the rest of the declaration (regions, the monolith). */
export function checkEdges(
  environments: readonly { readonly name: string; readonly regions: readonly string[]; readonly edge?: EdgeEnvironment }[],
  monolith: Monolith | undefined,
  allowedRegions: readonly string[],
  issue: (path: readonly PropertyKey[], message: string, showValue?: boolean) => void,
): void {
  const prefixes = new Map<string, string>();
  environments.forEach((env, i) => {
    const edge = env.edge;
    if (!edge) return;
    const at = (...rest: PropertyKey[]) => ['environments', i, 'edge', ...rest];
    if (edge.monolithUrl !== undefined) {
      const url = new URL(edge.monolithUrl);
      if (url.protocol !== 'https:') {
        issue(at('monolithUrl'), 'is not https; the edge forwards merchants\' credentials to the monolith, so only TLS is allowed');
      } else if (url.search !== '' || url.hash !== '' || edge.monolithUrl.endsWith('/')) {
        issue(at('monolithUrl'), 'is not allowed; allowed: a base URL without a trailing slash, query or fragment, e.g. https://monolith.example.com');
      }
      if (!monolith) {
        issue(at('monolithUrl'), 'needs monolith.routes in accounts/organization.ts: the routes the monolith serves, so synth can show the migration\'s progress', false);
      }
    }
    if (edge.identity.provider === 'cognito') {
      // One domain prefix per region; environments in the same region must differ.
      for (const region of env.regions) {
        const key = `${region} ${edge.identity.domainPrefix}`;
        const other = prefixes.get(key);
        if (other) issue(at('identity', 'domainPrefix'), `is already the domain prefix of environment "${other}" in ${region}; Cognito domain prefixes are unique per region`);
        else prefixes.set(key, env.name);
      }
    } else if (isLocalHost(new URL(edge.identity.issuer).hostname)) {
      issue(at('identity', 'issuer'), 'is a local address; a deployed edge needs the issuer\'s public https URL');
    }
    // The last environment in promotion order is production.
    if (i === environments.length - 1 && !edge.waf) {
      issue(at(), 'has no waf; production\'s edge must be behind AWS WAF: declare waf: {} with a domain and its domain.cloudFrontCertificateArn', false);
    }
    checkWaf(edge, allowedRegions, at, issue);
    if (edge.domain) {
      const arns = edge.domain.certificateArns;
      for (const region of env.regions.filter(r => !(r in arns))) {
        issue(at('domain', 'certificateArns'), `has no certificate for region ${region}; a regional API needs an ACM certificate of ${edge.domain.name} in each region of the environment (${env.regions.join(', ')})`, false);
      }
      for (const [region, arn] of Object.entries(arns)) {
        if (!env.regions.includes(region)) {
          issue(at('domain', 'certificateArns', region), `is for a region the environment does not deploy to; allowed: ${env.regions.join(', ')}`, false);
        } else if (arn.split(':')[3] !== region) {
          issue(at('domain', 'certificateArns', region), `is in region ${arn.split(':')[3]}; the certificate of a regional API must be in its region (${region})`);
        }
      }
    }
    if (edge.throttling.burstLimit < Math.min(edge.throttling.rateLimit, 5000)) {
      issue(at('throttling', 'burstLimit'), `is below rateLimit (${edge.throttling.rateLimit}); allowed: at least the rate limit, or requests are refused below it`);
    }
  });
  if (monolith) {
    const seen = new Set<string>();
    monolith.routes.forEach((route, i) => {
      if (seen.has(route)) issue(['monolith', 'routes', i], 'is listed twice');
      seen.add(route);
    });
    if (!environments.some(e => e.edge?.monolithUrl)) {
      issue(['monolith'], 'is declared, but no environment names its URL (environments[i].edge.monolithUrl)', false);
    }
  }
}

/** The front's requirements: a domain with a CloudFront certificate, a distinct origin name, us-east-1 allowed. */
function checkWaf(edge: EdgeEnvironment, allowedRegions: readonly string[], at: (...rest: PropertyKey[]) => PropertyKey[],
  issue: (path: readonly PropertyKey[], message: string, showValue?: boolean) => void): void {
  const domain = edge.domain;
  if (!edge.waf) {
    if (domain?.cloudFrontCertificateArn !== undefined) issue(at('domain', 'cloudFrontCertificateArn'), 'is only used with waf (CloudFront fronts the edge then); declare waf or remove it', false);
    if (domain?.originName !== undefined) issue(at('domain', 'originName'), 'is only used with waf (CloudFront\'s origin); declare waf or remove it');
    return;
  }
  if (!allowedRegions.includes(EDGE_FRONT_REGION)) {
    issue(at('waf'), `needs ${EDGE_FRONT_REGION} in allowedRegions: CloudFront's web ACL and certificate live there (allowed now: ${allowedRegions.join(', ')})`, false);
  }
  if (!domain) {
    issue(at('waf'), 'needs edge.domain: CloudFront fronts the edge under the domain\'s name, and the regional APIs answer on its originName', false);
    return;
  }
  if (domain.cloudFrontCertificateArn === undefined) {
    issue(at('domain'), `has no cloudFrontCertificateArn; with waf, CloudFront serves ${domain.name} with an ACM certificate in ${EDGE_FRONT_REGION}`, false);
  } else if (domain.cloudFrontCertificateArn.split(':')[3] !== EDGE_FRONT_REGION) {
    issue(at('domain', 'cloudFrontCertificateArn'), `is in region ${domain.cloudFrontCertificateArn.split(':')[3]}; CloudFront uses certificates in ${EDGE_FRONT_REGION} only`);
  }
  if (domain.originName === domain.name) {
    issue(at('domain', 'originName'), 'is the domain\'s name; allowed: another name (e.g. origin.<name>): merchants\' name is CloudFront\'s, the origin is the regional APIs\'');
  }
}

/** The name the regional APIs answer on: the domain's name, or with WAF its origin name (CloudFront forwards there). */
export function regionalDomainName(edge: EdgeEnvironment): string | undefined {
  if (!edge.domain) return undefined;
  return edge.waf ? edge.domain.originName ?? `origin.${edge.domain.name}` : edge.domain.name;
}

/**
 * The regions the edge of an environment deploys to: a stack per region of
 * the environment, and with WAF the front in us-east-1 (its own stack when
 * the environment does not deploy there), primary region first.
 */
export function edgeRegions(env: { readonly regions: readonly string[]; readonly edge?: EdgeEnvironment }): string[] {
  if (!env.edge) return [];
  return env.edge.waf && !env.regions.includes(EDGE_FRONT_REGION) ? [...env.regions, EDGE_FRONT_REGION] : [...env.regions];
}

/**
 * The bucket AWS WAF writes an edge front's request logs to, in the
 * environment's primary region (the data stays where the environment is;
 * WAF requires the `aws-waf-logs-` prefix and the web ACL's account). The
 * workload accounts' execution policy allows S3 on these buckets only.
 */
export function wafLogBucketName(accountId: string, environment: string): string {
  return `aws-waf-logs-${accountId}-${environment}`;
}
