export * from './guardrails';
export * from './guardrails-stack';
export * from './governance-stage';
