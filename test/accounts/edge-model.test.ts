import { edgeRegions, OrganizationDeclarationInput, regionalDomainName } from '../../accounts';
import { loadSample, loadShippedOrganization } from '../fixtures/organization';
import { problemsOf } from '../fixtures/problems';

const DECL = 'accounts/organization.ts';
const CLOUDFRONT_CERTIFICATE = 'arn:aws:acm:us-east-1:100000000005:certificate/00000000-0000-4000-8000-000000000009';
type EnvironmentInput = OrganizationDeclarationInput['environments'][number];
type Edge = NonNullable<EnvironmentInput['edge']>;

/** The sample organization with an edge on dev and prod, changed by `change`. */
function withEdges(change: (dev: { edge: Edge }, prod: { edge: Edge }, d: OrganizationDeclarationInput) => void = () => undefined) {
  return loadSample(d => {
    const [dev, prod] = d.environments as Array<EnvironmentInput & { edge: Edge }>;
    dev.edge = { identity: { provider: 'cognito', domainPrefix: 'test-dev' }, monolithUrl: 'https://monolith.dev.test.example' };
    d.allowedRegions = [...d.allowedRegions, 'us-east-1'];
    prod.edge = {
      identity: { provider: 'issuer', issuer: 'https://login.test.example', audience: 'https://api.test.example' },
      monolithUrl: 'https://monolith.test.example',
      waf: {},
      domain: {
        name: 'api.test.example',
        cloudFrontCertificateArn: CLOUDFRONT_CERTIFICATE,
        certificateArns: {
          'eu-west-1': 'arn:aws:acm:eu-west-1:100000000005:certificate/00000000-0000-4000-8000-000000000001',
          'eu-central-1': 'arn:aws:acm:eu-central-1:100000000005:certificate/00000000-0000-4000-8000-000000000002',
        },
      },
    };
    d.monolith = { routes: ['GET /orders/{id}', 'POST /orders'] };
    change(dev, prod, d);
  });
}

describe('the edge of each environment', () => {
  test('the shipped organization has an edge with a monolith in every environment, and a custom domain in prod', () => {
    const org = loadShippedOrganization();
    expect(org.environments.map(e => [e.name, e.edge?.identity.provider, e.edge?.monolithUrl])).toEqual([
      ['dev', 'cognito', 'https://monolith.dev.acme-pay.example'],
      ['staging', 'cognito', 'https://monolith.staging.acme-pay.example'],
      ['prod', 'cognito', 'https://monolith.acme-pay.example'],
    ]);
    expect(org.environments[2].edge?.domain?.name).toBe('api.acme-pay.example');
    expect(org.monolith?.routes.length).toBeGreaterThan(3);
  });

  test('loads with defaults: throttling, token lifetime, the issuer\'s merchant claim', () => {
    const org = withEdges();
    expect(org.environments[0].edge).toEqual({
      identity: { provider: 'cognito', domainPrefix: 'test-dev', accessTokenMinutes: 60 },
      monolithUrl: 'https://monolith.dev.test.example',
      throttling: { rateLimit: 500, burstLimit: 1000 },
      quotas: { routes: 300 },
    });
    expect(org.environments[1].edge?.identity).toEqual({
      provider: 'issuer', issuer: 'https://login.test.example', audience: 'https://api.test.example', merchantClaim: 'sub',
    });
    expect(org.environments[1].edge?.waf).toEqual({ ipRateLimit: 2000 });
    expect(regionalDomainName(org.environments[1].edge!)).toBe('origin.api.test.example');
    expect(edgeRegions(org.environments[1])).toEqual(['eu-west-1', 'eu-central-1', 'us-east-1']);
    expect(edgeRegions(org.environments[0])).toEqual(['eu-west-1']);
    expect(org.monolith).toEqual({ routes: ['GET /orders/{id}', 'POST /orders'] });
  });

  test('an environment without an edge has none', () => {
    expect(loadSample().environments.map(e => e.edge)).toEqual([undefined, undefined]);
  });
});

describe('the edge declaration refuses', () => {
  test('an unknown identity provider, and a Cognito domain prefix AWS refuses', () => {
    expect(problemsOf(() => withEdges(dev => { (dev.edge.identity as unknown) = { provider: 'okta' }; }))).toEqual([
      `${DECL}: environments[0].edge.identity.provider "okta" is not an identity provider; allowed: { provider: "cognito", domainPrefix } or { provider: "issuer", issuer }`,
    ]);
    expect(problemsOf(() => withEdges(dev => { dev.edge.identity = { provider: 'cognito', domainPrefix: 'my-aws-login' }; }))).toEqual([
      `${DECL}: environments[0].edge.identity.domainPrefix "my-aws-login" is not allowed: Cognito refuses domain prefixes containing "aws", "amazon" or "cognito"`,
    ]);
  });

  test('an issuer or monolith that is not https, or has a trailing slash', () => {
    expect(problemsOf(() => withEdges((dev, prod) => {
      dev.edge.monolithUrl = 'http://monolith.dev.test.example';
      prod.edge.identity = { provider: 'issuer', issuer: 'https://login.test.example/' };
      prod.edge.monolithUrl = 'https://monolith.test.example/?x=1';
    }))).toEqual([
      `${DECL}: environments[1].edge.identity.issuer "https://login.test.example/" is not allowed; allowed: the https URL of the token issuer, without a trailing slash, query or fragment`,
      `${DECL}: environments[0].edge.monolithUrl "http://monolith.dev.test.example" is not https; the edge forwards merchants' credentials to the monolith, so only TLS is allowed`,
      `${DECL}: environments[1].edge.monolithUrl "https://monolith.test.example/?x=1" is not allowed; allowed: a base URL without a trailing slash, query or fragment, e.g. https://monolith.example.com`,
    ]);
  });

  test('a local issuer in a deployed environment', () => {
    expect(problemsOf(() => withEdges((_, prod) => { prod.edge.identity = { provider: 'issuer', issuer: 'https://localhost' }; }))).toEqual([
      `${DECL}: environments[1].edge.identity.issuer "https://localhost" is a local address; a deployed edge needs the issuer's public https URL`,
    ]);
  });

  test('a monolith URL without the monolith\'s routes, and routes without any URL', () => {
    expect(problemsOf(() => withEdges((_, __, d) => { delete d.monolith; }))).toEqual([
      `${DECL}: environments[0].edge.monolithUrl needs monolith.routes in accounts/organization.ts: the routes the monolith serves, so synth can show the migration's progress`,
      `${DECL}: environments[1].edge.monolithUrl needs monolith.routes in accounts/organization.ts: the routes the monolith serves, so synth can show the migration's progress`,
    ]);
    expect(problemsOf(() => withEdges((dev, prod) => { delete dev.edge.monolithUrl; delete prod.edge.monolithUrl; }))).toEqual([
      `${DECL}: monolith is declared, but no environment names its URL (environments[i].edge.monolithUrl)`,
    ]);
  });

  test('a monolith route that is not a route, or is listed twice', () => {
    expect(problemsOf(() => withEdges((_, __, d) => { d.monolith = { routes: ['GET /orders/{id}', 'get /orders', 'GET /orders/{id}'] }; }))).toEqual([
      `${DECL}: monolith.routes[1] "get /orders" is not a route; allowed: "<METHOD> <path>" with METHOD one of GET, POST, PUT, PATCH, DELETE and a path of lowercase segments `
      + 'or {parameters}, e.g. "GET /payments/{paymentId}"',
      `${DECL}: monolith.routes[2] "GET /orders/{id}" is listed twice`,
    ]);
    expect(problemsOf(() => withEdges((_, __, d) => { d.monolith = { routes: ['GET /orders/{id}', 'GET /orders/{id}'] }; }))).toEqual([
      `${DECL}: monolith.routes[1] "GET /orders/{id}" is listed twice`,
    ]);
  });

  test('a custom domain without a certificate in each region, or with one from another region', () => {
    expect(problemsOf(() => withEdges((_, prod) => {
      prod.edge.domain!.certificateArns = {
        'eu-west-1': 'arn:aws:acm:us-east-1:100000000005:certificate/00000000-0000-4000-8000-000000000001',
        'us-east-1': 'arn:aws:acm:us-east-1:100000000005:certificate/00000000-0000-4000-8000-000000000002',
      };
    }))).toEqual([
      `${DECL}: environments[1].edge.domain.certificateArns has no certificate for region eu-central-1; a regional API needs an ACM certificate of api.test.example `
      + 'in each region of the environment (eu-west-1, eu-central-1)',
      `${DECL}: environments[1].edge.domain.certificateArns.eu-west-1 "arn:aws:acm:us-east-1:100000000005:certificate/00000000-0000-4000-8000-000000000001" `
      + 'is in region us-east-1; the certificate of a regional API must be in its region (eu-west-1)',
      `${DECL}: environments[1].edge.domain.certificateArns.us-east-1 is for a region the environment does not deploy to; allowed: eu-west-1, eu-central-1`,
    ]);
  });

  test('two environments with one Cognito domain prefix in a region', () => {
    expect(problemsOf(() => withEdges((_, prod) => { prod.edge.identity = { provider: 'cognito', domainPrefix: 'test-dev' }; }))).toEqual([
      `${DECL}: environments[1].edge.identity.domainPrefix "test-dev" is already the domain prefix of environment "dev" in eu-west-1; Cognito domain prefixes are unique per region`,
    ]);
  });

  test('a burst below the rate, and unknown fields', () => {
    expect(problemsOf(() => withEdges(dev => {
      dev.edge.throttling = { rateLimit: 100, burstLimit: 10 };
      (dev.edge as Record<string, unknown>).firewall = true;
    }))).toEqual([
      `${DECL}: environments[0].edge has unknown field "firewall" (check the spelling)`,
      `${DECL}: environments[0].edge.throttling.burstLimit 10 is below rateLimit (100); allowed: at least the rate limit, or requests are refused below it`,
    ]);
    expect(problemsOf(() => withEdges(dev => { dev.edge.throttling = { rateLimit: 100, burstLimit: 10 }; }))).toEqual([
      `${DECL}: environments[0].edge.throttling.burstLimit 10 is below rateLimit (100); allowed: at least the rate limit, or requests are refused below it`,
    ]);
  });

  test('production without WAF in front, and WAF without what CloudFront needs', () => {
    expect(problemsOf(() => withEdges((_, prod) => { delete prod.edge.waf; delete prod.edge.domain!.cloudFrontCertificateArn; }))).toEqual([
      `${DECL}: environments[1].edge has no waf; production's edge must be behind AWS WAF: declare waf: {} with a domain and its domain.cloudFrontCertificateArn`,
    ]);
    expect(problemsOf(() => withEdges((_, prod) => { delete prod.edge.domain; }))).toEqual([
      `${DECL}: environments[1].edge.waf needs edge.domain: CloudFront fronts the edge under the domain's name, and the regional APIs answer on its originName`,
    ]);
    expect(problemsOf(() => withEdges((_, prod) => { delete prod.edge.domain!.cloudFrontCertificateArn; }))).toEqual([
      `${DECL}: environments[1].edge.domain has no cloudFrontCertificateArn; with waf, CloudFront serves api.test.example with an ACM certificate in us-east-1`,
    ]);
    expect(problemsOf(() => withEdges((_, prod) => {
      prod.edge.domain!.cloudFrontCertificateArn = 'arn:aws:acm:eu-west-1:100000000005:certificate/00000000-0000-4000-8000-000000000009';
      prod.edge.domain!.originName = 'api.test.example';
    }))).toEqual([
      `${DECL}: environments[1].edge.domain.cloudFrontCertificateArn "arn:aws:acm:eu-west-1:100000000005:certificate/00000000-0000-4000-8000-000000000009" `
      + 'is in region eu-west-1; CloudFront uses certificates in us-east-1 only',
      `${DECL}: environments[1].edge.domain.originName "api.test.example" is the domain's name; allowed: another name (e.g. origin.<name>): `
      + 'merchants\' name is CloudFront\'s, the origin is the regional APIs\'',
    ]);
    expect(problemsOf(() => withEdges((_, prod) => { prod.edge.waf = { ipRateLimit: 5 }; }))).toEqual([
      `${DECL}: environments[1].edge.waf.ipRateLimit 5 must be at least 10`,
    ]);
  });

  test('WAF where us-east-1 is not allowed, and CloudFront settings without WAF', () => {
    expect(problemsOf(() => withEdges((_, __, d) => { d.allowedRegions = ['eu-west-1', 'eu-central-1']; }))).toEqual([
      `${DECL}: environments[1].edge.waf needs us-east-1 in allowedRegions: CloudFront's web ACL and certificate live there (allowed now: eu-west-1, eu-central-1)`,
    ]);
    expect(problemsOf(() => withEdges(dev => {
      dev.edge.domain = {
        name: 'dev.api.test.example',
        originName: 'origin.dev.api.test.example',
        cloudFrontCertificateArn: CLOUDFRONT_CERTIFICATE,
        certificateArns: { 'eu-west-1': 'arn:aws:acm:eu-west-1:100000000004:certificate/00000000-0000-4000-8000-000000000001' },
      };
    }))).toEqual([
      `${DECL}: environments[0].edge.domain.cloudFrontCertificateArn is only used with waf (CloudFront fronts the edge then); declare waf or remove it`,
      `${DECL}: environments[0].edge.domain.originName "origin.dev.api.test.example" is only used with waf (CloudFront's origin); declare waf or remove it`,
    ]);
  });
});
