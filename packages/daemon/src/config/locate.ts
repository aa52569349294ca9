// Where a config path is in the YAML text: line and column of the value (or of the key, for an
// unknown key), falling back to the nearest enclosing node that exists (a missing key is reported
// where its map is).
import { type Document, isAlias, isMap, isScalar, isSeq, type LineCounter, type Node } from 'yaml';

export interface Position {
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
}

/** Maps paths such as ['agent', 'targets', 3, 'port'] to positions in one parsed document. */
export class YamlLocator {
  readonly #doc: Document;
  readonly #lines: LineCounter;

  constructor(doc: Document, lines: LineCounter) {
    this.#doc = doc;
    this.#lines = lines;
  }

  /** Position of the node at `path` (of its key when `key`), or of the deepest ancestor present. */
  locate(path: readonly PropertyKey[], key = false): Position | undefined {
    let node: unknown = this.#doc.contents;
    let best = this.#position(node);
    for (const [index, segment] of path.entries()) {
      // An alias stands for its anchored node; a cycle is impossible here because toJS accepted it.
      if (isAlias(node)) node = node.resolve(this.#doc);
      if (isMap(node)) {
        const pair = node.items.find((item) => keyText(item.key) === String(segment));
        if (pair === undefined) return best;
        const keyPosition = this.#position(pair.key);
        const valuePosition = this.#position(pair.value);
        if (index === path.length - 1 && key) return keyPosition ?? best;
        best = valuePosition ?? keyPosition ?? best;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        node = node.items[segment];
        best = this.#position(node) ?? best;
      } else {
        return best;
      }
    }
    return best;
  }

  #position(node: unknown): Position | undefined {
    const range = (node as Partial<Node> | null | undefined)?.range;
    if (range === undefined || range === null) return undefined;
    const { line, col } = this.#lines.linePos(range[0]);
    return { line, column: col };
  }
}

function keyText(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  return String(key);
}
