import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../fixtures/organization';

/** Every `from '...'` import of the .ts files of `folder` (recursively), as [file, specifier]. */
function importsOf(folder: string): Array<[string, string]> {
  const dir = path.join(REPO_ROOT, folder);
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter(file => file.endsWith('.ts'))
    .flatMap(file => {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      return [...text.matchAll(/from '([^']+)'/g)].map(m => [`${folder}/${file}`, m[1]] as [string, string]);
    });
}

/** The named imports of `specifier` in `file`. */
function namesImported(file: string, specifier: string): string[] {
  const text = fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
  const match = new RegExp(`import (?:type )?\\{([^}]*)\\} from '${specifier.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}'`).exec(text);
  return (match?.[1] ?? '').split(',').map(n => n.trim()).filter(Boolean);
}

describe('the shared construct kit', () => {
  test('imports none of accounts/, governance/, services/ or pipeline/', () => {
    expect(importsOf('kit').filter(([, spec]) => /^\.\.\/(accounts|governance|services|pipeline)/.test(spec))).toEqual([]);
  });

  test('governance/ never imports the service framework', () => {
    expect(importsOf('governance').filter(([, spec]) => /\/services(\/|$)/.test(spec))).toEqual([]);
  });

  test('pipeline/ reads only service models from services/, never its constructs or helpers', () => {
    const fromServices = importsOf('pipeline').filter(([, spec]) => /\/services(\/|$)/.test(spec));
    // Types and model helpers of services/service-model.ts (re-exported by services/index.ts).
    const models = new Set(['Service', 'ServiceManifest', 'serviceParameters', 'dependencyParameters', 'envName', 'EDGE_DEPENDENCY', 'EDGE_SERVICE_NAME']);
    for (const [file, spec] of fromServices) {
      expect(spec).toBe('../services');
      expect(namesImported(file, spec).filter(n => !models.has(n))).toEqual([]);
    }
  });
});
