-- DropIndex
DROP INDEX "OutboundMail_recipient_automatic_createdAt_idx";

-- AlterTable
ALTER TABLE "OutboundMail" ADD COLUMN     "budgeted" BOOLEAN NOT NULL DEFAULT false;

-- CreateIndex
CREATE INDEX "OutboundMail_recipient_budgeted_createdAt_idx" ON "OutboundMail"("recipient", "budgeted", "createdAt");
