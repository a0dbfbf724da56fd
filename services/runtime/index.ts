// Helpers for handler code. Test builders live in ./testing (not exported
// here, so they never reach a bundle).
export * from './dynamodb';
export * from './env';
export * from './http';
export * from './ids';
export * from './merchant';
export * from './money';
export * from './observability';
export * from './signed-fetch';
