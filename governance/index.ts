export * from './guardrails';
export * from './guardrails-stack';
