import './quiet-environment';
import { instrumented, logger, metrics } from '../../../services/runtime/observability';
import { lambdaContext } from '../../../services/runtime/testing';

test('publishes the invocation\'s metrics and forgets its log keys, also when the handler fails', async () => {
  const publish = jest.spyOn(metrics, 'publishStoredMetrics');
  const resetKeys = jest.spyOn(logger, 'resetKeys');
  const failing = instrumented(async () => {
    logger.appendKeys({ paymentId: 'pay_1' });
    metrics.addMetric('PaymentCreated', 'Count', 1);
    throw new Error('boom');
  });
  await expect(failing({}, lambdaContext())).rejects.toThrow('boom');
  expect(publish).toHaveBeenCalledTimes(1);
  expect(resetKeys).toHaveBeenCalledTimes(1);
  expect(metrics.hasStoredMetrics()).toBe(false);
});

test('returns what the handler returns, with the Lambda context on the logger', async () => {
  const addContext = jest.spyOn(logger, 'addContext');
  const context = lambdaContext();
  const ok = instrumented(async (event: { n: number }) => event.n * 2);
  await expect(ok({ n: 21 }, context)).resolves.toBe(42);
  expect(addContext).toHaveBeenCalledWith(context);
});
