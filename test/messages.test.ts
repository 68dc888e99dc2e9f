// What crosses the master–worker boundary is checked at the end that receives it: the messages this stage added
// (abort, the ready message's teardown flag) are refused when malformed, naming what is wrong.
import { abortProblem, readyProblem } from '../src/messages';

describe('the abort message (master → worker)', () => {
  test('a well-formed one passes: message ids and a reason, with positions only for one message', () => {
    expect(abortProblem({ batches: [1, 2], reason: 'cancel' })).toBeUndefined();
    expect(abortProblem({ batches: [3], reason: 'timeout', at: [0, 5] })).toBeUndefined();
  });

  test.each([
    ['an unknown reason', { batches: [1], reason: 'stop' }, /reason must be 'timeout' or 'cancel'/],
    ['batches not an array', { batches: 1, reason: 'cancel' }, /batches must be an array/],
    ['a batch id that is not a number', { batches: ['1'], reason: 'cancel' }, /batches\[0\] must be a message id/],
    ['positions for two messages', { batches: [1, 2], reason: 'cancel', at: [0] }, /at names positions of one message/],
    ['positions not an array', { batches: [1], reason: 'cancel', at: 0 }, /at must be an array/],
    ['a negative position', { batches: [1], reason: 'cancel', at: [-1] }, /at\[0\] must be a position/],
    ['a fractional position', { batches: [1], reason: 'cancel', at: [0.5] }, /at\[0\] must be a position/],
  ])('%s is refused, naming it', (_case, message, problem) => {
    expect(abortProblem(message)).toMatch(problem);
  });
});

describe('the ready message (worker → master)', () => {
  test('teardown is true when present, and anything else is refused', () => {
    expect(readyProblem({ tasks: ['a'], teardown: true })).toBeUndefined();
    expect(readyProblem({ tasks: ['a'], teardown: 'yes' })).toMatch(/teardown must be true when present/);
  });
});
