#!/usr/bin/python3
"""Golden fixtures from an independent Thrift implementation (Debian's python3-thrift).

    /usr/bin/python3 test/golden/make_fixtures.py <api.thrift> <output dir>

Generates Python code from the IDL, builds representative Aurora values with the generated
classes, and writes each in TBinaryProtocol (<name>.tbinary) and TJSONProtocol (<name>.tjson), plus
expected.json: what aurora-ts should decode each one to. Messages go through the generated Client
(CALL) and Processor (REPLY), the same code a Python client or server would run.
"""
import json
import os
import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_common as g  # noqa: E402

MAX_SAFE = 2 ** 53 - 1


def build(api):
    t = api.ttypes
    key = t.JobKey(role='www-data', environment='prod', name='hello_custom')
    owner = t.Identity(user='ops')
    custom_task = t.TaskConfig(
        job=key,
        owner=owner,
        isService=True,
        priority=0,
        maxTaskFailures=3,
        production=True,
        tier='preferred',
        resources={
            t.Resource(numCpus=0.25),
            t.Resource(ramMb=128),
            t.Resource(diskMb=MAX_SAFE),
            t.Resource(namedPort='http'),
            t.Resource(namedPort='admin'),
            t.Resource(numGpus=1),
        },
        constraints={
            t.Constraint(name='host', constraint=t.TaskConstraint(limit=t.LimitConstraint(limit=1))),
            t.Constraint(name='rack', constraint=t.TaskConstraint(value=t.ValueConstraint(negated=True, values={'r1', 'r2', 'r3'}))),
        },
        mesosFetcherUris={
            t.MesosFetcherURI(value='https://example.org/app.tar.gz', extract=True, cache=False),
            t.MesosFetcherURI(value='https://example.org/config.yml', extract=False, cache=True, outputFile='conf/app.yml'),
        },
        taskLinks={'http': 'http://%host%:%port:http%/', 'admin': 'http://%host%:%port:admin%/'},
        contactEmail='ops@example.org',
        executorConfig=t.ExecutorConfig(name='my-executor', data='{"cmd": "serve --port {{http}}", "note": "ünïcødé ✓ 𝄞 \\"quoted\\"\\n"}'),
        metadata={t.Metadata(key='team', value='platform'), t.Metadata(key='build', value='42'), t.Metadata(key='emoji', value='🚀')},
        partitionPolicy=t.PartitionPolicy(reschedule=True, delaySecs=30),
        slaPolicy=t.SlaPolicy(percentageSlaPolicy=t.PercentageSlaPolicy(percentage=66.6, durationSecs=600)),
        container=t.Container(mesos=t.MesosContainer(
            image=t.Image(docker=t.DockerImage(name='library/busybox', tag='1.36')),
            volumes=[t.Volume(containerPath='/data', hostPath='/srv/data', mode=t.Mode.RO)],
        )),
    )
    job = t.JobConfiguration(key=key, owner=owner, taskConfig=custom_task, instanceCount=3)

    cron_key = t.JobKey(role='www-data', environment='devel', name='nightly')
    cron_job = t.JobConfiguration(
        key=cron_key,
        owner=owner,
        cronSchedule='0 2 * * MON-FRI',
        cronCollisionPolicy=t.CronCollisionPolicy.CANCEL_NEW,
        instanceCount=1,
        # No container given: the IDL default { "mesos": {} } goes on the wire.
        taskConfig=t.TaskConfig(
            job=cron_key, owner=owner, isService=False, priority=-5, maxTaskFailures=1,
            resources={t.Resource(numCpus=1.0), t.Resource(ramMb=64), t.Resource(diskMb=64)},
            constraints=set(),
            executorConfig=t.ExecutorConfig(name='AuroraExecutor', data=''),
        ),
    )

    def assigned(task_id, instance, status, events):
        return t.ScheduledTask(
            assignedTask=t.AssignedTask(
                taskId=task_id, slaveId='agent-1', slaveHost='host-1.example.org', task=custom_task,
                assignedPorts={'http': 31000 + instance, 'admin': 32000 + instance}, instanceId=instance),
            status=status, failureCount=instance, timesPartitioned=0, ancestorId='ancestor-%d' % instance,
            taskEvents=[t.TaskEvent(timestamp=ts, status=st, message=msg, scheduler='local') for ts, st, msg in events],
        )

    S = t.ScheduleStatus
    tasks_reply = t.Response(
        responseCode=t.ResponseCode.OK,
        serverInfo=t.ServerInfo(clusterName='devcluster', statsUrlPrefix=''),
        details=[],
        result=t.Result(scheduleStatusResult=t.ScheduleStatusResult(tasks=[
            assigned('1700000000000-www-data-prod-hello_custom-0-aaaa', 0, S.RUNNING, [
                (1700000000123, S.PENDING, None), (MAX_SAFE - 1, S.ASSIGNED, 'assigned'), (MAX_SAFE, S.RUNNING, None)]),
            assigned('1700000000000-www-data-prod-hello_custom-1-bbbb', 1, S.KILLED, [
                (-1, S.PENDING, 'before the epoch'), (-MAX_SAFE, S.KILLING, 'far past'), (0, S.KILLED, 'Killed by ops')]),
        ])),
    )

    settings = dict(updateGroupSize=1, maxPerInstanceFailures=2, maxFailedInstances=1, minWaitInInstanceRunningMs=45000,
                    rollbackOnFailure=True, waitForBatchCompletion=False)
    strategies = {
        'queue': t.JobUpdateStrategy(queueStrategy=t.QueueJobUpdateStrategy(groupSize=2)),
        'batch': t.JobUpdateStrategy(batchStrategy=t.BatchJobUpdateStrategy(groupSize=3, autopauseAfterBatch=True)),
        'varbatch': t.JobUpdateStrategy(varBatchStrategy=t.VariableBatchJobUpdateStrategy(groupSizes=[1, 2, 5], autopauseAfterBatch=False)),
    }
    update_requests = {
        name: t.JobUpdateRequest(
            taskConfig=custom_task, instanceCount=3,
            settings=t.JobUpdateSettings(updateOnlyTheseInstances={t.Range(first=0, last=1), t.Range(first=5, last=9)},
                                         blockIfNoPulsesAfterMs=60000, slaAware=False, updateStrategy=strategy, **settings),
            metadata={t.Metadata(key='org.apache.aurora.client.update_id', value='d2b4-%s' % name)},
        )
        for name, strategy in strategies.items()
    }

    query = t.TaskQuery(
        role='www-data',
        taskIds={'t-1', 't-2'},
        statuses={S.RUNNING, S.PENDING, S.THROTTLED, S.PARTITIONED},
        instanceIds={0, 1, 4000},
        slaveHosts={'host-1.example.org'},
        jobKeys={key, cron_key, t.JobKey(role='other', environment='staging2', name='db')},
        offset=10,
        limit=50,
    )

    responses = {}
    for code_name, code in sorted(t.ResponseCode._NAMES_TO_VALUES.items(), key=lambda kv: kv[1]):
        responses[code_name] = t.Response(
            responseCode=code,
            serverInfo=t.ServerInfo(clusterName='devcluster', statsUrlPrefix='http://stats/'),
            details=[t.ResponseDetail(message='%s: first detail' % code_name), t.ResponseDetail(message='second ✓')],
        )

    summary_reply = t.Response(
        responseCode=t.ResponseCode.OK,
        serverInfo=t.ServerInfo(clusterName='devcluster', statsUrlPrefix=''),
        details=[],
        result=t.Result(jobSummaryResult=t.JobSummaryResult(summaries={
            t.JobSummary(job=job, stats=t.JobStats(activeTaskCount=3, finishedTaskCount=1, failedTaskCount=0, pendingTaskCount=0)),
            t.JobSummary(job=cron_job, stats=t.JobStats(activeTaskCount=0, finishedTaskCount=7, failedTaskCount=2, pendingTaskCount=0),
                         nextCronRunMs=1767322800000),
        })),
    )

    structs = [
        ('job-custom-executor', 'JobConfiguration', job),
        ('job-cron', 'JobConfiguration', cron_job),
        ('response-scheduled-tasks', 'Response', tasks_reply),
        ('task-query', 'TaskQuery', query),
    ]
    structs += [('update-request-%s' % n, 'JobUpdateRequest', v) for n, v in update_requests.items()]
    structs += [('response-%s' % n.lower().replace('_', '-'), 'Response', v) for n, v in responses.items()]

    calls = [
        ('call-killTasks', 'killTasks', 7, dict(job=key, instances={0, 2, 5}, message='scaling down ✓')),
        ('call-restartShards', 'restartShards', 8, dict(job=key, shardIds={1, 3})),
    ]
    replies = [('reply-getJobSummary', 'getJobSummary', 9, 'www-data', summary_reply)]
    return structs, calls, replies


def send_call(api, protocol, method, seqid, args):
    """What the generated Python client puts on the wire for `method(**args)`."""
    buf, prot = g.encoder(protocol)
    client = api.services['AuroraAdmin'].Client(prot)
    client._seqid = seqid
    getattr(client, 'send_' + method)(**args)
    return buf.getvalue()


def serve_reply(api, protocol, method, seqid, arg, response):
    """What the generated Python server answers to a `method(arg)` CALL when its handler returns `response`."""
    class Handler:
        pass

    setattr(Handler, method, lambda self, *_: response)
    call = send_call(api, protocol, method, seqid, {'role': arg})
    out, oprot = g.encoder(protocol)
    api.services['AuroraAdmin'].Processor(Handler()).process(g.decoder(protocol, call), oprot)
    return out.getvalue()


def main():
    g.require_fixed_hash_seed()
    if len(sys.argv) != 3:
        sys.exit('usage: make_fixtures.py <api.thrift> <output dir>')
    idl, out = sys.argv[1], sys.argv[2]
    api = g.load_api(idl)
    os.makedirs(out, exist_ok=True)
    structs, calls, replies = build(api)
    expected = []

    def write(name, encode):
        for protocol, ext in (('binary', 'tbinary'), ('json', 'tjson')):
            with open(os.path.join(out, '%s.%s' % (name, ext)), 'wb') as f:
                f.write(encode(protocol))

    for name, struct, value in structs:
        write(name, lambda p, v=value: g.encode_struct(p, v))
        expected.append({'name': name, 'kind': 'struct', 'type': struct, 'value': g.to_plain(value)})
    for name, method, seqid, args in calls:
        write(name, lambda p, m=method, s=seqid, a=args: send_call(api, p, m, s, a))
        expected.append({'name': name, 'kind': 'call', 'method': method, 'seqid': seqid,
                         'value': {k: g.to_plain(v) for k, v in args.items()}})
    for name, method, seqid, arg, response in replies:
        write(name, lambda p, m=method, s=seqid, a=arg, r=response: serve_reply(api, p, m, s, a, r))
        expected.append({'name': name, 'kind': 'reply', 'method': method, 'seqid': seqid, 'value': g.to_plain(response)})

    with open(os.path.join(out, 'expected.json'), 'w', encoding='utf-8') as f:
        json.dump({'fixtures': expected}, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write('\n')
    print('wrote %d fixtures (x2 protocols) to %s' % (len(expected), out))


if __name__ == '__main__':
    main()
