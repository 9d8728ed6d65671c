/**
 * YAML files validated against a TypeBox schema, with every error located by file, line and key
 * path (`xborder.yaml:41 routes[2].upstream: …`). Shared by the config and the policy packs, so
 * start, reload, lint and tests report errors the same way.
 */
import { LineCounter, parseDocument, isMap, isSeq, isNode, type Node } from 'yaml';
import type { TSchema, Static } from '@sinclair/typebox';
import { Value, ValueErrorType } from '@sinclair/typebox/value';

export interface SourceIssue {
  file: string;
  line: number;
  path: string;
  message: string;
}

export const formatIssue = (i: SourceIssue): string => `${i.file}:${i.line} ${i.path || '(root)'}: ${i.message}`;

/** `['routes', 2, 'upstream']` → `routes[2].upstream`. */
export function keyPath(segments: readonly (string | number)[]): string {
  let out = '';
  for (const s of segments) out += typeof s === 'number' ? `[${s}]` : out ? `.${s}` : s;
  return out;
}

export interface ParsedYaml {
  value: unknown;
  /** Line (1-based) of the deepest node that exists along `segments`. */
  lineOf(segments: readonly (string | number)[]): number;
}

export function parseYaml(text: string, file: string): { parsed?: ParsedYaml; issues: SourceIssue[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      issues: doc.errors.map((e) => ({
        file,
        line: lines.linePos(e.pos[0]).line,
        path: '',
        message: e.message.split('\n')[0] ?? e.message,
      })),
    };
  }
  const lineAt = (node: Node | null | undefined): number => (node?.range ? lines.linePos(node.range[0]).line : 1);
  const lineOf = (segments: readonly (string | number)[]): number => {
    let node: unknown = doc.contents;
    let line = lineAt(doc.contents as Node);
    for (const s of segments) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (isNode(p.key) ? (p.key as { value?: unknown }).value : p.key) === s);
        if (!pair) break;
        line = isNode(pair.key) ? lineAt(pair.key) : line;
        node = pair.value;
      } else if (isSeq(node) && typeof s === 'number') {
        node = node.items[s];
        if (isNode(node)) line = lineAt(node);
      } else break;
    }
    return line;
  };
  return { parsed: { value: doc.toJS({ maxAliasCount: 100 }), lineOf }, issues: [] };
}

/** Validate a parsed document; returns every error at once, never just the first. */
export function checkSchema<S extends TSchema>(
  schema: S,
  parsed: ParsedYaml,
  file: string,
): { value?: Static<S>; issues: SourceIssue[] } {
  const issues: SourceIssue[] = [];
  const seen = new Set<string>();
  for (const e of Value.Errors(schema, parsed.value)) {
    const segments = e.path
      .split('/')
      .slice(1)
      .map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
    const path = keyPath(segments);
    const message = e.type === ValueErrorType.ObjectAdditionalProperties ? 'unknown key' : describe(e.schema, e.message);
    const id = `${path}|${message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    issues.push({ file, line: parsed.lineOf(segments), path, message });
  }
  // TypeBox reports a union failure once per branch; keep the most specific message per path.
  const deduped = dropUnionNoise(issues);
  return deduped.length > 0 ? { issues: deduped } : { value: parsed.value as Static<S>, issues: [] };
}

/** TypeBox's message, except a choice of literals names the choices. */
function describe(schema: TSchema, message: string): string {
  const options = (schema as { anyOf?: { const?: unknown }[] }).anyOf;
  if (options?.length && options.every((o) => o.const !== undefined)) return `expected one of: ${options.map((o) => String(o.const)).join(', ')}`;
  return message.charAt(0).toLowerCase() + message.slice(1);
}

function dropUnionNoise(issues: SourceIssue[]): SourceIssue[] {
  const byPath = new Map<string, SourceIssue[]>();
  for (const i of issues) byPath.set(i.path, [...(byPath.get(i.path) ?? []), i]);
  const out: SourceIssue[] = [];
  for (const [path, list] of byPath) {
    const deeper = issues.some((i) => i.path !== path && i.path.startsWith(path) && path !== '');
    const specific = list.filter((i) => !/expected union value/.test(i.message));
    if (specific.length > 0) out.push(...specific);
    else if (!deeper) out.push(...list);
  }
  return out.sort((a, b) => a.line - b.line);
}
