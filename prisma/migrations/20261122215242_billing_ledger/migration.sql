-- CreateEnum
CREATE TYPE "ContractLedgerKind" AS ENUM ('BLOCK_CREDIT', 'BLOCK_CONSUMPTION', 'BLOCK_EXPIRY', 'OVERAGE', 'INCLUDED', 'HOURLY', 'OUT_OF_SCOPE', 'NON_BILLABLE');

-- AlterTable
ALTER TABLE "Contact" ADD COLUMN     "subsidiary" TEXT;

-- AlterTable
ALTER TABLE "TimeEntry" ADD COLUMN     "contractId" UUID,
ADD COLUMN     "correctsId" UUID,
ADD COLUMN     "domain" TEXT,
ADD COLUMN     "outOfScope" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "ContractLedgerEntry" (
    "id" UUID NOT NULL,
    "contractId" UUID NOT NULL,
    "kind" "ContractLedgerKind" NOT NULL,
    "blockId" UUID,
    "minutes" INTEGER NOT NULL,
    "timeEntryId" UUID,
    "reversesId" UUID,
    "priceCents" INTEGER,
    "expiresOn" DATE,
    "occurredAt" TIMESTAMP(3) NOT NULL,
    "businessKey" TEXT NOT NULL,
    "note" TEXT NOT NULL DEFAULT '',
    "data" JSONB NOT NULL DEFAULT '{}',
    "recordedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ContractLedgerEntry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "InvoiceDraft" (
    "id" UUID NOT NULL,
    "clientId" UUID NOT NULL,
    "period" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "currency" TEXT NOT NULL DEFAULT 'EUR',
    "lines" JSONB NOT NULL,
    "totalCents" INTEGER NOT NULL,
    "contentHash" TEXT NOT NULL,
    "externalSystem" TEXT,
    "externalId" TEXT,
    "pushedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "InvoiceDraft_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ContractLedgerEntry_reversesId_key" ON "ContractLedgerEntry"("reversesId");

-- CreateIndex
CREATE UNIQUE INDEX "ContractLedgerEntry_businessKey_key" ON "ContractLedgerEntry"("businessKey");

-- CreateIndex
CREATE INDEX "ContractLedgerEntry_contractId_occurredAt_idx" ON "ContractLedgerEntry"("contractId", "occurredAt");

-- CreateIndex
CREATE INDEX "ContractLedgerEntry_timeEntryId_idx" ON "ContractLedgerEntry"("timeEntryId");

-- CreateIndex
CREATE INDEX "ContractLedgerEntry_blockId_idx" ON "ContractLedgerEntry"("blockId");

-- CreateIndex
CREATE INDEX "InvoiceDraft_clientId_period_idx" ON "InvoiceDraft"("clientId", "period");

-- CreateIndex
CREATE UNIQUE INDEX "InvoiceDraft_clientId_period_version_key" ON "InvoiceDraft"("clientId", "period", "version");

-- CreateIndex
CREATE UNIQUE INDEX "TimeEntry_correctsId_key" ON "TimeEntry"("correctsId");

-- CreateIndex
CREATE INDEX "TimeEntry_contractId_startedAt_idx" ON "TimeEntry"("contractId", "startedAt");

-- AddForeignKey
ALTER TABLE "TimeEntry" ADD CONSTRAINT "TimeEntry_contractId_fkey" FOREIGN KEY ("contractId") REFERENCES "Contract"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TimeEntry" ADD CONSTRAINT "TimeEntry_correctsId_fkey" FOREIGN KEY ("correctsId") REFERENCES "TimeEntry"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ContractLedgerEntry" ADD CONSTRAINT "ContractLedgerEntry_contractId_fkey" FOREIGN KEY ("contractId") REFERENCES "Contract"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "InvoiceDraft" ADD CONSTRAINT "InvoiceDraft_clientId_fkey" FOREIGN KEY ("clientId") REFERENCES "Client"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The consumption ledger is append-only: corrections are new rows, never updates or deletes.
CREATE FUNCTION "contract_ledger_append_only"() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'ContractLedgerEntry is append-only: write a reversing row instead of % ', TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER "ContractLedgerEntry_append_only"
  BEFORE UPDATE OR DELETE ON "ContractLedgerEntry"
  FOR EACH ROW EXECUTE FUNCTION "contract_ledger_append_only"();
