-- AlterTable
ALTER TABLE "Device" ADD COLUMN     "ips" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "platform" TEXT NOT NULL DEFAULT 'other',
ADD COLUMN     "removedAt" TIMESTAMP(3),
ADD COLUMN     "rmmGroupId" TEXT,
ADD COLUMN     "tags" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- CreateTable
CREATE TABLE "RmmDeviceGroup" (
    "id" UUID NOT NULL,
    "clientId" UUID NOT NULL,
    "rmmProvider" TEXT NOT NULL,
    "rmmGroupId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "lastSyncedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RmmDeviceGroup_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Rollout" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "clientIds" TEXT[],
    "patchSet" JSONB NOT NULL,
    "policy" JSONB NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "workflowId" TEXT NOT NULL,
    "createdById" UUID,
    "summary" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Rollout_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RolloutDevice" (
    "rolloutId" UUID NOT NULL,
    "deviceId" UUID NOT NULL,
    "ring" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "reason" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "RolloutDevice_pkey" PRIMARY KEY ("rolloutId","deviceId")
);

-- CreateTable
CREATE TABLE "RolloutStep" (
    "id" UUID NOT NULL,
    "rolloutId" UUID NOT NULL,
    "deviceId" UUID NOT NULL,
    "step" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 1,
    "command" TEXT,
    "exitCode" INTEGER,
    "outputDigest" TEXT,
    "outputExcerpt" TEXT,
    "error" TEXT,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "RolloutStep_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RolloutApproval" (
    "id" UUID NOT NULL,
    "rolloutId" UUID NOT NULL,
    "ring" TEXT NOT NULL,
    "approvedBy" TEXT NOT NULL,
    "via" TEXT NOT NULL,
    "comment" TEXT,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RolloutApproval_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "RmmDeviceGroup_clientId_idx" ON "RmmDeviceGroup"("clientId");

-- CreateIndex
CREATE UNIQUE INDEX "RmmDeviceGroup_rmmProvider_rmmGroupId_key" ON "RmmDeviceGroup"("rmmProvider", "rmmGroupId");

-- CreateIndex
CREATE UNIQUE INDEX "Rollout_workflowId_key" ON "Rollout"("workflowId");

-- CreateIndex
CREATE INDEX "RolloutDevice_rolloutId_ring_state_idx" ON "RolloutDevice"("rolloutId", "ring", "state");

-- CreateIndex
CREATE INDEX "RolloutStep_rolloutId_status_idx" ON "RolloutStep"("rolloutId", "status");

-- CreateIndex
CREATE UNIQUE INDEX "RolloutStep_rolloutId_deviceId_step_key" ON "RolloutStep"("rolloutId", "deviceId", "step");

-- CreateIndex
CREATE UNIQUE INDEX "RolloutApproval_rolloutId_ring_key" ON "RolloutApproval"("rolloutId", "ring");

-- AddForeignKey
ALTER TABLE "RmmDeviceGroup" ADD CONSTRAINT "RmmDeviceGroup_clientId_fkey" FOREIGN KEY ("clientId") REFERENCES "Client"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RolloutDevice" ADD CONSTRAINT "RolloutDevice_rolloutId_fkey" FOREIGN KEY ("rolloutId") REFERENCES "Rollout"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RolloutDevice" ADD CONSTRAINT "RolloutDevice_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RolloutStep" ADD CONSTRAINT "RolloutStep_rolloutId_fkey" FOREIGN KEY ("rolloutId") REFERENCES "Rollout"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RolloutApproval" ADD CONSTRAINT "RolloutApproval_rolloutId_fkey" FOREIGN KEY ("rolloutId") REFERENCES "Rollout"("id") ON DELETE CASCADE ON UPDATE CASCADE;
