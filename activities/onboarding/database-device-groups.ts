import type { PrismaClient } from '../../lib/db/prisma';
import type { DeviceGroupClient, DeviceGroupPort } from './ports';

/**
 * DeviceGroupPort over the Device table, which the RMM device sync fills. Until the RMM branch
 * lands there is no RMM-side group to create: the group is the client itself (its id is the
 * group id the sync files devices under). An agent "reports" once the sync has seen it (lastSeenAt).
 */
export function createDatabaseDeviceGroups(deps: { prisma: PrismaClient }): DeviceGroupPort {
  return {
    async ensureGroup(client: DeviceGroupClient) {
      return { groupId: `client:${client.code}` };
    },
    async countReportingAgents(client: DeviceGroupClient) {
      return deps.prisma.device.count({ where: { clientId: client.id, lastSeenAt: { not: null } } });
    },
  };
}
