// The worker bundles this file: every workflow type the task queue serves is exported here.
export { ticketWorkflow } from './ticket.workflow';
export { onboardingWorkflow } from './onboarding/onboarding.workflow';
