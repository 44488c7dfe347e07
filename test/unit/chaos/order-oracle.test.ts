/**
 * The FIFO order rule of the chaos run (scripts/chaos/oracles/order.ts) on hand-made runs: no two runs
 * of one group overlap, whatever their status, and the producer's messages run in send order.
 */
import { orderViolations, type GroupMessage } from '../../../scripts/chaos/oracles/order';

const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second));
const run = (start: number, close?: number) => ({ start: at(start), ...(close !== undefined && { close: at(close) }) });
const check = (...messages: GroupMessage[]) => orderViolations(new Map([['acct-1 account-fifo', messages]]));

describe('orderViolations', () => {
  it('passes messages that ran one after another, retries and sweep messages included', () => {
    expect(
      check(
        { workflowId: 'a', sendIndex: 1, runs: [run(0, 2), run(3, 5)] },
        { workflowId: 'sweep', runs: [run(5, 6)] },
        { workflowId: 'b', sendIndex: 2, runs: [run(7, 9)] },
      ),
    ).toEqual([]);
  });

  it('finds a message that started while another of its group was running, whoever sent it', () => {
    expect(
      check({ workflowId: 'a', sendIndex: 1, runs: [run(0, 5)] }, { workflowId: 'sweep', runs: [run(4, 6)] }),
    ).toHaveLength(1);
  });

  it('counts a failed (dead-lettered) run and a run still open as running until they close', () => {
    expect(check({ workflowId: 'failed', runs: [run(0, 5)] }, { workflowId: 'b', runs: [run(1, 2)] })).toHaveLength(1);
    expect(check({ workflowId: 'open', runs: [run(0)] }, { workflowId: 'b', runs: [run(10, 12)] })).toHaveLength(1);
  });

  it('finds a producer message that ran before the one sent before it, even without an overlap', () => {
    expect(
      check(
        { workflowId: 'first', sendIndex: 1, runs: [run(5, 6)] },
        { workflowId: 'second', sendIndex: 2, runs: [run(0, 1)] },
      ),
    ).toEqual(['acct-1 account-fifo: second ran before first had finished']);
  });

  it('keeps groups apart, and ignores a message that never ran', () => {
    const groups = new Map([
      ['acct-1 account-fifo', [{ workflowId: 'a', sendIndex: 1, runs: [run(0, 5)] }]],
      [
        'acct-2 account-fifo',
        [
          { workflowId: 'b', sendIndex: 2, runs: [run(1, 2)] },
          { workflowId: 'c', sendIndex: 3, runs: [] },
        ],
      ],
    ]);
    expect(orderViolations(groups)).toEqual([]);
  });
});
