export { freePort } from '../../lib/processes';
