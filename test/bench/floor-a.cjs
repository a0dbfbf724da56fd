'use strict';
/**
 * Floor A of the scale benchmark (test/bench/scale.ts), preloaded with
 * NODE_OPTIONS="--require <this file>" into every process of a synth in a
 * copy: the app's `Validations.of(scope).addPlugins(...)` does nothing, so
 * the same app synthesizes without our policy validation plugins (cdk-nag
 * packs, Control Tower guard rules). CDK's own CloudFormation schema check
 * is not added through addPlugins and stays: floor A is what CDK itself
 * costs for exactly these resources. A plugin's `prefetch` (checks the
 * guard validator starts in background threads as each pipeline stage is
 * built, which only its validate() would collect) is ignored too.
 *
 * The aws-cdk-lib patched is the one the working directory (the copy)
 * resolves, through its node_modules symlink. It is patched once the app
 * loads it, so processes that never load it (npx, the CDK CLI, tsx's
 * launcher) pay one cache lookup per require and nothing else.
 */
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');

/** The file of aws-cdk-lib that defines Validations, as the module cache names it (its real path). */
function validationsFile() {
  try {
    const pkg = require.resolve('aws-cdk-lib/package.json', { paths: [process.cwd()] });
    return path.join(fs.realpathSync(path.dirname(pkg)), 'core', 'lib', 'validation', 'validations.js');
  } catch {
    // No aws-cdk-lib from here: nothing of a CDK app runs in this process.
    return undefined;
  }
}

const target = validationsFile();
if (target !== undefined) {
  let patched = false;
  const load = Module._load;
  // Module._load stays wrapped (something loaded later may wrap it too); once patched it only passes calls on.
  Module._load = function floorALoad(...args) {
    const result = load.apply(this, args);
    if (!patched) {
      const validations = Module._cache[target]?.exports?.Validations;
      if (validations?.prototype?.addPlugins) {
        validations.prototype.addPlugins = function addPluginsIgnoredByFloorA(...plugins) {
          // Floor A: plugins added here are ignored, and so is the work one would start before validation.
          for (const plugin of plugins) {
            if (typeof plugin?.prefetch === 'function') plugin.prefetch = function prefetchIgnoredByFloorA() {};
          }
        };
        patched = true;
      }
    }
    return result;
  };
}
