import { OperationalError } from '../../lib/errors';

/** The device's agent is not connected: retryable later; a rollout treats it as "offline". */
export class DeviceOfflineError extends OperationalError {
  readonly code = 'DEVICE_OFFLINE';
  constructor(readonly deviceId: string) {
    super(`device ${deviceId} is offline`, 'rmm-agent');
    this.name = 'DeviceOfflineError';
  }
}
