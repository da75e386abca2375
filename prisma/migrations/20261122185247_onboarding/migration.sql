-- CreateEnum
CREATE TYPE "OnboardingStatus" AS ENUM ('RUNNING', 'LIVE', 'COMPLETED');

-- CreateEnum
CREATE TYPE "OnboardingItemStatus" AS ENUM ('OPEN', 'DONE', 'SKIPPED');

-- CreateEnum
CREATE TYPE "EvidenceKind" AS ENUM ('NOTE', 'FILE', 'LINK', 'FIELD', 'EMAIL');

-- CreateTable
CREATE TABLE "OnboardingTemplate" (
    "id" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "definition" JSONB NOT NULL,
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OnboardingTemplate_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Onboarding" (
    "id" UUID NOT NULL,
    "clientCode" TEXT NOT NULL,
    "clientName" TEXT NOT NULL,
    "clientId" UUID,
    "locale" TEXT NOT NULL,
    "contactName" TEXT NOT NULL,
    "contactEmail" TEXT NOT NULL,
    "managerId" UUID NOT NULL,
    "templateId" UUID NOT NULL,
    "status" "OnboardingStatus" NOT NULL DEFAULT 'RUNNING',
    "workflowId" TEXT NOT NULL,
    "info" JSONB NOT NULL DEFAULT '{}',
    "summary" JSONB,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "liveAt" TIMESTAMP(3),
    "completedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Onboarding_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OnboardingItem" (
    "id" UUID NOT NULL,
    "onboardingId" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "step" INTEGER NOT NULL,
    "title" TEXT NOT NULL,
    "ownerRole" TEXT NOT NULL,
    "required" BOOLEAN NOT NULL,
    "evidenceType" TEXT NOT NULL,
    "automation" TEXT,
    "status" "OnboardingItemStatus" NOT NULL DEFAULT 'OPEN',
    "dueAt" TIMESTAMP(3),
    "doneAt" TIMESTAMP(3),
    "doneBy" TEXT,
    "skipReason" TEXT,
    "requestRef" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "OnboardingItem_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OnboardingEvidence" (
    "id" UUID NOT NULL,
    "onboardingId" UUID NOT NULL,
    "itemId" UUID NOT NULL,
    "kind" "EvidenceKind" NOT NULL,
    "text" TEXT,
    "url" TEXT,
    "fields" JSONB,
    "fileName" TEXT,
    "contentType" TEXT,
    "size" INTEGER,
    "sha256" TEXT,
    "content" BYTEA,
    "by" TEXT NOT NULL,
    "dedupeKey" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OnboardingEvidence_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OnboardingEvent" (
    "id" UUID NOT NULL,
    "onboardingId" UUID NOT NULL,
    "itemKey" TEXT,
    "type" TEXT NOT NULL,
    "by" TEXT,
    "data" JSONB NOT NULL DEFAULT '{}',
    "dedupeKey" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OnboardingEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OnboardingMail" (
    "id" UUID NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "onboardingId" UUID NOT NULL,
    "template" TEXT NOT NULL,
    "locale" TEXT NOT NULL,
    "to" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "status" "DeliveryStatus" NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,
    "sentAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "OnboardingMail_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "OnboardingTemplate_key_version_key" ON "OnboardingTemplate"("key", "version");

-- CreateIndex
CREATE UNIQUE INDEX "Onboarding_clientCode_key" ON "Onboarding"("clientCode");

-- CreateIndex
CREATE UNIQUE INDEX "Onboarding_clientId_key" ON "Onboarding"("clientId");

-- CreateIndex
CREATE UNIQUE INDEX "Onboarding_workflowId_key" ON "Onboarding"("workflowId");

-- CreateIndex
CREATE INDEX "Onboarding_status_idx" ON "Onboarding"("status");

-- CreateIndex
CREATE UNIQUE INDEX "OnboardingItem_requestRef_key" ON "OnboardingItem"("requestRef");

-- CreateIndex
CREATE UNIQUE INDEX "OnboardingItem_onboardingId_key_key" ON "OnboardingItem"("onboardingId", "key");

-- CreateIndex
CREATE UNIQUE INDEX "OnboardingEvidence_dedupeKey_key" ON "OnboardingEvidence"("dedupeKey");

-- CreateIndex
CREATE INDEX "OnboardingEvidence_itemId_idx" ON "OnboardingEvidence"("itemId");

-- CreateIndex
CREATE UNIQUE INDEX "OnboardingEvent_dedupeKey_key" ON "OnboardingEvent"("dedupeKey");

-- CreateIndex
CREATE INDEX "OnboardingEvent_onboardingId_at_idx" ON "OnboardingEvent"("onboardingId", "at");

-- CreateIndex
CREATE UNIQUE INDEX "OnboardingMail_idempotencyKey_key" ON "OnboardingMail"("idempotencyKey");

-- CreateIndex
CREATE UNIQUE INDEX "OnboardingMail_messageId_key" ON "OnboardingMail"("messageId");

-- CreateIndex
CREATE INDEX "OnboardingMail_onboardingId_idx" ON "OnboardingMail"("onboardingId");

-- AddForeignKey
ALTER TABLE "Onboarding" ADD CONSTRAINT "Onboarding_clientId_fkey" FOREIGN KEY ("clientId") REFERENCES "Client"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Onboarding" ADD CONSTRAINT "Onboarding_templateId_fkey" FOREIGN KEY ("templateId") REFERENCES "OnboardingTemplate"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OnboardingItem" ADD CONSTRAINT "OnboardingItem_onboardingId_fkey" FOREIGN KEY ("onboardingId") REFERENCES "Onboarding"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OnboardingEvidence" ADD CONSTRAINT "OnboardingEvidence_onboardingId_fkey" FOREIGN KEY ("onboardingId") REFERENCES "Onboarding"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OnboardingEvidence" ADD CONSTRAINT "OnboardingEvidence_itemId_fkey" FOREIGN KEY ("itemId") REFERENCES "OnboardingItem"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OnboardingEvent" ADD CONSTRAINT "OnboardingEvent_onboardingId_fkey" FOREIGN KEY ("onboardingId") REFERENCES "Onboarding"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OnboardingMail" ADD CONSTRAINT "OnboardingMail_onboardingId_fkey" FOREIGN KEY ("onboardingId") REFERENCES "Onboarding"("id") ON DELETE CASCADE ON UPDATE CASCADE;
