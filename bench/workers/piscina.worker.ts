// piscina and tinypool call the module's export with the task.
import { type Call, dispatch } from '../tasks';

export = (call: Call): number => dispatch(call);
