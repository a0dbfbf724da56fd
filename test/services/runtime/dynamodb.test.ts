import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { cancellationReasons, isConditionalCheckFailed } from '../../../services/runtime/dynamodb';

test('recognises a failed condition, and nothing else, as ConditionalCheckFailed', () => {
  expect(isConditionalCheckFailed(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }))).toBe(true);
  expect(isConditionalCheckFailed(new Error('throttled'))).toBe(false);
  expect(isConditionalCheckFailed('ConditionalCheckFailedException')).toBe(false);
});

test('lists the cancellation reasons of a cancelled transaction in item order', () => {
  const error = new TransactionCanceledException({
    message: 'cancelled',
    $metadata: {},
    CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }, {}],
  });
  expect(cancellationReasons(error)).toEqual(['ConditionalCheckFailed', 'None', 'None']);
  expect(cancellationReasons(new Error('other'))).toBeUndefined();
});
