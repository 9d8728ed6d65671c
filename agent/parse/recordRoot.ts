/** Record roots: `$` (object = one record, array = records) or `$.a.b[*]` (the array at a.b). */
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
