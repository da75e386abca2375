import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { searchAttributes } from '../../workflows/definitions';
import type { OnboardingWorkflowInput } from '../../workflows/onboarding/definitions';
import { onboardingWorkflow } from '../../workflows/onboarding/onboarding.workflow';

export const START_ONBOARDING_WORKFLOW = 'start-onboarding-workflow';

/** Starts `onboarding-<code>`; a second start (outbox replay) is a no-op. */
export async function startOnboardingWorkflow(client: Client, taskQueue: string, workflowId: string, input: OnboardingWorkflowInput): Promise<{ alreadyStarted: boolean }> {
  try {
    await client.workflow.start(onboardingWorkflow, {
      workflowId,
      taskQueue,
      args: [input],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [{ key: searchAttributes.OnboardingStep, value: '1' }],
      staticSummary: `Onboarding ${input.clientName} (${input.clientCode}) · template ${input.template.key} v${input.template.version}`.slice(0, 200),
      staticDetails: `10-step onboarding of ${input.clientName}, contact ${input.contactName} <${input.contactEmail}>, started ${new Date(input.startedAt).toISOString()}.`,
    });
    return { alreadyStarted: false };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { alreadyStarted: true };
    throw err;
  }
}
