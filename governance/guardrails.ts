/** An IAM policy statement as it appears in a policy document. */
export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Record<string, Record<string, string | readonly string[]>>;
}

/** A policy document, as attached to an OU or the root. */
export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

/**
 * A member account that leaves the organization escapes every guardrail and
 * the consolidated audit trail: nobody in a member account may leave.
 */
export function denyLeavingOrganization(): PolicyStatement[] {
  return [{
    Sid: 'DenyLeavingOrganization',
    Effect: 'Deny',
    Action: 'organizations:LeaveOrganization',
    Resource: '*',
  }];
}

/** Wraps statements in a policy document. */
export function policyDocument(statements: readonly PolicyStatement[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: statements };
}
