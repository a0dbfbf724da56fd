export * from './guardrails';
export * from './resource-guardrails';
export * from './tag-policy';
export * from './organization-policies';
export * from './guardrails-stack';
export * from './governance-stage';
