export * from './model/run.js';
export { ingest, type IngestOptions, type IngestResult } from './ingest/ingest.js';
export { ingestToJson, runToJson, INGEST_SCHEMA } from './ingest/to-json.js';
export { ISSUES, makeIssue, type IngestIssue, type IssueCode, type Severity } from './ingest/issues.js';
export { READERS, readerFor } from './ingest/registry.js';
export type { Reader, Claim, FileEntry, FilePool, ReadContext } from './ingest/reader.js';
export { parseNpy, readNpyFile, type NpyArray, type NpyResult } from './ingest/formats/npy.js';
export { parseJsonLenient } from './ingest/formats/json.js';
export { parseYamlSafe } from './ingest/formats/yaml.js';
