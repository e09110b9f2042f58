/**
 * DOT -> SVG with Graphviz compiled to WebAssembly (@viz-js/viz): no browser, no system Graphviz,
 * and the same Graphviz version everywhere, so the same DOT always gives the same SVG.
 */
import { instance, type Viz } from '@viz-js/viz';

let viz: Promise<Viz> | undefined;

/** Loads Graphviz once; the function it resolves with renders synchronously. */
export async function svgRenderer(): Promise<(dot: string) => string> {
  viz ??= instance();
  const loaded = await viz;
  return (dot) => {
    const result = loaded.render(dot, { format: 'svg', engine: 'dot' });
    if (result.status === 'failure') {
      throw new Error(`Graphviz could not render the diagram: ${result.errors.map((error) => error.message).join('; ')}`);
    }
    const warnings = result.errors.filter((error) => error.level === 'warning');
    if (warnings.length > 0) throw new Error(`Graphviz warned: ${warnings.map((error) => error.message.trim()).join('; ')}`);
    return result.output;
  };
}

export async function renderSvg(dot: string): Promise<string> {
  return (await svgRenderer())(dot);
}
