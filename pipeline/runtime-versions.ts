/**
 * The Node.js major version every build and test job of both pipeline
 * engines runs: CodeBuild's `runtime-versions: nodejs` (CodePipeline engine)
 * and `actions/setup-node`'s `node-version` (github engine).
 *
 * Why 24: Node.js 20 reached end of life on 2026-04-30. Of the LTS lines in
 * support, 22 is in maintenance until 2027-04-30 and 24 until 2028-04-30:
 * 24 puts the next forced move furthest away. Its releases bundle npm 11, the
 * npm major this repository is developed with (22's bundle npm 10, which
 * GitHub jobs would then install with). CodeBuild takes it on the image of
 * the CodePipeline engine: Ubuntu standard:8.0 lists `nodejs` 22 and 24 only
 * (standard:7.0 also 18 and 20, past their end of life), per CodeBuild's
 * "Available runtimes" documentation and the images' runtimes.yml.
 *
 * Lambda runtimes are chosen apart from this (they follow what Lambda supports).
 */
export const NODE_VERSION = 24;
