import { expose } from 'threads/worker';
import { burn, inc, sum } from '../tasks';

expose({ inc, burn, sum });
