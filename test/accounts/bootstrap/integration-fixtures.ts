import {
  LockFile,
  OrganizationDeclaration,
  OrganizationDeclarationInput,
  OrganizationDeclarationSchema,
  parseWith,
} from '../../../accounts';
import shippedDeclaration from '../../../accounts/organization';

/** Dummy credentials for moto, set before any client is made. */
export function useEmulatorCredentials(): void {
  process.env.AWS_ACCESS_KEY_ID = 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing';
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
}

/** The shipped declaration (accounts/organization.ts), validated. */
export function shippedOrganization(): OrganizationDeclaration {
  return parseWith(OrganizationDeclarationSchema, shippedDeclaration, 'accounts/organization.ts');
}

/** The shipped declaration as written (not validated: loadOrganization validates it, once), a copy. */
export function shippedDeclarationInput(): OrganizationDeclarationInput {
  return JSON.parse(JSON.stringify(shippedDeclaration)) as OrganizationDeclarationInput;
}

/**
 * The shipped declaration with its connection ARNs moved to the accounts of
 * `lock`, as the platform team does after the first apply (the tool tells them to).
 */
export function declarationFor(lock: LockFile): OrganizationDeclarationInput {
  const declaration = shippedDeclarationInput();
  const inAccount = (arn: string, account: string) => arn.split(':').map((part, i) => (i === 4 ? account : part)).join(':');
  declaration.pipeline.connectionArn = inAccount(declaration.pipeline.connectionArn, lock.accounts[declaration.pipeline.toolingAccount]);
  declaration.pipeline.governanceConnectionArn = inAccount(declaration.pipeline.governanceConnectionArn, lock.managementAccountId);
  return declaration;
}
