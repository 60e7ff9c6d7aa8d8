"""Shared by the golden scripts: Python code generated from an Aurora IDL with the Apache Thrift
compiler, the two protocols, and a canonical plain-JSON view of generated values.

Runs on Debian's /usr/bin/python3 with python3-thrift (an implementation independent of aurora-ts).
"""
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

from thrift.protocol import TBinaryProtocol, TJSONProtocol
from thrift.transport import TTransport

PROTOCOLS = {
    'binary': TBinaryProtocol.TBinaryProtocolFactory(),
    'json': TJSONProtocol.TJSONProtocolFactory(),
}

SERVICES = ('ReadOnlyScheduler', 'AuroraSchedulerManager', 'AuroraAdmin')


class Api:
    """The modules `thrift --gen py` makes of the IDL (namespace py gen.apache.aurora.api)."""

    def __init__(self, ttypes, services):
        self.ttypes = ttypes
        self.services = services

    def message_class(self, method, suffix):
        """`<method>_args` / `<method>_result`, from whichever service declares the method."""
        for module in self.services.values():
            cls = getattr(module, '%s_%s' % (method, suffix), None)
            if cls is not None:
                return cls
        raise KeyError('no method %r in the IDL' % method)


def load_api(source):
    """Imports the Python code of the IDL: `source` is an .thrift file (generated here into a
    temporary directory) or a directory that `thrift --gen py -out <dir>` already filled."""
    generated = os.path.isdir(source)
    out = source if generated else tempfile.mkdtemp(prefix='aurora-golden-py-')
    try:
        if not generated:
            subprocess.run(['thrift', '--gen', 'py', '-out', out, source], check=True)
        sys.path.insert(0, out)
        ttypes = importlib.import_module('gen.apache.aurora.api.ttypes')
        services = {name: importlib.import_module('gen.apache.aurora.api.' + name) for name in SERVICES}
    finally:
        # The modules are loaded; a temporary copy is no longer needed.
        if not generated:
            shutil.rmtree(out, ignore_errors=True)
    # Generated structs define __eq__ without __hash__, so they cannot live in Python sets, which
    # is how the generated code reads and writes set<struct> (set<Resource>, set<JobKey>, ...).
    for value in vars(ttypes).values():
        if isinstance(value, type) and hasattr(value, 'thrift_spec'):
            value.__hash__ = lambda self: hash(repr(self))
    return Api(ttypes, services)


def to_plain(value):
    """The idiomatic view aurora-ts decodes to: structs as objects without unset fields, sets as
    arrays (sorted by canonical JSON so the output is stable), enums and i64 as numbers."""
    if hasattr(value, 'thrift_spec'):
        out = {}
        for spec in value.thrift_spec:
            if spec is None:
                continue
            name = spec[2]
            field = getattr(value, name, None)
            if field is not None:
                out[name] = to_plain(field)
        return out
    if isinstance(value, (set, frozenset)):
        items = [to_plain(v) for v in value]
        return sorted(items, key=canonical)
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return list(value)
    return value


def canonical(plain):
    return json.dumps(plain, sort_keys=True, ensure_ascii=False, separators=(',', ':'))


def encoder(protocol):
    buf = TTransport.TMemoryBuffer()
    return buf, PROTOCOLS[protocol].getProtocol(buf)


def decoder(protocol, data):
    return PROTOCOLS[protocol].getProtocol(TTransport.TMemoryBuffer(data))


def encode_struct(protocol, value):
    buf, prot = encoder(protocol)
    value.write(prot)
    return buf.getvalue()


def decode_struct(api, protocol, struct, data):
    value = getattr(api.ttypes, struct)()
    value.read(decoder(protocol, data))
    return value


def decode_message(api, protocol, data):
    """Reads a CALL or a REPLY; returns (method, message type, seqid, args-or-result struct)."""
    from thrift.Thrift import TMessageType
    prot = decoder(protocol, data)
    method, mtype, seqid = prot.readMessageBegin()
    if mtype in (TMessageType.CALL, TMessageType.ONEWAY):
        body = api.message_class(method, 'args')()
    elif mtype == TMessageType.REPLY:
        body = api.message_class(method, 'result')()
    else:
        raise ValueError('unexpected message type %d for %s' % (mtype, method))
    body.read(prot)
    prot.readMessageEnd()
    return method, mtype, seqid, body


def require_fixed_hash_seed():
    """Set iteration order (and so the bytes of a set<string>) depends on str hashing; re-run with
    a fixed seed so the same values always give the same bytes."""
    if os.environ.get('PYTHONHASHSEED') != '0':
        env = dict(os.environ, PYTHONHASHSEED='0')
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
