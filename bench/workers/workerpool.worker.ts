import workerpool from 'workerpool';
import { burn, inc, sum } from '../tasks';

workerpool.worker({ inc, burn, sum });
