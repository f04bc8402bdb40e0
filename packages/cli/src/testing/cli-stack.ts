import { IngestClient } from '@ingest/client';
import { TestStack, type TestStackOptions } from '@ingest/testkit';

/** A real stack with one site, as the CLI and the SDK reach it. */
export interface CliStack {
  stack: TestStack;
  /** INGEST_URL and INGEST_TOKEN of the site, for `runIngest`. */
  env: Record<string, string>;
  client: IngestClient;
}

export async function startCliStack(options: TestStackOptions = {}): Promise<CliStack> {
  const stack = await TestStack.start(options);
  const site = await stack.createSite();
  return {
    stack,
    env: { INGEST_URL: stack.gatewayUrl, INGEST_TOKEN: site.token },
    client: new IngestClient({ url: stack.gatewayUrl, token: site.token }),
  };
}
