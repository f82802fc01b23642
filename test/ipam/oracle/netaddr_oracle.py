"""Answers test cases with Neutron's own code (neutron-lib 3.1, Neutron 21, netaddr 0.8).

Reads [{"op": ..., "args": [...]}, ...] on stdin and writes the same list with "expect" added.
Needs Debian's python3-netaddr 0.8 (/usr/bin/python3) and the reference packages extracted under
/tmp/ref (see DESIGN.md). Functions that live in database-bound modules are lifted out of their
source with ast and run as they are.
"""
import ast
import json
import sys
import types
from unittest import mock

REF = '/tmp/ref/usr/lib/python3/dist-packages'
sys.path.insert(0, REF)
# packages whose __init__ pulls in the database layer: register them empty
for name in ('neutron_lib', 'neutron', 'neutron.ipam', 'neutron.common', 'neutron.db',
             'neutron_lib.utils', 'neutron_lib.api'):
    m = types.ModuleType(name)
    m.__path__ = [REF + '/' + name.replace('.', '/')]
    sys.modules[name] = m
for name in ('os_ken', 'os_ken.lib', 'os_ken.lib.packet', 'os_ken.lib.packet.ether_types',
             'pecan', 'os_traits', 'neutron_lib.plugins', 'neutron_lib.plugins.directory'):
    sys.modules[name] = mock.MagicMock(name=name)

import netaddr  # noqa: E402
from neutron_lib.api import converters, validators  # noqa: E402
from neutron_lib import constants  # noqa: E402
from neutron_lib import exceptions  # noqa: E402
from neutron.ipam import utils as ipam_utils  # noqa: E402
from oslo_utils import netutils  # noqa: E402


def lift(path, cls, names, extra):
    """The named methods of class `cls` in `path`, as plain functions of a namespace."""
    tree = ast.parse(open(REF + '/' + path).read())
    klass = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls)
    funcs = [n for n in klass.body if isinstance(n, ast.FunctionDef) and n.name in names]
    for f in funcs:
        f.decorator_list = []
    ns = dict(extra)
    exec(compile(ast.Module(body=funcs, type_ignores=[]), path, 'exec'), ns)
    return ns


mixin = lift('neutron/db/ipam_backend_mixin.py', 'IpamBackendMixin',
             {'validate_allocation_pools', 'validate_gw_out_of_pools', '_prepare_allocation_pools',
              'pools_to_ip_range', 'generate_pools'},
             {'netaddr': netaddr, 'const': constants, 'exc': exceptions, 'LOG': mock.MagicMock(),
              'validators': validators, 'ipam_utils': ipam_utils})
alloc = lift('neutron/ipam/subnet_alloc.py', 'SubnetAllocator',
             {'_get_available_prefix_list', '_allocate_any_subnet', '_allocate_specific_subnet'},
             {'netaddr': netaddr, 'operator': __import__('operator'), 'exceptions': exceptions,
              'ipam_utils': ipam_utils, '_': lambda s: s, 'db_api': mock.MagicMock(),
              'IpamSubnet': lambda tenant, sid, cidr, gateway_ip=None, allocation_pools=None: cidr})

reader = lift('neutron/ipam/subnet_alloc.py', 'SubnetPoolReader', {'_compact_subnetpool_prefix_list'},
              {'netaddr': netaddr})


class Backend:
    pools_to_ip_range = staticmethod(mixin['pools_to_ip_range'])
    generate_pools = staticmethod(ipam_utils.generate_pools)
    validate_allocation_pools = mixin['validate_allocation_pools']
    validate_gw_out_of_pools = mixin['validate_gw_out_of_pools']
    _prepare_allocation_pools = mixin['_prepare_allocation_pools']


class Allocator:
    def __init__(self, prefixes, allocated):
        self._subnetpool = types.SimpleNamespace(prefixes=[types.SimpleNamespace(cidr=p) for p in prefixes])
        self._allocated = allocated
        self._context = None

    def _get_allocated_cidrs(self):
        return iter(self._allocated)

    def _lock_subnetpool(self):
        pass

    def _check_subnetpool_tenant_quota(self, tenant_id, prefixlen):
        pass

    _get_available_prefix_list = alloc['_get_available_prefix_list']
    _allocate_any_subnet = alloc['_allocate_any_subnet']
    _allocate_specific_subnet = alloc['_allocate_specific_subnet']


def ranges(rs):
    return [[str(r[0]), str(r[-1])] for r in rs]


def error(e):
    return {'error': type(e).__name__, 'message': str(e)}


def run(op, a):
    if op == 'ip':
        try:
            ip = netaddr.IPAddress(a[0], flags=netaddr.INET_PTON)
            return [ip.version, str(ip)]
        except Exception:
            return None
    if op == 'cidr':
        try:
            n = netaddr.IPNetwork(a[0])
            return [n.version, str(n), str(n.cidr)]
        except Exception:
            return None
    if op.startswith('validate_'):
        return getattr(validators, op)(a[0])
    if op == 'convert_ip':
        return converters.convert_ip_to_canonical_format(a[0])
    if op == 'convert_cidr':
        try:
            return converters.convert_cidr_to_canonical_format(a[0])
        except exceptions.InvalidInput as e:
            return error(e)
    if op == 'sanitize_mac':
        return converters.convert_to_sanitized_mac_address(a[0])
    if op in ('generate_pools', 'prepare_pools'):
        # as create_subnet passes them: the cidr masked, the gateway through its converter
        net = netaddr.IPNetwork(a[-2])
        cidr = '%s/%s' % (net.network, net.prefixlen)
        gateway = converters.convert_ip_to_canonical_format(a[-1])
    if op == 'generate_pools':
        return ranges(ipam_utils.generate_pools(cidr, gateway))
    if op == 'prepare_pools':
        pools = constants.ATTR_NOT_SPECIFIED if a[0] is None else a[0]
        try:
            return ranges(Backend()._prepare_allocation_pools(pools, cidr, gateway))
        except exceptions.NeutronException as e:
            return error(e)
    if op == 'eui64':
        return str(netutils.get_ipv6_addr_by_EUI64(a[0], a[1]))
    if op == 'compact':
        return [str(c) for c in reader['_compact_subnetpool_prefix_list'](None, a[0])]
    if op == 'available':
        return [str(c) for c in Allocator(a[0], a[1])._get_available_prefix_list()]
    if op == 'allocate_any':
        req = types.SimpleNamespace(prefixlen=a[2], gateway_ip=None, tenant_id='t', subnet_id='s')
        try:
            return str(Allocator(a[0], a[1])._allocate_any_subnet(req))
        except exceptions.SubnetAllocationError:
            return None
    if op == 'allocate_specific':
        req = types.SimpleNamespace(subnet_cidr=netaddr.IPNetwork(a[2]), prefixlen=0, gateway_ip=None,
                                    allocation_pools=None, tenant_id='t', subnet_id='s')
        try:
            Allocator(a[0], a[1])._allocate_specific_subnet(req)
            return True
        except exceptions.SubnetAllocationError:
            return False
    if op == 'range_cidrs':
        return [str(c) for c in netaddr.iprange_to_cidrs(a[0], a[1])]
    raise ValueError(op)


cases = json.load(sys.stdin)
for c in cases:
    try:
        c['expect'] = run(c['op'], c['args'])
    except Exception as e:  # Neutron would answer 500
        c['expect'] = error(e)
json.dump(cases, sys.stdout, indent=None, separators=(',', ':'))
