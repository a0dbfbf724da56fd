import { fencedBlocks } from './markdown';

/**
 * Mermaid flowcharts as data: nodes, subgraphs and edges written with safe
 * ids and escaped labels, and the edges counted as they are added, so a
 * renderer can check a diagram against Mermaid's limits before anyone tries
 * to draw it.
 */

/**
 * Mermaid's defaults (mermaid 11 config schema: `maxTextSize` 50,000
 * characters, `maxEdges` 500), which GitHub's renderer keeps: a diagram over
 * either is not drawn ("Maximum text size in diagram exceeded", "Too many
 * edges"). Older Mermaid releases stopped at 280 edges, so the plan's
 * diagrams stay far below both.
 */
export const MERMAID_LIMITS = {
  maxTextSize: 50_000,
  maxEdges: 500,
} as const;

/** A Mermaid diagram and the number of edges it draws. */
export interface MermaidDiagram {
  /** The diagram's text, without the ```mermaid fence. */
  readonly text: string;
  /** Edges (links) it draws: each `-->`, `---` or `-.->` between two nodes or subgraphs. */
  readonly edges: number;
}

/** How an edge is drawn. */
export type EdgeStyle = 'arrow' | 'dotted' | 'line' | 'thick';

/** How a node is drawn. */
export type NodeShape = 'box' | 'round' | 'stadium' | 'hexagon' | 'parallelogram' | 'cylinder';

const SHAPES: Record<NodeShape, readonly [string, string]> = {
  box: ['[', ']'],
  round: ['(', ')'],
  stadium: ['([', '])'],
  hexagon: ['{{', '}}'],
  parallelogram: ['[/', '/]'],
  cylinder: ['[(', ')]'],
};

/** A Mermaid id from any text: letters, digits and `_` only, prefixed so it never clashes with a keyword (`end`, `graph`). */
export function mermaidId(prefix: string, ...parts: readonly string[]): string {
  return [prefix, ...parts].join('_').replace(/[^A-Za-z0-9_]/g, '_');
}

/**
 * Text as a quoted Mermaid label: quotes, `#`, angle brackets and backticks
 * as Mermaid entity codes (a backtick would start a Markdown string, `<`
 * HTML); lines joined by `<br/>`.
 */
export function mermaidLabel(...lines: readonly string[]): string {
  const escape = (line: string) => line
    .replace(/#/g, '#35;')
    .replace(/"/g, '#quot;')
    .replace(/</g, '#lt;')
    .replace(/>/g, '#gt;')
    .replace(/`/g, '#96;');
  return `"${lines.map(escape).join('<br/>')}"`;
}

/** Builds a flowchart: nodes and subgraphs in the order added, edges after them. */
export class Flowchart {
  private readonly lines: string[];
  private readonly edgeLines: string[] = [];
  private depth = 1;

  constructor(direction: 'TB' | 'LR') {
    this.lines = [`flowchart ${direction}`];
  }

  /** Adds a node (inside the subgraph being built, if any). */
  public node(id: string, label: readonly string[], shape: NodeShape = 'box'): string {
    const [open, close] = SHAPES[shape];
    this.lines.push(`${this.indent()}${id}${open}${mermaidLabel(...label)}${close}`);
    return id;
  }

  /** Adds a subgraph whose content `body` adds. */
  public subgraph(id: string, label: readonly string[], body: () => void, direction?: 'TB' | 'LR'): string {
    this.lines.push(`${this.indent()}subgraph ${id}[${mermaidLabel(...label)}]`);
    this.depth++;
    if (direction) this.lines.push(`${this.indent()}direction ${direction}`);
    body();
    this.depth--;
    this.lines.push(`${this.indent()}end`);
    return id;
  }

  /** Adds an edge from `from` to `to` (node or subgraph ids), with an optional label. */
  public edge(from: string, to: string, label?: string, style: EdgeStyle = 'arrow'): void {
    const text = label === undefined ? '' : mermaidLabel(label);
    const link = {
      arrow: label === undefined ? '-->' : `-- ${text} -->`,
      dotted: label === undefined ? '-.->' : `-. ${text} .->`,
      line: label === undefined ? '---' : `-- ${text} ---`,
      thick: label === undefined ? '==>' : `== ${text} ==>`,
    }[style];
    this.edgeLines.push(`  ${from} ${link} ${to}`);
  }

  /** The diagram: every node and subgraph, then every edge. */
  public render(): MermaidDiagram {
    const text = [...this.lines, ...this.edgeLines].join('\n');
    return { text, edges: this.edgeLines.length };
  }

  private indent(): string {
    return '  '.repeat(this.depth);
  }
}

/** The ```mermaid blocks of a Markdown document, in order. */
export function mermaidBlocks(markdown: string): string[] {
  return fencedBlocks(markdown).filter(b => b.language === 'mermaid').map(b => b.lines.map(l => l.text).join('\n'));
}

/** What exceeds Mermaid's limits in `diagram`, one line each (empty when it fits). */
export function mermaidLimitProblems(name: string, diagram: MermaidDiagram): string[] {
  const problems: string[] = [];
  if (diagram.text.length > MERMAID_LIMITS.maxTextSize) {
    problems.push(`${name}: ${diagram.text.length} characters; Mermaid draws at most ${MERMAID_LIMITS.maxTextSize} (maxTextSize)`);
  }
  if (diagram.edges > MERMAID_LIMITS.maxEdges) {
    problems.push(`${name}: ${diagram.edges} edges; Mermaid draws at most ${MERMAID_LIMITS.maxEdges} (maxEdges)`);
  }
  return problems;
}
