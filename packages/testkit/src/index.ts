export * from './free-port';
export * from './redis-server';
export * from './service-process';
export * from './audio-fixtures';
export * from './loopback-http';
export * from './smtp-sink';
export * from './test-stack';
export * from './s3-server';
