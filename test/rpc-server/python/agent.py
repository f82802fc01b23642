"""Stands for Neutron's agents in neutron-ts's RPC compatibility tests (Debian python3-oslo.messaging).

Usage: /usr/bin/python3 agent.py TRANSPORT_URL HOST
On the 'neutron' control exchange it starts, as the real agents do:
  * the DHCP agent's RPC server: topic 'dhcp_agent', server HOST (endpoint version 1.0),
  * the Linux bridge agent's fanout consumers: topics 'q-agent-notifier-port-update',
    '-port-delete', '-network-delete', '-network-update' (endpoint version 1.5),
and prints READY. Every message they receive is printed as {"received": {topic, method, args}}.
Then it runs client commands read from stdin, one JSON object per line:
  {"id": 1, "op": "call" | "cast" | "report_state", "topic": ..., "version": ..., "method": ...,
   "args": {...}, "timeout": 10}
("report_state" sends {"agent_state": {"agent_state": args}, "time": now} on q-reports-plugin at
1.2, as PluginReportStateAPI) and answers each with {"id": 1, "result": ...} or {"id": 1, "error": {...}}.
"""
import datetime
import json
import sys
import threading
import uuid

from oslo_config import cfg
import oslo_messaging as om
from oslo_messaging._metrics import client as metrics_client

out_lock = threading.Lock()


def emit(obj):
    with out_lock:
        sys.stdout.write(json.dumps(obj) + '\n')
        sys.stdout.flush()


def agent_context():
    """neutron_lib.context.get_admin_context_without_session().to_dict(), as agents send it."""
    return {
        'user': None, 'project_id': None, 'system_scope': None, 'project': None, 'domain': None,
        'user_domain': None, 'project_domain': None, 'is_admin': True, 'read_only': False,
        'show_deleted': False, 'auth_token': None, 'request_id': 'req-%s' % uuid.uuid4(),
        'global_request_id': None, 'resource_uuid': None, 'roles': [], 'user_identity': '- - - - -',
        'is_admin_project': True, 'user_id': None, 'tenant_id': None,
        'timestamp': str(datetime.datetime.utcnow()), 'tenant_name': None, 'project_name': None,
        'user_name': None,
    }


class Recorder(object):
    def __init__(self, topic, version, methods):
        self.target = om.Target(version=version)
        for m in methods:
            setattr(self, m, self._recorder(topic, m))

    @staticmethod
    def _recorder(topic, method):
        def record(ctxt, **kwargs):
            emit({'received': {'topic': topic, 'method': method, 'args': kwargs,
                               'is_admin': ctxt.get('is_admin')}})
        return record


DHCP_METHODS = ['network_create_end', 'network_update_end', 'network_delete_end', 'subnet_create_end',
                'subnet_update_end', 'subnet_delete_end', 'port_create_end', 'port_update_end',
                'port_delete_end', 'agent_updated']
L2_TOPICS = {
    'q-agent-notifier-port-update': ['port_update'],
    'q-agent-notifier-port-delete': ['port_delete'],
    'q-agent-notifier-network-delete': ['network_delete'],
    'q-agent-notifier-network-update': ['network_update'],
    # the QoS agent extension's object pushes (ResourcesPushRpcCallback)
    'neutron-vo-QosPolicy-1.10': ['push'],
}


def describe(exc):
    return {'class': type(exc).__name__, 'module': type(exc).__module__,
            'exc_type': getattr(exc, 'exc_type', None),
            'value': getattr(exc, 'value', None), 'str': str(exc).split('\n')[0]}


def main():
    url, host = sys.argv[1], sys.argv[2]
    om.set_transport_defaults('neutron')
    conf = cfg.ConfigOpts()
    conf([], project='neutron-ts-test')
    conf.register_opts(metrics_client.oslo_messaging_metrics, group='oslo_messaging_metrics')
    transport = om.get_rpc_transport(conf, url=url)
    servers = [om.get_rpc_server(transport, om.Target(topic='dhcp_agent', server=host),
                                 [Recorder('dhcp_agent', '1.0', DHCP_METHODS)], executor='threading')]
    for topic, methods in L2_TOPICS.items():
        servers.append(om.get_rpc_server(transport, om.Target(topic=topic, server=host),
                                         [Recorder(topic, '1.5', methods)], executor='threading'))
    for s in servers:
        s.start()
    emit_ready = 'READY %s\n' % host
    with out_lock:
        sys.stdout.write(emit_ready)
        sys.stdout.flush()

    def run(cmd):
        try:
            if cmd['op'] == 'report_state':
                topic, version, method = 'q-reports-plugin', '1.2', 'report_state'
                now = datetime.datetime.utcnow().strftime('%Y-%m-%dT%H:%M:%S.%f')
                args = {'agent_state': {'agent_state': cmd['args']}, 'time': now}
            else:
                topic, version, method, args = cmd['topic'], cmd.get('version'), cmd['method'], cmd.get('args', {})
            client = om.RPCClient(transport, om.Target(topic=topic), timeout=cmd.get('timeout', 10))
            client = client.prepare(version=version)
            if cmd['op'] == 'cast':
                client.cast(agent_context(), method, **args)
                emit({'id': cmd['id'], 'result': None})
            else:
                emit({'id': cmd['id'], 'result': client.call(agent_context(), method, **args)})
        except Exception as exc:  # reported to the test
            emit({'id': cmd['id'], 'error': describe(exc)})

    for line in sys.stdin:
        if line.strip():
            threading.Thread(target=run, args=(json.loads(line),), daemon=True).start()

    for s in servers:
        s.stop()
    for s in servers:
        s.wait()
    transport.cleanup()


if __name__ == '__main__':
    main()
