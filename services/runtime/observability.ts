import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';

// Powertools reads POWERTOOLS_SERVICE_NAME, POWERTOOLS_LOG_LEVEL and
// POWERTOOLS_METRICS_NAMESPACE itself; the framework sets them per function.
const environment = process.env.ENVIRONMENT;

/** Structured JSON logger of the function; every line carries the service and environment. */
export const logger = new Logger({ persistentKeys: environment ? { environment } : {} });

/** X-Ray tracer; inactive outside Lambda (tests, local runs). */
export const tracer = new Tracer();

/** CloudWatch embedded-format metrics, flushed at the end of each invocation by {@link instrumented}. */
export const metrics = new Metrics();

/** A Lambda handler taking an event and the context. */
export type LambdaHandler<E, R> = (event: E, context: Context) => Promise<R>;

/**
 * Wraps a handler with the per-invocation Powertools chores: request context
 * on every log line, a traced subsegment with cold start annotation, the
 * cold start metric, and flushing the invocation's metrics even when it fails.
 */
export function instrumented<E, R>(handler: LambdaHandler<E, R>): LambdaHandler<E, R> {
  return async (event, context) => {
    logger.addContext(context);
    metrics.captureColdStartMetric();
    const segment = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
    const subsegment = segment?.addNewSubsegment(`## ${process.env._HANDLER ?? 'handler'}`);
    if (subsegment) {
      tracer.setSegment(subsegment);
      tracer.annotateColdStart();
      tracer.addServiceNameAnnotation();
    }
    try {
      return await handler(event, context);
    } catch (error) {
      if (subsegment) tracer.addErrorAsMetadata(error as Error);
      throw error;
    } finally {
      if (subsegment && segment) {
        subsegment.close();
        tracer.setSegment(segment);
      }
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      // Keys appended during the invocation (e.g. paymentId) must not leak into the next one.
      logger.resetKeys();
    }
  };
}
