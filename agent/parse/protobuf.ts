/**
 * Protobuf (`application/x-protobuf`): one message of the route's type, decoded with protobufjs
 * from the route's `.proto` files (loaded once, when the snapshot is built) and converted to a
 * plain object (64-bit integers and enums as strings, bytes as base64); the route's record root
 * applies to that object. Field names are those of the `.proto` (keepCase).
 * A field number the `.proto` does not declare is refused, not skipped: protobuf readers drop
 * unknown fields silently, and data the gateway cannot name must not leave uninspected.
 */
import { existsSync } from 'node:fs';
import protobuf from 'protobufjs';
import { XbError } from '../errors.js';
import { recordsAt, type RecordRoot } from './recordRoot.js';

export type MessageType = protobuf.Type;

/** Where in the route's `protobuf` config a load problem is: `files[j]`, `files` or `messageType`. */
export type ProtobufIssue = { readonly key: readonly (string | number)[]; readonly message: string };

/** Load `files` (absolute paths) and find `messageType`; a problem is returned, never thrown. */
export function loadMessageType(files: readonly string[], messageType: string): { type: MessageType } | { issue: ProtobufIssue } {
  const missing = files.findIndex((f) => !existsSync(f));
  if (missing >= 0) return { issue: { key: ['files', missing], message: `no such file: ${files[missing]}` } };
  const root = new protobuf.Root();
  // One file at a time, so a syntax error (or a broken import) is reported at its own files[j].
  for (const [j, file] of files.entries()) {
    try {
      root.loadSync(file, { keepCase: true });
    } catch (err) {
      return { issue: { key: ['files', j], message: `${file} does not load: ${(err as Error).message}` } };
    }
  }
  try {
    root.resolveAll();
  } catch (err) {
    return { issue: { key: ['files'], message: `the .proto files do not resolve: ${(err as Error).message}` } };
  }
  const found = root.lookup(messageType);
  if (!(found instanceof protobuf.Type)) {
    const known = listTypes(root).slice(0, 20).join(', ');
    return { issue: { key: ['messageType'], message: `no message type ${messageType} in the .proto files (known: ${known || 'none'})` } };
  }
  return { type: found };
}

function listTypes(ns: protobuf.NamespaceBase): string[] {
  return ns.nestedArray.flatMap((o) => [
    ...(o instanceof protobuf.Type ? [o.fullName.replace(/^\./, '')] : []),
    ...(o instanceof protobuf.Namespace || o instanceof protobuf.Type ? listTypes(o) : []),
  ]);
}

/** Decode one message and return the records at `root`; XB_PARSE_PROTOBUF_INVALID when it does not decode. */
export function parseProtobufRecords(bytes: Uint8Array, type: MessageType, root: RecordRoot, where = 'the body'): unknown[] {
  const name = type.fullName.replace(/^\./, '');
  let message: protobuf.Message;
  try {
    message = type.decode(bytes);
  } catch (err) {
    // protobufjs names offsets, lengths and wire types, never field contents.
    throw new XbError('XB_PARSE_PROTOBUF_INVALID', `${where} does not decode as ${name}: ${(err as Error).message}`);
  }
  checkKnownFields(type, bytes, name, where);
  const value = type.toObject(message, { longs: String, enums: String, bytes: String });
  return recordsAt(value, root, where);
}

/** Walk the wire format: every field number must be declared, in nested messages and map values too. */
function checkKnownFields(type: protobuf.Type, bytes: Uint8Array, path: string, where: string): void {
  const reader = protobuf.Reader.create(bytes);
  try {
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      const id = tag >>> 3;
      const wire = tag & 7;
      const field = type.fieldsById[id];
      if (!field) {
        throw new XbError(
          'XB_PARSE_PROTOBUF_INVALID',
          `${where} has field number ${id} in ${path}, which the route's .proto files do not declare (update them to the sender's)`,
        );
      }
      const sub = field.resolve().resolvedType;
      if (wire === 2 && sub instanceof protobuf.Type) {
        const inner = reader.bytes();
        if (field instanceof protobuf.MapField) checkMapEntry(sub, inner, `${path}.${field.name}`, where);
        else checkKnownFields(sub, inner, `${path}.${field.name}`, where);
      } else reader.skipType(wire);
    }
  } catch (err) {
    if (err instanceof XbError) throw err;
    throw new XbError('XB_PARSE_PROTOBUF_INVALID', `${where} does not decode as ${path}: ${(err as Error).message}`);
  }
}

/** A map entry is `{ 1: key, 2: value }`; only a message value has fields of its own. */
function checkMapEntry(valueType: protobuf.Type, bytes: Uint8Array, path: string, where: string): void {
  const reader = protobuf.Reader.create(bytes);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 2 && (tag & 7) === 2) checkKnownFields(valueType, reader.bytes(), path, where);
    else reader.skipType(tag & 7);
  }
}
