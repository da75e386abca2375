import type { Client as PgClient } from 'pg';

/**
 * Bulk SQL seed for bench:reports: N clients, each with a month (March 2026) of tickets, SLA
 * timeline rows, devices and rollout evidence, plus a few rows in February (the previous period).
 * A few statements of INSERT ... SELECT over generate_series: seconds, not minutes. Also one
 * fixed-fee contract per client and time entries on half the March tickets.
 */
export async function seedBenchClients(pg: PgClient, clients: number, perClient = { tickets: 30, devices: 20 }): Promise<void> {
  const { tickets, devices } = perClient;
  await pg.query('BEGIN');
  await pg.query(
    `INSERT INTO "Client" (id, code, name, timezone, locale, "updatedAt")
     SELECT gen_random_uuid(), 'bench' || lpad(g::text, 5, '0'), 'Bench client ' || g,
            CASE WHEN g % 3 = 0 THEN 'America/New_York' ELSE 'Europe/Paris' END,
            CASE WHEN g % 2 = 0 THEN 'en' ELSE 'fr' END, now()
     FROM generate_series(1, $1) g`,
    [clients],
  );
  // tickets spread over Feb 20 - Mar 31; a third are requests; priority cycles P1..P4; most resolved
  await pg.query(
    `INSERT INTO "Ticket" ("clientId", subject, priority, kind, category, source, "createdAt", "updatedAt", "resolvedAt", "closedAt")
     SELECT c.id, 'Ticket ' || t || ' of ' || c.code,
            (ARRAY['P1','P2','P3','P4'])[1 + t % 4]::"Priority",
            (CASE WHEN t % 3 = 0 THEN 'REQUEST' ELSE 'INCIDENT' END)::"TicketKind",
            (ARRAY['network','accounts','hardware','email',NULL])[1 + t % 5],
            'API'::"TicketSource",
            timestamp '2026-02-20 08:00' + (t * interval '1 day' * 40 / $1) + (t % 7) * interval '1 hour',
            now(),
            CASE WHEN t % 6 <> 5 THEN timestamp '2026-02-20 12:00' + (t * interval '1 day' * 40 / $1) END,
            CASE WHEN t % 6 <> 5 AND t % 2 = 0 THEN timestamp '2026-02-21 12:00' + (t * interval '1 day' * 40 / $1) END
     FROM "Client" c CROSS JOIN generate_series(1, $1) t
     WHERE c.code LIKE 'bench%'`,
    [tickets],
  );
  await pg.query(
    `INSERT INTO "TicketEvent" (id, "ticketId", type, data, "dedupeKey", at)
     SELECT gen_random_uuid(), t.id, 'sla.started', '{}'::jsonb, 'bench:' || t.id || ':started', t."createdAt" FROM "Ticket" t
     UNION ALL
     SELECT gen_random_uuid(), t.id, 'sla.warned', '{"clock":"resolution","fraction":0.75}'::jsonb, 'bench:' || t.id || ':warned', t."createdAt" + interval '3 hours'
       FROM "Ticket" t WHERE t.id % 5 = 0
     UNION ALL
     SELECT gen_random_uuid(), t.id, 'sla.breached', '{"clock":"resolution","fraction":1}'::jsonb, 'bench:' || t.id || ':breached', t."createdAt" + interval '4 hours'
       FROM "Ticket" t WHERE t.id % 10 = 0`,
  );
  await pg.query(
    `INSERT INTO "Device" (id, "clientId", "rmmProvider", "rmmDeviceId", hostname, platform, inventory, "createdAt", "updatedAt")
     SELECT gen_random_uuid(), c.id, 'simulator', c.code || '-' || d, 'host-' || lpad(d::text, 3, '0'), 'linux',
            CASE WHEN d % 4 = 0 THEN '{}'::jsonb
                 ELSE jsonb_build_object('hardware', jsonb_build_object('vendor', 'Dell'),
                                         'security', jsonb_build_object('antivirus', CASE WHEN d % 7 = 0 THEN 'outdated' ELSE 'ok' END, 'thirdPartyPending', d % 3),
                                         'availability', jsonb_build_array(jsonb_build_object('month', '2026-03', 'percent', 99.0 + (d % 10) / 10.0))) END,
            timestamp '2026-01-01', now()
     FROM "Client" c CROSS JOIN generate_series(1, $1) d
     WHERE c.code LIKE 'bench%'`,
    [devices],
  );
  await pg.query(
    `INSERT INTO "Rollout" (id, name, "clientIds", "patchSet", policy, status, "workflowId", "updatedAt")
     SELECT gen_random_uuid(), 'March patches ' || c.code, ARRAY[c.id::text], '{}'::jsonb, '{}'::jsonb, 'completed', 'rollout-bench-' || c.code, now()
     FROM "Client" c WHERE c.code LIKE 'bench%'`,
  );
  // every device: a verify DONE in March, except one in eight whose install FAILED
  await pg.query(
    `INSERT INTO "RolloutStep" (id, "rolloutId", "deviceId", step, status, error, "startedAt", "finishedAt")
     SELECT gen_random_uuid(), r.id, d.id,
            CASE WHEN right(d."rmmDeviceId", 1) = '8' THEN 'install' ELSE 'verify' END,
            CASE WHEN right(d."rmmDeviceId", 1) = '8' THEN 'FAILED' ELSE 'DONE' END,
            CASE WHEN right(d."rmmDeviceId", 1) = '8' THEN 'E: Could not get lock /var/lib/dpkg/lock-frontend' END,
            timestamp '2026-03-18 22:00', timestamp '2026-03-18 22:10'
     FROM "Device" d JOIN "Rollout" r ON r."clientIds"[1] = d."clientId"::text
     WHERE d."rmmProvider" = 'simulator' AND d."rmmDeviceId" LIKE 'bench%'`,
  );
  // a fixed-fee contract per client and 15 time entries in March (raw entries, not booked to the
  // ledger: the summary counts their raw minutes), by one technician
  await pg.query(
    `INSERT INTO "Contract" (id, "clientId", name, type, "startsOn", terms, "updatedAt", "createdAt")
     SELECT gen_random_uuid(), c.id, 'Better plan', 'MONTHLY_FIXED', date '2025-01-01',
            '{"plan":"better","includedServices":["monitoring","antivirus","patching"],"deviceCount":20,"monthlyPriceCents":150000,"includedMinutesPerMonth":600}'::jsonb,
            now(), timestamp '2025-01-01'
     FROM "Client" c WHERE c.code LIKE 'bench%'`,
  );
  await pg.query(`INSERT INTO "User" (id, email, name, role, "updatedAt") VALUES (gen_random_uuid(), 'bench-tech@msp.test', 'Bench Tech', 'TECHNICIAN', now())`);
  await pg.query(
    `INSERT INTO "TimeEntry" (id, "ticketId", "userId", minutes, "startedAt", category, billable, "sourceKey", domain, "createdAt")
     SELECT gen_random_uuid(), t.id, u.id, 15 + (t.id % 8) * 15, t."createdAt" + interval '1 hour', t.category, t.id % 9 <> 0,
            'bench:' || t.id, (ARRAY['network','servers','workstations','m365'])[1 + t.id % 4], timestamp '2026-04-01'
     FROM "Ticket" t CROSS JOIN (SELECT id FROM "User" WHERE email = 'bench-tech@msp.test') u
     WHERE t."createdAt" >= timestamp '2026-03-01' AND t.id % 2 = 0`,
  );
  await pg.query('COMMIT');
  await pg.query('ANALYZE');
}
