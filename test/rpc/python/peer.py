"""A real oslo.messaging peer for neutron-ts's compatibility tests (Debian python3-oslo.messaging).

Usage: /usr/bin/python3 peer.py TRANSPORT_URL
It starts, on the 'neutron' control exchange:
  * an RPC server on topic 'py-topic', server 'pyhost' (endpoint version 1.3),
  * a notification listener on topic 'notifications',
prints READY, then runs client commands read from stdin, one JSON object per line:
  {"id": 1, "op": "call" | "cast", "topic": ..., "server": ..., "version": ...,
   "fanout": false, "namespace": null, "method": ..., "args": {...}, "timeout": 5}
and answers each with one JSON line {"id": 1, "result": ...} or {"id": 1, "error": {...}}.
Received notifications are printed as {"notification": {...}}.
"""
import json
import sys
import threading

from oslo_config import cfg
import oslo_messaging as om
from oslo_messaging._metrics import client as metrics_client

out_lock = threading.Lock()


def emit(obj):
    with out_lock:
        sys.stdout.write(json.dumps(obj) + '\n')
        sys.stdout.flush()


class NetworkNotFound(Exception):
    """Stands for a Neutron exception: its module is not importable by the caller."""


class Endpoint(object):
    target = om.Target(version='1.3')

    def __init__(self):
        self.remembered = []

    def echo(self, ctxt, value):
        return value

    def whoami(self, ctxt):
        return 'pyhost'

    def remember(self, ctxt, value):
        self.remembered.append(value)

    def recall(self, ctxt):
        return self.remembered

    def context(self, ctxt):
        return ctxt

    def fail_key(self, ctxt, key):
        raise KeyError(key)

    def fail_custom(self, ctxt, net_id):
        raise NetworkNotFound('Network %s could not be found.' % net_id)


class NotificationEndpoint(object):
    def _got(self, priority, ctxt, publisher_id, event_type, payload, metadata):
        emit({'notification': {'priority': priority, 'ctxt': ctxt, 'publisher_id': publisher_id,
                               'event_type': event_type, 'payload': payload,
                               'metadata': {k: str(v) for k, v in metadata.items()}}})

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        self._got('info', ctxt, publisher_id, event_type, payload, metadata)

    def error(self, ctxt, publisher_id, event_type, payload, metadata):
        self._got('error', ctxt, publisher_id, event_type, payload, metadata)


def describe(exc):
    return {'class': type(exc).__name__, 'module': type(exc).__module__,
            'exc_type': getattr(exc, 'exc_type', None),
            'value': getattr(exc, 'value', None), 'str': str(exc).split('\n')[0]}


def main():
    url = sys.argv[1]
    om.set_transport_defaults('neutron')
    conf = cfg.ConfigOpts()
    conf([], project='neutron-ts-test')
    conf.register_opts(metrics_client.oslo_messaging_metrics, group='oslo_messaging_metrics')
    transport = om.get_rpc_transport(conf, url=url)
    server = om.get_rpc_server(transport, om.Target(topic='py-topic', server='pyhost'),
                               [Endpoint()], executor='threading')
    server.start()
    ntransport = om.get_notification_transport(conf, url=url)
    listener = om.get_notification_listener(ntransport, [om.Target(topic='notifications')],
                                            [NotificationEndpoint()], executor='threading')
    listener.start()
    with out_lock:
        sys.stdout.write('READY\n')
        sys.stdout.flush()

    def run(cmd):
        try:
            client = om.RPCClient(transport, om.Target(topic=cmd['topic']), timeout=cmd.get('timeout', 10))
            client = client.prepare(version=cmd.get('version'), server=cmd.get('server'),
                                    fanout=cmd.get('fanout', False), namespace=cmd.get('namespace'))
            ctxt = cmd.get('ctxt', {'request_id': 'req-from-python', 'is_admin': True, 'user_id': None,
                                    'project_id': None, 'roles': []})
            if cmd['op'] == 'call':
                emit({'id': cmd['id'], 'result': client.call(ctxt, cmd['method'], **cmd.get('args', {}))})
            else:
                client.cast(ctxt, cmd['method'], **cmd.get('args', {}))
                emit({'id': cmd['id'], 'result': None})
        except Exception as exc:  # reported to the test
            emit({'id': cmd['id'], 'error': describe(exc)})

    for line in sys.stdin:
        if line.strip():
            threading.Thread(target=run, args=(json.loads(line),), daemon=True).start()

    listener.stop()
    server.stop()
    server.wait()
    listener.wait()
    transport.cleanup()
    ntransport.cleanup()


if __name__ == '__main__':
    main()
