/** A file's media type from its extension, for the CLI commands that read bodies from files. */
export const BY_EXTENSION: Readonly<Record<string, string>> = {
  '.json': 'application/json',
  '.ndjson': 'application/x-ndjson',
  '.jsonl': 'application/x-ndjson',
  '.csv': 'text/csv',
  '.tsv': 'text/tab-separated-values',
  '.txt': 'text/plain',
  '.pb': 'application/x-protobuf',
  '.bin': 'application/x-protobuf',
};
