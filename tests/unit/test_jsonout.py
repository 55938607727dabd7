# SPDX-License-Identifier: MIT
# format=json: the JSON lines (MicroPython's json module) and the objects of schema
# stubmon/2 (docs/json-schema.md). Under CPython the lines are also parsed
# with the json module.
from stubmon import abi
from stubmon import record as domain
from stubmon import jsonout
from stubmon import table
from stubmon.jsonout import Ordered as O
from stubmon.snapshot import Snapshot

import recs

try:
    import json
except ImportError:  # MicroPython's CORE build has no json module
    json = None


def dom(domid, flags, tot, maxp, cpu_ns=0, ssid=0, pool=0, handle=None, vcpus=1):
    return recs.dom(domid, flags, tot, maxp, cpu_ns, vcpus, ssid, pool, handle)


def counts(every):
    return None if every is None else table.summary(recs.at_poll(every))


def poll_parts(n, version, uptime, doms, cpu, host=None, every=None):
    return jsonout.poll_parts(
        Snapshot(n, version, uptime, recs.at_poll(doms, cpu, host), host, counts(every))
    )


def poll_line_of(*args):
    return ''.join(poll_parts(*args))


class Host:
    nr_cpus = 2
    cpu_mhz = 2400
    total_kib = 1048576
    free_kib = 524288


def test_dumps_values():
    assert jsonout.dumps(None) == 'null'
    assert jsonout.dumps(True) == 'true' and jsonout.dumps(False) == 'false'
    assert jsonout.dumps(-12) == '-12' and jsonout.dumps(2**70) == str(2**70)
    assert jsonout.dumps('a"b\\c\n\x01') == '"a\\"b\\\\c\\n\\u0001"'
    assert jsonout.text('caf\xe9 \x7f') == 'caf? ?'
    assert jsonout.dumps([1, 'x', None, []]) == '[1,"x",null,[]]'
    assert jsonout.dumps(O('b', 1, 'a', O())) == '{"b":1,"a":{}}'  # order kept


def test_dumps_rejects_other_types():
    try:
        jsonout.dumps({'a': 1})
        raise AssertionError('accepted a dict')
    except TypeError:
        pass


POLL = (
    '{"schema":"stubmon/2","type":"poll","uptime_ms":12345,"poll":3,"xen":"4.20.4",'
    '"host":{"cpus":2,"cpu_mhz":2400,"mem_total_k":1048576,"mem_used_k":524288,'
    '"mem_free_k":524288,"busy_pct_x10":null},'
    '"summary":{"domains":3,"running":1,"blocked":0,"paused":1,"crashed":1,"dying":0,'
    '"shutdown":0},'
    '"domains":[{"id":0,"state":"r-----","status":"running","cpu_ns":1250000000,'
    '"cpu_sec":1,"cpu_pct_x10":125,"mem_k":65536,"mem_pct_x10":63,"maxmem_k":null,'
    '"vcpus":1,"ssid":0,"cpupool":0,"uuid":"00000000-0000-0000-0000-000000000000"},'
    '{"id":1,"state":"--p---","status":"paused","cpu_ns":0,"cpu_sec":0,'
    '"cpu_pct_x10":null,"mem_k":0,"mem_pct_x10":0,"maxmem_k":16384,"vcpus":0,"ssid":7,'
    '"cpupool":2,"uuid":"0102030405060708090a0b0c0d0e0f10"}]}'
)


def poll_line():
    crashed = abi.DOMINF_shutdown | (abi.SHUTDOWN_crash << abi.DOMINF_shutdownshift)
    shown = [
        dom(0, abi.DOMINF_running, 16384, 0xFFFFFFFF, 1250000000),
        dom(1, abi.DOMINF_paused, 0, 4096, ssid=7, pool=2, handle=bytes(range(1, 17)), vcpus=0),
    ]
    every = shown + [dom(2, crashed, 1, 1)]
    return poll_line_of(3, '4.20.4', 12345678901, shown, {0: 125, 1: None}, Host(), every)


def test_poll_line_exact():
    line = poll_line()
    want = POLL.replace(
        '"0102030405060708090a0b0c0d0e0f10"', '"01020304-0506-0708-090a-0b0c0d0e0f10"'
    )
    assert line == want, line
    assert '\n' not in line
    if json:
        obj = json.loads(line)
        assert obj['schema'] == 'stubmon/2' and len(obj['domains']) == 2


def test_poll_parts_join_to_the_line():
    crashed = abi.DOMINF_shutdown | (abi.SHUTDOWN_crash << abi.DOMINF_shutdownshift)
    shown = [dom(0, abi.DOMINF_running, 16384, 0xFFFFFFFF, 1250000000)]
    parts = list(poll_parts(1, 'x', 0, shown, {}, None, shown + [dom(2, crashed, 1, 1)]))
    assert len(parts) == 3
    line = ''.join(parts)
    assert line == jsonout.poll_line(
        Snapshot(1, 'x', 0, recs.at_poll(shown), counts=counts(shown + [dom(2, crashed, 1, 1)]))
    )
    assert '"host":null' in line and '"mem_pct_x10":null' in line
    assert ''.join(poll_parts(1, 'x', 0, [], {})).endswith('"domains":[]}')


def test_unlisted_line():
    line = jsonout.unlisted_line(2, '4.17.7', 6200000000, 'EPERM', 40000000)
    assert line == (
        '{"schema":"stubmon/2","type":"poll","uptime_ms":6200,"poll":2,"xen":"4.17.7",'
        '"host":null,"summary":null,"domains":null,"error":"EPERM",'
        '"own_cpu_ns":40000000}'
    )


def test_event_lines():
    assert jsonout.event_line(1255000000, 1, 'running', 'blocked') == (
        '{"schema":"stubmon/2","type":"event","uptime_ms":1255,"domain":1,"event":"changed",'
        '"from":"running","to":"blocked"}'
    )
    assert '"event":"appeared","from":null,"to":"paused"' in jsonout.event_line(
        0, 4, None, 'paused'
    )
    assert '"event":"gone","from":"shutdown (reboot)","to":null' in jsonout.event_line(
        0, 4, 'shutdown (reboot)', None
    )


def test_alert_line():
    assert jsonout.alert_line(3251000000, 2, 'crashed', 'firing', 'state ---sc-') == (
        '{"schema":"stubmon/2","type":"alert","uptime_ms":3251,"domain":2,"rule":"crashed",'
        '"status":"firing","detail":"state ---sc-"}'
    )


def test_view_key_after_the_summary():
    shown = recs.at_poll([dom(4, abi.DOMINF_running, 1, 1)])
    counts = {
        'domains': 9,
        'running': 9,
        'blocked': 0,
        'paused': 0,
        'crashed': 0,
        'dying': 0,
        'shutdown': 0,
    }
    seen = ('mode', 'changes', 'sort', 'id', 'shown', 1, 'of', 9, 'changed', 3, 'left_out', 2)
    line = jsonout.poll_line(Snapshot(5, 'x', 0, shown, counts=counts, seen=seen))
    assert (
        '"summary":{"domains":9,"running":9,"blocked":0,"paused":0,"crashed":0,"dying":0,'
        '"shutdown":0},"view":{"mode":"changes","sort":"id","shown":1,"of":9,"changed":3,'
        '"left_out":2},"domains":[{"id":4,'
    ) in line, line
    assert '"view"' not in jsonout.poll_line(Snapshot(5, 'x', 0, shown, counts=counts))
