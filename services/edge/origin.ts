/**
 * How the regional edge knows a request came through its CloudFront front
 * (services/edge-front.ts), where AWS WAF inspected it: CloudFront adds this
 * header, holding a random secret, to every request it forwards, and the
 * edge's authorizers (services/edge/authorizer.ts) refuse a request without
 * it. Without the check, anyone could call the regional origin name and
 * skip WAF.
 *
 * The value is a Secrets Manager secret created by the primary region's edge
 * stack and replicated to the environment's other regions and us-east-1:
 * CloudFormation resolves it into the distribution's origin header, the
 * authorizers read it in their own region. They accept the current and the
 * previous version, so it rotates without refusing a request (README,
 * "Rotating the edge's origin secret").
 */

/** The header CloudFront adds to each request it forwards to the regional edge. */
export const ORIGIN_VERIFY_HEADER = 'x-origin-verify';

/** The name of the secret holding the header's value, the same in every region (replicas keep the name). */
export function originSecretName(organization: string, environment: string): string {
  return `${organization}/edge-${environment}/origin-verify`;
}
