import fs from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config';
import { OperationalError, UserError } from '../errors';

function readPem(file: string, key: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new UserError(`${key}: cannot read ${file} (${(err as Error).message})`, 'CONFIG');
  }
}

/** Options shared by the client Connection and the worker's NativeConnection. */
export function connectionOptions(config: Config, address: string) {
  const t = config.temporal;
  const tls = t.tls
    ? {
        serverNameOverride: t.tls.serverName,
        serverRootCACertificate: t.tls.caPath ? readPem(t.tls.caPath, 'TEMPORAL_TLS_CA_PATH') : undefined,
        clientCertPair:
          t.tls.certPath && t.tls.keyPath
            ? { crt: readPem(t.tls.certPath, 'TEMPORAL_TLS_CERT_PATH'), key: readPem(t.tls.keyPath, 'TEMPORAL_TLS_KEY_PATH') }
            : undefined,
      }
    : undefined;
  return { address, tls, apiKey: t.apiKey, metadata: t.apiKey ? { 'temporal-namespace': t.namespace } : undefined };
}

/** Connects and proves the namespace answers, or fails naming the variable to fix. */
export async function connectTemporal(config: Config, address: string): Promise<{ connection: Connection; client: Client }> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...connectionOptions(config, address), connectTimeout: '10s' });
    await connection.workflowService.describeNamespace({ namespace: config.temporal.namespace });
  } catch (err) {
    throw new OperationalError(
      `Temporal at ${address} (namespace "${config.temporal.namespace}") is unreachable: ${(err as Error).message}. ` +
        'Check TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and the TLS/API key settings, or unset TEMPORAL_ADDRESS to use the embedded dev server.',
      'temporal',
      { cause: err },
    );
  }
  return { connection, client: new Client({ connection, namespace: config.temporal.namespace }) };
}
