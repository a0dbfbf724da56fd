/**
 * The data stores of the local stage, created in the AWS API emulator from
 * the same validated service models synth renders: each service's tables,
 * queues with their dead-letter queues, secrets, and the SSM parameters
 * through which services find each other.
 */
import { randomBytes } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ServiceManifest, serviceParameters } from '../service-model';

/** Where the stage's SDK clients send their calls, and as whom. */
export interface EmulatorTarget {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** What one service's functions are told about its own resources. */
export interface ServiceResources {
  /** Table name by table. */
  readonly tables: Readonly<Record<string, string>>;
  /** Queue URL and ARN, and its dead-letter queue's URL, by queue. */
  readonly queues: Readonly<Record<string, { readonly url: string; readonly arn: string; readonly deadLetterUrl: string }>>;
  /** Secret ARN by secret. */
  readonly secrets: Readonly<Record<string, string>>;
}

/**
 * How long a message received by a local consumer stays invisible: deployed,
 * six times the function's timeout (AWS's advice for Lambda consumers); here
 * short, so a message whose processing failed is delivered again, and after
 * maxReceiveCount deliveries moved to its dead-letter queue, within seconds.
 */
export const LOCAL_VISIBILITY_TIMEOUT_SECONDS = 2;

/**
 * The names of the stage's resources, unique within an emulator:
 * `<service>_<name>`. Service, table, queue and secret names are kebab-case,
 * so `_` cannot occur in them (with `-`, service `a` table `b-c` and
 * service `a-b` table `c` would share `a-b-c`); tables, queues and secrets
 * all accept it.
 */
export const localName = (service: string, name: string) => `${service}_${name}`;

/** Creates `manifest`'s tables, queues and secrets in the emulator. */
export async function createServiceResources(target: EmulatorTarget, manifest: ServiceManifest): Promise<ServiceResources> {
  const dynamodb = new DynamoDBClient(target);
  const sqs = new SQSClient(target);
  const secretsManager = new SecretsManagerClient(target);
  try {
    const tables: Record<string, string> = {};
    for (const [name, table] of Object.entries(manifest.tables)) {
      const tableName = localName(manifest.name, name);
      const keys = [{ name: table.partitionKey, type: 'HASH' as const }, ...table.sortKey ? [{ name: table.sortKey, type: 'RANGE' as const }] : []];
      await dynamodb.send(new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        // Deployed tables declare their keys as strings (services/service-stack.ts).
        AttributeDefinitions: keys.map(k => ({ AttributeName: k.name, AttributeType: 'S' })),
        KeySchema: keys.map(k => ({ AttributeName: k.name, KeyType: k.type })),
      }));
      if (table.timeToLiveAttribute) {
        await dynamodb.send(new UpdateTimeToLiveCommand({
          TableName: tableName,
          TimeToLiveSpecification: { Enabled: true, AttributeName: table.timeToLiveAttribute },
        }));
      }
      tables[name] = tableName;
    }

    const queues: Record<string, ServiceResources['queues'][string]> = {};
    for (const [name, queue] of Object.entries(manifest.queues)) {
      const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${localName(manifest.name, name)}_dlq` }));
      const dlqArn = await queueArn(sqs, dlq.QueueUrl!);
      const created = await sqs.send(new CreateQueueCommand({
        QueueName: localName(manifest.name, name),
        Attributes: {
          VisibilityTimeout: String(LOCAL_VISIBILITY_TIMEOUT_SECONDS),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: queue.maxReceiveCount }),
        },
      }));
      queues[name] = { url: created.QueueUrl!, arn: await queueArn(sqs, created.QueueUrl!), deadLetterUrl: dlq.QueueUrl! };
    }

    const secrets: Record<string, string> = {};
    for (const [name, secret] of Object.entries(manifest.secrets)) {
      const created = await secretsManager.send(new CreateSecretCommand({
        Name: localName(manifest.name, name),
        Description: `${secret.description} (${manifest.name}, local)`,
        // As deployed: a random value of 64 letters and digits.
        SecretString: randomAlphanumeric(64),
      }));
      secrets[name] = created.ARN!;
    }
    return { tables, queues, secrets };
  } finally {
    dynamodb.destroy();
    sqs.destroy();
    secretsManager.destroy();
  }
}

/** Publishes what `manifest`'s dependents read from SSM, as its deployed stack does (services/service-stack.ts). */
export async function publishServiceParameters(target: EmulatorTarget, org: string, env: string, manifest: ServiceManifest,
  apiUrl: string | undefined, resources: ServiceResources): Promise<string[]> {
  const ssm = new SSMClient(target);
  const parameters: Record<string, string> = {};
  if (apiUrl) {
    parameters[serviceParameters.apiUrl(org, env, manifest.name)] = apiUrl;
    parameters[serviceParameters.apiId(org, env, manifest.name)] = `local-${manifest.name}`;
  }
  for (const [name, queue] of Object.entries(resources.queues)) {
    parameters[serviceParameters.queueUrl(org, env, manifest.name, name)] = queue.url;
    parameters[serviceParameters.queueArn(org, env, manifest.name, name)] = queue.arn;
  }
  try {
    for (const [Name, Value] of Object.entries(parameters)) {
      await ssm.send(new PutParameterCommand({ Name, Value, Type: 'String', Overwrite: true }));
    }
    return Object.keys(parameters);
  } finally {
    ssm.destroy();
  }
}

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  return attributes.Attributes!.QueueArn!;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomAlphanumeric(length: number): string {
  // 248 = 62 * 4: bytes at or above it are dropped, so every character is equally likely.
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length)) if (byte < 248 && out.length < length) out += ALPHANUMERIC[byte % 62];
  }
  return out;
}
