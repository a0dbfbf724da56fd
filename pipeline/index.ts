export * from './policy-validation';
