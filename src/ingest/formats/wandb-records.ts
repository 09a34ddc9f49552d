/**
 * The parts of W&B's `wandb_internal.Record` protobuf (wandb/proto/wandb_internal.proto)
 * that carry a run's data, decoded field by field with ProtoReader. Field numbers:
 *
 *   Record        num 1; oneof: history 2, summary 3, output 4, config 5, files 6, stats 7,
 *                 artifact 8, tbrecord 9, alert 10, telemetry 11, metric 12, output_raw 13,
 *                 run 17, exit 18, final 20, header 21, footer 22, preempting 23, …,
 *                 request 100; control 16, uuid 19
 *   HistoryRecord item 1 (HistoryItem), step 2 (HistoryStep { num 1 })
 *   HistoryItem / ConfigItem / SummaryItem   key 1, nested_key 2 (repeated), value_json 16
 *   ConfigRecord / SummaryRecord             update 1, remove 2
 *   RunRecord     run_id 1, entity 2, project 3, config 4, summary 5, run_group 6,
 *                 job_type 7, display_name 8, notes 9, tags 10, sweep_id 12, host 13,
 *                 starting_step 14, start_time 17 (Timestamp { seconds 1, nanos 2 }), resumed 18
 *                 telemetry 19 (TelemetryRecord)
 *   RunExitRecord exit_code 1, runtime 2
 *   StatsRecord   timestamp 2, item 3 (StatsItem { key 1, value_json 16 })
 *   TelemetryRecord            python_version 4, cli_version 5
 *   EnvironmentRecord (wandb-core's wandb-metadata.json, record 26)
 *                 os 1, python 2, started_at 3 (Timestamp), program 6, host 12
 *
 * Checked against logs written by wandb 0.30.0 (test/fixtures/wandb/sdk): history, summary
 * and config items there all use nested_key, HistoryRecord.step is set (empty for step 0,
 * proto3 leaving out the zero), and an exit record of a clean run is empty.
 *
 * Every decoder throws ProtobufError on malformed bytes; callers count those as bad records.
 */
import { ProtoReader, ProtobufError, WIRE_LENGTH, WIRE_VARINT } from './protobuf.js';

export const RECORD_HISTORY = 2;
export const RECORD_SUMMARY = 3;
export const RECORD_CONFIG = 5;
export const RECORD_STATS = 7;
export const RECORD_RUN = 17;
export const RECORD_TELEMETRY = 11;
export const RECORD_EXIT = 18;
export const RECORD_ENVIRONMENT = 26;

/** The record's payload field (its oneof member), as offsets into the record bytes. */
export interface RecordEnvelope {
  type: number;
  start: number;
  end: number;
}

export function readEnvelope(buf: Buffer): RecordEnvelope | undefined {
  const reader = new ProtoReader(buf);
  let found: RecordEnvelope | undefined;
  while (!reader.done) {
    const [field, wire] = reader.key();
    // num (1), control (16), uuid (19) and _info (200) are bookkeeping; every other
    // length-delimited field is the record's one payload.
    if (wire === WIRE_LENGTH && field !== 16 && field !== 19 && field !== 200) {
      const [start, end] = reader.bytes();
      found = { type: field, start, end };
    } else {
      reader.skip(wire);
    }
  }
  return found;
}

/** A key/value item of history, config and summary records. */
export interface Item {
  /** `key`, or `nested_key` as a path; never empty. */
  path: string[];
  /** The path joined with '/'. */
  name: string;
  valueJson: string;
}

function makeItem(key: string | undefined, nested: string[], valueJson: string): Item {
  if (nested.length > 0) return { path: nested, name: nested.length === 1 ? nested[0]! : nested.join('/'), valueJson };
  if (key === undefined) throw new ProtobufError('item has neither key nor nested_key');
  return { path: [key], name: key, valueJson };
}

function readItemSlow(buf: Buffer, start: number, end: number): Item {
  const reader = new ProtoReader(buf, start, end);
  let key: string | undefined;
  const nested: string[] = [];
  let valueJson = '';
  while (!reader.done) {
    const [field, wire] = reader.key();
    if (field === 1 && wire === WIRE_LENGTH) key = reader.string();
    else if (field === 2 && wire === WIRE_LENGTH) nested.push(reader.string());
    else if (field === 16 && wire === WIRE_LENGTH) valueJson = reader.string();
    else reader.skip(wire);
  }
  return makeItem(key, nested, valueJson);
}

/**
 * Items are most of a history row's bytes (millions per log), so the common layout — tags
 * 0x0a key, 0x12 nested_key, 0x82 0x01 value_json — is decoded in place without a reader
 * object per item, strings straight from the buffer; anything else takes the general path.
 */
function readItem(buf: Buffer, start: number, end: number): Item {
  let p = start;
  let key: string | undefined;
  let nested: string[] | undefined;
  let valueJson = '';
  while (p < end) {
    let field: number;
    const tag = buf[p++]!;
    if (tag === 0x0a) field = 1;
    else if (tag === 0x12) field = 2;
    else if (tag === 0x82 && buf[p] === 0x01) {
      field = 16;
      p++;
    } else return readItemSlow(buf, start, end);
    let length = 0;
    for (let shift = 0; ; shift += 7) {
      if (p >= end || shift > 28) throw new ProtobufError('item field length runs past the end');
      const byte = buf[p++]!;
      length |= (byte & 0x7f) << shift;
      if (byte < 0x80) break;
    }
    const stop = p + length;
    if (length < 0 || stop > end) throw new ProtobufError('item field runs past the end');
    const text = buf.toString('utf8', p, stop);
    p = stop;
    if (field === 1) key = text;
    else if (field === 2) (nested ??= []).push(text);
    else valueJson = text;
  }
  return makeItem(key, nested ?? [], valueJson);
}

export interface HistoryRow {
  items: Item[];
  /** HistoryRecord.step.num when the writer set it (wandb-core does). */
  step?: number;
}

export function readHistory(buf: Buffer, start: number, end: number): HistoryRow {
  const reader = new ProtoReader(buf, start, end);
  const row: HistoryRow = { items: [] };
  while (!reader.done) {
    const [field, wire] = reader.key();
    if (field === 1 && wire === WIRE_LENGTH) {
      const [s, e] = reader.bytes();
      row.items.push(readItem(buf, s, e));
    }
    else if (field === 2 && wire === WIRE_LENGTH) {
      const step = reader.message();
      while (!step.done) {
        const [f, w] = step.key();
        if (f === 1 && w === WIRE_VARINT) row.step = step.int64();
        else step.skip(w);
      }
    } else reader.skip(wire);
  }
  return row;
}

/** ConfigRecord and SummaryRecord share this shape. */
export interface ItemUpdate {
  update: Item[];
  remove: Item[];
}

export function readItemUpdate(buf: Buffer, start: number, end: number): ItemUpdate {
  const reader = new ProtoReader(buf, start, end);
  const out: ItemUpdate = { update: [], remove: [] };
  while (!reader.done) {
    const [field, wire] = reader.key();
    if (field === 1 && wire === WIRE_LENGTH) {
      const [s, e] = reader.bytes();
      out.update.push(readItem(buf, s, e));
    } else if (field === 2 && wire === WIRE_LENGTH) {
      const [s, e] = reader.bytes();
      out.remove.push(readItem(buf, s, e));
    }
    else reader.skip(wire);
  }
  return out;
}

export interface RunInfo {
  runId?: string;
  entity?: string;
  project?: string;
  group?: string;
  jobType?: string;
  displayName?: string;
  notes?: string;
  tags: string[];
  sweepId?: string;
  host?: string;
  startingStep?: number;
  /** Seconds since the Unix epoch. */
  startTime?: number;
  resumed?: boolean;
  config?: ItemUpdate;
  summary?: ItemUpdate;
  telemetry?: Telemetry;
}

function readTimestamp(reader: ProtoReader): number {
  let seconds = 0;
  let nanos = 0;
  while (!reader.done) {
    const [field, wire] = reader.key();
    if (field === 1 && wire === WIRE_VARINT) seconds = reader.int64();
    else if (field === 2 && wire === WIRE_VARINT) nanos = reader.int64();
    else reader.skip(wire);
  }
  return seconds + nanos / 1e9;
}

export function readRun(buf: Buffer, start: number, end: number): RunInfo {
  const reader = new ProtoReader(buf, start, end);
  const run: RunInfo = { tags: [] };
  while (!reader.done) {
    const [field, wire] = reader.key();
    if (wire === WIRE_LENGTH) {
      switch (field) {
        case 1: run.runId = reader.string(); continue;
        case 2: run.entity = reader.string(); continue;
        case 3: run.project = reader.string(); continue;
        case 4: {
          const [s, e] = reader.bytes();
          run.config = readItemUpdate(buf, s, e);
          continue;
        }
        case 5: {
          const [s, e] = reader.bytes();
          run.summary = readItemUpdate(buf, s, e);
          continue;
        }
        case 6: run.group = reader.string(); continue;
        case 7: run.jobType = reader.string(); continue;
        case 8: run.displayName = reader.string(); continue;
        case 9: run.notes = reader.string(); continue;
        case 10: run.tags.push(reader.string()); continue;
        case 12: run.sweepId = reader.string(); continue;
        case 13: run.host = reader.string(); continue;
        case 17: run.startTime = readTimestamp(reader.message()); continue;
        case 19: {
          const [s, e] = reader.bytes();
          run.telemetry = readTelemetry(buf, s, e);
          continue;
        }
        default: reader.skip(wire); continue;
      }
    }
    if (wire === WIRE_VARINT && field === 14) run.startingStep = reader.int64();
    else if (wire === WIRE_VARINT && field === 18) run.resumed = reader.varint() !== 0;
    else reader.skip(wire);
  }
  return run;
}

export interface ExitInfo {
  exitCode: number;
  /** Seconds; absent from wandb-core's exit record of a run shorter than a second. */
  runtime?: number;
}

export function readExit(buf: Buffer, start: number, end: number): ExitInfo {
  const reader = new ProtoReader(buf, start, end);
  const out: ExitInfo = { exitCode: 0 };
  while (!reader.done) {
    const [field, wire] = reader.key();
    // int32 fields: negative values arrive as 64-bit two's complement varints.
    if (field === 1 && wire === WIRE_VARINT) out.exitCode = reader.int64();
    else if (field === 2 && wire === WIRE_VARINT) out.runtime = reader.int64();
    else reader.skip(wire);
  }
  return out;
}

export interface StatsSample {
  /** Seconds since the Unix epoch, NaN when absent. */
  time: number;
  items: { key: string; valueJson: string }[];
}

export function readStats(buf: Buffer, start: number, end: number): StatsSample {
  const reader = new ProtoReader(buf, start, end);
  const out: StatsSample = { time: Number.NaN, items: [] };
  while (!reader.done) {
    const [field, wire] = reader.key();
    if (field === 2 && wire === WIRE_LENGTH) out.time = readTimestamp(reader.message());
    else if (field === 3 && wire === WIRE_LENGTH) {
      const item = reader.message();
      let key = '';
      let valueJson = '';
      while (!item.done) {
        const [f, w] = item.key();
        if (f === 1 && w === WIRE_LENGTH) key = item.string();
        else if (f === 16 && w === WIRE_LENGTH) valueJson = item.string();
        else item.skip(w);
      }
      out.items.push({ key, valueJson });
    } else reader.skip(wire);
  }
  return out;
}

export interface Telemetry {
  pythonVersion?: string;
  cliVersion?: string;
}

export function readTelemetry(buf: Buffer, start: number, end: number): Telemetry {
  const reader = new ProtoReader(buf, start, end);
  const out: Telemetry = {};
  while (!reader.done) {
    const [field, wire] = reader.key();
    if (field === 4 && wire === WIRE_LENGTH) out.pythonVersion = reader.string();
    else if (field === 5 && wire === WIRE_LENGTH) out.cliVersion = reader.string();
    else reader.skip(wire);
  }
  return out;
}

export interface Environment {
  os?: string;
  python?: string;
  /** Seconds since the Unix epoch. */
  startedAt?: number;
  program?: string;
  host?: string;
}

export function readEnvironment(buf: Buffer, start: number, end: number): Environment {
  const reader = new ProtoReader(buf, start, end);
  const out: Environment = {};
  while (!reader.done) {
    const [field, wire] = reader.key();
    if (wire !== WIRE_LENGTH) {
      reader.skip(wire);
      continue;
    }
    switch (field) {
      case 1: out.os = reader.string(); break;
      case 2: out.python = reader.string(); break;
      case 3: out.startedAt = readTimestamp(reader.message()); break;
      case 6: out.program = reader.string(); break;
      case 12: out.host = reader.string(); break;
      default: reader.skip(wire);
    }
  }
  return out;
}
