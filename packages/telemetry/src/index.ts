export * from './data-dir';
export * from './logger';
export * from './metrics';
export * from './ops-server';
export * from './port-check';
export * from './shutdown';
export * from './run-service';
