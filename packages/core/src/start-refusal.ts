/**
 * A start refused for a reason an operator can fix: a bad setting, a
 * Redis that may evict keys, an ffmpeg without an encoder. `message` is
 * one line saying what is wrong and how to fix it. It is told without a
 * stack: the stack of a refusal points into the check that refused,
 * which helps nobody, and buries the line that does.
 */
export class StartRefusal extends Error {
  override name = 'StartRefusal';
}

/** Settings that are missing or bad; `problems` names each variable. */
export class ConfigError extends StartRefusal {
  override name = 'ConfigError';

  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
  }
}
