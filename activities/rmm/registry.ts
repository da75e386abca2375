import type { Config } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import { MeshCentralRmm } from './meshcentral/meshcentral-rmm';
import type { RmmRegistry } from './port';
import { SimulatedRmm } from './simulator/simulated-rmm';
import { TacticalRmm } from './tactical/tactical-rmm';

/** The RMM adapters the configuration enables (MESHCENTRAL_*, TACTICAL_*, RMM_SIMULATOR_FLEET). */
export function createRmmRegistry(config: Config, log: Logger): { rmm: RmmRegistry; close(): Promise<void> } {
  const rmm: RmmRegistry = {};
  const c = config.rmm;
  if (c.meshcentral) rmm.meshcentral = new MeshCentralRmm({ ...c.meshcentral, log: log.child({ component: 'meshcentral' }) });
  if (c.tactical) rmm.tactical = new TacticalRmm({ ...c.tactical, log: log.child({ component: 'tactical' }) });
  if (c.simulatorFleet) rmm.simulator = new SimulatedRmm({ groups: c.simulatorFleet.map((g) => ({ id: g.group, name: `${g.group} (simulated)`, devices: g.devices })) });
  return { rmm, close: async () => void (await Promise.all(Object.values(rmm).map((p) => p!.close()))) };
}
