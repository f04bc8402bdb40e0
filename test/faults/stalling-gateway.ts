import { tcpRelay, type TestStack } from '@ingest/testkit';

/**
 * A gateway of the stack's that reaches its Redis through a relay, with a
 * switch that stops that Redis (SIGSTOP) the moment a chosen write passes
 * the relay: a stall at one exact step of a call.
 */
export interface StallingGateway {
  url: string;
  /** Stops Redis at the first bytes sent to it for which `at` is true. */
  stallWhen(at: (sent: string) => boolean): void;
  /** Lets Redis go on (SIGCONT) and stops watching; safe to repeat. */
  resume(): void;
  close(): Promise<void>;
}

export async function stallingGateway(stack: TestStack): Promise<StallingGateway> {
  const relay = await tcpRelay(Number(new URL(stack.redisServer.url).port));
  const gateway = await stack.startService('gateway', undefined, {
    REDIS_URL: `redis://127.0.0.1:${relay.port}`,
  });
  let stopped: number | undefined;

  const resume = () => {
    relay.onClientData = undefined;
    if (stopped !== undefined) process.kill(stopped, 'SIGCONT');
    stopped = undefined;
  };
  return {
    url: `http://127.0.0.1:${gateway.port}`,
    stallWhen(at) {
      relay.onClientData = (chunk) => {
        if (stopped !== undefined || !at(chunk.toString('latin1'))) return;
        stopped = stack.redisServer.pid!;
        process.kill(stopped, 'SIGSTOP');
      };
    },
    resume,
    async close() {
      resume();
      await relay.close();
    },
  };
}
