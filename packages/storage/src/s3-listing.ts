import {
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { S3Location } from './s3-location';
import type { StoredObject } from './storage';
import { checkPrefix, isKey } from './storage-key';

/** Sends one request to the store, an outage as StorageUnavailableError. */
type Answer = <T>(send: () => Promise<T>) => Promise<T>;

/**
 * The objects under `prefix` in the location's bucket, a page (up to
 * 1000 keys) at a time, keys without the location's own prefix. An
 * object the store gives no date for counts as just written.
 */
export async function* listObjects(
  client: S3Client,
  location: S3Location,
  prefix: string,
  answer: Answer,
): AsyncGenerator<StoredObject> {
  const Prefix = location.prefix + checkPrefix(prefix);
  let token: string | undefined;
  do {
    const page: ListObjectsV2CommandOutput = await answer(() =>
      client.send(
        new ListObjectsV2Command({
          Bucket: location.bucket,
          Prefix,
          ContinuationToken: token,
        }),
      ),
    );
    for (const object of page.Contents ?? []) {
      const key = (object.Key ?? '').slice(location.prefix.length);
      if (!object.Key?.startsWith(Prefix) || !isKey(key)) continue;
      yield {
        key,
        bytes: object.Size ?? 0,
        modifiedAt: object.LastModified ?? new Date(),
      };
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}
