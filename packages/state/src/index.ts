export * from './keys';
export * from './state-store';
