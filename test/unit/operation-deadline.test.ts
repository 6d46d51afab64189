import { ferretDbDialect, type LogDocument, MessageRepository, OperationDeadlineError } from '@chat/storage';
import { expect } from 'chai';
import type { Collection } from 'mongodb';

/**
 * An insert the driver never settles (seen with mongodb 7.9 against a FerretDB SIGKILLed during
 * the insert: database-outage.test.ts stalled under load) ends at the repository's deadline as a
 * failed insert, which the writer sends round the retry ladder, instead of stalling it for good.
 */
describe('operation deadline', () => {
  const never = () => new Promise<never>(() => undefined);
  const stuckCollection = { insertMany: never, findOne: never } as unknown as Collection<LogDocument>;

  it('ends an ordered insert the driver never answers as a failure, not a stall', async () => {
    const repository = new MessageRepository(stuckCollection, ferretDbDialect(), 50);
    const started = performance.now();
    const result = await repository.insertOrdered([
      { _id: 'm1', conversationId: 'c', seq: 1, senderId: 's', clientMsgId: 'k', body: 'b', createdAt: new Date() },
    ]);
    expect(result.written).to.equal(0);
    expect(result.stopped?.duplicateKey).to.equal(false);
    expect(result.stopped?.error).to.be.instanceOf(OperationDeadlineError);
    expect(performance.now() - started).to.be.lessThan(1_000);
  });

  it('fails a lookup the driver never answers', async () => {
    const repository = new MessageRepository(stuckCollection, ferretDbDialect(), 50);
    const error = await repository.findById('m1').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(OperationDeadlineError);
  });
});
