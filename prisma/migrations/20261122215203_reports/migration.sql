-- CreateEnum
CREATE TYPE "ReportAudience" AS ENUM ('CLIENT', 'INTERNAL');

-- AlterTable
ALTER TABLE "Contact" ADD COLUMN     "receivesReports" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "Report" (
    "id" UUID NOT NULL,
    "clientId" UUID NOT NULL,
    "month" TEXT NOT NULL,
    "audience" "ReportAudience" NOT NULL,
    "asOf" TIMESTAMP(3) NOT NULL,
    "locale" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "trigger" TEXT NOT NULL,
    "workflowId" TEXT,
    "sentAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Report_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ReportSend" (
    "id" UUID NOT NULL,
    "reportId" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "recipients" TEXT[],
    "requestedBy" TEXT,
    "status" TEXT NOT NULL,
    "outboundIds" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ReportSend_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Report_month_idx" ON "Report"("month");

-- CreateIndex
CREATE UNIQUE INDEX "Report_clientId_month_audience_key" ON "Report"("clientId", "month", "audience");

-- CreateIndex
CREATE UNIQUE INDEX "ReportSend_reportId_key_key" ON "ReportSend"("reportId", "key");

-- AddForeignKey
ALTER TABLE "Report" ADD CONSTRAINT "Report_clientId_fkey" FOREIGN KEY ("clientId") REFERENCES "Client"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReportSend" ADD CONSTRAINT "ReportSend_reportId_fkey" FOREIGN KEY ("reportId") REFERENCES "Report"("id") ON DELETE CASCADE ON UPDATE CASCADE;
