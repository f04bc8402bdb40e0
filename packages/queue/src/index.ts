export * from './contracts';
export * from './queues';
export * from './redis-connection';
export * from './redis-outage';
export * from './redis-preflight';
export * from './queue-metrics';
export * from './run-hand-back';
export * from './worker-errors';
