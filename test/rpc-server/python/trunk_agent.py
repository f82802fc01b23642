"""Stands for the trunk side of Neutron's Open vSwitch agent in neutron-ts's RPC tests.

Usage: /usr/bin/python3 trunk_agent.py TRANSPORT_URL HOST
It consumes the versioned-object fanout topics 'neutron-vo-Trunk-1.1' and 'neutron-vo-SubPort-1.0'
(ResourcesPushRpcCallback, version 1.1), prints READY, prints every push as
{"received": {topic, method, args}}, and runs client commands read from stdin as agent.py does,
with an optional "namespace" (the trunk topic's is 'trunk').
"""
import json
import sys
import threading

from oslo_config import cfg
import oslo_messaging as om
from oslo_messaging._metrics import client as metrics_client

from agent import agent_context, describe, emit, out_lock, Recorder


def main():
    url, host = sys.argv[1], sys.argv[2]
    om.set_transport_defaults('neutron')
    conf = cfg.ConfigOpts()
    conf([], project='neutron-ts-test')
    conf.register_opts(metrics_client.oslo_messaging_metrics, group='oslo_messaging_metrics')
    transport = om.get_rpc_transport(conf, url=url)
    servers = []
    for topic in ('neutron-vo-Trunk-1.1', 'neutron-vo-SubPort-1.0'):
        servers.append(om.get_rpc_server(transport, om.Target(topic=topic, server=host, fanout=True),
                                         [Recorder(topic, '1.1', ['push'])], executor='threading'))
    for s in servers:
        s.start()
    with out_lock:
        sys.stdout.write('READY %s\n' % host)
        sys.stdout.flush()

    def run(cmd):
        try:
            client = om.RPCClient(transport, om.Target(topic=cmd['topic'], namespace=cmd.get('namespace')),
                                  timeout=cmd.get('timeout', 10))
            client = client.prepare(version=cmd.get('version'))
            emit({'id': cmd['id'], 'result': client.call(agent_context(), cmd['method'], **cmd.get('args', {}))})
        except Exception as exc:  # reported to the test
            emit({'id': cmd['id'], 'error': describe(exc)})

    for line in sys.stdin:
        if line.strip():
            threading.Thread(target=run, args=(json.loads(line),), daemon=True).start()

    for s in servers:
        s.stop()


if __name__ == '__main__':
    main()
