export { runCli, type CliIo } from './run-cli';
export { EXIT, CliUsageError, type ExitCode } from './exit-codes';
export { loadConfig, ENV_VARS, type CliConfig } from './cli-config';
