/**
 * Streams the records of one CSV file through csv-parse, for every CSV reader (generic CSV,
 * Lightning's metrics.csv, W&B chart exports): a 1 MiB read buffer, progress in bytes, and an
 * unreadable file reported as `file.unreadable`. Records are taken as 'data' events (csv-parse's
 * on_record hook builds a context object per row and halves the throughput); during the event,
 * `parser.info.lines` is the line the record ends on. A parse error ends the stream and is
 * handed back, because what it means differs by reader (stop and report, or skip).
 */
import { createReadStream } from 'node:fs';
import { parse, type CsvError, type Options, type Parser } from 'csv-parse';
import type { FileEntry, ReadContext } from '../reader.js';
import { errorReason } from '../walk.js';

export interface CsvStreamResult {
  /** The parse error that ended the stream early, if any. */
  error?: CsvError;
  /** The file could not be read (already reported). */
  unreadable?: boolean;
}

export function streamCsv(
  file: FileEntry,
  context: Pick<ReadContext, 'issue' | 'progress'>,
  options: Options,
  onRecord: (record: string[], parser: Parser) => void,
): Promise<CsvStreamResult> {
  return new Promise<CsvStreamResult>((resolve) => {
    const input = createReadStream(file.path, { highWaterMark: 1 << 20 });
    const parser = parse(options);
    let bytesDone = 0;
    if (context.progress) {
      input.on('data', (chunk) => {
        bytesDone += chunk.length;
        context.progress!(file.rel, bytesDone, file.size);
      });
    }
    input.on('error', (error) => {
      context.issue('file.unreadable', file.rel, undefined, { reason: errorReason(error) });
      parser.destroy();
      resolve({ unreadable: true });
    });
    parser.on('data', (record: string[]) => onRecord(record, parser));
    parser.on('error', (error: CsvError) => {
      input.destroy();
      resolve({ error });
    });
    parser.on('end', () => resolve({}));
    input.pipe(parser);
  });
}
