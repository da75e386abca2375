-- AlterTable
ALTER TABLE "NotificationDelivery" ADD COLUMN     "clientId" UUID;

-- CreateIndex
CREATE INDEX "NotificationDelivery_clientId_status_createdAt_idx" ON "NotificationDelivery"("clientId", "status", "createdAt");
