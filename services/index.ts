export * from './service-model';
export * from './load-services';
export * from './api-contract';
export * from './bundle';
export * from './service-function';
export * from './service-api';
export * from './service-stack';
export * from './service-stage';
