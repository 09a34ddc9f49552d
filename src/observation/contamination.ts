/**
 * Contamination of an eval set by a training corpus (DESIGN 3.1), per eval item:
 *  - n-gram overlap (default n = 13, as GPT-3, Brown et al. 2020 app. C, and
 *    lm-evaluation-harness): the share of the item's distinct n-grams found anywhere in the
 *    training text; any overlap flags the item;
 *  - the PaLM rule (Chowdhery et al. 2022, sec. 8): flagged when ≥ 70 % of the item's
 *    distinct 8-grams occur in the training text;
 *  - exact duplicates: a training record (plain-text line or JSONL `text`) whose normalized
 *    token sequence equals the item's;
 *  - near duplicates: a training record whose MinHash estimate of the Jaccard similarity of
 *    word k-shingles with the item is ≥ the threshold (0.8), found through LSH banding.
 *
 * The eval side is small and hashed first; the training side is fed record by record in
 * pieces, so memory stays bounded by the eval set whatever the corpus size. This module is
 * pure (bytes in, results out); reading files is in contamination-files.ts.
 *
 * Near duplicates cost 128 hash evaluations per shingle, too much for every training
 * record. A record is only MinHashed when it could reach the threshold: J(T, E) ≥ 0.8
 * needs |T ∩ E| ≥ 0.8·|E| shingles of T among the eval shingles, and J ≤ |T ∩ E|/|T| needs
 * most of T's distinct shingles to be eval shingles. Records failing the looser bounds
 * below (half, not 0.8) have true J < 0.5, where a 128-function estimate reaching 0.8 is a
 * 7-standard-error event, so the pruning changes no reported near duplicate in practice.
 */
import { estimateJaccard, bandKeys, lshParameters, minHashFamily, minHashSignature, type LshParameters, type MinHashFamily } from '../stats/minhash.js';
import { PairTable, RollingNgram, SequenceHash, shingleOf, Tokenizer } from '../stats/ngrams.js';

export interface EvalItem {
  id: string;
  text: string;
}

export interface ContaminationOptions {
  /** The overlap n-gram length (13). */
  n?: number;
  /** The PaLM rule's n-gram length (8) and share (0.7). */
  shareN?: number;
  shareThreshold?: number;
  /** Word shingle length for MinHash (5). */
  shingle?: number;
  numPerm?: number;
  /** Estimated Jaccard from which a record is a near duplicate (0.8). */
  jaccardThreshold?: number;
  seed?: number;
}

export interface TrainingLocation {
  file: string;
  /** 1-based line of the record. */
  line: number;
}

export interface ItemContamination {
  id: string;
  /** Normalized tokens of the item. */
  tokens: number;
  /** Share of the item's distinct n-grams seen in training; null when it has fewer than n tokens. */
  ngramOverlap: number | null;
  /** Share of the item's distinct shareN-grams seen in training; null when too short. */
  ngramShare: number | null;
  overlapFlag: boolean;
  shareFlag: boolean;
  exactDuplicate: boolean;
  nearDuplicate: boolean;
  /** Highest MinHash-estimated Jaccard with a training record among LSH candidates, if any. */
  jaccard: number | null;
  /** The first training record that is an exact or near duplicate. */
  duplicateOf: TrainingLocation | null;
  contaminated: boolean;
}

export interface ContaminationSettings {
  n: number;
  shareN: number;
  shareThreshold: number;
  shingle: number;
  numPerm: number;
  jaccardThreshold: number;
  seed: number;
  lsh: LshParameters;
}

export interface ContaminationReport {
  settings: ContaminationSettings;
  items: ItemContamination[];
  contaminated: number;
  counts: { overlap: number; share: number; exactDuplicate: number; nearDuplicate: number; tooShort: number };
  training: { records: number; tokens: number };
}

/** Distinct n-gram ids of one eval item, per n-gram length. */
interface ItemNgrams {
  overlapIds: Int32Array;
  shareIds: Int32Array;
}

export function contaminationSettings(options: ContaminationOptions = {}): ContaminationSettings {
  const n = options.n ?? 13;
  const numPerm = options.numPerm ?? 128;
  const jaccardThreshold = options.jaccardThreshold ?? 0.8;
  return {
    n,
    shareN: options.shareN ?? 8,
    shareThreshold: options.shareThreshold ?? 0.7,
    shingle: options.shingle ?? 5,
    numPerm,
    jaccardThreshold,
    seed: options.seed ?? 0,
    lsh: lshParameters(jaccardThreshold, numPerm),
  };
}

export class ContaminationScanner {
  readonly settings: ContaminationSettings;
  private readonly items: EvalItem[];
  private readonly itemTokens: number[] = [];
  private readonly itemNgrams: ItemNgrams[] = [];
  private readonly overlapTable = new PairTable();
  private readonly shareTable = new PairTable();
  private overlapHits = new Uint8Array(0);
  private shareHits = new Uint8Array(0);
  private readonly exactKeys = new Map<number, number[]>();
  private readonly shingleSet = new PairTable();
  private readonly signatures: (Uint32Array | null)[] = [];
  private readonly bandTables: Map<number, number[]>[] = [];
  private readonly family: MinHashFamily;
  private readonly minItemShingles: number;
  private readonly maxItemShingles: number;

  private readonly exactDuplicate: boolean[];
  private readonly bestJaccard: (number | null)[];
  private readonly duplicateOf: (TrainingLocation | null)[];

  // streaming state
  private readonly tokenizer = new Tokenizer();
  private readonly overlapWindow: RollingNgram;
  private readonly shareWindow: RollingNgram;
  private readonly shingleWindow: RollingNgram;
  private readonly record = new SequenceHash();
  private recordShingleHits = 0;
  private recordShingles = new Uint32Array(256);
  private recordShingleCount = 0;
  /** Set when the record has provably too many distinct shingles to be a near duplicate. */
  private recordTooLarge = false;
  private records = 0;
  private tokens = 0;

  constructor(items: EvalItem[], options: ContaminationOptions = {}) {
    this.settings = contaminationSettings(options);
    const { n, shareN, shingle, numPerm, seed, lsh } = this.settings;
    this.items = items;
    this.family = minHashFamily(numPerm, seed);
    this.overlapWindow = new RollingNgram(n);
    this.shareWindow = new RollingNgram(shareN);
    this.shingleWindow = new RollingNgram(shingle);
    for (let band = 0; band < lsh.bands; band++) this.bandTables.push(new Map());
    let minShingles = Infinity;
    let maxShingles = 0;
    for (let index = 0; index < items.length; index++) {
      const tokenizer = new Tokenizer();
      tokenizer.feed(Buffer.from(items[index]!.text, 'utf8'));
      tokenizer.endRecord();
      const { tokensA, tokensB, count } = tokenizer;
      this.itemTokens.push(count);
      const overlapIds = new Set<number>();
      const shareIds = new Set<number>();
      const shingles = new Set<number>();
      const sequence = new SequenceHash();
      this.overlapWindow.reset();
      this.shareWindow.reset();
      this.shingleWindow.reset();
      for (let t = 0; t < count; t++) {
        const a = tokensA[t]!;
        const b = tokensB[t]!;
        sequence.add(a, b);
        if (this.overlapWindow.push(a, b)) overlapIds.add(this.overlapTable.add(this.overlapWindow.hashA, this.overlapWindow.hashB));
        if (this.shareWindow.push(a, b)) shareIds.add(this.shareTable.add(this.shareWindow.hashA, this.shareWindow.hashB));
        if (this.shingleWindow.push(a, b)) shingles.add(shingleOf(this.shingleWindow.hashA, this.shingleWindow.hashB));
      }
      this.itemNgrams.push({ overlapIds: Int32Array.from(overlapIds), shareIds: Int32Array.from(shareIds) });
      if (count > 0) {
        const key = sequence.key();
        const same = this.exactKeys.get(key);
        if (same) same.push(index);
        else this.exactKeys.set(key, [index]);
      }
      if (shingles.size === 0) {
        this.signatures.push(null);
        continue;
      }
      for (const s of shingles) this.shingleSet.add(s, 0);
      minShingles = Math.min(minShingles, shingles.size);
      maxShingles = Math.max(maxShingles, shingles.size);
      const signature = minHashSignature(Uint32Array.from(shingles), this.family);
      this.signatures.push(signature);
      const keys = bandKeys(signature, lsh);
      for (let band = 0; band < keys.length; band++) {
        const table = this.bandTables[band]!;
        const bucket = table.get(keys[band]!);
        if (bucket) bucket.push(index);
        else table.set(keys[band]!, [index]);
      }
    }
    this.minItemShingles = minShingles;
    this.maxItemShingles = maxShingles;
    this.overlapHits = new Uint8Array(this.overlapTable.size);
    this.shareHits = new Uint8Array(this.shareTable.size);
    this.exactDuplicate = items.map(() => false);
    this.bestJaccard = items.map(() => null);
    this.duplicateOf = items.map(() => null);
    this.startDocument();
  }

  /** Forget the n-gram context: call at the start of each file and of each JSONL record. */
  startDocument(): void {
    this.overlapWindow.reset();
    this.shareWindow.reset();
  }

  /** Feeds part of the current record; `bytes[start, end)` must end on a UTF-8 character boundary. */
  feed(bytes: Uint8Array, start = 0, end = bytes.length): void {
    this.tokenizer.feed(bytes, start, end);
    this.consumeTokens();
  }

  /** Ends the current record (a plain-text line or a JSONL record) found at `location`. */
  endRecord(location: TrainingLocation): void {
    this.tokenizer.endRecord();
    this.consumeTokens();
    this.records++;
    if (this.record.tokens > 0) {
      const same = this.exactKeys.get(this.record.key());
      if (same) {
        for (const index of same) {
          this.exactDuplicate[index] = true;
          this.bestJaccard[index] = 1;
          this.duplicateOf[index] ??= { ...location };
        }
      }
      this.checkNearDuplicate(location);
    }
    this.record.reset();
    this.shingleWindow.reset();
    this.recordShingleHits = 0;
    this.recordShingleCount = 0;
    this.recordTooLarge = false;
  }

  report(): ContaminationReport {
    const { shareThreshold } = this.settings;
    const counts = { overlap: 0, share: 0, exactDuplicate: 0, nearDuplicate: 0, tooShort: 0 };
    const items = this.items.map((item, index): ItemContamination => {
      const { overlapIds, shareIds } = this.itemNgrams[index]!;
      const ngramOverlap = overlapIds.length === 0 ? null : hitShare(overlapIds, this.overlapHits);
      const ngramShare = shareIds.length === 0 ? null : hitShare(shareIds, this.shareHits);
      const jaccard = this.bestJaccard[index]!;
      const result: ItemContamination = {
        id: item.id,
        tokens: this.itemTokens[index]!,
        ngramOverlap,
        ngramShare,
        overlapFlag: ngramOverlap !== null && ngramOverlap > 0,
        shareFlag: ngramShare !== null && ngramShare >= shareThreshold,
        exactDuplicate: this.exactDuplicate[index]!,
        nearDuplicate: jaccard !== null && jaccard >= this.settings.jaccardThreshold,
        jaccard,
        duplicateOf: this.duplicateOf[index]!,
        contaminated: false,
      };
      result.contaminated = result.overlapFlag || result.shareFlag || result.exactDuplicate || result.nearDuplicate;
      if (result.overlapFlag) counts.overlap++;
      if (result.shareFlag) counts.share++;
      if (result.exactDuplicate) counts.exactDuplicate++;
      if (result.nearDuplicate) counts.nearDuplicate++;
      if (ngramOverlap === null) counts.tooShort++;
      return result;
    });
    return {
      settings: this.settings,
      items,
      contaminated: items.filter((item) => item.contaminated).length,
      counts,
      training: { records: this.records, tokens: this.tokens },
    };
  }

  private consumeTokens(): void {
    const { tokensA, tokensB, count } = this.tokenizer;
    const overlapWindow = this.overlapWindow;
    const shareWindow = this.shareWindow;
    const shingleWindow = this.shingleWindow;
    const overlapTable = this.overlapTable;
    const shareTable = this.shareTable;
    const record = this.record;
    for (let t = 0; t < count; t++) {
      const a = tokensA[t]!;
      const b = tokensB[t]!;
      record.add(a, b);
      if (overlapWindow.push(a, b)) {
        const id = overlapTable.find(overlapWindow.hashA, overlapWindow.hashB);
        if (id >= 0) this.overlapHits[id] = 1;
      }
      if (shareWindow.push(a, b)) {
        const id = shareTable.find(shareWindow.hashA, shareWindow.hashB);
        if (id >= 0) this.shareHits[id] = 1;
      }
      if (shingleWindow.push(a, b) && !this.recordTooLarge) this.addRecordShingle(shingleOf(shingleWindow.hashA, shingleWindow.hashB));
    }
    this.tokens += count;
    this.tokenizer.clear();
  }

  private addRecordShingle(shingle: number): void {
    if (this.shingleSet.find(shingle, 0) >= 0) this.recordShingleHits++;
    if (this.recordShingleCount === this.recordShingles.length) {
      // Too many to keep? Deduplicate first: only distinct shingles bound the Jaccard.
      this.recordShingleCount = sortUnique(this.recordShingles, this.recordShingleCount);
      if (this.recordShingleCount > 2 * this.maxItemShingles) {
        this.recordTooLarge = true;
        return;
      }
      if (this.recordShingleCount * 2 > this.recordShingles.length) {
        const grown = new Uint32Array(this.recordShingles.length * 2);
        grown.set(this.recordShingles);
        this.recordShingles = grown;
      }
    }
    this.recordShingles[this.recordShingleCount++] = shingle;
  }

  private checkNearDuplicate(location: TrainingLocation): void {
    if (this.recordTooLarge || this.recordShingleCount === 0) return;
    if (this.recordShingleHits < 0.5 * this.minItemShingles) return;
    const distinct = sortUnique(this.recordShingles, this.recordShingleCount);
    if (distinct > 2 * this.maxItemShingles) return;
    const shingles = this.recordShingles.subarray(0, distinct);
    let shared = 0;
    for (const s of shingles) if (this.shingleSet.find(s, 0) >= 0) shared++;
    if (shared < 0.5 * distinct) return;
    const signature = minHashSignature(shingles, this.family);
    const keys = bandKeys(signature, this.settings.lsh);
    const seen = new Set<number>();
    for (let band = 0; band < keys.length; band++) {
      const bucket = this.bandTables[band]!.get(keys[band]!);
      if (!bucket) continue;
      for (const index of bucket) {
        if (seen.has(index)) continue;
        seen.add(index);
        const estimate = estimateJaccard(signature, this.signatures[index]!);
        const best = this.bestJaccard[index];
        if (best === null || best === undefined || estimate > best) this.bestJaccard[index] = estimate;
        if (estimate >= this.settings.jaccardThreshold) this.duplicateOf[index] ??= { ...location };
      }
    }
  }
}

function hitShare(ids: Int32Array, hits: Uint8Array): number {
  let found = 0;
  for (const id of ids) found += hits[id]!;
  return found / ids.length;
}

/** Sorts `values[0, count)` and removes repeats in place; returns the distinct count. */
function sortUnique(values: Uint32Array, count: number): number {
  if (count === 0) return 0;
  const view = values.subarray(0, count).sort();
  let distinct = 1;
  for (let i = 1; i < count; i++) if (view[i] !== view[distinct - 1]) view[distinct++] = view[i]!;
  return distinct;
}
