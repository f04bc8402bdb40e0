export * from './formats';
export * from './domain';
export * from './errors';
export * from './fields';
export * from './track-update';
export * from './update-order';
export * from './email-address';
export * from './stored-at';
