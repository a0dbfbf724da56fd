/**
 * What every pipeline build runs besides its tests and synth, the same in
 * both engines and in CI (.ci/run): the scanners of the README's "Quality
 * gates", each failing the build on an unacknowledged finding.
 */

/** The dependency audit: known vulnerabilities at high severity in what is deployed. */
export const DEPENDENCY_AUDIT = 'npm audit --audit-level=high --omit=dev';

/** Before the tests: secrets in the source (gitleaks; the files, as a pipeline's source has no history). */
export const SCANS_BEFORE_TESTS: readonly string[] = [DEPENDENCY_AUDIT, 'npx projen scan:secrets'];

/**
 * After the synth, over what it wrote: every template under checkov; the
 * supply chain (signatures and provenance, the SBOM, licences, no dev-only
 * package in a bundle).
 */
export const SCANS_AFTER_SYNTH: readonly string[] = ['npx projen scan:iac', 'npx projen scan:deps'];

/** The github engine's builds, after the synth has rewritten the workflows: actionlint with shellcheck over them. */
export const WORKFLOW_SCANS: readonly string[] = ['npx projen scan:workflows'];

/** Where the scanners write their reports: SARIF (GitHub code scanning) and JUnit (CodeBuild report groups). */
export const SCAN_REPORTS_DIR = '.build/reports';
