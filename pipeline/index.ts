export * from './policy-validation';
export * from './delivery-plan';
export * from './engine';
export * from './codepipeline-engine';
