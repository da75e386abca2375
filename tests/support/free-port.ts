export { freePort, freePorts } from '../../lib/processes';
