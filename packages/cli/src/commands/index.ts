import type { Command } from '../command';
import { createJobCommand } from './create-job-command';
import { downloadCommand } from './download-command';
import { listCommand } from './list-command';
import { publishCommand } from './publish-command';
import { statusCommand } from './status-command';
import { uploadCommand } from './upload-command';

/** Every command, in the order help lists them. */
export const COMMANDS: Command[] = [
  uploadCommand,
  publishCommand,
  statusCommand,
  listCommand,
  downloadCommand,
  createJobCommand,
];
