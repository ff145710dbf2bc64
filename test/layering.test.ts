// The module graph: no import cycles (type-only imports are erased and do not count), and
// no lower layer importing an upper one. dpdm builds the graph; this file only states the
// layers (DESIGN.md "Layers").
import { parseCircular, parseDependencyTree } from 'dpdm';
import { describe, expect, it } from 'vitest';

// Lower numbers are lower layers. A module may import a module of a lower layer, or one
// in its own folder.
const layers: [RegExp, number][] = [
  [/^lib\/errors\.ts$/, 0],
  [/^lib\/sys\/types\.ts$/, 0],
  [/^lib\/internal\/(fd|args)\.ts$/, 1],
  [/^lib\/native\.ts$/, 1],
  [/^lib\/internal\/init\.ts$/, 2],
  [/^lib\/sys\//, 3],
  [/^lib\/selectors\//, 4],
  [/^lib\/loop\//, 5],
  [/^lib\/(tasks|sync)\//, 6],
  [/^lib\/net\//, 7],
  [/^lib\/executor\//, 7], // worker-thread pools: loop + errors; protocols' EventLoop uses it
  [/^lib\/protocols\//, 8],
  [/^lib\/streams\//, 9],
  [/^lib\/(index|sys)\.ts$/, 10], // the entry points only re-export
];

function layerOf(file: string): number {
  const found = layers.find(([pattern]) => pattern.test(file));
  if (found === undefined) throw new Error(`no layer declared for ${file}`);
  return found[1];
}

const folder = (file: string): string => file.slice(0, file.lastIndexOf('/'));

describe('module graph', async () => {
  const tree = await parseDependencyTree(['lib/index.ts', 'lib/sys.ts'], {
    context: process.cwd(),
    transform: true, // drop type-only imports
  });

  it('has no import cycles', () => {
    expect(parseCircular(tree)).toEqual([]);
  });

  it('has no lower layer importing an upper one', () => {
    const violations: string[] = [];
    for (const [file, deps] of Object.entries(tree)) {
      if (!file.startsWith('lib/')) continue;
      for (const dep of deps ?? []) {
        if (dep.id === null || !dep.id.startsWith('lib/')) continue;
        if (folder(dep.id) === folder(file)) continue;
        if (layerOf(dep.id) >= layerOf(file)) violations.push(`${file} -> ${dep.id}`);
      }
    }
    expect(violations).toEqual([]);
  });
});
