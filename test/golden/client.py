#!/usr/bin/python3
"""An independent Aurora client: Python code generated from the IDL by the Apache Thrift compiler,
python3-thrift's THttpClient, nothing from aurora-ts. Drives a scheduler one step per run.

    /usr/bin/python3 test/golden/client.py <generated dir | api.thrift> <scheduler url> <json|binary> <step> [args...]

Steps (the job key is www-data/devel/<name>):
    create <name> <executor> <instances> <data>   createJob of a service job on a custom executor
    wait-running <name> <count>                     poll getTasksStatus until <count> tasks are RUNNING
    read <name>                                     getJobs and getJobSummary for the role
    kill <name>                                     killTasks, then poll until no task is active
    update <name> <data>                            startJobUpdate with new executor data, poll until
                                                    ROLLED_FORWARD, then getJobUpdateDetails
Each step prints one JSON line; a step that fails prints {"error": ...} and exits 1.
"""
import json
import os
import sys
import time

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_common as g  # noqa: E402

from thrift.protocol import TBinaryProtocol, TJSONProtocol  # noqa: E402
from thrift.transport import THttpClient  # noqa: E402

BINARY = 'application/vnd.apache.thrift.binary'
TIMEOUT_S = 15
ROLE, ENV = 'www-data', 'devel'


class BinaryHttpClient(THttpClient.THttpClient):
    """THttpClient always sends `Content-Type: application/x-thrift` (TJSON to Aurora) before any
    custom header, so a custom Content-Type would be a second, conflicting header. Drop the
    built-in one; the custom headers then say binary, both ways, as Aurora's servlet expects."""

    def open(self):
        super().open()
        conn = self._THttpClient__http
        put = conn.putheader

        def putheader(name, *values):
            if name.lower() == 'content-type' and values == ('application/x-thrift',):
                return
            put(name, *values)

        conn.putheader = putheader


def connect(api, url, protocol):
    if protocol == 'binary':
        transport = BinaryHttpClient(url + '/api')
        transport.setCustomHeaders({'Content-Type': BINARY, 'Accept': BINARY})
        prot = TBinaryProtocol.TBinaryProtocol(transport)
    else:
        # As gorealis does: TJSON with Content-Type application/x-thrift, which THttpClient sends
        # itself (a custom one would go on the wire as a second header); no Accept, so TJSON back.
        transport = THttpClient.THttpClient(url + '/api')
        prot = TJSONProtocol.TJSONProtocol(transport)
    transport.open()
    return api.services['AuroraAdmin'].Client(prot)


def details(resp):
    return [d.message for d in (resp.details or [])]


def check_ok(api, resp, what):
    if resp.responseCode != api.ttypes.ResponseCode.OK:
        raise RuntimeError('%s answered %s: %s' % (
            what, api.ttypes.ResponseCode._VALUES_TO_NAMES.get(resp.responseCode), details(resp)))
    return resp


def poll(what, probe):
    deadline = time.time() + TIMEOUT_S
    while True:
        value = probe()
        if value is not None:
            return value
        if time.time() > deadline:
            raise RuntimeError('timed out waiting for ' + what)
        time.sleep(0.05)


def job_key(api, name):
    return api.ttypes.JobKey(role=ROLE, environment=ENV, name=name)


def task_config(api, name, executor, data):
    t = api.ttypes
    key = job_key(api, name)
    return t.TaskConfig(
        job=key,
        owner=t.Identity(user='python'),
        isService=True,
        priority=0,
        maxTaskFailures=1,
        tier='preemptible',
        resources={t.Resource(numCpus=0.1), t.Resource(ramMb=16), t.Resource(diskMb=16), t.Resource(namedPort='http')},
        constraints=set(),
        metadata={t.Metadata(key='client', value='python3-thrift')},
        executorConfig=t.ExecutorConfig(name=executor, data=data),
    )


def tasks_of(api, client, name):
    query = api.ttypes.TaskQuery(jobKeys={job_key(api, name)})
    resp = check_ok(api, client.getTasksStatus(query), 'getTasksStatus')
    return resp.result.scheduleStatusResult.tasks or []


def describe(api, task):
    return {'taskId': task.assignedTask.taskId, 'instanceId': task.assignedTask.instanceId,
            'status': api.ttypes.ScheduleStatus._VALUES_TO_NAMES[task.status],
            'data': task.assignedTask.task.executorConfig.data}


def step_create(api, client, name, executor, instances, data):
    t = api.ttypes
    job = t.JobConfiguration(key=job_key(api, name), owner=t.Identity(user='python'),
                             taskConfig=task_config(api, name, executor, data), instanceCount=int(instances))
    resp = client.createJob(job)
    return {'responseCode': t.ResponseCode._VALUES_TO_NAMES[resp.responseCode], 'details': details(resp)}


def step_wait_running(api, client, name, count):
    S = api.ttypes.ScheduleStatus

    def probe():
        tasks = tasks_of(api, client, name)
        running = [x for x in tasks if x.status == S.RUNNING]
        return running if len(running) == int(count) else None

    return {'tasks': sorted((describe(api, x) for x in poll('%s RUNNING tasks' % count, probe)), key=lambda x: x['instanceId'])}


def step_read(api, client, name):
    key = job_key(api, name)
    jobs = check_ok(api, client.getJobs(ROLE), 'getJobs').result.getJobsResult.configs or set()
    summaries = check_ok(api, client.getJobSummary(ROLE), 'getJobSummary').result.jobSummaryResult.summaries or set()
    config = next((c for c in jobs if c.key == key), None)
    summary = next((s for s in summaries if s.job.key == key), None)
    return {
        'job': g.to_plain(config) if config else None,
        'summary': {'instanceCount': summary.job.instanceCount, 'stats': g.to_plain(summary.stats)} if summary else None,
    }


def step_kill(api, client, name):
    S = api.ttypes.ScheduleStatus
    resp = check_ok(api, client.killTasks(job_key(api, name), None, 'killed by the python client'), 'killTasks')

    def probe():
        tasks = tasks_of(api, client, name)
        live = [x for x in tasks if x.status not in (S.KILLED, S.FINISHED, S.FAILED, S.LOST)]
        return tasks if not live else None

    tasks = poll('all tasks KILLED', probe)
    return {'responseCode': 'OK', 'details': details(resp),
            'tasks': sorted((describe(api, x) for x in tasks), key=lambda x: (x['instanceId'], x['taskId']))}


def step_update(api, client, name, data):
    t = api.ttypes
    S = t.JobUpdateStatus
    current = [x for x in tasks_of(api, client, name) if x.status == t.ScheduleStatus.RUNNING]
    config = current[0].assignedTask.task
    config.executorConfig = t.ExecutorConfig(name=config.executorConfig.name, data=data)
    request = t.JobUpdateRequest(
        taskConfig=config,
        instanceCount=len(current),
        settings=t.JobUpdateSettings(
            updateGroupSize=1, maxPerInstanceFailures=0, maxFailedInstances=0, minWaitInInstanceRunningMs=200,
            rollbackOnFailure=True, updateOnlyTheseInstances=set(), waitForBatchCompletion=False,
            updateStrategy=t.JobUpdateStrategy(queueStrategy=t.QueueJobUpdateStrategy(groupSize=1))),
        metadata={t.Metadata(key='org.apache.aurora.client.update_id', value='python-%s' % name)},
    )
    started = check_ok(api, client.startJobUpdate(request, 'rolled by the python client'), 'startJobUpdate')
    update_key = started.result.startJobUpdateResult.key
    query = t.JobUpdateQuery(key=update_key)

    def probe():
        resp = check_ok(api, client.getJobUpdateSummaries(query), 'getJobUpdateSummaries')
        summaries = resp.result.getJobUpdateSummariesResult.updateSummaries or []
        status = summaries[0].state.status if summaries else None
        return status if status in (S.ROLLED_FORWARD, S.ROLLED_BACK, S.ABORTED, S.ERROR, S.FAILED) else None

    status = poll('the update to finish', probe)
    got = check_ok(api, client.getJobUpdateDetails(update_key, None), 'getJobUpdateDetails')
    found = got.result.getJobUpdateDetailsResult.details
    return {
        'status': S._VALUES_TO_NAMES[status],
        'updateId': update_key.id,
        'instanceEvents': [{'instanceId': e.instanceId, 'action': t.JobUpdateAction._VALUES_TO_NAMES[e.action]}
                           for e in (found.instanceEvents or [])],
        'updateEvents': [S._VALUES_TO_NAMES[e.status] for e in (found.updateEvents or [])],
    }


STEPS = {
    'create': step_create,
    'wait-running': step_wait_running,
    'read': step_read,
    'kill': step_kill,
    'update': step_update,
}


def main():
    if len(sys.argv) < 5 or sys.argv[4] not in STEPS:
        sys.exit('usage: client.py <generated dir | api.thrift> <url> <json|binary> <%s> [args...]' % '|'.join(STEPS))
    source, url, protocol, step = sys.argv[1:5]
    api = g.load_api(source)
    client = connect(api, url, protocol)
    try:
        out = STEPS[step](api, client, *sys.argv[5:])
    except Exception as e:  # one JSON line either way, so the test can show what went wrong
        print(json.dumps({'step': step, 'error': '%s: %s' % (type(e).__name__, e)}))
        sys.exit(1)
    out['step'] = step
    print(json.dumps(out, ensure_ascii=False))


if __name__ == '__main__':
    main()
