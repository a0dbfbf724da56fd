import { z } from 'zod';

/**
 * At most this many endpoints per list: each is a subscription (and a chat
 * endpoint two more resources) in every stack with an alarm topic, and a
 * page that goes to ten places is already going to nobody in particular.
 */
export const MAX_ON_CALL_ENDPOINTS = 10;

// SNS's HTTPS endpoints: a public https URL. Credentials in the URL would land in the repository and every template.
const WebhookSchema = z.string().max(2048).superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'is not a URL; allowed: an https:// webhook URL, e.g. the one PagerDuty or Opsgenie gives for Amazon SNS' });
    return;
  }
  if (url.protocol !== 'https:') {
    ctx.addIssue({ code: 'custom', message: `uses ${url.protocol.replace(/:$/, '')}; allowed: https only (notifications carry alarm details)` });
  } else if (url.username || url.password) {
    ctx.addIssue({
      code: 'custom',
      params: { showValue: false },
      message: 'carries a user name or password; allowed: a URL without credentials (they would be stored in the repository and every template): '
        + 'use the integration URL the paging service issues for Amazon SNS',
    });
  } else if (url.hash) {
    ctx.addIssue({ code: 'custom', message: 'has a #fragment, which is never sent to the endpoint; allowed: the URL without it' });
  }
});

// AWS::Chatbot::SlackChannelConfiguration: SlackWorkspaceId ^[0-9A-Z]{1,255}$, SlackChannelId ^[A-Za-z0-9]+$.
const SlackSchema = z.strictObject({
  /** The Slack workspace (team) id, e.g. `T0123ABCD`, authorised once per account in the AWS chat console. */
  workspaceId: z.string().regex(/^[0-9A-Z]{1,255}$/, { error: 'is not a Slack workspace id; allowed: upper-case letters and digits, e.g. T0123ABCD' }),
  /** The channel id, e.g. `C0456EFGH` (channel details, at the bottom), not its name. */
  channelId: z.string().regex(/^[A-Za-z0-9]{1,255}$/, { error: 'is not a Slack channel id; allowed: letters and digits, e.g. C0456EFGH (not the #name)' }),
});

const UUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;
// AWS::Chatbot::MicrosoftTeamsChannelConfiguration: TeamId and TeamsTenantId are UUIDs, TeamsChannelId the URL-encoded `19:...@thread...`.
const TeamsSchema = z.strictObject({
  /** The Microsoft Entra tenant id. */
  tenantId: z.string().regex(UUID, { error: 'is not a Microsoft Entra tenant id; allowed: a UUID' }),
  /** The team id (from the channel link, `groupId=`). */
  teamId: z.string().regex(UUID, { error: 'is not a Microsoft Teams team id; allowed: a UUID (groupId= in the channel link)' }),
  /** The channel id as it appears, URL-encoded, in the channel link: `19%3a...%40thread.tacv2`. */
  channelId: z.string().max(255).regex(/^[A-Za-z0-9\-_=+/.,]*%3[aA][A-Za-z0-9\-_=+/.,]*%40[A-Za-z0-9\-_=+/.,]*$/, {
    error: 'is not a Microsoft Teams channel id; allowed: the URL-encoded id from the channel link, e.g. 19%3aabc...%40thread.tacv2',
  }),
});

/** The ways an alarm reaches a person. */
export const ON_CALL_KINDS = ['email', 'webhook', 'slack', 'teams'] as const;
/** A way an alarm reaches a person. */
export type OnCallKind = (typeof ON_CALL_KINDS)[number];

const OnCallEndpointInputSchema = z.strictObject({
  /** An email address (SNS email subscription: the recipient confirms it once). */
  email: z.email({ error: 'is not a valid email address' }).optional(),
  /** An https webhook, e.g. a PagerDuty or Opsgenie Amazon SNS integration URL (it must confirm the subscription). */
  webhook: WebhookSchema.optional(),
  /** A Slack channel, through AWS's chat integration (Amazon Q Developer in chat applications, formerly AWS Chatbot). */
  slack: SlackSchema.optional(),
  /** A Microsoft Teams channel, through the same integration. */
  teams: TeamsSchema.optional(),
  /**
   * Only alarms of these environments go here (e.g. page for `prod`, a chat channel for the rest).
   * Service manifests only. @default - every environment
   */
  environments: z.array(z.string()).min(1).optional(),
}).superRefine((endpoint, ctx) => {
  const kinds = ON_CALL_KINDS.filter(kind => endpoint[kind] !== undefined);
  if (kinds.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      params: { showValue: false },
      message: kinds.length === 0
        ? `declares no endpoint; allowed: exactly one of ${ON_CALL_KINDS.join(', ')}, e.g. { email: 'team-oncall@example.com' }`
        : `declares ${kinds.join(' and ')} in one entry; allowed: exactly one of ${ON_CALL_KINDS.join(', ')} per entry (add another entry)`,
    });
  }
});

/** An on-call endpoint, as validated. */
export type OnCallEndpoint =
  | { readonly kind: 'email'; readonly address: string; readonly environments?: readonly string[] }
  | { readonly kind: 'webhook'; readonly url: string; readonly environments?: readonly string[] }
  | { readonly kind: 'slack'; readonly workspaceId: string; readonly channelId: string; readonly environments?: readonly string[] }
  | {
    readonly kind: 'teams';
    readonly tenantId: string;
    readonly teamId: string;
    readonly channelId: string;
    readonly environments?: readonly string[];
  };

function normalise(input: z.output<typeof OnCallEndpointInputSchema>): OnCallEndpoint {
  const environments = input.environments ? { environments: input.environments } : {};
  if (input.email !== undefined) return { kind: 'email', address: input.email, ...environments };
  if (input.webhook !== undefined) return { kind: 'webhook', url: input.webhook, ...environments };
  if (input.slack !== undefined) return { kind: 'slack', ...input.slack, ...environments };
  // The superRefine above guarantees exactly one kind.
  return { kind: 'teams', ...input.teams!, ...environments };
}

/** The identity of an endpoint, ignoring its environments: the same channel twice is a mistake. */
export function onCallEndpointKey(endpoint: OnCallEndpoint): string {
  switch (endpoint.kind) {
    case 'email': return `email ${endpoint.address.toLowerCase()}`;
    case 'webhook': return `webhook ${endpoint.url}`;
    case 'slack': return `slack ${endpoint.workspaceId}/${endpoint.channelId}`;
    case 'teams': return `teams ${endpoint.tenantId}/${endpoint.teamId}/${endpoint.channelId}`;
  }
}

/**
 * Where alarms go: 1 to {@link MAX_ON_CALL_ENDPOINTS} endpoints, each named
 * once. Used by the organization (platform alarms) and by each service.
 */
export const OnCallSchema = z.array(OnCallEndpointInputSchema)
  .min(1, { error: 'must name at least one endpoint: who is told when an alarm fires; e.g. [{ email: \'team-oncall@example.com\' }]' })
  .max(MAX_ON_CALL_ENDPOINTS, { error: `must have at most ${MAX_ON_CALL_ENDPOINTS} endpoints (each is a subscription in every stack with alarms)` })
  .transform((endpoints, ctx) => {
    const normalised = endpoints.map(normalise);
    const seen = new Map<string, number>();
    normalised.forEach((endpoint, i) => {
      const key = onCallEndpointKey(endpoint);
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: [i], params: { showValue: false }, message: `repeats onCall[${first}] (${key}); allowed: each endpoint once` });
      }
      seen.set(key, first ?? i);
    });
    return normalised as readonly OnCallEndpoint[];
  });

/** The endpoints that receive the alarms of `environment` (those without an environment list receive every environment's). */
export function onCallFor(endpoints: readonly OnCallEndpoint[], environment: string): OnCallEndpoint[] {
  return endpoints.filter(e => !e.environments || e.environments.includes(environment));
}

/** A readable name of an endpoint for summaries and docs, e.g. `email team@x`, `slack T01/C02`. */
export function describeOnCallEndpoint(endpoint: OnCallEndpoint): string {
  if (endpoint.kind === 'webhook') return `webhook ${new URL(endpoint.url).host}`;
  return onCallEndpointKey(endpoint);
}
