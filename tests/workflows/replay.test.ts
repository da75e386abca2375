import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { workflowsPath } from '../../workers/temporal-worker';

/**
 * Determinism check: every recorded history (tests/histories, from `npm run histories:record`)
 * must replay against today's workflow code. A change that breaks this would break workflows
 * already running in production.
 */
const historiesDir = path.join(__dirname, '..', 'histories');
const histories = fs.readdirSync(historiesDir).filter((f) => f.endsWith('.json'));

describe('workflow replay', () => {
  it('has recorded histories to replay', () => {
    expect(histories.length).toBeGreaterThan(0);
  });

  it.each(histories)('replays %s against the current workflow code', async (file) => {
    const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(historiesDir, file), 'utf8')));
    await Worker.runReplayHistory({ workflowsPath }, history, file);
  });

  it('detects an incompatible change to the workflow code', async () => {
    const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(historiesDir, 'ticket-workflow.json'), 'utf8')));
    await expect(
      Worker.runReplayHistory(
        { workflowsPath: require.resolve('./fixtures/changed-ticket.workflow') },
        history,
        'changed-ticket',
      ),
    ).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
