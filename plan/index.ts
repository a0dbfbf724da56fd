// The platform's plan (docs/platform.md, `npx projen plan`): pure renderers from the validated models to Markdown
// and Mermaid. Nothing here reads the repository (main.ts loads the models) or builds a construct.
export * from './mermaid';
export * from './markdown';
export * from './organization-diagram';
export * from './delivery-diagram';
export * from './guardrail-matrix';
export * from './service-catalogue';
export * from './migration-progress';
export * from './platform-plan';
export * from './readme-diagram';
