/** Record roots: `$` (object = one record, array = records) or `$.a.b[*]` (the array at a.b). */
import { XbError } from '../errors.js';
import { REPEATED } from './json-duplicates.js';

export interface RecordRoot {
  readonly source: string;
  readonly path: readonly string[];
  /** `[*]`: the value at `path` must be an array whose elements are the records. */
  readonly each: boolean;
}

/** Compile a root expression already checked by the config schema's pattern. */
export function compileRecordRoot(source: string): RecordRoot {
  const each = source.endsWith('[*]');
  const body = each ? source.slice(0, -3) : source;
  const path = body === '$' ? [] : body.slice(2).split('.');
  return { source, path, each };
}

/** The records at `root` in a parsed value (JSON, a JSON part, a decoded protobuf message); XB_PARSE_RECORD_ROOT if absent. */
export function recordsAt(value: unknown, root: RecordRoot, where = 'the body'): unknown[] {
  let node = value;
  for (let i = 0; i < root.path.length; i++) {
    const key = root.path[i] as string;
    if (typeof node !== 'object' || node === null || Array.isArray(node) || !Object.prototype.hasOwnProperty.call(node, key)) {
      throw new XbError('XB_PARSE_RECORD_ROOT', `record root ${root.source}: no key "${root.path.slice(0, i + 1).join('.')}" in ${where}`);
    }
    node = (node as Record<string, unknown>)[key];
    // A repeated key on the root's path (json-duplicates.ts): which of its values holds the records is a guess.
    if (Array.isArray(node) && REPEATED.has(node)) {
      throw new XbError('XB_PARSE_RECORD_ROOT', `record root ${root.source}: key "${root.path.slice(0, i + 1).join('.')}" appears ${node.length} times in ${where}`);
    }
  }
  if (root.each && !Array.isArray(node)) {
    throw new XbError('XB_PARSE_RECORD_ROOT', `record root ${root.source}: expected an array in ${where}, found ${kind(node)}`);
  }
  if (Array.isArray(node)) return node;
  if (typeof node === 'object' && node !== null) return [node];
  throw new XbError('XB_PARSE_RECORD_ROOT', `record root ${root.source}: expected an object or an array in ${where}, found ${kind(node)}`);
}

const kind = (v: unknown): string => (v === null ? 'null' : typeof v);
