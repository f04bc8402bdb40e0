/**
 * The field of an upload's or update's record that says its sources
 * were removed with its track (`/api/tracks/delete`), when. The record
 * still names them, for `list`; INGEST_SITE_QUOTA counts them no more.
 */
export const SOURCES_REMOVED = 'sourcesRemovedAt';
