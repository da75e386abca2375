-- AlterTable
ALTER TABLE "OutboundMail" ADD COLUMN     "leaseUntil" TIMESTAMP(3);
