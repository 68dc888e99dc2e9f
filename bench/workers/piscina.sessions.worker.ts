// The hand-routed piscina's worker for the keyed stream workload: each of its single-thread pools keeps, for the users
// routed to it, what groupBy would keep (a Subject per user, feeding that user's sessionize), and returns the sessions
// each batch made; the flush completes every user's input and returns the sessions still open.
import { Subject } from 'rxjs';
import { type ClickEvent, sessionize, type UserSession } from '../../examples/sessions/sessionize';
import type { SessionBatch } from '../tasks';

const inputs = new Map<number, Subject<ClickEvent>>();
let made: UserSession[] = [];
let due = 0;

export = ({ seq, clicks }: SessionBatch): UserSession[] => {
  if (seq !== due) throw new Error(`piscina.sessions.worker: batch ${seq} ran when batch ${due} was due (the pool ran its tasks out of order)`);
  due++;
  if (clicks === null) {
    for (const input of inputs.values()) input.complete();
    inputs.clear();
    due = 0;
  } else {
    for (const click of clicks) {
      let input = inputs.get(click.user);
      if (!input) {
        input = new Subject<ClickEvent>();
        inputs.set(click.user, input);
        sessionize(input).subscribe((session) => made.push(session));
      }
      input.next(click);
    }
  }
  const sessions = made;
  made = [];
  return sessions;
};
