-- CreateEnum
CREATE TYPE "UnknownSenderPolicy" AS ENUM ('CREATE_CONTACT', 'HOLD', 'REJECT');

-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "InboundStatus" ADD VALUE 'HELD';
ALTER TYPE "InboundStatus" ADD VALUE 'REJECTED';

-- AlterTable
ALTER TABLE "InboundMessage" ADD COLUMN     "clientId" UUID,
ADD COLUMN     "fromAddress" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "messageIdHeader" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "outcome" TEXT,
ADD COLUMN     "serverDoneAt" TIMESTAMP(3),
ADD COLUMN     "subject" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "ticketId" INTEGER;

-- AlterTable
ALTER TABLE "Mailbox" ADD COLUMN     "imapAllowPlain" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "imapHost" TEXT NOT NULL DEFAULT '127.0.0.1',
ADD COLUMN     "imapPassword" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "imapPort" INTEGER NOT NULL DEFAULT 993,
ADD COLUMN     "imapTls" BOOLEAN NOT NULL DEFAULT true,
ADD COLUMN     "imapUser" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "unknownSenders" "UnknownSenderPolicy";

-- AlterTable
ALTER TABLE "TicketMessage" ADD COLUMN     "fromAddress" TEXT,
ADD COLUMN     "outside" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "sourceKey" TEXT;

-- CreateIndex
CREATE INDEX "InboundMessage_status_receivedAt_idx" ON "InboundMessage"("status", "receivedAt");

-- CreateIndex
CREATE INDEX "InboundMessage_mailboxId_serverDoneAt_idx" ON "InboundMessage"("mailboxId", "serverDoneAt");

-- CreateIndex
CREATE UNIQUE INDEX "TicketMessage_sourceKey_key" ON "TicketMessage"("sourceKey");
