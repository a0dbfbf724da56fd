/**
 * Feeds a queue consumer of the local stage as Lambda's SQS event source
 * mapping does: batches of up to `batchSize` messages as SQS events, with
 * partial batch responses (`ReportBatchItemFailures`, as deployed): the
 * messages the handler reports as failed, or the whole batch when it
 * throws, stay in the queue, are delivered again once their visibility
 * timeout passes, and after `maxReceiveCount` deliveries the emulator moves
 * them to the dead-letter queue.
 */
import { DeleteMessageBatchCommand, Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { FunctionHost } from './function-host';
import { EmulatorTarget } from './resources';

/** Options of {@link startQueuePoller}. */
export interface QueuePollerOptions {
  readonly target: EmulatorTarget;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly batchSize: number;
  readonly host: FunctionHost;
  /** Called after each batch (the stage prints it). */
  readonly onBatch?: (entry: BatchLogEntry) => void;
}

/** What the stage prints of each batch. */
export interface BatchLogEntry {
  readonly function: string;
  readonly messages: number;
  readonly failed: number;
  readonly durationMs: number;
  readonly functionError?: string;
}

/** A running poller. */
export interface QueuePoller {
  stop(): Promise<void>;
}

/** Starts polling; each batch is handed to the function once the previous one is done. */
export function startQueuePoller(options: QueuePollerOptions): QueuePoller {
  const sqs = new SQSClient({ ...options.target, maxAttempts: 1 });
  const abort = new AbortController();
  let stopped = false;

  const loop = async () => {
    while (!stopped) {
      let messages: Message[] = [];
      try {
        const received = await sqs.send(new ReceiveMessageCommand({
          QueueUrl: options.queueUrl,
          MaxNumberOfMessages: options.batchSize,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }), { abortSignal: abort.signal });
        messages = received.Messages ?? [];
      } catch {
        if (stopped) return;
        // The emulator is gone or busy: try again shortly.
        await new Promise(resolve => setTimeout(resolve, 500));
        continue;
      }
      if (messages.length === 0) continue;
      try {
        await deliver(messages);
      } catch {
        // Deleting the batch failed: its messages are delivered again after their visibility timeout, as SQS would.
        if (stopped) return;
      }
    }
  };

  const deliver = async (messages: Message[]) => {
    const started = performance.now();
    const event: SQSEvent = { Records: messages.map(m => sqsRecord(m, options.queueArn, options.target.region)) };
    const invocation = await options.host.invoke(event, messages[0].MessageId ?? 'batch');
    let failed: Set<string>;
    let functionError: string | undefined;
    if (!invocation.ok) {
      failed = new Set(messages.map(m => m.MessageId!));
      functionError = `${invocation.errorType}: ${invocation.errorMessage}`;
    } else {
      const failures = (invocation.result as { batchItemFailures?: Array<{ itemIdentifier?: string }> } | null)?.batchItemFailures ?? [];
      failed = new Set(failures.map(f => f.itemIdentifier ?? ''));
    }
    const done = messages.filter(m => !failed.has(m.MessageId!));
    if (done.length > 0 && !stopped) {
      await sqs.send(new DeleteMessageBatchCommand({
        QueueUrl: options.queueUrl,
        Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }));
    }
    options.onBatch?.({
      function: options.host.spec.name,
      messages: messages.length,
      failed: messages.length - done.length,
      durationMs: Math.round(performance.now() - started),
      functionError,
    });
  };

  const running = loop();
  return {
    async stop() {
      stopped = true;
      abort.abort();
      await running.catch(() => undefined);
      sqs.destroy();
    },
  };
}

/** A received message as Lambda's SQS event source passes it. */
function sqsRecord(m: Message, queueArn: string, region: string): SQSEvent['Records'][number] {
  const attributes = m.Attributes ?? {};
  return {
    messageId: m.MessageId!,
    receiptHandle: m.ReceiptHandle!,
    body: m.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, {
      stringValue: v.StringValue,
      binaryValue: v.BinaryValue ? Buffer.from(v.BinaryValue).toString('base64') : undefined,
      stringListValues: v.StringListValues ?? [],
      binaryListValues: [],
      dataType: v.DataType ?? 'String',
    }])),
    md5OfBody: m.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}
