-- DropForeignKey
ALTER TABLE "OnboardingMail" DROP CONSTRAINT "OnboardingMail_onboardingId_fkey";

-- DropIndex
DROP INDEX "OnboardingItem_requestRef_key";

-- AlterTable
ALTER TABLE "OnboardingItem" DROP COLUMN "requestRef";

-- DropTable
DROP TABLE "OnboardingMail";
