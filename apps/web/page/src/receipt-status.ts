/** What the sender sees of their own message: ticks, or that it is on its way or failed. */
export type SendStatus = 'pending' | 'failed' | 'sent' | 'delivered' | 'read';

/**
 * A stored message of the user's, by the other members' cursors: `read` once every other member
 * read up to it, `delivered` once every other member's devices hold it, `sent` until then (and
 * in a conversation with nobody else).
 */
export function receiptStatus(
  seq: number,
  others: readonly string[],
  receipts: ReadonlyMap<string, { deliveredSeq: number; readSeq: number }>,
): SendStatus {
  if (others.length === 0) return 'sent';
  const all = (reached: (receipt: { deliveredSeq: number; readSeq: number }) => boolean) =>
    others.every((userId) => {
      const receipt = receipts.get(userId);
      return receipt !== undefined && reached(receipt);
    });
  if (all((receipt) => receipt.readSeq >= seq)) return 'read';
  if (all((receipt) => receipt.deliveredSeq >= seq || receipt.readSeq >= seq)) return 'delivered';
  return 'sent';
}
