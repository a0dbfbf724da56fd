// The shared construct kit: helpers that governance/, services/ and pipeline/
// all use. It imports none of them, so no arrow runs between those folders
// through it.
export * from './nag';
export * from './bundle';
export * from './alarm-topic';
export * from './key-policy';
export * from './dependency-graph';
export * from './cli-flags';
export * from './synth-timings';
export * from './validation-cache';
export * from './on-call';
