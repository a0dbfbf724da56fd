import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  checkLicences, CycloneDxBom, CycloneDxComponent, devOnlyInMetafile, devOnlyInSourceMap, devOnlyInText, licenceAllowed, licenceNeeds,
  PackageUse, packagesOf, parseLicenceExpression, productionPaths, readSignatureAudit, scanBundles,
} from '../../scripts/supply-chain';

const ALLOW = ['MIT', 'ISC', 'Apache-2.0', 'BSD-3-Clause'];
const SIMULATOR = '@cloud-copilot/iam-simulate';

/** A component as cyclonedx-npm writes it. */
function component(fullName: string, version: string, licence: CycloneDxComponent['licenses'], dev = false): CycloneDxComponent {
  const [group, name] = fullName.startsWith('@') ? fullName.split('/') : [undefined, fullName];
  return {
    name,
    group,
    version,
    licenses: licence,
    properties: [{ name: 'cdx:npm:package:path', value: `node_modules/${fullName}` }, ...(dev ? [{ name: 'cdx:npm:package:development', value: 'true' }] : [])],
  };
}
const id = (spdx: string) => [{ license: { id: spdx } }];
const expression = (spdx: string) => [{ expression: spdx }];

describe('licence expressions', () => {
  test('an allowed licence passes and one not on the list fails', () => {
    expect(licenceAllowed('MIT', ALLOW)).toBe(true);
    expect(licenceAllowed('GPL-3.0-only', ALLOW)).toBe(false);
  });

  test('ids match whatever their case, as SPDX says', () => {
    expect(licenceAllowed('apache-2.0', ALLOW)).toBe(true);
  });

  test('an OR passes when one alternative is allowed', () => {
    expect(licenceAllowed('(MIT OR GPL-3.0-or-later)', ALLOW)).toBe(true);
    expect(licenceAllowed('(GPL-2.0-only OR AGPL-3.0-only)', ALLOW)).toBe(false);
  });

  test('an AND passes only when every licence is allowed', () => {
    expect(licenceAllowed('Apache-2.0 AND MIT', ALLOW)).toBe(true);
    expect(licenceAllowed('(MIT AND Zlib)', ALLOW)).toBe(false);
    expect(licenceAllowed('(MIT AND Zlib)', [...ALLOW, 'Zlib'])).toBe(true);
  });

  test('AND binds tighter than OR, and parentheses override it', () => {
    expect(parseLicenceExpression('MIT OR Zlib AND GPL-3.0-only')).toEqual({
      op: 'OR', left: { id: 'MIT' }, right: { op: 'AND', left: { id: 'Zlib' }, right: { id: 'GPL-3.0-only' } },
    });
    expect(licenceAllowed('MIT OR Zlib AND GPL-3.0-only', ALLOW)).toBe(true);
    expect(licenceAllowed('(MIT OR Zlib) AND GPL-3.0-only', ALLOW)).toBe(false);
  });

  test('an exception only adds permissions: X WITH exception passes when X is allowed', () => {
    expect(licenceAllowed('Apache-2.0 WITH LLVM-exception', ALLOW)).toBe(true);
    expect(licenceAllowed('GPL-2.0-only WITH Classpath-exception-2.0', ALLOW)).toBe(false);
    expect(licenceAllowed('GPL-2.0-only WITH Classpath-exception-2.0', ['GPL-2.0-only WITH Classpath-exception-2.0'])).toBe(true);
  });

  test('text that is no SPDX expression fails unless listed as it is', () => {
    expect(parseLicenceExpression('SEE LICENSE IN LICENSE.md')).toBeUndefined();
    expect(parseLicenceExpression('(MIT OR')).toBeUndefined();
    expect(licenceAllowed('SEE LICENSE IN LICENSE.md', ALLOW)).toBe(false);
    expect(licenceAllowed('MIT OR', ALLOW)).toBe(false);
  });
});

describe('the licence check over an SBOM', () => {
  const bom: CycloneDxBom = {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    components: [
      component('zod', '4.6.7', id('MIT')),
      component('pako', '1.0.11', expression('(MIT AND Zlib)')),
      component('case', '1.6.3', expression('(MIT OR GPL-3.0-or-later)')),
      component('left-pad', '1.3.0', undefined, true),
      component('gpl-tool', '2.0.0', id('GPL-3.0-only'), true),
      { ...component(SIMULATOR, '0.1.173', id('AGPL-3.0-or-later'), true), components: [component('semver', '6.3.2', id('ISC'), true)] },
      component('semver', '6.3.2', id('ISC')),
    ],
  };

  test('reads every package once, nested ones included, production when any copy is', () => {
    const packages = packagesOf(bom);
    expect(packages.map(p => `${p.name}@${p.version} ${p.scope}`)).toEqual([
      `${SIMULATOR}@0.1.173 dev`, 'case@1.6.3 production', 'gpl-tool@2.0.0 dev', 'left-pad@1.3.0 dev', 'pako@1.0.11 production',
      'semver@6.3.2 production', 'zod@4.6.7 production',
    ]);
  });

  test('fails each package whose licence is not allowed or missing, one line naming it, its licence and its scope', () => {
    const outcome = checkLicences(packagesOf(bom), { allow: ALLOW, devOnly: [SIMULATOR] });
    expect(outcome.problems).toEqual([
      'gpl-tool@2.0.0: licence GPL-3.0-only is not allowed (dev dependency)',
      'left-pad@1.3.0: no licence declared (dev dependency)',
      'pako@1.0.11: licence (MIT AND Zlib) is not allowed (production dependency)',
    ]);
    expect(outcome.devOnlyAccepted.map(p => p.name)).toEqual([SIMULATOR]);
  });

  test('a dev-only package fails as soon as a production dependency needs it', () => {
    const inProduction = { ...bom, components: [component(SIMULATOR, '0.1.173', id('AGPL-3.0-or-later'))] };
    expect(checkLicences(packagesOf(inProduction), { allow: ALLOW, devOnly: [SIMULATOR] }).problems).toEqual([
      `${SIMULATOR}@0.1.173 (AGPL-3.0-or-later) is dev-only (--dev-only) but a production dependency`,
    ]);
  });

  test('a dev-only package that npm ls --omit=dev finds fails with the path that reaches it', () => {
    const tree = {
      name: 'app',
      version: '0.0.0',
      dependencies: { 'policy-kit': { version: '1.0.0', dependencies: { [SIMULATOR]: { version: '0.1.173' } } } },
    };
    const paths = productionPaths(tree, [SIMULATOR]);
    expect([...paths]).toEqual([[`${SIMULATOR}@0.1.173`, `app > policy-kit > ${SIMULATOR}@0.1.173`]]);
    const devOnlyInSbom = { components: [component(SIMULATOR, '0.1.173', id('AGPL-3.0-or-later'), true)] };
    expect(checkLicences(packagesOf(devOnlyInSbom), { allow: ALLOW, devOnly: [SIMULATOR], productionPaths: paths }).problems).toEqual([
      `${SIMULATOR}@0.1.173 (AGPL-3.0-or-later) is dev-only (--dev-only) but a production dependency: app > policy-kit > ${SIMULATOR}@0.1.173`,
    ]);
  });

  test('tells which packages each allow-list entry is needed for', () => {
    const needs = licenceNeeds(packagesOf(bom), [...ALLOW, 'Zlib'], [SIMULATOR]);
    const names = (entry: string) => needs.get(entry)!.map((p: PackageUse) => p.name);
    expect(names('Zlib')).toEqual(['pako']);
    expect(names('ISC')).toEqual(['semver']);
    expect(names('MIT')).toEqual(['case', 'pako', 'zod']);
    expect(names('BSD-3-Clause')).toEqual([]);
  });
});

describe('dev-only packages in bundles', () => {
  test('an esbuild metafile with an input of a dev-only package is found, by input or by output', () => {
    const metafile = {
      inputs: { 'node_modules/zod/index.js': { bytes: 1 }, [`node_modules/${SIMULATOR}/dist/cjs/index.js`]: { bytes: 1 } },
      outputs: { '.build/bundles/a/f/index.js': { inputs: { [`../node_modules/x/node_modules/${SIMULATOR}/dist/a.js`]: { bytesInOutput: 9 } } } },
    };
    expect(devOnlyInMetafile(metafile, [SIMULATOR])).toEqual([
      { pkg: SIMULATOR, module: `node_modules/${SIMULATOR}/dist/cjs/index.js` },
      { pkg: SIMULATOR, module: `../node_modules/x/node_modules/${SIMULATOR}/dist/a.js` },
    ]);
    expect(devOnlyInMetafile(metafile, ['left-pad'])).toEqual([]);
  });

  test('a source map or an unminified bundle naming a dev-only module is found; a package whose name only starts alike is not', () => {
    expect(devOnlyInSourceMap({ version: 3, sources: ['../../node_modules/zod/v4/index.js', `../../node_modules/${SIMULATOR}/dist/index.js`] }, [SIMULATOR]))
      .toEqual([{ pkg: SIMULATOR, module: `../../node_modules/${SIMULATOR}/dist/index.js` }]);
    const text = `// node_modules/${SIMULATOR}-extra/index.js\nvar a = 1;\n// node_modules/${SIMULATOR}/dist/cjs/simulate.js\nvar b = 2;\n`;
    expect(devOnlyInText(text, [SIMULATOR])).toEqual([{ pkg: SIMULATOR, module: `node_modules/${SIMULATOR}/` }]);
    expect(devOnlyInText('"use strict";var a=require("zod");', [SIMULATOR])).toEqual([]);
  });

  test('scanning a folder of bundles reports each file holding a dev-only module, one line each', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'supply-chain-'));
    try {
      fs.mkdirSync(path.join(dir, 'payments', 'createPayment'), { recursive: true });
      fs.mkdirSync(path.join(dir, 'payments', 'getPayment'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'payments', '.inputs.json'), JSON.stringify({ key: 'k', inputs: { [`/r/node_modules/${SIMULATOR}/dist/a.js`]: 'd' } }));
      fs.writeFileSync(path.join(dir, 'payments', 'createPayment', 'index.js'), '"use strict";var a=1;');
      fs.writeFileSync(path.join(dir, 'payments', 'createPayment', 'index.js.map'), JSON.stringify({ sources: [`../../node_modules/${SIMULATOR}/dist/a.js`] }));
      fs.writeFileSync(path.join(dir, 'payments', 'getPayment', 'index.js'), '"use strict";var b=2;');
      // A clean group with an esbuild metafile, and an unminified bundle with nothing but its text to go by.
      fs.mkdirSync(path.join(dir, 'ledger', 'getBalances'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'ledger', '.meta.json'), JSON.stringify({ inputs: { 'node_modules/zod/index.js': {} }, outputs: {} }));
      fs.writeFileSync(path.join(dir, 'ledger', 'getBalances', 'index.js'), '"use strict";var c=3;');
      fs.mkdirSync(path.join(dir, 'asset.1'));
      fs.writeFileSync(path.join(dir, 'asset.1', 'index.js'), `// node_modules/${SIMULATOR}/dist/cjs/index.js\nvar d = 4;\n`);
      const scan = scanBundles(dir, [SIMULATOR], f => path.relative(dir, f));
      expect(scan).toMatchObject({ bundles: 4, metafiles: 1, inputRecords: 1, sourceMaps: 1, scripts: 4, textOnly: 1 });
      expect(scan.problems).toEqual([
        `asset.1/index.js: names 1 module of dev-only ${SIMULATOR} (node_modules/${SIMULATOR}/)`,
        `payments/.inputs.json: records 1 module of dev-only ${SIMULATOR} (/r/node_modules/${SIMULATOR}/dist/a.js)`,
        `payments/createPayment/index.js.map: maps 1 module of dev-only ${SIMULATOR} (../../node_modules/${SIMULATOR}/dist/a.js)`,
      ]);
      expect(scanBundles(dir, ['left-pad']).problems).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('npm audit signatures', () => {
  test('reads the counts it prints', () => {
    const out = 'audited 912 packages in 6s\n\n912 packages have verified registry signatures\n\n'
      + '241 packages have verified attestations\n(use --json --include-attestations to view attestation details)\n\n';
    expect(readSignatureAudit(out, '', 0)).toEqual({ audited: 912, verifiedSignatures: 912, verifiedAttestations: 241, problems: [] });
  });

  test('fails each package with a missing or invalid signature, one line each', () => {
    const out = 'audited 3 packages in 1s\n\n1 package has a verified registry signature\n\n'
      + '1 package has a missing registry signature but the registry is providing signing keys:\n\nleft-pad@1.3.0 (https://registry.npmjs.org/)\n\n'
      + '1 package has an invalid registry signature:\n\n@scope/evil@6.6.6 (https://registry.npmjs.org/)\n\n'
      + '2 packages have invalid attestations:\n\nleft-pad@1.3.1 (https://registry.npmjs.org/)\nright-pad@1.0.0 (https://registry.npmjs.org/)\n\n'
      + 'Someone might have tampered with these packages since they were published on the registry!\n\n';
    expect(readSignatureAudit(out, '', 1).problems).toEqual([
      'left-pad@1.3.0: missing registry signature (https://registry.npmjs.org/)',
      '@scope/evil@6.6.6: invalid registry signature (https://registry.npmjs.org/)',
      'left-pad@1.3.1: invalid attestation (https://registry.npmjs.org/)',
      'right-pad@1.0.0: invalid attestation (https://registry.npmjs.org/)',
    ]);
  });

  test('an unreachable registry fails with one line naming the host', () => {
    const err = 'npm error code ENOTFOUND\nnpm error syscall getaddrinfo\nnpm error errno ENOTFOUND\n'
      + 'npm error network request to https://tuf-repo-cdn.sigstore.dev/15.root.json failed, reason: getaddrinfo ENOTFOUND tuf-repo-cdn.sigstore.dev\n'
      + 'npm error network This is a problem related to network connectivity.\n';
    expect(readSignatureAudit('', err, 1).problems).toEqual([
      'cannot reach tuf-repo-cdn.sigstore.dev (ENOTFOUND, https://tuf-repo-cdn.sigstore.dev/15.root.json): npm audit signatures needs the npm registry '
        + "and Sigstore's TUF repository (tuf-repo-cdn.sigstore.dev); nothing was verified",
    ]);
  });
});
