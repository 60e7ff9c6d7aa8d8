#!/usr/bin/python3
"""Decodes bytes written by aurora-ts with Python code generated from the IDL (python3-thrift).

    /usr/bin/python3 test/golden/decode.py <api.thrift> <manifest.json>

The manifest is a JSON list of {name, kind: struct|call|reply, type (structs), protocol: binary|json,
file}. Prints one JSON document: {"results": [{name, protocol, value, method?, messageType?, seqid?}
or {name, protocol, error}]}, values in the canonical plain form of golden_common.to_plain.
"""
import json
import os
import sys
import traceback

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_common as g  # noqa: E402


def decode(api, item):
    with open(item['file'], 'rb') as f:
        data = f.read()
    protocol = item['protocol']
    if item['kind'] == 'struct':
        return {'value': g.to_plain(g.decode_struct(api, protocol, item['type'], data))}
    method, mtype, seqid, body = g.decode_message(api, protocol, data)
    if item['kind'] == 'call':
        value = {name: g.to_plain(getattr(body, name)) for name in vars(body) if getattr(body, name) is not None}
    else:
        value = g.to_plain(body.success)
    return {'method': method, 'messageType': mtype, 'seqid': seqid, 'value': value}


def main():
    if len(sys.argv) != 3:
        sys.exit('usage: decode.py <api.thrift> <manifest.json>')
    api = g.load_api(sys.argv[1])
    with open(sys.argv[2], encoding='utf-8') as f:
        manifest = json.load(f)
    results = []
    for item in manifest:
        head = {'name': item['name'], 'protocol': item['protocol']}
        try:
            head.update(decode(api, item))
        except Exception:  # reported per item so one bad encoding does not hide the others
            head['error'] = traceback.format_exc(limit=3)
        results.append(head)
    json.dump({'results': results}, sys.stdout, ensure_ascii=False)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
