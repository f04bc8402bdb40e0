export * from './file-storage';
export * from './open-storage';
export * from './storage';
