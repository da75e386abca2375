-- CreateEnum
CREATE TYPE "OutboundMailStatus" AS ENUM ('SENDING', 'SENT', 'FAILED', 'SUPPRESSED', 'OVER_BUDGET');

-- AlterTable
ALTER TABLE "Contact" ADD COLUMN     "locale" TEXT;

-- CreateTable
CREATE TABLE "OutboundMail" (
    "id" UUID NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "template" TEXT NOT NULL,
    "locale" TEXT NOT NULL,
    "recipient" TEXT NOT NULL,
    "to" TEXT[],
    "cc" TEXT[],
    "envelopeFrom" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "automatic" BOOLEAN NOT NULL,
    "ticketId" INTEGER,
    "status" "OutboundMailStatus" NOT NULL DEFAULT 'SENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,
    "smtpResponse" TEXT,
    "sentAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "OutboundMail_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MailSuppression" (
    "address" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "source" TEXT,
    "until" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "MailSuppression_pkey" PRIMARY KEY ("address")
);

-- CreateIndex
CREATE UNIQUE INDEX "OutboundMail_idempotencyKey_key" ON "OutboundMail"("idempotencyKey");

-- CreateIndex
CREATE UNIQUE INDEX "OutboundMail_messageId_key" ON "OutboundMail"("messageId");

-- CreateIndex
CREATE INDEX "OutboundMail_recipient_automatic_createdAt_idx" ON "OutboundMail"("recipient", "automatic", "createdAt");

-- CreateIndex
CREATE INDEX "OutboundMail_ticketId_idx" ON "OutboundMail"("ticketId");
