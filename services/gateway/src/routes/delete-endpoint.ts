import { ApiError } from '@ingest/core';
import { API_ENDPOINTS } from '../api/endpoints';
import { endpoint, type EndpointDeps } from '../http/endpoint';
import { id, text } from '../http/params';
import type { UploadDeleter } from '../uploads/upload-deleter';

export interface DeleteEndpointDeps extends EndpointDeps {
  deleter: UploadDeleter;
}

/**
 * `/api/import/delete`: `upload_id=<id>`, `upload_id=ALL` (every
 * unpublished upload and update of the site) or `update_id=<id>`. A
 * `job_id` narrows ALL to that job and, with one id, must be its job:
 * a client naming a job never has more deleted than that job holds.
 */
export function deleteEndpoint(deps: DeleteEndpointDeps) {
  return endpoint(deps, async ({ site, params }) => {
    const uploadParam = text(params, 'upload_id');
    const updateParam = text(params, 'update_id');
    if (uploadParam && updateParam) {
      throw new ApiError(
        'invalid_parameter',
        'give upload_id or update_id, not both',
        { parameters: ['upload_id', 'update_id'] },
      );
    }

    const jobId = id(params, 'job_id');
    let deleted: number;
    if (uploadParam?.toUpperCase() === 'ALL') {
      deleted = await deps.deleter.deleteAll(site, jobId);
    } else if (uploadParam) {
      deleted = await deps.deleter.deleteUpload(
        site,
        id(params, 'upload_id')!,
        jobId,
      );
    } else if (updateParam) {
      deleted = await deps.deleter.deleteUpdate(
        site,
        id(params, 'update_id')!,
        jobId,
      );
    } else {
      throw new ApiError(
        'invalid_parameter',
        'upload_id (an id or ALL) or update_id is required',
        { parameters: ['upload_id', 'update_id'] },
      );
    }
    return { result: 'success', deleted };
  }, { schema: API_ENDPOINTS.delete.params });
}
