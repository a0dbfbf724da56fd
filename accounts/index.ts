export * from './config-error';
export * from './regions';
export * from './edge-model';
export * from './governance-model';
export * from './organization-model';
export * from './lock-model';
export * from './load-organization';
export * from './platform-names';
