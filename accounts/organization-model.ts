import { z } from 'zod';
import { checkEdges, EdgeEnvironment, EdgeEnvironmentSchema, Monolith, MonolithSchema } from './edge-model';
import { checkGovernance, GovernanceDeclaration, GovernanceDeclarationSchema } from './governance-model';
import { OnCallEndpoint, OnCallSchema } from './on-call-model';
import { isKnownRegion, KNOWN_REGIONS } from './regions';

/** What an account is for; governance and the pipeline find accounts by role. */
export const ACCOUNT_ROLES = ['log-archive', 'security', 'tooling', 'shared-services', 'workload', 'sandbox'] as const;
/** The role of an account in the organization. */
export type AccountRole = (typeof ACCOUNT_ROLES)[number];

/** Roles Control Tower and the governance stacks need exactly one account of. */
export const SINGLETON_ROLES: readonly AccountRole[] = ['log-archive', 'security', 'tooling'];

/** The delivery pipeline engines the platform can render. */
export const PIPELINE_ENGINES = ['codepipeline', 'github'] as const;
/** A delivery pipeline engine. */
export type PipelineEngine = (typeof PIPELINE_ENGINES)[number];

/**
 * How the delivery plan is split into pipelines: `single` (one pipeline with
 * every wave: small platforms), `per-service` (one pipeline per service) or
 * `per-owner` (one pipeline per owning team), the sharded ones with a
 * platform pipeline that creates the service pipelines.
 */
export const PIPELINE_TOPOLOGIES = ['single', 'per-service', 'per-owner'] as const;
/** A delivery topology. */
export type PipelineTopology = (typeof PIPELINE_TOPOLOGIES)[number];

/** AWS Organizations allows OUs at most five levels deep under the root. */
export const MAX_OU_DEPTH = 5;

/** Separates OU names in an OU path such as `Workloads/Prod`. */
export const OU_PATH_SEPARATOR = '/';

const AccountNameSchema = z.string().regex(/^[a-z][a-z0-9-]{0,49}$/, {
  error: 'is not a valid account name; allowed: 1-50 lowercase letters, digits or hyphens, starting with a letter',
});

// AWS limits an account's root email to 64 characters.
const EmailSchema = z.email({ error: 'is not a valid email address' })
  .max(64, { error: 'is longer than the 64 characters AWS allows for an account email' });

const RegionSchema = z.string().refine(isKnownRegion, {
  error: `is not an AWS region; allowed: ${KNOWN_REGIONS.join(', ')}`,
});

// `/` is reserved as the OU path separator; AWS itself allows 1-128 characters.
const OuNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 _-]{0,127}$/, {
  error: 'is not a valid OU name; allowed: 1-128 letters, digits, spaces, "_" or "-", starting with a letter or digit',
});

/** An organizational unit and the OUs nested in it. */
export interface OrganizationalUnitDeclaration {
  /** Name, unique among its siblings. */
  readonly name: string;
  /** Nested OUs. @default - none */
  readonly children?: readonly OrganizationalUnitDeclaration[];
}

const OrganizationalUnitSchema: z.ZodType<OrganizationalUnitDeclaration> = z.lazy(() => z.strictObject({
  name: OuNameSchema,
  children: z.array(OrganizationalUnitSchema).optional(),
}));

const AccountSchema = z.strictObject({
  /** Stable key of the account in this repository (not the AWS account name). */
  name: AccountNameSchema,
  /** Root user email; unique across AWS. */
  email: EmailSchema,
  /** OU path, e.g. `Workloads/Prod`. */
  ou: z.string(),
  role: z.enum(ACCOUNT_ROLES),
});

const EnvironmentSchema = z.strictObject({
  // Used in stack names, API stage names and GitHub environment names.
  name: z.string().regex(/^[a-z][a-z0-9]{1,15}$/, {
    error: 'is not a valid environment name; allowed: 2-16 lowercase letters or digits, starting with a letter',
  }),
  /** Name of the workload account this environment deploys to. */
  account: z.string(),
  /** Regions the environment deploys to; the first is its primary region. */
  regions: z.array(RegionSchema).min(1),
  /** Whether promotion into this environment waits for a human approval. */
  manualApproval: z.boolean().default(false),
  /**
   * The public edge merchants call (see edge-model.ts): their identity
   * provider, the monolith's URL, a custom domain. @default - no edge: the
   * services are reachable only through their IAM APIs
   */
  edge: EdgeEnvironmentSchema.optional(),
  /**
   * This environment's account quotas where AWS raised them on request
   * (Service Quotas); synth refuses a plan that would not fit.
   */
  quotas: z.strictObject({
    /** AWS AppConfig applications per account (default 100): one per service that declares feature flags. */
    appConfigApplications: z.number().int().min(100).max(10_000).default(100),
  }).default({ appConfigApplications: 100 }),
});

const ConnectionArnSchema = z.string().regex(
  /^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection\/[0-9a-f-]{36}$/,
  { error: 'is not a CodeConnections connection ARN; allowed: arn:aws:codeconnections:<region>:<account>:connection/<uuid>' },
);

const PipelineSchema = z.strictObject({
  engine: z.enum(PIPELINE_ENGINES).default('codepipeline'),
  /**
   * One pipeline for every service (`single`), or one per service or per
   * owning team plus a platform pipeline (`per-service`, `per-owner`): see
   * the README's "Delivery at scale". Synth refuses a plan that does not fit
   * its topology's AWS or GitHub limits and names the fix.
   */
  topology: z.enum(PIPELINE_TOPOLOGIES).default('single'),
  /**
   * The tooling account's IAM roles quota (Service Quotas, IAM "Roles per
   * account": 1,000 by default, adjustable to 5,000). Every pipeline has a
   * role per CodeBuild project, so a pipeline per service needs it raised at
   * a few hundred services: synth refuses pipelines that would not fit.
   */
  iamRoleQuota: z.number().int().min(1000).max(5000).default(1000),
  /** Name of the account (role `tooling`) the pipeline runs in. */
  toolingAccount: z.string(),
  /**
   * Service waves in deployment order: inside an environment, every service
   * of a wave deploys (in parallel) before the next wave starts.
   */
  waves: z.array(z.string().regex(/^[a-z][a-z0-9-]{0,29}$/, {
    error: 'is not a valid wave name; allowed: 1-30 lowercase letters, digits or hyphens, starting with a letter',
  })).min(1).default(['default']),
  /** The GitHub repository the pipeline builds; pushes to `branch` start it. */
  repository: z.strictObject({
    owner: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/, { error: 'is not a GitHub owner name' }),
    name: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, { error: 'is not a GitHub repository name' }),
    branch: z.string().regex(/^[A-Za-z0-9._/-]{1,100}$/, { error: 'is not a branch name' }).default('main'),
  }),
  /**
   * AWS CodeConnections (formerly CodeStar Connections) connection to GitHub,
   * one in the tooling account (service pipeline) ...
   */
  connectionArn: ConnectionArnSchema,
  /** ... and one in the management account (governance pipeline). */
  governanceConnectionArn: ConnectionArnSchema,
  /** Minutes a production wave's alarms must stay quiet before the next wave starts. */
  bakeTimeMinutes: z.number().int().min(0).max(180).default(10),
  /** Replaced by the top-level `onCall` (pipeline failures, trail and budget alarms): refused with the way to move it. */
  notificationEmails: z.never({
    error: 'has moved: declare the platform\'s on-call at the top level instead, as onCall: [{ email: \'...\' }] '
      + '(pipeline failures, the organization trail\'s alarms and budgets all go there)',
  }).optional(),
});

/** Schema of `accounts/organization.ts`: the organization as the platform team declares it. */
export const OrganizationDeclarationSchema = z.strictObject({
  /** Short name of the organization, used as a prefix of resource names. */
  name: z.string().regex(/^[a-z][a-z0-9-]{1,29}$/, {
    error: 'is not a valid organization name; allowed: 2-30 lowercase letters, digits or hyphens, starting with a letter',
  }),
  /** Region of the management account's stacks and Control Tower's home. */
  homeRegion: RegionSchema,
  /** Regions workloads may use; every other region is denied by guardrails. */
  allowedRegions: z.array(RegionSchema).min(1),
  managementAccount: z.strictObject({ name: AccountNameSchema, email: EmailSchema }),
  organizationalUnits: z.array(OrganizationalUnitSchema).min(1),
  accounts: z.array(AccountSchema).min(1),
  /** Deployment environments in promotion order (e.g. dev, staging, prod). */
  environments: z.array(EnvironmentSchema).min(1),
  pipeline: PipelineSchema,
  /**
   * The platform's on-call: who is told when a platform alarm fires (the
   * organization trail's security alarms, budgets, pipeline failures).
   * Services name their own on-call in their manifests.
   */
  onCall: OnCallSchema,
  /** Guardrails, Control Tower, cross-account access and cost controls (see governance-model.ts). */
  governance: GovernanceDeclarationSchema,
  /** The monolith the services are replacing, route by route (see edge-model.ts). @default - none */
  monolith: MonolithSchema.optional(),
}).superRefine(checkReferences);

/** The organization declaration as written (defaults not yet applied). */
export type OrganizationDeclarationInput = z.input<typeof OrganizationDeclarationSchema>;
/** The validated organization declaration. */
export type OrganizationDeclaration = z.output<typeof OrganizationDeclarationSchema>;

/**
 * Declares the organization. Typing only: validation happens when the app
 * loads it, so errors can name the file.
 */
export function defineOrganization(declaration: OrganizationDeclarationInput): OrganizationDeclarationInput {
  return declaration;
}

/** An OU of the declaration, flattened, with its position in the tree. */
export interface FlatOrganizationalUnit {
  /** Path from the root, e.g. `Workloads/Prod`. */
  readonly path: string;
  readonly name: string;
  /** Path of the parent OU, or undefined directly under the root. */
  readonly parentPath?: string;
  /** 1 directly under the root. */
  readonly depth: number;
  /** Where the OU is declared, e.g. `['organizationalUnits', 2, 'children', 0]`. */
  readonly fieldPath: readonly PropertyKey[];
}

/** Lists every OU of the tree, parents before children. */
export function flattenOrganizationalUnits(
  units: readonly OrganizationalUnitDeclaration[],
  parent?: FlatOrganizationalUnit,
  fieldPath: readonly PropertyKey[] = ['organizationalUnits'],
): FlatOrganizationalUnit[] {
  return units.flatMap((unit, i) => {
    const here: FlatOrganizationalUnit = {
      path: parent ? `${parent.path}${OU_PATH_SEPARATOR}${unit.name}` : unit.name,
      name: unit.name,
      parentPath: parent?.path,
      depth: (parent?.depth ?? 0) + 1,
      fieldPath: [...fieldPath, i],
    };
    return [here, ...flattenOrganizationalUnits(unit.children ?? [], here, [...here.fieldPath, 'children'])];
  });
}

function checkReferences(decl: OrganizationDeclaration, ctx: z.RefinementCtx): void {
  const issue = (path: readonly PropertyKey[], message: string, showValue = true) =>
    ctx.addIssue({ code: 'custom', path: [...path], message, params: { showValue } });

  // Platform alarms are not per environment.
  decl.onCall.forEach((endpoint, i) => {
    if (endpoint.environments) {
      issue(['onCall', i, 'environments'], 'applies to service manifests only: platform alarms (trail, budgets, pipelines) belong to no environment; '
        + 'allowed: leave it out');
    }
  });

  // Organizational units: unique among siblings, not too deep.
  const units = flattenOrganizationalUnits(decl.organizationalUnits);
  const seenPaths = new Set<string>();
  for (const unit of units) {
    if (seenPaths.has(unit.path)) {
      issue([...unit.fieldPath, 'name'], `is declared twice under ${unit.parentPath ? `"${unit.parentPath}"` : 'the root'}; OU names must be unique within their parent`);
    }
    seenPaths.add(unit.path);
    if (unit.depth > MAX_OU_DEPTH) {
      issue([...unit.fieldPath, 'name'], `is nested ${unit.depth} levels deep ("${unit.path}"); AWS allows at most ${MAX_OU_DEPTH} levels of OUs under the root`);
    }
  }
  const ouList = [...seenPaths].join(', ');

  // Regions.
  const allowed = new Set(decl.allowedRegions);
  reportDuplicates(decl.allowedRegions, i => issue(['allowedRegions', i], 'is listed twice'));
  if (!allowed.has(decl.homeRegion)) {
    issue(['homeRegion'], `is not in allowedRegions; allowed: ${decl.allowedRegions.join(', ')}`);
  }

  // Accounts: unique names and emails, known OUs, one account per singleton role.
  const accountNames = new Map<string, string>([[decl.managementAccount.name, 'managementAccount']]);
  const emails = new Map<string, string>([[decl.managementAccount.email.toLowerCase(), 'managementAccount']]);
  decl.accounts.forEach((account, i) => {
    const here = `accounts[${i}]`;
    const sameName = accountNames.get(account.name);
    if (sameName) issue(['accounts', i, 'name'], `is already the name of ${sameName}; account names must be unique`);
    else accountNames.set(account.name, here);
    const sameEmail = emails.get(account.email.toLowerCase());
    if (sameEmail) issue(['accounts', i, 'email'], `is already the email of ${sameEmail}; every AWS account needs its own email`);
    else emails.set(account.email.toLowerCase(), here);
    if (!seenPaths.has(account.ou)) {
      issue(['accounts', i, 'ou'], `is not a declared organizational unit; allowed: ${ouList}`);
    }
  });
  for (const role of SINGLETON_ROLES) {
    const count = decl.accounts.filter(a => a.role === role).length;
    if (count !== 1) {
      issue(['accounts'], `must contain exactly one account with role "${role}" (found ${count})`, false);
    }
  }
  const accountByName = new Map(decl.accounts.map(a => [a.name, a]));
  const namesWithRole = (role: AccountRole) =>
    decl.accounts.filter(a => a.role === role).map(a => a.name).join(', ') || '(none)';

  // Environments: unique names, each on its own workload account, regions allowed.
  const envAccounts = new Map<string, string>();
  reportDuplicates(decl.environments.map(e => e.name), i =>
    issue(['environments', i, 'name'], 'is declared twice; each environment appears once in the promotion order'));
  decl.environments.forEach((env, i) => {
    const account = accountByName.get(env.account);
    if (!account) {
      issue(['environments', i, 'account'], `is not a declared account; allowed (role "workload"): ${namesWithRole('workload')}`);
    } else if (account.role !== 'workload') {
      issue(['environments', i, 'account'], `has role "${account.role}", not "workload"; allowed: ${namesWithRole('workload')}`);
    } else if (envAccounts.has(env.account)) {
      issue(['environments', i, 'account'], `is already the account of environment "${envAccounts.get(env.account)}"; each environment needs its own workload account`);
    } else {
      envAccounts.set(env.account, env.name);
    }
    reportDuplicates(env.regions, j => issue(['environments', i, 'regions', j], 'is listed twice'));
    env.regions.forEach((region, j) => {
      if (!allowed.has(region)) {
        issue(['environments', i, 'regions', j], `is not in allowedRegions; allowed: ${decl.allowedRegions.join(', ')}`);
      }
    });
  });

  checkEdges(decl.environments, decl.monolith, decl.allowedRegions, issue);

  // Pipeline.
  reportDuplicates(decl.pipeline.waves, i => issue(['pipeline', 'waves', i], 'is listed twice'));
  const tooling = accountByName.get(decl.pipeline.toolingAccount);
  if (tooling?.role !== 'tooling') {
    issue(['pipeline', 'toolingAccount'], `is not a declared account with role "tooling"; allowed: ${namesWithRole('tooling')}`);
  }
  // A connection is used from its own region only.
  for (const field of ['connectionArn', 'governanceConnectionArn'] as const) {
    const region = decl.pipeline[field].split(':')[3];
    if (ConnectionArnSchema.safeParse(decl.pipeline[field]).success && region !== decl.homeRegion) {
      issue(['pipeline', field], `is in region ${region}; the pipelines run in homeRegion ${decl.homeRegion}, so the connection must be there too`);
    }
  }

  // Governance: targets, Control Tower OUs and budgets refer to declared OUs and accounts.
  const ouOf = (role: AccountRole) => decl.accounts.filter(a => a.role === role).map(a => a.ou);
  checkGovernance(decl.governance, {
    ouPaths: seenPaths,
    topLevelOus: new Set(units.filter(u => u.depth === 1).map(u => u.path)),
    accountNames: new Set(accountNames.keys()),
    environmentAccounts: decl.environments.flatMap(e => {
      const account = accountByName.get(e.account);
      return account ? [{ name: account.name, ou: account.ou }] : [];
    }),
    toolingOu: tooling?.ou,
    securityAccountOus: [...new Set([...ouOf('log-archive'), ...ouOf('security')])],
    allowedRegions: decl.allowedRegions,
  }, issue);
}

function reportDuplicates(values: readonly string[], report: (index: number) => void): void {
  const seen = new Set<string>();
  values.forEach((value, i) => {
    if (seen.has(value)) report(i);
    seen.add(value);
  });
}

/** An organizational unit with its id from the lock file. */
export interface OrganizationalUnit {
  /** Path from the root, e.g. `Workloads/Prod`. */
  readonly path: string;
  readonly name: string;
  /** Path of the parent OU; undefined directly under the root. */
  readonly parentPath?: string;
  /** 1 directly under the root. */
  readonly depth: number;
  /** `ou-...` id. */
  readonly id: string;
}

/** A member account with its id from the lock file. */
export interface Account {
  readonly name: string;
  readonly email: string;
  /** OU path. */
  readonly ou: string;
  readonly role: AccountRole;
  /** 12-digit account id. */
  readonly id: string;
}

/** A deployment environment, bound to its workload account. */
export interface Environment {
  readonly name: string;
  /** 0 for the first environment in promotion order. */
  readonly order: number;
  readonly account: Account;
  /** Regions in deployment order; the first is the primary region. */
  readonly regions: readonly string[];
  /** Whether promotion into this environment waits for a human approval. */
  readonly manualApproval: boolean;
  /**
   * True for the last environment in promotion order: data is retained,
   * deletion-protected and fronted by WAF there.
   */
  readonly production: boolean;
  /** The public edge, when declared. */
  readonly edge?: EdgeEnvironment;
  /** Account quotas AWS raised on request, or AWS's defaults. */
  readonly quotas: { readonly appConfigApplications: number };
}

/** The organization: the validated declaration resolved against the lock file. */
export interface Organization {
  readonly name: string;
  /** `o-...` id. */
  readonly id: string;
  /** `r-...` id. */
  readonly rootId: string;
  readonly homeRegion: string;
  readonly allowedRegions: readonly string[];
  readonly managementAccount: { readonly name: string; readonly email: string; readonly id: string };
  /** Parents before children. */
  readonly organizationalUnits: readonly OrganizationalUnit[];
  readonly accounts: readonly Account[];
  /** In promotion order. */
  readonly environments: readonly Environment[];
  readonly pipeline: {
    readonly engine: PipelineEngine;
    readonly topology: PipelineTopology;
    /** The tooling account's IAM roles quota. */
    readonly iamRoleQuota: number;
    readonly toolingAccount: Account;
    /** Service waves in deployment order. */
    readonly waves: readonly string[];
    readonly repository: { readonly owner: string; readonly name: string; readonly branch: string };
    /** Connection in the tooling account. */
    readonly connectionArn: string;
    /** Connection in the management account. */
    readonly governanceConnectionArn: string;
    readonly bakeTimeMinutes: number;
  };
  /** Who is told when a platform alarm fires. */
  readonly onCall: readonly OnCallEndpoint[];
  /** Guardrails, Control Tower, cross-account access and cost controls, as validated. */
  readonly governance: GovernanceDeclaration;
  /** The monolith being replaced, when declared. */
  readonly monolith?: Monolith;
}

/** The one account with `role` (log-archive, security or tooling). */
export function accountWithRole(org: Organization, role: AccountRole): Account {
  const found = org.accounts.filter(a => a.role === role);
  if (found.length !== 1) {
    throw new Error(`expected exactly one account with role "${role}", found ${found.length}`);
  }
  return found[0];
}
