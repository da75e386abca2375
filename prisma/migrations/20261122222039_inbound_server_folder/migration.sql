-- AlterTable
ALTER TABLE "InboundMessage" ADD COLUMN     "serverFolder" TEXT;
