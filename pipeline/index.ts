export * from './policy-validation';
export * from './delivery-plan';
export * from './engine';
export * from './codepipeline-engine';
export * from './github-oidc-stack';
export * from './github-engine';
