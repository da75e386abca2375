import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { searchAttributes, workflowIds } from '../../workflows/definitions';
import { clientAnsweredSignal, type OnboardingWorkflowInput } from '../../workflows/onboarding/definitions';
import { onboardingWorkflow } from '../../workflows/onboarding/onboarding.workflow';

export const START_ONBOARDING_WORKFLOW = 'start-onboarding-workflow';
/** A client's emailed answer was stored as an item's evidence: wake the workflow. */
export const SIGNAL_ONBOARDING_ANSWER = 'signal-onboarding-answer';

export interface ClientAnsweredEffect {
  workflowId: string;
  itemKey: string;
  from: string;
  evidenceId: string;
}

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

/** The outbox effects onboarding enqueues, performed by the outbox dispatcher (workers/outbox-dispatcher.ts). */
export function onboardingEffectHandlers(deps: { temporal: Client; taskQueue: string }): Record<string, (payload: unknown) => Promise<void>> {
  return {
    [START_ONBOARDING_WORKFLOW]: async (payload) => {
      const input = payload as OnboardingWorkflowInput;
      await startOnboardingWorkflow(deps.temporal, deps.taskQueue, workflowIds.onboarding(input.clientCode), input);
    },
    [SIGNAL_ONBOARDING_ANSWER]: async (payload) => {
      const e = payload as ClientAnsweredEffect;
      try {
        await deps.temporal.workflow.getHandle(e.workflowId).signal(clientAnsweredSignal, { itemKey: e.itemKey, from: e.from, evidenceId: e.evidenceId });
      } catch (err) {
        // the onboarding finished meanwhile: the evidence is stored, there is nobody left to wake
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    },
  };
}
