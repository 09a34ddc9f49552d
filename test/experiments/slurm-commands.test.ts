/**
 * The Slurm executor's parsers and path guards, on text in the exact shapes Slurm 22.05
 * prints (squeue -O, sacct -P, the job completion log, scontrol -o show job, show config).
 * These need no cluster; test/experiments/slurm.test.ts runs the executor against a real one.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig, parseKeyValueRecords, parseQueue, parseSacct } from '../../src/experiments/executors/slurm/commands.js';
import { checkedPath, isInside, parseManifest, shellQuote, slug } from '../../src/experiments/executors/slurm/files.js';

describe('Slurm output parsers', () => {
  it('reads squeue -h -r -O rows, skipping anything that is not <job>_<index>', () => {
    const rows = parseQueue(
      [
        '47_0|PENDING|1|BeginTime',
        '47_2|PENDING|0|Nodes required for job are DOWN, DRAINED or reserved | odd',
        '51_1|NODE_FAIL|0|NodeDown',
        '52|RUNNING|0|None',
        '',
      ].join('\n'),
    );
    expect(rows.map((row) => [row.jobId, row.taskIndex, row.state, row.restarts])).toEqual([
      ['47', 0, 'PENDING', 1],
      ['47', 2, 'PENDING', 0],
      ['51', 1, 'NODE_FAIL', 0],
    ]);
    expect(rows[1]!.reason).toBe('Nodes required for job are DOWN, DRAINED or reserved | odd');
  });

  it('reads sacct -n -P -X rows: state words after the first are dropped, pending ranges skipped', () => {
    const records = parseSacct(['12_0|COMPLETED|0:0', '12_1|FAILED|3:0', '12_2|CANCELLED by 0|0:15', '12_[3-9]|PENDING|0:0'].join('\n'));
    expect(records.map((r) => [r.taskIndex, r.state, r.exitCode, r.signal])).toEqual([
      [0, 'COMPLETED', 0, 0],
      [1, 'FAILED', 3, 0],
      [2, 'CANCELLED', 0, 15],
    ]);
  });

  it('reads job completion log lines, taking ExitCode and not DerivedExitCode', () => {
    const line =
      'JobId=3 UserId=root(0) GroupId=root(0) Name=ladder-x JobState=FAILED Partition=debug TimeLimit=1 ' +
      'StartTime=2026-11-27T09:04:27 EndTime=2026-11-27T09:04:27 NodeList=localhost NodeCnt=1 ProcCnt=1 WorkDir=/tmp/a b ' +
      'ReservationName= Tres=cpu=1,mem=23593M,node=1,billing=1 Account= QOS= WcKey= Cluster=unknown SubmitTime=2026-11-27T09:04:25 ' +
      'EligibleTime=2026-11-27T09:04:27 ArrayJobId=1 ArrayTaskId=1 DerivedExitCode=9:0 ExitCode=2:0 ';
    const plain = 'JobId=9 UserId=root(0) GroupId=root(0) Name=other JobState=COMPLETED ExitCode=0:0';
    expect(parseKeyValueRecords(`${line}\n${plain}\n`)).toEqual([{ jobId: '1', taskIndex: 1, state: 'FAILED', exitCode: 2, signal: 0 }]);
  });

  it('reads scontrol -o show job records', () => {
    const text =
      'JobId=54 ArrayJobId=51 ArrayTaskId=2 JobName=s.sh UserId=root(0) JobState=TIMEOUT Reason=TimeLimit Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=0:15 RunTime=00:01:00\n' +
      'JobId=51 ArrayJobId=51 ArrayTaskId=3-5 JobState=PENDING ExitCode=0:0\n';
    expect(parseKeyValueRecords(text)).toEqual([{ jobId: '51', taskIndex: 2, state: 'TIMEOUT', exitCode: 0, signal: 15 }]);
  });

  it('reads from scontrol show config where finished jobs are recorded', () => {
    const none = 'AccountingStorageType   = accounting_storage/none\nJobCompLoc              = /var/log/slurm/jobcomp.log\nJobCompType             = jobcomp/filetxt\n';
    expect(parseConfig(none)).toEqual({ accounting: false, jobCompLog: '/var/log/slurm/jobcomp.log' });
    expect(parseConfig('AccountingStorageType = accounting_storage/slurmdbd\nJobCompType = jobcomp/none\nJobCompLoc = /x\n')).toEqual({ accounting: true });
  });
});

describe('Slurm executor files', () => {
  it('quotes paths so that the shell reads them back unchanged', () => {
    expect(shellQuote("/tmp/it's $(here)")).toBe("'/tmp/it'\\''s $(here)'");
  });

  it('refuses relative paths and paths with control characters', () => {
    expect(() => checkedPath('study folder', 'runs/a')).toThrow(/absolute/);
    expect(() => checkedPath('study folder', '/tmp/a\nrm -rf /')).toThrow(/control character/);
    expect(checkedPath('study folder', '/tmp/a/../b')).toBe(path.normalize('/tmp/b'));
  });

  it('knows what is inside a folder', () => {
    expect(isInside('/s', '/s/trials/t1')).toBe(true);
    expect(isInside('/s', '/s/..foo')).toBe(true);
    expect(isInside('/s', '/s/../etc')).toBe(false);
    expect(isInside('/s', '/etc')).toBe(false);
  });

  it('makes job names from study names', () => {
    expect(slug('lr sweep; rm -rf /')).toBe('lr-sweep-rm-rf');
    expect(slug('$(x)')).toBe('x');
    expect(slug('')).toBe('study');
  });

  it('refuses a malformed manifest', () => {
    expect(() => parseManifest({ version: 2, trials: [] })).toThrow(/version 1/);
    expect(() => parseManifest({ version: 1, trials: [{ id: 't', argv: 'python train.py', dir: '/s/t', timeoutSeconds: 1, env: {} }] })).toThrow(/trial 0/);
    expect(() => parseManifest({ version: 1, trials: [{ id: 't', argv: ['a'], dir: 'rel', timeoutSeconds: 1, env: {} }] })).toThrow(/trial 0/);
  });
});
