// The worker bundles this file: every workflow type the task queue serves is exported here.
export { ticketWorkflow } from './ticket.workflow';
export { rolloutWorkflow } from './rollout/rollout.workflow';
export { rolloutBatchWorkflow } from './rollout/rollout-batch.workflow';
export { onboardingWorkflow } from './onboarding/onboarding.workflow';
export { reportWorkflow } from './report/report.workflow';
export { reportTickWorkflow } from './report/report-tick.workflow';
