// Parses Mermaid diagrams with the real Mermaid parser (the npm package GitHub's renderer is built on), in Node.js
// under jsdom (Mermaid sanitizes labels with DOMPurify, which needs a DOM). Mermaid ships ES modules only, so the unit
// tests (CommonJS under jest) run this script in a child process: stdin is a JSON array of { name, text }, stdout a
// JSON array of { name, ok, type?, edges?, error? }, one per diagram, in order. `edges` is what Mermaid's flowchart
// parser counted; the text size is compared with Mermaid's own maxTextSize (its render refuses longer text).
import { JSDOM } from 'jsdom';

const { window } = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = window;
globalThis.document = window.document;

const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });
const { maxTextSize, maxEdges } = mermaid.mermaidAPI.getConfig();

let input = '';
for await (const chunk of process.stdin) input += chunk;
const diagrams = JSON.parse(input);

const results = [];
for (const { name, text } of diagrams) {
  try {
    if (text.length > maxTextSize) throw new Error(`${text.length} characters; Mermaid draws at most ${maxTextSize} (maxTextSize)`);
    const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
    const edges = typeof diagram.db.getEdges === 'function' ? diagram.db.getEdges().length : undefined;
    if (edges !== undefined && edges > maxEdges) throw new Error(`${edges} edges; Mermaid draws at most ${maxEdges} (maxEdges)`);
    results.push({ name, ok: true, type: diagram.type, edges });
  } catch (error) {
    results.push({ name, ok: false, error: String(error?.message ?? error).split('\n').slice(0, 4).join('\n') });
  }
}
process.stdout.write(JSON.stringify(results));
